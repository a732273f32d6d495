//! What changed between two content documents, as paths and values:
//! the revision diff editors read, and the before/after every audit entry
//! records.

use serde_json::Value;

/// One difference between two documents.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// Where (`sections[what-is].heading.en`; sections are named by anchor).
    pub path: String,
    /// The value before; `None` where it was added.
    pub before: Option<Value>,
    /// The value after; `None` where it was removed.
    pub after: Option<Value>,
}

/// Every difference from `before` to `after`, naming sections (any list
/// of objects with an `anchor`) by anchor rather than by position.
pub fn changes(before: &Value, after: &Value) -> Vec<Change> {
    let mut out = Vec::new();
    diff("", Some(before), Some(after), &mut out);
    out
}

/// Most characters of one value an audit entry quotes.
const QUOTED: usize = 300;

/// What changed from `before` to `after`, for the audit trail: every
/// changed field with its old and new value (`created` with the new
/// document when there was none before).
pub fn describe(before: Option<&Value>, after: &Value) -> String {
    let quote = |v: &Value| {
        let text = v.to_string();
        if text.chars().count() > QUOTED {
            format!("{}…", text.chars().take(QUOTED).collect::<String>())
        } else {
            text
        }
    };
    let Some(before) = before else {
        return format!("created: {}", quote(after));
    };
    let found = changes(before, after);
    if found.is_empty() {
        return "saved unchanged".to_owned();
    }
    found
        .iter()
        .map(|c| {
            let side = |v: &Option<Value>| v.as_ref().map_or_else(|| "(none)".to_owned(), quote);
            format!("{}: {} → {}", c.path, side(&c.before), side(&c.after))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Compares two JSON values, naming sections by anchor.
fn diff(path: &str, before: Option<&Value>, after: Option<&Value>, out: &mut Vec<Change>) {
    match (before, after) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for k in keys {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                diff(&p, a.get(k), b.get(k), out);
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) => {
            let anchored = |list: &Vec<Value>| list.iter().all(|v| v.get("anchor").is_some_and(Value::is_string));
            if anchored(a) && anchored(b) && (!a.is_empty() || !b.is_empty()) {
                let name = |v: &Value| v.get("anchor").and_then(Value::as_str).unwrap_or("").to_owned();
                let order_a: Vec<String> = a.iter().map(name).collect();
                let order_b: Vec<String> = b.iter().map(name).collect();
                if order_a != order_b {
                    out.push(Change {
                        path: format!("{path}[order]"),
                        before: Some(Value::from(order_a)),
                        after: Some(Value::from(order_b)),
                    });
                }
                let mut names: Vec<String> = a.iter().chain(b.iter()).map(name).collect();
                names.dedup();
                let mut seen = std::collections::HashSet::new();
                for n in names.into_iter().filter(|n| seen.insert(n.clone())) {
                    let find = |list: &'_ Vec<Value>| list.iter().find(|v| name(v) == n).cloned();
                    diff(&format!("{path}[{n}]"), find(a).as_ref(), find(b).as_ref(), out);
                }
            } else {
                for i in 0..a.len().max(b.len()) {
                    diff(&format!("{path}[{i}]"), a.get(i), b.get(i), out);
                }
            }
        }
        (a, b) if a != b => out.push(Change {
            path: path.to_owned(),
            before: a.cloned(),
            after: b.cloned(),
        }),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sections_are_named_by_anchor_and_values_quoted_before_and_after() {
        let before = json!({"sections": [{"anchor": "a", "heading": {"ja": "見出し"}}], "category": "x"});
        let after = json!({"sections": [{"anchor": "a", "heading": {"ja": "新しい見出し"}}], "category": "x"});
        let found = changes(&before, &after);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].path, "sections[a].heading.ja");
        assert_eq!(
            describe(Some(&before), &after),
            "sections[a].heading.ja: \"見出し\" → \"新しい見出し\""
        );
        assert!(describe(None, &after).starts_with("created: {"));
    }
}
