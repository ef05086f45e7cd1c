//! `raudit.yaml(5)`, generated from `contrib/raudit.yaml.example`.
//!
//! The example is the one place every config key is documented (a key, its
//! default and the comment above it), so the man page is derived from it
//! rather than written a second time. The example's shape is what this
//! reads: two-space indentation, `# ` comments above a key (a `#` line alone
//! breaks a paragraph), a trailing `# …` after a value, `# key: value` for a
//! key left unset by default, `- item` list entries and `#  - …` commented
//! examples under the key they illustrate.

use std::fmt::Write;

/// The documented example config, embedded at build time.
pub const EXAMPLE: &str = include_str!("../../../../contrib/raudit.yaml.example");

/// One key of the example.
#[derive(Debug, Default)]
struct Entry {
    /// Dotted path: `output.file.path`.
    path: String,
    /// The value as written (empty for a section).
    value: String,
    /// Written as `# key: value`: not set unless the operator sets it.
    unset: bool,
    /// Paragraphs of the comment above the key, then its trailing comment.
    doc: Vec<String>,
    /// List items and commented examples under the key, verbatim.
    example: Vec<String>,
}

/// The page, as roff.
pub fn render() -> String {
    let (intro, entries) = parse(EXAMPLE);
    let mut out = String::new();
    let _ = writeln!(
        out,
        ".TH RAUDIT.YAML 5 \"\" \"raudit {}\" \"File Formats\"",
        env!("CARGO_PKG_VERSION")
    );
    out.push_str(".SH NAME\nraudit.yaml \\- configuration of the raudit audit daemon\n");
    out.push_str(".SH SYNOPSIS\n\\fI/etc/raudit/raudit.yaml\\fR\n.SH DESCRIPTION\n");
    for paragraph in &intro {
        let _ = writeln!(out, ".PP\n{}", escape(paragraph));
    }
    out.push_str(
        ".PP\nEach key below is written with the value of the example file \
         (\\fI/usr/share/doc/raudit/raudit.yaml.example\\fR), which is its \
         default unless the text says otherwise.\n.SH KEYS\n",
    );
    for (i, entry) in entries.iter().enumerate() {
        let section = entries
            .get(i + 1)
            .is_some_and(|next| next.path.starts_with(&format!("{}.", entry.path)));
        if section && !entry.path.contains('.') {
            let _ = writeln!(out, ".SS {}", entry.path);
            for paragraph in &entry.doc {
                let _ = writeln!(out, ".PP\n{}", escape(paragraph));
            }
        } else {
            let _ = write!(out, ".TP\n\\fB{}\\fR", entry.path);
            match (entry.unset, entry.value.is_empty()) {
                (true, _) => {
                    let _ = write!(
                        out,
                        " (not set by default; example: {})",
                        escape(&entry.value)
                    );
                }
                (false, false) => {
                    let _ = write!(out, ": {}", escape(&entry.value));
                }
                (false, true) => {}
            }
            out.push('\n');
            for (n, paragraph) in entry.doc.iter().enumerate() {
                if n > 0 {
                    out.push_str(".IP\n");
                }
                let _ = writeln!(out, "{}", escape(paragraph));
            }
        }
        if !entry.example.is_empty() {
            out.push_str(".IP\n.nf\n");
            for line in &entry.example {
                let _ = writeln!(out, "{}", escape(line));
            }
            out.push_str(".fi\n");
        }
    }
    out.push_str(
        ".SH SEE ALSO\n\\fBraudit\\fR(8), \\fBraudit-check-config\\fR(8), \\fBauditctl\\fR(8), \
         \\fBaudit.rules\\fR(7)\n",
    );
    out
}

/// Splits the example into its introduction (the comments before the first
/// key's own comment) and its keys in file order.
fn parse(text: &str) -> (Vec<String>, Vec<Entry>) {
    let mut intro = Vec::new();
    let mut entries: Vec<Entry> = Vec::new();
    let mut pending: Vec<String> = Vec::new();
    let mut paragraph = String::new();
    let mut stack: Vec<(usize, String)> = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    for (at, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if trimmed.is_empty() {
            close(&mut paragraph, &mut pending);
            // A comment block followed by a blank line belongs to no key.
            match entries.last_mut() {
                Some(last) => last.doc.append(&mut pending),
                None => intro.append(&mut pending),
            }
            continue;
        }
        if let Some(comment) = trimmed.strip_prefix('#') {
            let comment = comment.strip_prefix(' ').unwrap_or(comment);
            let example_line = comment.starts_with(' ')
                || comment.starts_with("- ")
                || next_code_line(&lines[at..]).is_some_and(|l| l.starts_with("- "));
            if example_line && paragraph.is_empty() && pending.is_empty() {
                if let Some(last) = entries.last_mut() {
                    last.example.push(format!("# {comment}"));
                    continue;
                }
            }
            if let Some((key, value, trailing)) = commented_key(comment) {
                close(&mut paragraph, &mut pending);
                let mut entry = key_entry(&mut stack, indent, key, value, trailing, &mut pending);
                entry.unset = true;
                entries.push(entry);
            } else if comment.is_empty() {
                close(&mut paragraph, &mut pending);
            } else {
                if !paragraph.is_empty() {
                    paragraph.push(' ');
                }
                paragraph.push_str(comment.trim());
            }
            continue;
        }
        close(&mut paragraph, &mut pending);
        if let Some(item) = trimmed.strip_prefix("- ") {
            if let Some(last) = entries.last_mut() {
                last.doc.append(&mut pending);
                last.example.push(format!("- {item}"));
            }
            continue;
        }
        let Some((key, rest)) = trimmed.split_once(':') else {
            continue;
        };
        let (value, trailing) = split_trailing(rest);
        let entry = key_entry(&mut stack, indent, key, value, trailing, &mut pending);
        entries.push(entry);
    }
    close(&mut paragraph, &mut pending);
    intro.append(&mut pending);
    (intro, entries)
}

/// The next line that is neither blank nor a comment, trimmed.
fn next_code_line<'a>(lines: &[&'a str]) -> Option<&'a str> {
    lines
        .iter()
        .map(|l| l.trim_start())
        .find(|l| !l.is_empty() && !l.starts_with('#'))
}

/// The entry for `key` at `indent`, its doc the pending comments.
fn key_entry(
    stack: &mut Vec<(usize, String)>,
    indent: usize,
    key: &str,
    value: &str,
    trailing: &str,
    pending: &mut Vec<String>,
) -> Entry {
    while stack.last().is_some_and(|(i, _)| *i >= indent) {
        stack.pop();
    }
    let mut path: Vec<&str> = stack.iter().map(|(_, k)| k.as_str()).collect();
    path.push(key);
    let path = path.join(".");
    stack.push((indent, key.to_string()));
    let mut doc = std::mem::take(pending);
    if !trailing.is_empty() {
        doc.push(trailing.to_string());
    }
    Entry {
        path,
        value: value.to_string(),
        doc,
        ..Entry::default()
    }
}

/// `key: value  # comment` as (value, comment), both trimmed.
fn split_trailing(rest: &str) -> (&str, &str) {
    match rest.find(" #") {
        Some(at) => (rest[..at].trim(), rest[at + 2..].trim()),
        None => (rest.trim(), ""),
    }
}

/// A comment that is a key left unset: `receive: 16777216` or
/// `file: /run/raudit/stats   # also …` — one word of value at most, then
/// only a trailing comment (prose such as `readlog: listen …` is not).
fn commented_key(comment: &str) -> Option<(&str, &str, &str)> {
    let (key, rest) = comment.split_once(':')?;
    if key.is_empty() || !key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
        return None;
    }
    let (value, trailing) = split_trailing(rest);
    let spaced = value.contains(' ');
    let plain = rest.is_empty() || rest.starts_with(' ');
    (!spaced && !value.is_empty() && plain).then_some((key, value, trailing))
}

fn close(paragraph: &mut String, pending: &mut Vec<String>) {
    if !paragraph.is_empty() {
        pending.push(std::mem::take(paragraph));
    }
}

/// Text as roff: backslashes and hyphens escaped, no line starting a request.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split('\n') {
        if !out.is_empty() {
            out.push('\n');
        }
        if line.starts_with('.') || line.starts_with('\'') {
            out.push_str("\\&");
        }
        for c in line.chars() {
            match c {
                '\\' => out.push_str("\\e"),
                '-' => out.push_str("\\-"),
                _ => out.push(c),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key line of the example, as a dotted path, found independently
    /// of [`parse`]: uncommented `key:` lines by their indentation.
    fn example_keys() -> Vec<String> {
        let mut stack: Vec<(usize, String)> = Vec::new();
        let mut keys = Vec::new();
        for line in EXAMPLE.lines() {
            let trimmed = line.trim_start();
            let indent = line.len() - trimmed.len();
            if trimmed.starts_with('#') || trimmed.starts_with('-') || trimmed.is_empty() {
                continue;
            }
            let key = trimmed.split(':').next().unwrap();
            stack.retain(|(i, _)| *i < indent);
            stack.push((indent, key.to_string()));
            keys.push(
                stack
                    .iter()
                    .map(|(_, k)| k.as_str())
                    .collect::<Vec<_>>()
                    .join("."),
            );
        }
        keys
    }

    #[test]
    fn every_key_of_the_example_is_in_the_page() {
        let page = render();
        let keys = example_keys();
        assert!(keys.len() > 60, "the example has its keys: {keys:?}");
        for key in keys {
            let bold = format!("\\fB{key}\\fR");
            let heading = format!(".SS {key}\n");
            assert!(
                page.contains(&bold) || page.contains(&heading),
                "{key} missing from raudit.yaml(5)"
            );
        }
        for unset in [
            "socket_buffer.receive",
            "raudit.stats.file",
            "raudit.kernel.backlog_wait_time",
        ] {
            assert!(
                page.contains(&format!("\\fB{unset}\\fR (not set by default")),
                "{unset}"
            );
        }
    }

    #[test]
    fn docs_values_and_examples_land_under_their_key() {
        let (intro, entries) = parse(EXAMPLE);
        assert!(
            intro.iter().any(|p| p.contains("Unknown keys are errors")),
            "{intro:?}"
        );
        let find = |path: &str| entries.iter().find(|e| e.path == path).unwrap();
        let mode = find("output.file.mode");
        assert_eq!(mode.value, "0600");
        assert!(mode.doc.iter().any(|d| d.contains("Octal")), "{mode:?}");
        let min = find("events.min");
        assert_eq!(
            (min.value.as_str(), min.doc.as_slice()),
            ("1300", &["default 1300".to_string()][..])
        );
        let rules = find("rules");
        assert!(
            rules.example.iter().any(|l| l.contains("-S execve")),
            "{rules:?}"
        );
        assert!(find("filters")
            .example
            .iter()
            .any(|l| l.contains("message_type: 1306")));
        let format = find("output.syslog.format");
        assert!(
            format.doc.iter().any(|d| d.contains("rfc5424")),
            "{format:?}"
        );
        assert!(
            !entries.iter().any(|e| e.path.ends_with("readlog")),
            "prose is not a key"
        );
    }

    /// The keys the config parser accepts in the mapping at `section`
    /// (dotted; "" for the top; `name[]` an entry of the list `name`),
    /// read from its unknown-key error.
    fn accepted_keys(section: &str) -> Vec<String> {
        let mut yaml = String::new();
        let mut indent = String::new();
        let mut item = "";
        for part in section.split('.').filter(|p| !p.is_empty()) {
            let (name, list) = match part.strip_suffix("[]") {
                Some(name) => (name, "- "),
                None => (part, ""),
            };
            yaml.push_str(&format!("{indent}{item}{name}:\n"));
            indent.push_str(if item.is_empty() { "  " } else { "    " });
            item = list;
        }
        yaml.push_str(&format!("{indent}{item}zz_not_a_key: 1\n"));
        let errors = crate::config::Config::from_yaml_str(&yaml, "probe")
            .expect_err("an unknown key is an error")
            .to_string();
        // At the top level an unknown key is a warning (go-audit ignores
        // them), listed with the errors; inside a section, an error.
        let line = errors
            .lines()
            .find(|l| {
                l.contains("zz_not_a_key: unknown key")
                    || l.contains("zz_not_a_key: warning: unknown key")
            })
            .unwrap_or_else(|| panic!("no unknown-key error for {section}: {errors}"));
        let list = line.split("expected one of ").nth(1).unwrap();
        // The list ends at the first `;` (a warning goes on to say why).
        let list = list.split(';').next().unwrap_or(list);
        list.split(", ").map(str::to_string).collect()
    }

    #[test]
    fn every_key_the_parser_accepts_is_in_the_page() {
        let page = render();
        let (_, entries) = parse(EXAMPLE);
        let mut sections = vec![String::new()];
        for (i, entry) in entries.iter().enumerate() {
            let parent = entries
                .get(i + 1)
                .is_some_and(|next| next.path.starts_with(&format!("{}.", entry.path)));
            if parent {
                sections.push(entry.path.clone());
            }
        }
        assert!(sections.len() > 10, "{sections:?}");
        let mut checked = 0;
        for section in &sections {
            for key in accepted_keys(section) {
                let path = if section.is_empty() {
                    key
                } else {
                    format!("{section}.{key}")
                };
                let bold = format!("\\fB{path}\\fR");
                let heading = format!(".SS {path}\n");
                assert!(
                    page.contains(&bold) || page.contains(&heading),
                    "{path} is accepted by the parser but not in raudit.yaml(5)"
                );
                checked += 1;
            }
        }
        assert!(checked > 60, "{checked} keys checked");
        // The entries of lists and of per-record-type mappings are shown in
        // their section's commented example.
        for section in ["filters[]", "raudit.redact[]", "raudit.fields.SYSCALL"] {
            let keys = accepted_keys(section);
            assert!(keys.len() >= 2, "{section}: {keys:?}");
            for key in keys {
                assert!(
                    [
                        format!("#  \\- {key}:"),
                        format!("#    {key}:"),
                        format!("{{{key}:")
                    ]
                    .iter()
                    .any(|shown| page.contains(shown.as_str())),
                    "{section} accepts {key}, not in raudit.yaml(5)'s example"
                );
            }
        }
    }

    /// README's Configuration table names every section: each top-level
    /// key and each `raudit.*` key (the example, and so this page, has the
    /// keys below them).
    #[test]
    fn the_readme_configuration_table_names_every_section() {
        let readme = include_str!("../../../../README.md");
        let start = readme
            .find("## Configuration")
            .expect("a Configuration section");
        let section = &readme[start..];
        let section = &section[..section.find("\n## ").unwrap_or(section.len())];
        let top = accepted_keys("");
        assert!(top.iter().any(|key| key == "raudit"), "{top:?}");
        let missing: Vec<String> = top
            .iter()
            .filter(|key| *key != "raudit")
            .map(|key| format!("`{key}`"))
            .chain(
                accepted_keys("raudit")
                    .iter()
                    .map(|key| format!("`raudit.{key}`")),
            )
            .filter(|name| !section.contains(name.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "README.md's Configuration lacks {missing:?}"
        );
    }

    #[test]
    fn roff_escapes() {
        assert_eq!(escape(".x a\\b -e 1"), "\\&.x a\\eb \\-e 1");
    }
}
