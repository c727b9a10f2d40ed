//! The house rules of the source tree (issue "One house"), checked on every test run so that a
//! change that breaks them fails here rather than in review: files stay readable, modules do not
//! import each other in circles, the core builds without the neural-network crate, and the CLI
//! only parses arguments and calls the libraries.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The workspace's `crates/` folder.
fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The library and binary sources of each crate, by crate folder name.
fn sources() -> BTreeMap<String, Vec<PathBuf>> {
    let mut crates = BTreeMap::new();
    for entry in std::fs::read_dir(crates_dir()).unwrap() {
        let dir = entry.unwrap().path();
        if dir.join("src").is_dir() {
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            crates.insert(name, rust_files(&dir.join("src")));
        }
    }
    crates
}

#[test]
fn no_source_file_is_over_500_lines() {
    let long: Vec<String> = sources()
        .values()
        .flatten()
        .filter_map(|path| {
            let lines = std::fs::read_to_string(path).unwrap().lines().count();
            (lines > 500).then(|| format!("{} ({lines} lines)", path.display()))
        })
        .collect();
    assert!(long.is_empty(), "split these files: {long:#?}");
}

#[test]
fn the_core_does_not_depend_on_the_network_crates() {
    let manifest = std::fs::read_to_string(crates_dir().join("inversa/Cargo.toml")).unwrap();
    for forbidden in ["candle", "inversa-learn", "inversa-lab"] {
        assert!(
            !manifest.contains(forbidden),
            "crates/inversa/Cargo.toml names {forbidden}"
        );
    }
}

/// A file's module path inside its crate: `src/nn/conv2d/mod.rs` → `["nn", "conv2d"]`.
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The modules of `crate` that `text` (the file of module `me`) names through `crate::…` or
/// `super::…` paths outside comments, each resolved to the longest known module prefix.
fn imports(
    text: &str,
    me: &[String],
    is_mod_file: bool,
    known: &BTreeSet<Vec<String>>,
) -> BTreeSet<Vec<String>> {
    let mut found = BTreeSet::new();
    for line in text
        .lines()
        .map(str::trim_start)
        .filter(|l| !l.starts_with("//"))
    {
        for (start, _) in line
            .match_indices("crate::")
            .chain(line.match_indices("super::"))
        {
            if start > 0
                && line[..start].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':')
            {
                continue;
            }
            let path: String = line[start..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            let mut segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
            let mut base: Vec<String> = Vec::new();
            if segments.first() == Some(&"crate") {
                segments.remove(0);
            } else {
                // `super` of a `mod.rs` is the folder's parent; of a plain file, its folder.
                base = me.to_vec();
                if !is_mod_file || base.is_empty() {
                    base.pop();
                }
                while segments.first() == Some(&"super") {
                    segments.remove(0);
                    if segments.first() == Some(&"super") {
                        base.pop();
                    }
                }
            }
            let mut target = base;
            let mut best = None;
            for segment in segments {
                target.push(segment.to_string());
                if known.contains(&target) {
                    best = Some(target.clone());
                }
            }
            if let Some(module) = best {
                found.insert(module);
            }
        }
    }
    found
}

/// Whether one module contains the other (a module may use its children and they it).
fn related(a: &[String], b: &[String]) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

/// A cycle in `graph`, if there is one.
fn find_cycle(graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Option<Vec<Vec<String>>> {
    fn visit(
        node: &Vec<String>,
        graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        state: &mut BTreeMap<Vec<String>, u8>,
        stack: &mut Vec<Vec<String>>,
    ) -> Option<Vec<Vec<String>>> {
        state.insert(node.clone(), 1);
        stack.push(node.clone());
        for next in graph.get(node).into_iter().flatten() {
            match state.get(next).copied().unwrap_or(0) {
                1 => {
                    let from = stack.iter().position(|n| n == next).unwrap();
                    return Some(stack[from..].to_vec());
                }
                0 => {
                    if let Some(cycle) = visit(next, graph, state, stack) {
                        return Some(cycle);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(node.clone(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in graph.keys() {
        if state.get(node).copied().unwrap_or(0) == 0 {
            if let Some(cycle) = visit(node, graph, &mut state, &mut Vec::new()) {
                return Some(cycle);
            }
        }
    }
    None
}

#[test]
fn no_module_imports_another_in_a_circle() {
    for (name, files) in sources() {
        let src = crates_dir().join(&name).join("src");
        let known: BTreeSet<Vec<String>> = files.iter().map(|f| module_path(&src, f)).collect();
        let mut graph = BTreeMap::new();
        for file in &files {
            let me = module_path(&src, file);
            let is_mod_file = matches!(
                file.file_stem().and_then(|s| s.to_str()),
                Some("mod" | "lib" | "main")
            );
            let text = std::fs::read_to_string(file).unwrap();
            let edges: BTreeSet<Vec<String>> = imports(&text, &me, is_mod_file, &known)
                .into_iter()
                .filter(|target| !related(&me, target))
                .collect();
            graph.insert(me, edges);
        }
        if let Some(cycle) = find_cycle(&graph) {
            let names: Vec<String> = cycle.iter().map(|m| m.join("::")).collect();
            panic!("crate {name}: modules import each other in a circle: {names:?}");
        }
    }
}

#[test]
fn the_cli_only_parses_calls_and_writes() {
    let src = crates_dir().join("inversa-cli/src");
    let files = rust_files(&src);
    let lines: usize = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap().lines().count())
        .sum();
    assert!(
        lines <= 3000,
        "the CLI has {lines} lines; its work belongs in the libraries"
    );
    let tensor_code: Vec<String> = files
        .iter()
        .filter(|f| std::fs::read_to_string(f).unwrap().contains("Tensor"))
        .map(|f| f.display().to_string())
        .collect();
    assert!(
        tensor_code.is_empty(),
        "tensor code in the CLI: {tensor_code:?}"
    );
}
