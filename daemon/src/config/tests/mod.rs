//! Config tests, by topic; here the helpers they share: a fixed account
//! table, `parse` and `errors` on YAML text, and the smallest valid file.

use super::*;

mod error_messages;
mod go_audit;
mod output_keys;
mod raudit_keys;

/// A fixed account table: root (0), syslog (104 / adm 4).
struct TestAccounts;

impl Accounts for TestAccounts {
    fn uid(&self, name: &str) -> Option<u32> {
        match name {
            "root" => Some(0),
            "syslog" => Some(104),
            _ => None,
        }
    }

    fn gid(&self, name: &str) -> Option<u32> {
        match name {
            "root" => Some(0),
            "adm" => Some(4),
            _ => None,
        }
    }
}

fn parse(text: &str) -> Result<Config, ConfigErrors> {
    Config::from_yaml_str_with(text, "test.yaml", &TestAccounts)
}

/// The error lines for `text`, which must fail.
fn errors(text: &str) -> Vec<String> {
    match parse(text) {
        Ok(c) => panic!("expected errors, got {c:?}"),
        Err(e) => e.to_string().lines().map(str::to_string).collect(),
    }
}

const MINIMAL: &str = "output:\n  stdout:\n    enabled: true\nrules:\n  - -e 1\n";
