//! go-audit's command-line spelling, accepted before clap parses.
//!
//! go-audit uses Go's `flag` package, which takes `-config FILE`,
//! `-config=FILE`, `--config FILE` and `-version`. clap reads `-config` as
//! the short flags `-c -o -n …`, so [`normalize_go_flags`] rewrites the
//! single-dash long spellings first. Arguments after `--` are left alone.

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

/// go-audit's long flags that raudit's daemon command also has.
const GO_FLAGS: &[&[u8]] = &[b"config", b"version"];

/// Rewrites `-config`, `-config=…` and `-version` to their `--` forms; every
/// other argument (the program name first) passes through unchanged.
pub fn normalize_go_flags(args: Vec<OsString>) -> Vec<OsString> {
    let mut out = Vec::with_capacity(args.len());
    let mut rest = false;
    for (i, arg) in args.into_iter().enumerate() {
        let bytes = arg.as_bytes();
        if i == 0 || rest {
            out.push(arg);
            continue;
        }
        if bytes == b"--" {
            rest = true;
            out.push(arg);
            continue;
        }
        let rewrite = bytes.strip_prefix(b"-").is_some_and(|flag| {
            !flag.starts_with(b"-")
                && GO_FLAGS.iter().any(|name| {
                    flag == *name || (flag.starts_with(name) && flag.get(name.len()) == Some(&b'='))
                })
        });
        if rewrite {
            let mut long = b"-".to_vec();
            long.extend_from_slice(bytes);
            out.push(OsString::from_vec(long));
        } else {
            out.push(arg);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(args: &[&str]) -> Vec<String> {
        let args = args.iter().map(OsString::from).collect();
        normalize_go_flags(args)
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect()
    }

    #[test]
    fn go_spellings_become_long_flags() {
        assert_eq!(
            norm(&["raudit", "-config", "/etc/a.yaml"]),
            ["raudit", "--config", "/etc/a.yaml"]
        );
        assert_eq!(
            norm(&["raudit", "-config=/etc/a.yaml"]),
            ["raudit", "--config=/etc/a.yaml"]
        );
        assert_eq!(norm(&["raudit", "-version"]), ["raudit", "--version"]);
    }

    #[test]
    fn other_arguments_are_untouched() {
        let same = [
            vec!["raudit", "--config", "x"],
            vec!["raudit", "--config=x"],
            vec!["raudit", "-h"],
            vec!["raudit", "-configx"],
            vec!["raudit", "replay", "-"],
            vec!["-config"],
            vec!["raudit", "--", "-config"],
            vec!["raudit", "check-config", "--", "-config=x"],
        ];
        for args in same {
            assert_eq!(norm(&args), args);
        }
        assert!(normalize_go_flags(Vec::new()).is_empty());
    }

    #[test]
    fn non_utf8_paths_survive() {
        let args = vec![
            OsString::from("raudit"),
            OsString::from_vec(b"-config=/tmp/\xff.yaml".to_vec()),
        ];
        let out = normalize_go_flags(args);
        assert_eq!(out[1].as_bytes(), b"--config=/tmp/\xff.yaml");
    }
}
