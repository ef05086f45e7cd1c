//! `raudit.redact` and `raudit.fields`: what is rewritten in records
//! before any shape writes them (see `crate::rewrite`). Checked here, at
//! their lines: each regex compiles (and matches something), each
//! replacement names groups the regex has, each record type is known, each
//! key list is a non-empty list of names.

use super::values::{closest, describe, Cx, Fields};
use super::yaml::{Kind, Node};
use crate::rewrite::redact::{Redaction, DEFAULT_REPLACE};

/// One `raudit.redact` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redact {
    /// `pattern`: a regex (ASCII classes) matched in each argument.
    pub pattern: String,
    /// `replace`, default `<redacted>`: what a match becomes; `${1}`,
    /// `${name}` insert groups, `$$` a dollar.
    pub replace: String,
}

/// One `raudit.fields` entry: a record type's keys to drop or to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChoice {
    pub msg_type: u16,
    /// `keep` (only these) or `drop` (all but these).
    pub keep: bool,
    pub keys: Vec<String>,
}

const REDACT_KEYS: &[&str] = &["pattern", "replace"];
const CHOICE_KEYS: &[&str] = &["drop", "keep"];

/// `raudit.redact`: a list of `{pattern, replace}`.
pub(super) fn redact(cx: &mut Cx, f: &Fields) -> Vec<Redact> {
    let mut out = Vec::new();
    let Some(node) = f.get("redact") else {
        return out;
    };
    let path = f.path("redact");
    let Kind::Seq(items) = &node.kind else {
        cx.error(
            &path,
            node.line,
            format!(
                "expected a list of {{pattern, replace}}, found {}",
                describe(node)
            ),
        );
        return out;
    };
    for (i, item) in items.iter().enumerate() {
        let at = format!("{path}[{i}]");
        let e = cx.fields(Some(item), &at, item.line, REDACT_KEYS);
        let Some(pattern) = cx.string(&e, "pattern") else {
            if e.get("pattern").is_none() {
                cx.error(&at, item.line, "missing pattern");
            }
            continue;
        };
        let replace = cx
            .string(&e, "replace")
            .unwrap_or_else(|| DEFAULT_REPLACE.to_owned());
        if let Err(why) = Redaction::new(&pattern, &replace) {
            let line = e.get("pattern").map_or(item.line, |n| n.line);
            cx.error(&at, line, why);
            continue;
        }
        out.push(Redact { pattern, replace });
    }
    out
}

/// `raudit.fields`: a mapping from record type names (`SYSCALL`, or a
/// number) to `{drop: [keys]}` or `{keep: [keys]}`.
pub(super) fn fields(cx: &mut Cx, f: &Fields) -> Vec<FieldChoice> {
    let mut out: Vec<FieldChoice> = Vec::new();
    let Some(node) = f.get("fields") else {
        return out;
    };
    let path = f.path("fields");
    let Kind::Map(entries) = &node.kind else {
        cx.error(
            &path,
            node.line,
            format!(
                "expected a mapping of record types to {{drop: [..]}} or {{keep: [..]}}, found {}",
                describe(node)
            ),
        );
        return out;
    };
    for (key, value) in entries {
        let Kind::Scalar { text, .. } = &key.kind else {
            cx.error(
                &path,
                key.line,
                format!("expected a record type, found {}", describe(key)),
            );
            continue;
        };
        let at = format!("{path}.{text}");
        let Some(msg_type) = record_type(text) else {
            // `closest` compares in lower case.
            let names: Vec<String> = raudit_core::tables::msgtype::all()
                .iter()
                .map(|&(_, name)| name.to_ascii_lowercase())
                .collect();
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let hint = closest(text, &names)
                .map(|near| format!("did you mean {}? ", near.to_ascii_uppercase()))
                .unwrap_or_default();
            cx.error(
                &at,
                key.line,
                format!("unknown record type {text:?}: {hint}expected a name such as SYSCALL or PATH, or a number"),
            );
            continue;
        };
        if out.iter().any(|c| c.msg_type == msg_type) {
            cx.error(&at, key.line, "a second entry for the same record type");
            continue;
        }
        let c = cx.fields(Some(value), &at, key.line, CHOICE_KEYS);
        let (keep, list) = match (c.get("drop"), c.get("keep")) {
            (Some(_), Some(_)) => {
                cx.error(&at, value.line, "both drop and keep: give one");
                continue;
            }
            (Some(list), None) => (false, list),
            (None, Some(list)) => (true, list),
            (None, None) => {
                cx.error(&at, value.line, "expected drop: [keys] or keep: [keys]");
                continue;
            }
        };
        let which = if keep { "keep" } else { "drop" };
        if let Some(keys) = key_list(cx, &format!("{at}.{which}"), list) {
            out.push(FieldChoice {
                msg_type,
                keep,
                keys,
            });
        }
    }
    out
}

/// A record type by name (any case) or number.
fn record_type(text: &str) -> Option<u16> {
    let text = text.trim();
    if let Ok(n) = text.parse::<u16>() {
        return (n > 0).then_some(n);
    }
    raudit_core::tables::msgtype::number(text.to_ascii_uppercase().as_bytes())
}

/// A non-empty list of field names (no spaces, no `=`).
fn key_list(cx: &mut Cx, path: &str, node: &Node) -> Option<Vec<String>> {
    let Kind::Seq(items) = &node.kind else {
        cx.error(
            path,
            node.line,
            format!("expected a list of field names, found {}", describe(node)),
        );
        return None;
    };
    if items.is_empty() {
        cx.error(path, node.line, "an empty list: name at least one field");
        return None;
    }
    let mut keys = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match &item.kind {
            Kind::Scalar { text, .. } if !text.is_empty() && !text.contains([' ', '=', '\t']) => {
                keys.push(text.clone())
            }
            _ => {
                cx.error(
                    &format!("{path}[{i}]"),
                    item.line,
                    format!(
                        "expected a field name (no spaces or `=`), found {}",
                        describe(item)
                    ),
                );
                return None;
            }
        }
    }
    Some(keys)
}
