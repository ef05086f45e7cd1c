//! Property tests: whatever the text, conversion returns a `Config` or
//! well-formed errors, never a panic. Inputs are the example file with
//! random edits (the interesting neighbourhood) and arbitrary text.

use proptest::prelude::*;

use super::{Accounts, Config};

const EXAMPLE: &str = include_str!("../../../contrib/raudit.yaml.example");

struct NoAccounts;

impl Accounts for NoAccounts {
    fn uid(&self, _: &str) -> Option<u32> {
        None
    }
    fn gid(&self, _: &str) -> Option<u32> {
        None
    }
}

/// Converts `text`; checks each error prints as `src.yaml:…` on one line.
fn check(text: &str) {
    if let Err(errors) = Config::from_yaml_str_with(text, "src.yaml", &NoAccounts) {
        assert!(!errors.errors.is_empty());
        let shown = errors.to_string();
        assert_eq!(shown.lines().count(), errors.errors.len(), "{shown}");
        assert!(shown.lines().all(|l| l.starts_with("src.yaml:")), "{shown}");
    }
}

/// The example with `edits` applied: (position, replacement) pairs.
fn edited(edits: &[(usize, String)]) -> String {
    let mut text: Vec<char> = EXAMPLE.chars().collect();
    for (pos, insert) in edits {
        let at = pos % (text.len() + 1);
        let end = (at + insert.len() % 3).min(text.len());
        text.splice(at..end, insert.chars());
    }
    text.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn edited_example_never_panics(
        edits in prop::collection::vec((any::<usize>(), "[ -~\n\t]{0,6}|[:\\-{}\\[\\]&*!|>'\"#]"), 1..6)
    ) {
        check(&edited(&edits));
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        check(&text);
    }
}
