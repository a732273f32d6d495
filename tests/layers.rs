//! The server's modules form layers that only point down (DESIGN.md,
//! docs/architecture.md): a module imports from its own layer or the ones
//! below, and no two modules import each other, directly or round a circle,
//! except the GraphQL types, which reference each other by nature.
//!
//! Read from the source's `crate::…` paths (in `use` lines and in code), so
//! an import a refactoring lets creep back up fails here first.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on fails here

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, top first, by module path prefix.
const LAYERS: &[(&str, &[&str])] = &[
    ("wiring", &["lib", "cli"]),
    ("http", &["http", "config"]),
    ("schema", &["graphql"]),
    ("read rules", &["delivery"]),
    ("write rules", &["editorial"]),
    ("content formats", &["content"]),
    ("storage", &["store"]),
    ("foundation", &["error", "metrics", "locale"]),
];

/// The layer of module `path` (`graphql::article`), 0 at the top.
fn layer(path: &str) -> Option<usize> {
    let head = path.split("::").next().unwrap_or(path);
    LAYERS.iter().position(|(_, heads)| heads.contains(&head))
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a source folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a source file (`api/src/graphql/article.rs` →
/// `graphql::article`; `mod.rs` names its folder).
fn module_of(root: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(root).expect("under src");
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts.join("::")
}

/// The modules `text` refers to through `crate::` (test code left out),
/// resolved against the known modules: the longest known prefix.
fn imports(text: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let code = text.split("#[cfg(test)]").next().unwrap_or(text);
    let mut out = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        let path: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        let segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
        // `crate::{a, b::c}` lists several.
        if let Some(list) = rest.strip_prefix('{') {
            let inner = list.split('}').next().unwrap_or("");
            for item in inner.split(',') {
                let item = item.trim();
                if let Some(m) = longest(item, modules) {
                    out.insert(m);
                }
            }
            continue;
        }
        if let Some(m) = longest(&segments.join("::"), modules) {
            out.insert(m);
        }
    }
    out
}

fn longest(path: &str, modules: &BTreeSet<String>) -> Option<String> {
    let segments: Vec<&str> = path.split("::").collect();
    (1..=segments.len())
        .rev()
        .map(|n| segments[..n].join("::"))
        .find(|candidate| modules.contains(candidate))
}

#[test]
fn layers_only_point_down_and_no_modules_import_each_other_round_a_circle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("api/src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(&root, f)).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut upward = Vec::new();
    let mut unplaced = Vec::new();
    for file in &files {
        let me = module_of(&root, file);
        let text = std::fs::read_to_string(file).expect("readable");
        let Some(mine) = layer(&me) else {
            unplaced.push(me);
            continue;
        };
        for other in imports(&text, &modules) {
            if other == me || other.is_empty() {
                continue;
            }
            // A folder's `mod.rs` is its own room: its children may use it.
            if me.starts_with(&format!("{other}::")) && layer(&other) == Some(mine) {
                continue;
            }
            match layer(&other) {
                Some(theirs) if theirs < mine => {
                    upward.push(format!("{me} ({}) → {other} ({})", LAYERS[mine].0, LAYERS[theirs].0))
                }
                _ => {}
            }
            graph.entry(me.clone()).or_default().insert(other);
        }
    }
    assert!(unplaced.is_empty(), "modules in no layer: {unplaced:?}");
    assert!(upward.is_empty(), "imports that point up:\n{}", upward.join("\n"));

    // Circles, found as strongly connected components (Tarjan).
    let circles: Vec<Vec<String>> = components(&graph)
        .into_iter()
        .filter(|c| c.len() > 1)
        .filter(|c| !c.iter().all(|m| m.starts_with("graphql::") && m != "graphql"))
        .collect();
    assert!(
        circles.is_empty(),
        "modules that import each other round a circle:\n{}",
        circles.iter().map(|c| c.join(" ⇄ ")).collect::<Vec<_>>().join("\n")
    );
}

/// The strongly connected components of `graph`.
fn components(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        next: usize,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        if let Some(edges) = s.graph.get(v) {
            for w in edges {
                let w = w.as_str();
                if !s.index.contains_key(w) {
                    visit(s, w);
                    let low = s.low[v].min(s.low[w]);
                    s.low.insert(v, low);
                } else if s.on_stack.contains(w) {
                    let low = s.low[v].min(s.index[w]);
                    s.low.insert(v, low);
                }
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.to_owned());
                if w == v {
                    break;
                }
            }
            component.sort();
            s.out.push(component);
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.out
}
