//! The web crate's files do not import each other in a circle: every `crate::…` path a file
//! names is resolved to the file of its module, and the graph of files must have no cycle
//! (pages and api → services → views, domain, store; never back). A module's `mod.rs` declaring
//! its children is not an import.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/pages/sessions.rs` → `pages::sessions`; `src/views/mod.rs` → `views`; `lib.rs` → ``.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .filter(|p| p != "mod" && p != "lib")
        .collect();
    parts.join("::")
}

/// The paths after `crate::` in a file, with `use crate::{a, b::c}` groups expanded one level.
fn crate_paths(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let code: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut rest = code.as_str();
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':' || c == '{'))
            .unwrap_or(rest.len());
        let path = &rest[..end];
        if let Some(prefix) = path
            .strip_suffix('{')
            .or_else(|| path.split_once("::{").map(|(p, _)| p))
        {
            let close = rest.find('}').unwrap_or(rest.len());
            let open = rest.find('{').unwrap_or(0);
            for item in rest[open + 1..close].split(',') {
                let item = item.trim().split(" as ").next().unwrap_or("").trim();
                if !item.is_empty() && item != "self" {
                    let prefix = prefix.trim_end_matches("::");
                    out.push(if prefix.is_empty() {
                        item.to_owned()
                    } else {
                        format!("{prefix}::{item}")
                    });
                } else if item == "self" {
                    out.push(prefix.trim_end_matches("::").to_owned());
                }
            }
        } else {
            out.push(path.trim_end_matches("::").to_owned());
        }
    }
    out
}

#[test]
fn no_file_imports_a_file_that_imports_it_back() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: BTreeMap<String, PathBuf> = files
        .iter()
        .map(|f| (module_of(&src, f), f.clone()))
        .collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, file) in &modules {
        let text = std::fs::read_to_string(file).unwrap();
        for path in crate_paths(&text) {
            // The longest prefix of the path that is a module of its own file.
            let segments: Vec<&str> = path.split("::").collect();
            let target = (1..=segments.len())
                .rev()
                .map(|n| segments[..n].join("::"))
                .find(|m| modules.contains_key(m))
                .unwrap_or_default();
            // lib.rs (the crate root) re-exports and builds the router: it may name anything.
            let is_child = target.starts_with(&format!("{module}::"));
            if target != *module && !module.is_empty() && !target.is_empty() && !is_child {
                edges.entry(module.clone()).or_default().insert(target);
            }
        }
    }
    // Depth-first search for a cycle.
    fn visit(
        m: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|s| s == m) {
            let mut cycle = stack[i..].to_vec();
            cycle.push(m.to_owned());
            return Some(cycle);
        }
        if done.contains(m) {
            return None;
        }
        stack.push(m.to_owned());
        for next in edges.get(m).into_iter().flatten() {
            if let Some(c) = visit(next, edges, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(m.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    let mut cycles = Vec::new();
    for m in edges.keys() {
        if let Some(c) = visit(m, &edges, &mut Vec::new(), &mut done) {
            cycles.push(c.join(" → "));
        }
    }
    assert!(
        cycles.is_empty(),
        "files importing each other in a circle:\n{}",
        cycles.join("\n")
    );
    assert!(
        edges.len() > 20,
        "the graph was read ({} files)",
        edges.len()
    );
}
