//! Limits on the work one GraphQL document may ask for, checked before the
//! work is done.
//!
//! Two passes, both linear in the size of the document and neither
//! recursive beyond a fixed bound:
//!
//! 1. [`Limits::scan`] reads the raw text once, before any parser sees it,
//!    counting tokens and the nesting of `{`, `[` and `(`. The parser, the
//!    conversion of values and the validator all recurse on nesting; a
//!    document 5 000 lists deep would exhaust a thread's stack in any of
//!    them, so it must be refused before they run.
//! 2. [`Limits::check`] walks the parsed document and counts the fields it
//!    selects after fragment expansion, computing each fragment's cost once
//!    (memoized), so fragments that spread each other twice, thirty levels
//!    deep, cost thirty steps here rather than 2³⁰ later. It also counts
//!    aliases, directives, operations and variables.
//!
//! Every refusal is a request error with code `GRAPHQL_VALIDATION_FAILED`
//! that names the limit and the option that changes it.

use std::collections::HashMap;

use async_graphql::Name;
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};

/// Limits on one GraphQL document; see `docs/errors.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::Args)]
pub struct Limits {
    /// Most lexical tokens a GraphQL document may have.
    #[arg(long, env = "KIJI_MAX_TOKENS", default_value_t = DEFAULT.max_tokens)]
    pub max_tokens: usize,
    /// Deepest nesting of `{`, `[` and `(` in a GraphQL document.
    #[arg(long, env = "KIJI_MAX_NESTING", default_value_t = DEFAULT.max_nesting)]
    pub max_nesting: usize,
    /// Deepest nesting of selection sets, each fragment spread counting as a level.
    #[arg(long, env = "KIJI_MAX_DEPTH", default_value_t = DEFAULT.max_depth)]
    pub max_depth: usize,
    /// Most fields a document may select after fragment expansion.
    #[arg(long, env = "KIJI_MAX_FIELDS", default_value_t = DEFAULT.max_fields)]
    pub max_fields: usize,
    /// Most aliased fields in a document.
    #[arg(long, env = "KIJI_MAX_ALIASES", default_value_t = DEFAULT.max_aliases)]
    pub max_aliases: usize,
    /// Most directives in a document.
    #[arg(long, env = "KIJI_MAX_DIRECTIVES", default_value_t = DEFAULT.max_directives)]
    pub max_directives: usize,
    /// Most operations in a document.
    #[arg(long, env = "KIJI_MAX_OPERATIONS", default_value_t = DEFAULT.max_operations)]
    pub max_operations: usize,
    /// Most variables a document may declare.
    #[arg(long, env = "KIJI_MAX_VARIABLES", default_value_t = DEFAULT.max_variables)]
    pub max_variables: usize,
}

/// The default limits: several times what real clients send. The README's
/// article page, the largest query the docs show, has 205 tokens, brackets
/// 6 deep, selection sets 13 deep and 206 fields after expansion.
pub const DEFAULT: Limits = Limits {
    max_tokens: 5_000,
    max_nesting: 32,
    max_depth: 24,
    max_fields: 1_000,
    max_aliases: 30,
    max_directives: 50,
    max_operations: 10,
    max_variables: 50,
};

impl Default for Limits {
    fn default() -> Self {
        DEFAULT
    }
}

/// A document over one of the [`Limits`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct LimitExceeded {
    message: String,
    option: &'static str,
}

impl LimitExceeded {
    fn new(what: &'static str, limit: usize, option: &'static str) -> Self {
        Self {
            message: format!("the document {what} (limit {limit}; see `{option}` in docs/errors.md)"),
            option,
        }
    }

    fn reserved_alias() -> Self {
        Self {
            message: format!("the alias `{}` is reserved", super::ordered::TYPE_KEY),
            option: "",
        }
    }
}

/// What [`Limits::scan`] measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Measure {
    /// Tokens counted.
    pub tokens: usize,
}

impl Limits {
    /// Counts tokens and bracket nesting in `text` without parsing it;
    /// refuses the document as soon as either limit is passed.
    ///
    /// Anything the lexer does not understand counts as one token and is
    /// left for the parser to reject: this pass only has to be a bound.
    pub fn scan(&self, text: &str) -> Result<Measure, LimitExceeded> {
        let bytes = text.as_bytes();
        let mut i = 0;
        let mut tokens = 0usize;
        let mut nesting = 0usize;
        while i < bytes.len() {
            let b = bytes[i];
            match b {
                b' ' | b'\t' | b'\n' | b'\r' | b',' => {
                    i += 1;
                    continue;
                }
                b'#' => {
                    while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                        i += 1;
                    }
                    continue;
                }
                b'{' | b'[' | b'(' => {
                    nesting += 1;
                    if nesting > self.max_nesting {
                        return Err(LimitExceeded::new(
                            "nests too deeply",
                            self.max_nesting,
                            "--max-nesting",
                        ));
                    }
                    i += 1;
                }
                b'}' | b']' | b')' => {
                    nesting = nesting.saturating_sub(1);
                    i += 1;
                }
                b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                    i += 3;
                    while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                        i += if bytes[i..].starts_with(b"\\\"\"\"") { 4 } else { 1 };
                    }
                    i += 3;
                }
                b'"' => {
                    i += 1;
                    while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                        i += if bytes[i] == b'\\' { 2 } else { 1 };
                    }
                    i += 1;
                }
                b'.' if bytes[i..].starts_with(b"...") => i += 3,
                b'_' | b'a'..=b'z' | b'A'..=b'Z' => {
                    // A name, as the grammar has it: no `.`, `-` or `+`
                    // inside, so `...A...B` and `[1-2]` count every token.
                    i += 1;
                    while i < bytes.len() && matches!(bytes[i], b'_' | b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9') {
                        i += 1;
                    }
                }
                b'-' | b'0'..=b'9' => {
                    // A number: -?digits(.digits)?([eE][+-]?digits)?
                    i += 1;
                    let digits = |i: &mut usize| {
                        while *i < bytes.len() && bytes[*i].is_ascii_digit() {
                            *i += 1;
                        }
                    };
                    digits(&mut i);
                    if i + 1 < bytes.len() && bytes[i] == b'.' && bytes[i + 1].is_ascii_digit() {
                        i += 1;
                        digits(&mut i);
                    }
                    if i < bytes.len() && matches!(bytes[i], b'e' | b'E') {
                        i += 1;
                        if i < bytes.len() && matches!(bytes[i], b'+' | b'-') {
                            i += 1;
                        }
                        digits(&mut i);
                    }
                }
                _ => {
                    // A punctuator, or a character the parser will refuse;
                    // skip a whole UTF-8 sequence either way.
                    i += 1;
                    while i < bytes.len() && (bytes[i] & 0b1100_0000) == 0b1000_0000 {
                        i += 1;
                    }
                }
            }
            tokens += 1;
            if tokens > self.max_tokens {
                return Err(LimitExceeded::new(
                    "has too many tokens",
                    self.max_tokens,
                    "--max-tokens",
                ));
            }
        }
        Ok(Measure { tokens })
    }

    /// Checks a parsed document against the limits on fields (after
    /// fragment expansion), depth, aliases, directives, operations and
    /// variables.
    pub fn check(&self, doc: &ExecutableDocument) -> Result<(), LimitExceeded> {
        let operations: Vec<_> = doc.operations.iter().collect();
        if operations.len() > self.max_operations {
            return Err(LimitExceeded::new(
                "has too many operations",
                self.max_operations,
                "--max-operations",
            ));
        }
        let variables: usize = operations
            .iter()
            .map(|(_, op)| op.node.variable_definitions.len())
            .sum();
        if variables > self.max_variables {
            return Err(LimitExceeded::new(
                "declares too many variables",
                self.max_variables,
                "--max-variables",
            ));
        }
        let mut walk = Walk {
            doc,
            limits: self,
            fragments: HashMap::new(),
            fields: 0,
            aliases: 0,
            directives: 0,
        };
        for (_, op) in &operations {
            walk.directives += op.node.directives.len();
            let cost = walk.selection_set(&op.node.selection_set.node, 1)?;
            walk.fields = walk.fields.saturating_add(cost.fields);
            walk.over_fields()?;
        }
        // Fragments no operation uses still count towards aliases and
        // directives (validation will refuse them, but only after reading).
        for (name, fragment) in &doc.fragments {
            if !walk.fragments.contains_key(name) {
                walk.directives += fragment.node.directives.len();
                walk.fragment(name, 1)?;
            }
        }
        Ok(())
    }
}

/// The cost of a selection set: fields after expansion, and its height.
#[derive(Debug, Clone, Copy)]
struct Cost {
    fields: usize,
    height: usize,
}

/// A fragment's cost, or `None` while it is being computed (a cycle, which
/// validation refuses; here it costs nothing).
type Memo<'a> = HashMap<&'a Name, Option<Cost>>;

struct Walk<'a> {
    doc: &'a ExecutableDocument,
    limits: &'a Limits,
    fragments: Memo<'a>,
    fields: usize,
    aliases: usize,
    directives: usize,
}

impl<'a> Walk<'a> {
    fn over_fields(&self) -> Result<(), LimitExceeded> {
        if self.fields > self.limits.max_fields {
            return Err(LimitExceeded::new(
                "selects too many fields after fragment expansion",
                self.limits.max_fields,
                "--max-fields",
            ));
        }
        Ok(())
    }

    /// The cost of `set` at `depth`. Recursion is bounded: each call is one
    /// level deeper, and a call past `max_depth` fails.
    fn selection_set(&mut self, set: &'a SelectionSet, depth: usize) -> Result<Cost, LimitExceeded> {
        if depth > self.limits.max_depth {
            return Err(LimitExceeded::new(
                "nests too deeply",
                self.limits.max_depth,
                "--max-depth",
            ));
        }
        let mut cost = Cost { fields: 0, height: 1 };
        for item in &set.items {
            self.directives += item.node.directives().len();
            let inner = match &item.node {
                Selection::Field(field) => {
                    if let Some(alias) = &field.node.alias {
                        self.aliases += 1;
                        if alias.node == super::ordered::TYPE_KEY {
                            return Err(LimitExceeded::reserved_alias());
                        }
                    }
                    let inner = if field.node.selection_set.node.items.is_empty() {
                        Cost { fields: 0, height: 0 }
                    } else {
                        self.selection_set(&field.node.selection_set.node, depth + 1)?
                    };
                    Cost {
                        fields: inner.fields.saturating_add(1),
                        height: inner.height,
                    }
                }
                Selection::InlineFragment(inline) => self.selection_set(&inline.node.selection_set.node, depth + 1)?,
                Selection::FragmentSpread(spread) => self.fragment(&spread.node.fragment_name.node, depth + 1)?,
            };
            cost.fields = cost.fields.saturating_add(inner.fields);
            cost.height = cost.height.max(inner.height + 1);
            if self.aliases > self.limits.max_aliases {
                return Err(LimitExceeded::new(
                    "has too many aliases",
                    self.limits.max_aliases,
                    "--max-aliases",
                ));
            }
            if self.directives > self.limits.max_directives {
                return Err(LimitExceeded::new(
                    "has too many directives",
                    self.limits.max_directives,
                    "--max-directives",
                ));
            }
            if cost.fields > self.limits.max_fields {
                return Err(LimitExceeded::new(
                    "selects too many fields after fragment expansion",
                    self.limits.max_fields,
                    "--max-fields",
                ));
            }
        }
        Ok(cost)
    }

    /// The cost of the fragment `name` spread at `depth`, computed once.
    fn fragment(&mut self, name: &'a Name, depth: usize) -> Result<Cost, LimitExceeded> {
        let none = Cost { fields: 0, height: 0 };
        let cost = match self.fragments.get(name) {
            Some(Some(cost)) => *cost,
            Some(None) => return Ok(none),
            None => {
                let Some((key, fragment)) = self.doc.fragments.get_key_value(name) else {
                    // Unknown fragment: validation reports it, one error per
                    // spread, so each still counts as a field here.
                    return Ok(Cost { fields: 1, height: 0 });
                };
                self.fragments.insert(key, None);
                self.directives += fragment.node.directives.len();
                let cost = self.selection_set(&fragment.node.selection_set.node, depth)?;
                self.fragments.insert(key, Some(cost));
                cost
            }
        };
        if depth + cost.height > self.limits.max_depth + 1 {
            return Err(LimitExceeded::new(
                "nests too deeply",
                self.limits.max_depth,
                "--max-depth",
            ));
        }
        Ok(cost)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> ExecutableDocument {
        async_graphql::parser::parse_query(text).unwrap()
    }

    /// Fragments F0…F(n-1), each spreading the next twice: 2ⁿ fields when expanded.
    fn fan_out(n: usize) -> String {
        let mut doc = String::from("query { ...F0 }\n");
        for i in 0..n {
            doc.push_str(&format!(
                "fragment F{i} on Query {{ ...F{next} ...F{next} }}\n",
                next = i + 1
            ));
        }
        doc.push_str(&format!("fragment F{n} on Query {{ __typename }}\n"));
        doc
    }

    #[test]
    fn scanning_counts_tokens_and_nesting_without_recursion() {
        let limits = Limits::default();
        assert_eq!(limits.scan("{ a(b: [1, 2]) { c } }").unwrap().tokens, 14);
        assert_eq!(limits.scan("# only a comment").unwrap().tokens, 0);
        assert_eq!(limits.scan(r#"{ a(s: "}}}]]]\"{{{") }"#).unwrap().tokens, 8);
        assert_eq!(limits.scan("{ a(s: \"\"\"{{{\\\"\"\"[[[\"\"\") }").unwrap().tokens, 8);
        let deep = format!(
            "{{ __type(name: {}\"x\"{}) {{ name }} }}",
            "[".repeat(5000),
            "]".repeat(5000)
        );
        assert_eq!(
            limits.scan(&deep).unwrap_err().option,
            "--max-nesting",
            "refused before a parser recurses"
        );
        let long = format!("{{ {} }}", "a ".repeat(10_000));
        assert_eq!(limits.scan(&long).unwrap_err().option, "--max-tokens");
        // Tokens run together still count one by one.
        assert_eq!(limits.scan("{ ...A...B }").unwrap().tokens, 6);
        assert_eq!(limits.scan("[1-2-3 -4.5e+6 7.8]").unwrap().tokens, 7);
        assert_eq!(limits.scan("{a{b}}").unwrap().tokens, 6);
    }

    #[test]
    fn fragment_fan_out_is_refused_in_linear_time() {
        let limits = Limits::default();
        assert!(limits.check(&parse(&fan_out(30))).is_err());
        assert_eq!(limits.check(&parse(&fan_out(20))).unwrap_err().option, "--max-fields");
        // Under the limit, each fragment is counted once per spread.
        assert!(limits.check(&parse(&fan_out(9))).is_ok(), "2⁹ = 512 fields");
        assert!(limits.check(&parse(&fan_out(10))).is_err(), "2¹⁰ = 1024 fields");
    }

    #[test]
    fn cycles_and_unknown_fragments_are_left_to_validation() {
        let limits = Limits::default();
        assert!(limits.check(&parse("{ ...A } fragment A on Query { ...A }")).is_ok());
        assert!(limits.check(&parse("{ ...Missing }")).is_ok());
        // …but each unknown spread costs a field, so they cannot multiply
        // validation errors without bound.
        let spreads = format!("{{ {} }}", "...Missing ".repeat(1_001));
        assert_eq!(limits.check(&parse(&spreads)).unwrap_err().option, "--max-fields");
    }

    #[test]
    fn the_hidden_type_key_cannot_be_used_as_an_alias() {
        let err = Limits::default()
            .check(&parse("{ __kijiType: __typename }"))
            .unwrap_err();
        assert!(err.to_string().contains("reserved"), "{err}");
    }

    #[test]
    fn depth_counts_levels_inside_reused_fragments() {
        let limits = Limits {
            max_depth: 4,
            ..Limits::default()
        };
        assert!(
            limits
                .check(&parse("{ a { ...F } } fragment F on T { b { c } }"))
                .is_ok()
        );
        // F is first met shallow, then deep: its height still counts there.
        let doc = "{ ...F a { b { ...F } } } fragment F on T { c { d } }";
        assert_eq!(limits.check(&parse(doc)).unwrap_err().option, "--max-depth");
    }

    #[test]
    fn aliases_directives_operations_and_variables_are_counted() {
        let limits = Limits {
            max_aliases: 2,
            max_directives: 2,
            max_operations: 2,
            max_variables: 2,
            ..Limits::default()
        };
        let check = |doc: &str| limits.check(&parse(doc)).err().map(|e| e.option);
        assert_eq!(check("{ a: x b: x }"), None);
        assert_eq!(check("{ a: x b: x c: x }"), Some("--max-aliases"));
        assert_eq!(
            check("{ x @skip(if: true) y @skip(if: true) z @skip(if: true) }"),
            Some("--max-directives")
        );
        assert_eq!(
            check("query A { x } query B { x } query C { x }"),
            Some("--max-operations")
        );
        assert_eq!(check("query($a: Int, $b: Int, $c: Int) { x }"), Some("--max-variables"));
    }
}
