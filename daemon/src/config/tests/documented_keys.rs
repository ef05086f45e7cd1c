//! Every key the parser accepts is documented in `contrib/raudit.yaml.example`
//! (the README points there for every key, and `raudit.yaml(5)` is made
//! from it), in its own section, set or commented out (`# key: value`).
//! The parser's keys are the mappings [`Cx::fields`] opened while reading
//! the example and a file that has an item of each list section. README's
//! Configuration table names every section.

use super::super::values::OPENED_SECTIONS;
use super::*;

const EXAMPLE: &str = include_str!("../../../../contrib/raudit.yaml.example");

/// One entry of each list or free-named section the example leaves empty
/// (filters, redactions, fields per record type), so that their keys are
/// opened too.
const LIST_ITEMS: &str = "\
output: {stdout: {enabled: true}}
filters: [{syscall: 49, message_type: 1306, regex: x}]
raudit: {redact: [{pattern: a}], fields: {SYSCALL: {drop: [a0]}}}
";

/// A key written in the example: its column, its name, its parent's index.
struct Key<'t> {
    column: usize,
    name: &'t str,
    parent: Option<usize>,
}

/// The keys of `line`, with their columns: the key a line opens (after an
/// optional `- `; a comment is read as the line it comments out, `# `
/// removed) and those of a flow mapping after it (`SYSCALL: {drop: [a0]}`).
/// Prose in comments may read as keys too; they are only extra names,
/// never in the way of a real key.
fn line_keys(line: &str) -> Vec<(usize, &str)> {
    let indent = line.len() - line.trim_start().len();
    let (removed, rest) = match line[indent..].strip_prefix('#') {
        Some(comment) => match comment.strip_prefix(' ') {
            Some(text) => (2, text),
            None => (1, comment),
        },
        None => (0, &line[indent..]),
    };
    let mut at = indent + removed + rest.len() - rest.trim_start().len();
    let mut rest = rest.trim_start();
    if let Some(item) = rest.strip_prefix("- ") {
        at += 2 + item.len() - item.trim_start().len();
        rest = item.trim_start();
    }
    let column = at - removed;
    let mut keys = Vec::new();
    let Some(first) = key_at(rest) else {
        return keys;
    };
    keys.push((column, first));
    let value = &rest[first.len() + 1..];
    if value.trim_start().starts_with('{') {
        let base = column + first.len() + 1;
        for (i, _) in value.match_indices(['{', ',']) {
            let inner = &value[i + 1..];
            let skip = inner.len() - inner.trim_start().len();
            if let Some(name) = key_at(inner.trim_start()) {
                keys.push((base + i + 1 + skip, name));
            }
        }
    }
    keys
}

/// The key `text` starts with: letters, digits and `_` followed by `:`
/// and a space or the end.
fn key_at(text: &str) -> Option<&str> {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    let after = text.get(end..)?;
    let ok = end > 0 && after.starts_with(':') && (after.len() == 1 || after[1..].starts_with(' '));
    ok.then(|| &text[..end])
}

/// The example's keys as a tree (by column, as YAML nests them).
fn example_keys(text: &str) -> Vec<Key<'_>> {
    let mut keys: Vec<Key> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    for line in text.lines() {
        let mut line_keys = line_keys(line).into_iter();
        let Some((column, name)) = line_keys.next() else {
            continue;
        };
        while open.last().is_some_and(|&i| keys[i].column >= column) {
            open.pop();
        }
        keys.push(Key {
            column,
            name,
            parent: open.last().copied(),
        });
        let line_key = keys.len() - 1;
        open.push(line_key);
        // A flow mapping's keys are the line key's children, and have none.
        for (column, name) in line_keys {
            keys.push(Key {
                column,
                name,
                parent: Some(line_key),
            });
        }
    }
    keys
}

/// Whether `key` is written in the section at `path` (dotted; list
/// indices ignored; an upper-case segment, a record type, stands for any
/// entry of its section).
fn documented(keys: &[Key], path: &str, key: &str) -> bool {
    let mut sections: Vec<Option<usize>> = vec![None];
    for segment in path.split('.').filter(|s| !s.is_empty()) {
        let name = segment.split('[').next().unwrap_or(segment);
        let any = name.chars().any(|c| c.is_ascii_uppercase());
        sections = (0..keys.len())
            .filter(|&i| sections.contains(&keys[i].parent))
            .filter(|&i| any || keys[i].name == name)
            .map(Some)
            .collect();
    }
    keys.iter()
        .any(|k| k.name == key && sections.contains(&k.parent))
}

/// The sections the parser opened for `texts`, each path once.
fn opened_sections(texts: &[&str]) -> Vec<(String, &'static [&'static str])> {
    OPENED_SECTIONS.with(|opened| opened.borrow_mut().clear());
    for text in texts {
        parse(text).unwrap();
    }
    let mut sections = OPENED_SECTIONS.with(|opened| opened.take());
    sections.sort();
    sections.dedup();
    sections
}

#[test]
fn every_key_the_parser_accepts_is_in_the_example_config() {
    let sections = opened_sections(&[EXAMPLE, LIST_ITEMS]);
    let paths: Vec<&str> = sections.iter().map(|(p, _)| p.as_str()).collect();
    for expected in [
        "output.otlp.spool",
        "filters[0]",
        "raudit.redact[0]",
        "raudit.fields.SYSCALL",
    ] {
        assert!(
            paths.contains(&expected),
            "{expected} not opened: {paths:?}"
        );
    }
    let keys = example_keys(EXAMPLE);
    let missing: Vec<String> = sections
        .iter()
        .flat_map(|(path, allowed)| allowed.iter().map(move |key| (path, key)))
        .filter(|(path, key)| !documented(&keys, path, key))
        .map(|(path, key)| {
            if path.is_empty() {
                key.to_string()
            } else {
                format!("{path}.{key}")
            }
        })
        .collect();
    assert!(
        missing.is_empty(),
        "not in contrib/raudit.yaml.example: {missing:?}"
    );
}

#[test]
fn the_example_reader_finds_keys_only_in_their_own_section() {
    let text =
        "a:\n  b: 1\n  # c: 2\n  d: {e: 1, f: [x]}\n  i: 1\nh: []\n#  - g: 1\n  # prose, no key\n";
    let keys = example_keys(text);
    let written = [
        ("", "a"),
        ("a", "b"),
        ("a", "c"),
        ("a.d", "e"),
        ("a.d", "f"),
        ("a", "i"),
    ];
    for (path, key) in written
        .into_iter()
        .chain([("", "h"), ("h[0]", "g"), ("a.D", "f")])
    {
        assert!(documented(&keys, path, key), "{path} {key}");
    }
    for (path, key) in [
        ("", "b"),
        ("h", "b"),
        ("a", "e"),
        ("a.d", "i"),
        ("a.b", "c"),
        ("", "g"),
    ] {
        assert!(!documented(&keys, path, key), "{path} {key}");
    }
}

/// README's Configuration table names every section: each top-level key
/// and each `raudit.*` key (the example has the keys below them).
#[test]
fn the_readme_names_every_section() {
    let readme = include_str!("../../../../README.md");
    let start = readme
        .find("## Configuration")
        .expect("a Configuration section");
    let section = &readme[start..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    let sections = opened_sections(&[EXAMPLE]);
    let keys_of = |path: &str| {
        sections
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, keys)| *keys)
            .unwrap_or_else(|| panic!("{path:?} not opened"))
    };
    let names = keys_of("")
        .iter()
        .filter(|key| **key != "raudit")
        .map(|key| format!("`{key}`"))
        .chain(
            keys_of("raudit")
                .iter()
                .map(|key| format!("`raudit.{key}`")),
        );
    let missing: Vec<String> = names.filter(|name| !section.contains(name)).collect();
    assert!(
        missing.is_empty(),
        "README.md's Configuration lacks {missing:?}"
    );
}
