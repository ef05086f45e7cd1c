//! go-libaudit's aucoalesce case files (`*.yaml`): their `tests:` map.

use std::collections::BTreeMap;

/// The `tests:` map of a case file: name → log lines. Handles the two
/// block styles the files use (`|` literal, `>` folded).
pub fn cases(yaml: &str) -> BTreeMap<String, String> {
    let mut cases = BTreeMap::new();
    let mut current: Option<(String, bool, Vec<String>)> = None;
    let finish = |case: Option<(String, bool, Vec<String>)>,
                  cases: &mut BTreeMap<String, String>| {
        if let Some((name, folded, lines)) = case {
            let text = if folded {
                lines.join(" ")
            } else {
                lines.join("\n")
            };
            cases.insert(name, text);
        }
    };
    for line in yaml.lines() {
        if let Some(body) = line.strip_prefix("    ") {
            if let Some((_, _, lines)) = current.as_mut() {
                lines.push(body.trim_end().to_owned());
            }
        } else if let Some(header) = line
            .strip_prefix("  ")
            .filter(|h| !h.starts_with(' ') && !h.starts_with('#'))
        {
            finish(current.take(), &mut cases);
            if let Some((name, style)) = header.rsplit_once(": ") {
                let folded = style.trim().starts_with('>');
                current = Some((name.trim_matches('"').to_owned(), folded, Vec::new()));
            }
        }
    }
    finish(current.take(), &mut cases);
    cases
}
