//! Splitting one auditctl command line into words, as auditctl splits the
//! lines of a rules file: words are separated by spaces (tabs too), `\ `
//! is a space inside a word and `\\` a backslash. As an extension, a word
//! may be quoted with `'…'` or `"…"` (go-audit configs often quote paths).
//! A line whose first word starts with `#` is a comment.

/// One word and the byte column where it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    pub column: usize,
}

/// Why a line could not be split.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnclosedQuote {
    pub column: usize,
}

/// The words of `line`; empty for blank lines and comments.
pub fn split(line: &str) -> Result<Vec<Word>, UnclosedQuote> {
    let is_space = |c: char| matches!(c, ' ' | '\t' | '\r' | '\n');
    let mut words = Vec::new();
    let mut chars = line.char_indices().peekable();
    loop {
        while chars.next_if(|&(_, c)| is_space(c)).is_some() {}
        let Some(&(column, _)) = chars.peek() else {
            return Ok(words);
        };
        let mut text = String::new();
        while let Some((at, c)) = chars.next_if(|&(_, c)| !is_space(c)) {
            match c {
                '\\' => match chars.next_if(|&(_, n)| n == ' ' || n == '\\') {
                    Some((_, n)) => text.push(n),
                    None => text.push('\\'),
                },
                '\'' | '"' => {
                    let mut closed = false;
                    for (_, q) in chars.by_ref() {
                        if q == c {
                            closed = true;
                            break;
                        }
                        text.push(q);
                    }
                    if !closed {
                        return Err(UnclosedQuote { column: at });
                    }
                }
                _ => text.push(c),
            }
        }
        if words.is_empty() && text.starts_with('#') {
            return Ok(Vec::new());
        }
        words.push(Word { text, column });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(line: &str) -> Vec<String> {
        split(line).unwrap().into_iter().map(|w| w.text).collect()
    }

    #[test]
    fn words() {
        assert_eq!(
            texts("-a  exit,always\t-S all"),
            ["-a", "exit,always", "-S", "all"]
        );
        assert_eq!(texts(r"-w /a\ b -k x\\y"), ["-w", "/a b", "-k", r"x\y"]);
        assert_eq!(texts("-w '/a b' -k \"k 1\""), ["-w", "/a b", "-k", "k 1"]);
        assert!(texts("  # comment -a").is_empty());
        assert!(texts("   ").is_empty());
        assert_eq!(split("-w 'open").unwrap_err(), UnclosedQuote { column: 3 });
        assert_eq!(split("-a x").unwrap()[1].column, 3);
    }
}
