//! The layers of src/: no import cycle among its modules, protocol code (authority, flow, http,
//! oauth) stays free of the terminal, the environment and the stores, and no command module
//! uses another (what two commands share lives below them, in `connection` and the rest).
//! Read from the source: every `crate::…` or `super::…` path outside comments and string
//! literals is an import.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Modules that speak the protocol: they return values and errors, and take their
/// dependencies as parameters.
const PROTOCOL: [&str; 4] = ["authority", "flow", "http", "oauth"];

/// What protocol code may not use: the terminal, the environment, the stores, and the layers
/// above it that hold them. (`env!` reads the build, not the environment, and is allowed.)
const NOT_IN_PROTOCOL: [&str; 24] = [
    "crate::ui",
    "crate::deps",
    "crate::environment",
    "crate::store",
    "crate::profiles",
    "crate::atomic_file",
    "crate::commands",
    "crate::cli",
    "crate::simulate",
    "crate::interrupt",
    "dialoguer::",
    "indicatif::",
    "console::",
    "arboard::",
    "open::",
    "qrcode::",
    "dirs::",
    "std::env",
    "env::var",
    "print!",
    "println!",
    "eprint!",
    "eprintln!",
    "is_terminal",
];

/// Directories whose children are modules of their own rather than parts of one module.
const NAMESPACES: [&str; 1] = ["commands"];

/// The source files of src/, by path relative to src/.
fn sources() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                files.push((path.strip_prefix(&root).unwrap().to_path_buf(), text));
            }
        }
    }
    files.sort();
    files
}

/// The module path of a file: `flow/poll.rs` is `flow::poll`, `http/mod.rs` is `http`, and
/// the crate roots are empty.
fn module_path(file: &Path) -> Vec<String> {
    let mut parts: Vec<String> = file
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The unit a module belongs to for the cycle check: its top-level module, or for a
/// namespace directory, its child.
fn unit(path: &[String]) -> Option<String> {
    let first = path.first()?;
    match path.get(1) {
        Some(child) if NAMESPACES.contains(&first.as_str()) => Some(format!("{first}::{child}")),
        _ => Some(first.clone()),
    }
}

/// The code of a Rust file with comments removed and string and char literals blanked.
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c == 'r' && matches!(next, Some('"' | '#')) && !ident_char(out.chars().last()) {
            // A raw string: r"…" or r#"…"#.
            let mut hashes = 0;
            let mut j = i + 1;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            let end: String = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            while j < chars.len() && !chars[j..].iter().collect::<String>().starts_with(&end) {
                j += 1;
            }
            i = j + end.len();
            out.push_str("\"\"");
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' && next == Some('\\') {
            // An escaped char literal: '\n', '\'', '\u{…}'.
            i += 2;
            while i < chars.len() && chars[i] != '\'' {
                i += 1;
            }
            i += 1;
            out.push_str("' '");
        } else if c == '\'' && chars.get(i + 2) == Some(&'\'') {
            i += 3;
            out.push_str("' '");
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_char(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// The modules a file's code names: `crate::a::b` as `[a, b]`, and `super::…` resolved.
fn referenced_modules(module: &[String], code: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    for (start, _) in code.match_indices("crate::") {
        if ident_char(code[..start].chars().last()) {
            continue;
        }
        found.extend(paths_at(&code[start + "crate::".len()..]));
    }
    for (start, _) in code.match_indices("super::") {
        if ident_char(code[..start].chars().last()) || code[..start].ends_with("::") {
            continue;
        }
        let mut base = module.to_vec();
        let mut rest = &code[start..];
        while let Some(r) = rest.strip_prefix("super::") {
            base.pop();
            rest = r;
        }
        for path in paths_at(rest) {
            found.push(base.iter().cloned().chain(path).collect());
        }
    }
    found
}

/// The paths at the start of `text`: `a::b::c`, or for a group `a::{b, c::d}` each member.
fn paths_at(text: &str) -> Vec<Vec<String>> {
    let mut parts = Vec::new();
    let mut rest = text.trim_start();
    loop {
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let end = group
                .char_indices()
                .find(|&(_, c)| {
                    depth += match c {
                        '{' => 1,
                        '}' => -1,
                        _ => 0,
                    };
                    depth == 0
                })
                .map_or(group.len(), |(at, _)| at);
            return split_top_level(&group[..end])
                .into_iter()
                .flat_map(paths_at)
                .map(|member| {
                    let member = member.into_iter().filter(|p| p != "self");
                    parts.iter().cloned().chain(member).collect()
                })
                .collect();
        }
        let len = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if len == 0 {
            break;
        }
        parts.push(rest[..len].to_owned());
        match rest[len..].strip_prefix("::") {
            Some(r) => rest = r,
            None => break,
        }
    }
    vec![parts]
}

/// The members of a `use` group, split at the commas outside nested groups.
fn split_top_level(group: &str) -> Vec<&str> {
    let mut members = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (at, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                members.push(&group[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    members.push(&group[start..]);
    members
}

/// The edges between units, each with one file that makes it.
fn unit_graph(files: &[(PathBuf, String)]) -> BTreeMap<String, BTreeMap<String, PathBuf>> {
    let modules: BTreeSet<Vec<String>> = files.iter().map(|(f, _)| module_path(f)).collect();
    let mut graph: BTreeMap<String, BTreeMap<String, PathBuf>> = BTreeMap::new();
    for (file, text) in files {
        let module = module_path(file);
        let Some(from) = unit(&module) else { continue };
        graph.entry(from.clone()).or_default();
        for path in referenced_modules(&module, &code_only(text)) {
            // The longest prefix that is a module (the rest names items in it).
            let Some(target) = (1..=path.len())
                .rev()
                .map(|n| path[..n].to_vec())
                .find(|p| modules.contains(p))
            else {
                continue;
            };
            if let Some(to) = unit(&target)
                && to != from
            {
                graph
                    .entry(from.clone())
                    .or_default()
                    .entry(to)
                    .or_insert_with(|| file.clone());
            }
        }
    }
    graph
}

/// Every cycle found by a depth-first walk, as the units along it (the first repeated last).
fn cycles(graph: &BTreeMap<String, BTreeMap<String, PathBuf>>) -> Vec<Vec<String>> {
    fn walk(
        node: &str,
        graph: &BTreeMap<String, BTreeMap<String, PathBuf>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        found: &mut Vec<Vec<String>>,
    ) {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(node.to_owned());
            found.push(cycle);
            return;
        }
        if done.contains(node) {
            return;
        }
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flat_map(|edges| edges.keys()) {
            walk(next, graph, stack, done, found);
        }
        stack.pop();
        done.insert(node.to_owned());
    }
    let mut found = Vec::new();
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        walk(node, graph, &mut Vec::new(), &mut done, &mut found);
    }
    found
}

/// The cycles, each edge named with a file that makes it.
fn cycle_report(files: &[(PathBuf, String)]) -> Vec<String> {
    let graph = unit_graph(files);
    cycles(&graph)
        .iter()
        .map(|cycle| {
            cycle
                .windows(2)
                .map(|w| format!("{} → {} ({})", w[0], w[1], graph[&w[0]][&w[1]].display()))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .collect()
}

/// Each use of something protocol code may not use, as `file: what`.
fn protocol_violations(files: &[(PathBuf, String)]) -> Vec<String> {
    let mut found = Vec::new();
    for (file, text) in files {
        let in_protocol = module_path(file)
            .first()
            .is_some_and(|m| PROTOCOL.contains(&m.as_str()));
        if !in_protocol {
            continue;
        }
        let code = code_only(text);
        for banned in NOT_IN_PROTOCOL {
            let used = code
                .match_indices(banned)
                .any(|(at, _)| !ident_char(code[..at].chars().last()));
            if used {
                found.push(format!("{}: {banned}", file.display()));
            }
        }
    }
    found
}

/// Each use of one command module by another, as `file: commands::other`.
fn command_to_command(files: &[(PathBuf, String)]) -> Vec<String> {
    let modules: BTreeSet<Vec<String>> = files.iter().map(|(f, _)| module_path(f)).collect();
    let mut found = BTreeSet::new();
    for (file, text) in files {
        let module = module_path(file);
        if module.len() < 2 || module[0] != "commands" {
            continue;
        }
        for path in referenced_modules(&module, &code_only(text)) {
            // The longest prefix that is a module (the rest names items in it).
            let target = (1..=path.len())
                .rev()
                .map(|n| path[..n].to_vec())
                .find(|p| modules.contains(p));
            if let Some(target) = target
                && target.len() >= 2
                && target[0] == "commands"
                && target[1] != module[1]
            {
                found.insert(format!("{}: commands::{}", file.display(), target[1]));
            }
        }
    }
    found.into_iter().collect()
}

#[test]
fn no_command_module_uses_another() {
    let files = sources();
    let found = command_to_command(&files);
    assert!(
        found.is_empty(),
        "command modules that use another command (move what they share out of commands/):\n{}",
        found.join("\n")
    );
}

#[test]
fn no_import_cycle_among_the_modules_of_src() {
    let files = sources();
    assert!(
        files.len() > 40,
        "src/ was not found: {} files",
        files.len()
    );
    let report = cycle_report(&files);
    assert!(report.is_empty(), "import cycles:\n{}", report.join("\n"));
}

#[test]
fn protocol_code_imports_no_terminal_environment_or_store() {
    let files = sources();
    let violations = protocol_violations(&files);
    assert!(
        violations.is_empty(),
        "protocol modules use what they must be handed:\n{}",
        violations.join("\n")
    );
}

/// The checks themselves: they see a cycle and a forbidden import where there is one, and
/// not in comments or strings.
#[test]
fn the_layer_checks_catch_what_they_look_for() {
    let file = |path: &str, text: &str| (PathBuf::from(path), text.to_owned());
    let cyclic = [
        file("lib.rs", "pub mod a; pub mod b; pub mod c;"),
        file("a/mod.rs", "mod inner; use crate::b::Thing;"),
        file("a/inner.rs", "fn f() { super::super::c::g() }"),
        file("b.rs", "// use crate::a;\nconst S: &str = \"crate::a\";"),
        file("c.rs", "use crate::{b, a::X};\nfn g() { crate::a::h(); }"),
    ];
    let report = cycle_report(&cyclic);
    assert_eq!(report.len(), 1, "{report:?}");
    assert!(report[0].contains("a → c (a/inner.rs)"), "{report:?}");
    assert!(report[0].contains("c → a (c.rs)"), "{report:?}");
    let acyclic = &cyclic[..4];
    assert!(cycle_report(acyclic).is_empty());
    let namespaced = [
        file("commands/x.rs", "use crate::commands::y;"),
        file("commands/y.rs", "use crate::commands::x::Z;"),
    ];
    assert_eq!(cycle_report(&namespaced).len(), 1);
    let commands = [
        file("lib.rs", "pub mod commands; pub mod connection;"),
        file("commands/mod.rs", "pub mod x; pub mod y; pub mod z;"),
        file(
            "commands/x/mod.rs",
            "mod inner; use crate::connection::Checked;",
        ),
        file(
            "commands/x/inner.rs",
            "use super::super::y::f; use super::Thing;",
        ),
        file(
            "commands/y.rs",
            "// crate::commands::z\nuse crate::{connection, commands::{z}};",
        ),
        file("commands/z.rs", "fn f() { crate::commands::z::g() }"),
        file("connection.rs", "use crate::commands::x;"),
    ];
    assert_eq!(
        command_to_command(&commands),
        [
            "commands/x/inner.rs: commands::y",
            "commands/y.rs: commands::z"
        ]
    );

    let leaky = [
        file(
            "flow/poll.rs",
            "use crate::ui::Prompter;\nfn f() { std::env::var(\"X\"); }",
        ),
        file(
            "http/mod.rs",
            "// crate::store is not used here\nconst UA: &str = env!(\"X\");",
        ),
        file(
            "commands/list.rs",
            "use crate::ui::Output; use crate::store::TimedStore;",
        ),
    ];
    assert_eq!(
        protocol_violations(&leaky),
        [
            "flow/poll.rs: crate::ui",
            "flow/poll.rs: std::env",
            "flow/poll.rs: env::var"
        ]
    );
}
