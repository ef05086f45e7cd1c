//! Config errors: each names the key's dotted path, the line when the YAML
//! parser gave one, and what was found versus expected. All are collected,
//! and printed one per line as `FILE:LINE: key.path: message`.

use std::fmt;

/// One problem with one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Dotted key path (`output.file.mode`, `filters[2].regex`); empty for
    /// problems with the whole document.
    pub path: String,
    /// 1-based line in the file, when known.
    pub line: Option<usize>,
    /// What was found and what was expected.
    pub message: String,
}

impl ConfigError {
    /// An error at `path`.
    pub fn new(path: &str, line: Option<usize>, message: impl Into<String>) -> Self {
        ConfigError {
            path: path.to_string(),
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    /// One line: control characters in the key path (a quoted YAML key may
    /// hold a newline) are escaped, and a message's line breaks become
    /// spaces (found by the `config` fuzz target).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "{line}: ")?;
        }
        if !self.path.is_empty() {
            for c in self.path.chars() {
                if c.is_control() {
                    write!(f, "{}", c.escape_debug())?;
                } else {
                    write!(f, "{c}")?;
                }
            }
            f.write_str(": ")?;
        }
        for (i, part) in self.message.split(['\n', '\r']).enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(part)?;
        }
        Ok(())
    }
}

/// Every problem found in one config source, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors {
    /// The file name (or another label) the errors are prefixed with.
    pub source: String,
    /// At least one error.
    pub errors: Vec<ConfigError>,
}

impl ConfigErrors {
    /// Errors from `source`, sorted by line (errors without one last).
    pub fn new(source: &str, mut errors: Vec<ConfigError>) -> Self {
        errors.sort_by_key(|e| e.line.unwrap_or(usize::MAX));
        ConfigErrors {
            source: source.to_string(),
            errors,
        }
    }

    /// A single error.
    pub fn single(source: &str, error: ConfigError) -> Self {
        ConfigErrors::new(source, vec![error])
    }
}

impl fmt::Display for ConfigErrors {
    /// One line per error: `FILE:LINE: key.path: message`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            let gap = if e.line.is_some() { "" } else { " " };
            write!(f, "{}:{gap}{e}", self.source)?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}
