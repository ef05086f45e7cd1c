//! One `raudit.redact` entry: a regex and what replaces each match, the
//! replacement a template of literal bytes and capture groups (`${1}`,
//! `${name}`, `$1`; `$$` is a `$`). Parsed and checked once; applied into a
//! caller buffer with capture locations kept across events, so a match
//! allocates nothing.

use regex::bytes::{CaptureLocations, Regex, RegexBuilder};

/// What replaces a match when the entry says nothing.
pub const DEFAULT_REPLACE: &str = "<redacted>";

/// Compiled size limits, as for filters.
const SIZE_LIMIT: usize = 1 << 20;
const DFA_LIMIT: usize = 256 << 10;

/// A compiled redaction.
#[derive(Clone, Debug)]
pub struct Redaction {
    regex: Regex,
    template: Vec<Piece>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Literal(Vec<u8>),
    Group(usize),
}

impl Redaction {
    /// Compiles `pattern` and `replace`; the error says what is wrong in
    /// words (a bad regex, a pattern that matches nothing at all, a group
    /// the pattern does not have).
    pub fn new(pattern: &str, replace: &str) -> Result<Redaction, String> {
        // ASCII classes, as the filters' (no Unicode tables resident).
        let regex = RegexBuilder::new(pattern)
            .unicode(false)
            .size_limit(SIZE_LIMIT)
            .dfa_size_limit(DFA_LIMIT)
            .build()
            .map_err(|e| {
                let reason = e.to_string();
                let reason = reason.lines().last().unwrap_or("").trim().to_owned();
                let reason = reason.strip_prefix("error: ").unwrap_or(&reason).to_owned();
                format!("invalid regex {pattern:?}: {reason}")
            })?;
        if regex.is_match(b"") {
            return Err(format!(
                "regex {pattern:?} matches the empty string: it would redact between every byte"
            ));
        }
        let template = template(replace, &regex)?;
        Ok(Redaction { regex, template })
    }

    /// Capture locations for [`apply`](Self::apply), made once.
    pub fn locations(&self) -> CaptureLocations {
        self.regex.capture_locations()
    }

    /// Writes `src` into `out` with every match replaced; returns how many
    /// matches there were (0: `out` holds `src` unchanged).
    pub fn apply(&self, src: &[u8], locs: &mut CaptureLocations, out: &mut Vec<u8>) -> u32 {
        let mut copied = 0usize;
        let mut at = 0usize;
        let mut count = 0u32;
        while at <= src.len() {
            let Some(m) = self.regex.captures_read_at(locs, src, at) else {
                break;
            };
            out.extend_from_slice(src.get(copied..m.start()).unwrap_or_default());
            for piece in &self.template {
                match piece {
                    Piece::Literal(bytes) => out.extend_from_slice(bytes),
                    Piece::Group(i) => {
                        if let Some((s, e)) = locs.get(*i) {
                            out.extend_from_slice(src.get(s..e).unwrap_or_default());
                        }
                    }
                }
            }
            count = count.saturating_add(1);
            copied = m.end();
            // The pattern cannot match empty (checked at start); still,
            // never loop in place.
            at = if m.end() > m.start() {
                m.end()
            } else {
                m.end() + 1
            };
        }
        out.extend_from_slice(src.get(copied..).unwrap_or_default());
        count
    }
}

/// The replacement's pieces; a group the regex lacks is an error.
fn template(replace: &str, regex: &Regex) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut literal = Vec::new();
    let mut rest = replace;
    while let Some(dollar) = rest.find('$') {
        literal.extend_from_slice(&rest.as_bytes()[..dollar]);
        let after = &rest[dollar + 1..];
        let (name, used) = if let Some(braced) = after.strip_prefix('{') {
            let end = braced
                .find('}')
                .ok_or_else(|| format!("replace {replace:?}: `${{` without its `}}`"))?;
            (&braced[..end], end + 2)
        } else if let Some(after_dollar) = after.strip_prefix('$') {
            literal.push(b'$');
            rest = after_dollar;
            continue;
        } else {
            let digits = after.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return Err(format!(
                    "replace {replace:?}: `$` must be followed by a group (`${{1}}`, `${{name}}`) or `$`"
                ));
            }
            (&after[..digits], digits)
        };
        let group = match name.parse::<usize>() {
            Ok(i) if i < regex.captures_len() => i,
            Ok(i) => {
                return Err(format!(
                    "replace {replace:?}: the regex has no group {i} (it has {})",
                    regex.captures_len() - 1
                ))
            }
            Err(_) => regex
                .capture_names()
                .position(|n| n == Some(name))
                .ok_or_else(|| {
                    format!("replace {replace:?}: the regex has no group named {name:?}")
                })?,
        };
        if !literal.is_empty() {
            pieces.push(Piece::Literal(std::mem::take(&mut literal)));
        }
        pieces.push(Piece::Group(group));
        rest = &after[used..];
    }
    literal.extend_from_slice(rest.as_bytes());
    if !literal.is_empty() {
        pieces.push(Piece::Literal(literal));
    }
    Ok(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redact(pattern: &str, replace: &str, src: &[u8]) -> (String, u32) {
        let r = Redaction::new(pattern, replace).unwrap();
        let mut locs = r.locations();
        let mut out = Vec::new();
        let n = r.apply(src, &mut locs, &mut out);
        (String::from_utf8_lossy(&out).into_owned(), n)
    }

    #[test]
    fn groups_literals_and_dollars() {
        assert_eq!(
            redact(r"(--password=)\S+", "${1}<redacted>", b"--password=hunter2"),
            ("--password=<redacted>".into(), 1)
        );
        assert_eq!(
            redact(r"(?P<k>token:)\w+", "$$${k}X$1", b"a token:abc b token:d"),
            ("a $token:Xtoken: b $token:Xtoken:".into(), 2)
        );
        assert_eq!(
            redact("secret", DEFAULT_REPLACE, b"none here"),
            ("none here".into(), 0)
        );
    }

    #[test]
    fn bad_entries_say_why() {
        let err = |p: &str, r: &str| Redaction::new(p, r).unwrap_err();
        assert!(err("(", "x").contains("invalid regex"));
        assert!(err("a*", "x").contains("matches the empty string"));
        assert!(err("(a)", "$2").contains("no group 2 (it has 1)"));
        assert!(err("(a)", "${nope}").contains("no group named \"nope\""));
        assert!(err("(a)", "${1").contains("without its"));
        assert!(err("(a)", "$x").contains("must be followed by a group"));
    }
}
