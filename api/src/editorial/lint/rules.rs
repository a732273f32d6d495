//! The rules file: its format, and compiling it into rules.

use super::*;

/// Patterns per language subtag (`ja`, `en`).
pub(super) type ByLanguage = BTreeMap<String, Vec<String>>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct File {
    pub(super) rules: Vec<RuleDoc>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RuleDoc {
    pub(super) id: String,
    pub(super) kind: KindDoc,
    pub(super) severity: Severity,
    pub(super) title: Localized<String>,
    pub(super) advice: Localized<String>,
    pub(super) guideline: Guideline,
    #[serde(default)]
    pub(super) patterns: ByLanguage,
    #[serde(default)]
    pub(super) except: ByLanguage,
    #[serde(default)]
    pub(super) when: Option<WhenDoc>,
    #[serde(default)]
    pub(super) requires: Vec<RequirementDoc>,
    #[serde(default)]
    pub(super) check: Option<ClaimCheck>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum KindDoc {
    Phrase,
    Disclosure,
    Claim,
    Coverage,
}

/// Where a rule comes from.
#[derive(Debug, Clone, Deserialize, Serialize, SimpleObject)]
#[serde(deny_unknown_fields)]
pub struct Guideline {
    /// The guideline, its section and the cases it rests on.
    pub source: String,
    /// The guideline's own words (or, where not confirmed, their substance).
    pub wording: String,
    /// Whether `wording` is the official text as read in a reproduction of
    /// the MHLW document (rather than a paraphrase or industry practice).
    pub confirmed: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WhenDoc {
    #[serde(default)]
    pub(super) self_pay_category: bool,
    #[serde(default)]
    pub(super) mentions: ByLanguage,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RequirementDoc {
    pub(super) id: String,
    pub(super) title: Localized<String>,
    pub(super) patterns: ByLanguage,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum ClaimCheck {
    Unreferenced,
    AboveSource,
    NamesModel,
    UnclassifiedSource,
}

/// Compiled patterns per language: one regex per list, the patterns as
/// alternatives. Measured on the shipped rules, 254 regexes held 11.5 MB
/// and one per list 5.5 MB; each regex's lazy DFA cache is bounded too
/// ([`DFA_BYTES`]), since the lint runs on saves, never on reads.
#[derive(Debug, Default)]
pub(super) struct Patterns(BTreeMap<String, Regex>);

/// The most memory one list's lazy DFA may use per thread.
pub(super) const DFA_BYTES: usize = 64 * 1024;

impl Patterns {
    pub(super) fn compile(rule: &str, by_language: &ByLanguage) -> Result<Self, RulesError> {
        let mut out = BTreeMap::new();
        for (language, list) in by_language {
            if list.is_empty() {
                continue;
            }
            // `(?i)` at the head of a pattern stays within its group.
            let alternatives: Vec<String> = list.iter().map(|p| format!("(?:{p})")).collect();
            let compiled = regex::RegexBuilder::new(&alternatives.join("|"))
                .dfa_size_limit(DFA_BYTES)
                .build()
                .map_err(|_| {
                    // Name the pattern at fault, not the alternation.
                    let (pattern, message) = list
                        .iter()
                        .find_map(|p| Regex::new(p).err().map(|err| (p.clone(), err.to_string())))
                        .unwrap_or_else(|| (list.join(" | "), "the patterns do not compile together".to_owned()));
                    RulesError::Pattern {
                        rule: rule.to_owned(),
                        pattern,
                        message,
                    }
                })?;
            out.insert(language.clone(), compiled);
        }
        Ok(Self(out))
    }

    /// The patterns for `locale`'s language (`en` for `en-US`).
    pub(super) fn of(&self, locale: &str) -> Option<&Regex> {
        let language = locale.split('-').next().unwrap_or(locale);
        self.0.get(language)
    }

    /// Byte spans of the matches in `text`, one per position a match
    /// starts at (overlapping ones included: a hedge that begins inside
    /// another match still excuses what it covers).
    pub(super) fn spans(&self, locale: &str, text: &str) -> Vec<(usize, usize)> {
        let Some(re) = self.of(locale) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut from = 0;
        while let Some(m) = re.find_at(text, from) {
            out.push((m.start(), m.end()));
            // On to the next character after this match's start.
            from = m.start() + text[m.start()..].chars().next().map_or(1, char::len_utf8);
            if from > text.len() {
                break;
            }
        }
        out
    }

    pub(super) fn any(&self, locale: &str, text: &str) -> bool {
        self.of(locale).is_some_and(|re| re.is_match(text))
    }
}

pub(super) struct Requirement {
    pub(super) id: String,
    pub(super) title: Localized<String>,
    pub(super) patterns: Patterns,
}

pub(super) enum Kind {
    Phrase {
        patterns: Patterns,
        except: Patterns,
    },
    Disclosure {
        self_pay: bool,
        mentions: Patterns,
        requires: Vec<Requirement>,
    },
    Claim {
        check: ClaimCheck,
        patterns: Patterns,
    },
    /// A locale whose language no phrase rule has patterns for: nothing in
    /// it was checked, which must not pass for clean.
    Coverage,
}

/// One rule, compiled.
pub(super) struct Rule {
    pub(super) id: String,
    pub(super) severity: Severity,
    pub(super) title: Localized<String>,
    pub(super) advice: Localized<String>,
    pub(super) guideline: Guideline,
    pub(super) kind: Kind,
}

impl Rule {
    /// The rule's words for `locale`: its own language, else English.
    pub(super) fn words<'a>(map: &'a Localized<String>, locale: &str) -> &'a str {
        let language = locale.split('-').next().unwrap_or(locale);
        map.get(language)
            .or_else(|| map.get("en"))
            .or_else(|| map.values().next())
            .map_or("", String::as_str)
    }

    pub(super) fn message(&self, locale: &str, extra: Option<&str>) -> String {
        let title = Self::words(&self.title, locale);
        let advice = Self::words(&self.advice, locale);
        match extra {
            Some(extra) => format!("{title}: {extra}. {advice}"),
            None => format!("{title}. {advice}"),
        }
    }
}

impl Rules {
    /// The rules Kiji ships, compiled once.
    pub fn builtin() -> Arc<Rules> {
        static RULES: OnceLock<Arc<Rules>> = OnceLock::new();
        // The shipped file is checked by the test suite; should it ever
        // fail to compile, the lint finds nothing rather than stopping
        // every save.
        RULES
            .get_or_init(|| {
                Arc::new(Rules::from_yaml(BUILTIN).unwrap_or_else(|err| {
                    tracing::error!(error = %err, "the shipped lint rules do not compile");
                    Rules(Vec::new())
                }))
            })
            .clone()
    }

    /// The rules in `path` (`--lint-rules`), or the shipped ones.
    pub fn load(path: Option<&std::path::Path>) -> Result<Arc<Rules>, RulesError> {
        match path {
            None => Ok(Self::builtin()),
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|err| RulesError::Format(format!("{}: {err}", path.display())))?;
                Ok(Arc::new(Self::from_yaml(&text)?))
            }
        }
    }

    /// Reads and compiles a rules file.
    pub fn from_yaml(text: &str) -> Result<Self, RulesError> {
        let file: File = serde_norway::from_str(text).map_err(|err| RulesError::Format(err.to_string()))?;
        let mut seen = std::collections::HashSet::new();
        let mut rules = Vec::with_capacity(file.rules.len());
        for doc in file.rules {
            if !seen.insert(doc.id.clone()) {
                return Err(RulesError::Format(format!("rule `{}` is defined twice", doc.id)));
            }
            let kind = match doc.kind {
                KindDoc::Phrase => Kind::Phrase {
                    patterns: Patterns::compile(&doc.id, &doc.patterns)?,
                    except: Patterns::compile(&doc.id, &doc.except)?,
                },
                KindDoc::Disclosure => {
                    let when = doc
                        .when
                        .ok_or_else(|| RulesError::Format(format!("disclosure rule `{}` has no `when`", doc.id)))?;
                    let requires = doc
                        .requires
                        .iter()
                        .map(|r| {
                            Ok(Requirement {
                                id: r.id.clone(),
                                title: r.title.clone(),
                                patterns: Patterns::compile(&format!("{} › {}", doc.id, r.id), &r.patterns)?,
                            })
                        })
                        .collect::<Result<Vec<_>, RulesError>>()?;
                    Kind::Disclosure {
                        self_pay: when.self_pay_category,
                        mentions: Patterns::compile(&doc.id, &when.mentions)?,
                        requires,
                    }
                }
                KindDoc::Coverage => Kind::Coverage,
                KindDoc::Claim => Kind::Claim {
                    check: doc
                        .check
                        .ok_or_else(|| RulesError::Format(format!("claim rule `{}` has no `check`", doc.id)))?,
                    patterns: Patterns::compile(&doc.id, &doc.patterns)?,
                },
            };
            rules.push(Rule {
                id: doc.id,
                severity: doc.severity,
                title: doc.title,
                advice: doc.advice,
                guideline: doc.guideline,
                kind,
            });
        }
        Ok(Self(rules))
    }

    /// The rules, for readers of the lint.
    pub fn list(&self) -> Vec<RuleInfo> {
        self.0
            .iter()
            .map(|r| RuleInfo {
                id: r.id.clone(),
                severity: r.severity,
                title: async_graphql::Json(r.title.clone()),
                advice: async_graphql::Json(r.advice.clone()),
                guideline: r.guideline.clone(),
            })
            .collect()
    }
}
