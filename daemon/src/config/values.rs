//! Reading typed values out of the node tree, as go-audit (viper + yaml.v3 +
//! spf13/cast) reads them, with every problem recorded instead of returned.
//!
//! - Integers: Go's `strconv.ParseInt(s, 0, 64)`: `0x` hex, `0o` and a bare
//!   leading `0` octal, `0b` binary, `_` separators. Quoted digits count too,
//!   as viper casts strings.
//! - Booleans: Go's `strconv.ParseBool` spellings (`true`, `True`, `TRUE`,
//!   `t`, `1`, …). `yes`/`on` are errors: go-audit would read them as false.
//! - Strings: any scalar, as written.
//! - Durations (raudit keys): an integer number of seconds, or a number with
//!   one unit `ms`, `s`, `m`, `h` (`500ms`, `2s`).
//! - `null`, `~` or an empty value means "not set": the default applies.

use std::time::Duration;

use super::error::ConfigError;
use super::yaml::{Kind, Node};
use crate::accounts::Accounts;

/// Conversion state: where errors and warnings go and how accounts resolve.
pub(super) struct Cx<'a> {
    pub errors: Vec<ConfigError>,
    /// Problems that do not stop the daemon (unknown top-level keys).
    pub warnings: Vec<ConfigError>,
    pub accounts: &'a dyn Accounts,
}

/// The known keys of one mapping, values not null.
pub(super) struct Fields<'n> {
    /// Dotted path of the mapping itself (empty at the top).
    pub path: String,
    /// Line of the mapping (or of its parent key when absent).
    pub line: usize,
    values: Vec<(&'static str, &'n Node)>,
}

impl<'n> Fields<'n> {
    /// The value of `key`, if present and not null.
    pub fn get(&self, key: &str) -> Option<&'n Node> {
        self.values
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, node)| *node)
    }

    /// The dotted path of `key` in this mapping.
    pub fn path(&self, key: &str) -> String {
        join(&self.path, key)
    }
}

/// The entry of `allowed` nearest to `key` (case-insensitive edit
/// distance), when it is close enough to be a typo: at most 2 edits, and
/// fewer than half of `key`'s letters.
pub(super) fn closest<'k>(key: &str, allowed: &[&'k str]) -> Option<&'k str> {
    let key = key.to_ascii_lowercase();
    allowed
        .iter()
        // At least as many edits as the lengths differ: a key much longer
        // (YAML's `? key` has no length limit) is no typo of any, and the
        // table would be len(key) x len(candidate) cells for each.
        .filter(|k| key.len().abs_diff(k.len()) <= 2)
        .map(|k| (edit_distance(key.as_bytes(), k.as_bytes()), *k))
        .filter(|(d, _)| *d <= 2 && *d * 2 < key.len().max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Levenshtein distance, with a swap of two neighbours counted as one edit
/// (`enabeld` is one edit from `enabled`).
fn edit_distance(a: &[u8], b: &[u8]) -> usize {
    let width = b.len() + 1;
    let mut rows = vec![0usize; (a.len() + 1) * width];
    for (i, row) in rows.chunks_mut(width).enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows.iter_mut().take(width).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[(i - 1) * width + j] + 1)
                .min(rows[i * width + j - 1] + 1)
                .min(rows[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[(i - 2) * width + j - 2] + 1);
            }
            rows[i * width + j] = best;
        }
    }
    rows[a.len() * width + b.len()]
}

/// The longest path a unix socket address holds (`sun_path`, 108 bytes
/// with its NUL): a longer one can never be bound or connected.
pub(super) const UNIX_PATH_MAX: usize = 107;

/// Why `path` cannot be a unix socket's, if it cannot.
pub(super) fn unix_path_problem(path: &str) -> Option<String> {
    (path.len() > UNIX_PATH_MAX).then(|| {
        format!(
            "a unix socket path holds at most {UNIX_PATH_MAX} bytes, found {} ({path:?})",
            path.len()
        )
    })
}

/// `base.key`, or `key` at the top.
pub(super) fn join(base: &str, key: &str) -> String {
    if base.is_empty() {
        key.to_string()
    } else {
        format!("{base}.{key}")
    }
}

impl<'a> Cx<'a> {
    /// Records an error.
    pub fn error(&mut self, path: &str, line: usize, message: impl Into<String>) {
        self.errors
            .push(ConfigError::new(path, Some(line), message));
    }

    /// An error at `key` of `f`: its path, and the line of its value (of
    /// `f` itself when the key is absent).
    pub fn error_at(&mut self, f: &Fields, key: &str, message: impl Into<String>) {
        let line = f.get(key).map_or(f.line, |n| n.line);
        self.error(&f.path(key), line, message);
    }

    /// Opens `node` (absent or null: empty) as a mapping whose keys must be
    /// among `allowed`; unknown and duplicate keys are recorded as errors.
    pub fn fields<'n>(
        &mut self,
        node: Option<&'n Node>,
        path: &str,
        line: usize,
        allowed: &'static [&'static str],
    ) -> Fields<'n> {
        let mut fields = Fields {
            path: path.to_string(),
            line,
            values: Vec::new(),
        };
        let Some(node) = node.filter(|n| !n.is_null()) else {
            return fields;
        };
        fields.line = node.line;
        let Kind::Map(entries) = &node.kind else {
            self.error(
                path,
                node.line,
                format!("expected a mapping, found {}", describe(node)),
            );
            return fields;
        };
        let mut seen: Vec<(&'static str, usize)> = Vec::new();
        for (key, value) in entries {
            let Kind::Scalar { text, .. } = &key.kind else {
                self.error(
                    path,
                    key.line,
                    format!("expected a key name, found {}", describe(key)),
                );
                continue;
            };
            // viper lower-cases keys, so go-audit matches them in any case.
            let lower = text.to_ascii_lowercase();
            let Some(known) = allowed.iter().copied().find(|k| *k == lower) else {
                self.unknown_key(path, text, key.line, allowed);
                continue;
            };
            if let Some((_, first)) = seen.iter().find(|(k, _)| *k == known) {
                self.error(
                    &join(path, text),
                    key.line,
                    format!("duplicate key (first on line {first})"),
                );
                continue;
            }
            seen.push((known, key.line));
            if !value.is_null() {
                fields.values.push((known, value));
            }
        }
        fields
    }

    /// An unknown key: at the top a warning, as go-audit ignores such keys
    /// (real configs carry `canary:` and the like); inside a section raudit
    /// knows an error, naming the closest valid key.
    fn unknown_key(&mut self, path: &str, key: &str, line: usize, allowed: &[&str]) {
        let hint = match closest(key, allowed) {
            Some(near) => format!("did you mean `{near}`? "),
            None => String::new(),
        };
        let problem = ConfigError::new(
            &join(path, key),
            Some(line),
            format!("unknown key; {hint}expected one of {}", allowed.join(", ")),
        );
        if path.is_empty() {
            let mut warning = problem;
            warning.message = format!("warning: {}; ignored, as go-audit does", warning.message);
            self.warnings.push(warning);
        } else {
            self.errors.push(problem);
        }
    }

    /// The scalar text at `key`, or an error if it is a list or mapping.
    fn scalar<'n>(&mut self, f: &Fields<'n>, key: &str) -> Option<(&'n str, &'n Node)> {
        let node = f.get(key)?;
        match &node.kind {
            Kind::Scalar { text, .. } => Some((text.as_str(), node)),
            _ => {
                self.error(
                    &f.path(key),
                    node.line,
                    format!("expected a single value, found {}", describe(node)),
                );
                None
            }
        }
    }

    /// A boolean.
    pub fn bool(&mut self, f: &Fields, key: &str) -> Option<bool> {
        let (text, node) = self.scalar(f, key)?;
        let value = parse_bool(text);
        if value.is_none() {
            self.error(
                &f.path(key),
                node.line,
                format!("expected true or false, found {text:?}"),
            );
        }
        value
    }

    /// An integer in `min..=max`; `what` describes the expected value.
    pub fn int(&mut self, f: &Fields, key: &str, min: i64, max: i64, what: &str) -> Option<i64> {
        let (text, node) = self.scalar(f, key)?;
        match parse_int(text) {
            Some(v) if (min..=max).contains(&v) => Some(v),
            Some(_) => {
                self.error(
                    &f.path(key),
                    node.line,
                    format!("expected {what}, found {text}"),
                );
                None
            }
            None => {
                let hint = if text.starts_with('0') && text.len() > 1 {
                    " (a leading 0 means octal, as in go-audit)"
                } else {
                    ""
                };
                self.error(
                    &f.path(key),
                    node.line,
                    format!("expected {what}, found {text:?}{hint}"),
                );
                None
            }
        }
    }

    /// A `u32` in `min..=max`.
    pub fn u32(&mut self, f: &Fields, key: &str, min: u32, max: u32, what: &str) -> Option<u32> {
        let v = self.int(f, key, i64::from(min), i64::from(max), what)?;
        u32::try_from(v).ok()
    }

    /// A string, as written.
    pub fn string(&mut self, f: &Fields, key: &str) -> Option<String> {
        self.scalar(f, key).map(|(text, _)| text.to_string())
    }

    /// One of `options` (`name`, value); names match case-insensitively.
    pub fn choice<T: Copy>(&mut self, f: &Fields, key: &str, options: &[(&str, T)]) -> Option<T> {
        let (text, node) = self.scalar(f, key)?;
        let found = options
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(text.trim()))
            .map(|(_, v)| *v);
        if found.is_none() {
            let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
            self.error(
                &f.path(key),
                node.line,
                format!("expected one of {}, found {text:?}", names.join(", ")),
            );
        }
        found
    }

    /// A duration between `min` and `max`.
    pub fn duration(
        &mut self,
        f: &Fields,
        key: &str,
        min: Duration,
        max: Duration,
    ) -> Option<Duration> {
        let (text, node) = self.scalar(f, key)?;
        match parse_duration(text) {
            Some(d) if d >= min && d <= max => Some(d),
            _ => {
                self.error(
                    &f.path(key),
                    node.line,
                    format!(
                        "expected a duration from {min:?} to {max:?} (seconds, or a number with ms, s, m or h), found {text:?}"
                    ),
                );
                None
            }
        }
    }
}

/// A short description of a node for "found …".
pub(super) fn describe(node: &Node) -> String {
    match &node.kind {
        Kind::Scalar { text, .. } => {
            let short: String = text.chars().take(40).collect();
            format!("{short:?}")
        }
        Kind::Seq(_) => "a list".to_string(),
        Kind::Map(_) => "a mapping".to_string(),
    }
}

/// Go's `strconv.ParseBool`.
pub(super) fn parse_bool(text: &str) -> Option<bool> {
    match text.trim() {
        "1" | "t" | "T" | "true" | "True" | "TRUE" => Some(true),
        "0" | "f" | "F" | "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

/// Go's `strconv.ParseInt(text, 0, 64)`: sign, then `0x`/`0o`/`0b` or a
/// leading `0` (octal), `_` between digits.
pub(super) fn parse_int(text: &str) -> Option<i64> {
    let text = text.trim();
    let (negative, rest) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let lower = rest.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    let digits: String = digits.chars().filter(|c| *c != '_').collect();
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = i64::from_str_radix(&digits, radix).ok()?;
    Some(if negative { -magnitude } else { magnitude })
}

/// Seconds as an integer, or a number with one unit: `ms`, `s`, `m`, `h`.
pub(super) fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().ok()?;
    match unit.trim() {
        "" | "s" => Some(Duration::from_secs(n)),
        "ms" => Some(Duration::from_millis(n)),
        "m" => Some(Duration::from_secs(n.checked_mul(60)?)),
        "h" => Some(Duration::from_secs(n.checked_mul(3600)?)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints_read_as_go_reads_them() {
        assert_eq!(parse_int("0600"), Some(0o600));
        assert_eq!(parse_int("0o600"), Some(0o600));
        assert_eq!(parse_int("384"), Some(384));
        assert_eq!(parse_int("0x1f"), Some(31));
        assert_eq!(parse_int("0b101"), Some(5));
        assert_eq!(parse_int("-2"), Some(-2));
        assert_eq!(parse_int("0"), Some(0));
        assert_eq!(parse_int("1_000"), Some(1000));
        assert_eq!(parse_int("0800"), None);
        assert_eq!(parse_int("1.5"), None);
        assert_eq!(parse_int(""), None);
        assert_eq!(parse_int("-"), None);
        assert_eq!(parse_int("99999999999999999999"), None);
    }

    #[test]
    fn bools_read_as_go_reads_them() {
        assert_eq!(parse_bool("true"), Some(true));
        assert_eq!(parse_bool("FALSE"), Some(false));
        assert_eq!(parse_bool("1"), Some(true));
        assert_eq!(parse_bool("yes"), None);
        assert_eq!(parse_bool("on"), None);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_duration("2s"), Some(Duration::from_secs(2)));
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("1m"), Some(Duration::from_secs(60)));
        assert_eq!(parse_duration("1h"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1.5s"), None);
        assert_eq!(parse_duration("s"), None);
        assert_eq!(parse_duration("5 fortnights"), None);
    }
}
