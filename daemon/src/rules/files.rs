//! auditd's rules files, loaded as they are (`raudit.rules.files`): each
//! entry is a path or a glob in the file name (`/etc/audit/rules.d/*.rules`,
//! matches in `ls -v` order, as augenrules lists them); their lines are
//! combined as augenrules combines them: blank lines and comments dropped,
//! the last `-D` first, then the last `-b` and the last `-f`, then every
//! other line in order, the last `-e` at the end. Errors name the file and
//! the line.

use std::cmp::Ordering;
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::{CompileOptions, Origin, RuleError, RuleSet};

/// The files `patterns` name, in order: a plain path as is (it must
/// exist), a glob's matches sorted as `ls -v` sorts them. A glob that
/// matches nothing is an error.
pub fn expand(patterns: &[String]) -> Result<Vec<PathBuf>, Vec<RuleError>> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for pattern in patterns {
        match expand_one(pattern) {
            Ok(found) => files.extend(found),
            Err(expected) => errors.push(RuleError::of_file(pattern.clone(), expected)),
        }
    }
    if errors.is_empty() {
        Ok(files)
    } else {
        Err(errors)
    }
}

fn expand_one(pattern: &str) -> Result<Vec<PathBuf>, String> {
    let path = Path::new(pattern);
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| "a file path or glob".to_string())?;
    let dir = path.parent().unwrap_or(Path::new("/"));
    if dir.to_string_lossy().contains(['*', '?']) {
        return Err("wildcards only in the file name (/dir/*.rules)".into());
    }
    if !name.contains(['*', '?']) {
        return match path.is_file() {
            true => Ok(vec![path.to_path_buf()]),
            false => Err("an existing rules file".into()),
        };
    }
    // A pattern without a directory (`*.rules` on the command line) is
    // read in the current one; its files keep their relative names.
    let listed = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let entries = std::fs::read_dir(listed).map_err(|e| format!("a readable directory ({e})"))?;
    // Names as bytes: one that is not UTF-8 is matched and loaded too, as
    // augenrules (`ls -1v | grep`) loads it.
    let mut names: Vec<OsString> = entries
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name())
        .filter(|n| glob_match(name.as_bytes(), n.as_bytes()))
        .collect();
    if names.is_empty() {
        return Err("a glob that matches at least one file".into());
    }
    names.sort_by(|a, b| version_order(a.as_bytes(), b.as_bytes()));
    Ok(names.into_iter().map(|n| dir.join(n)).collect())
}

/// Shell-style match of `*` and `?` (no classes); a leading `.` only
/// matches a literal dot, as the shell's glob.
fn glob_match(pattern: &[u8], name: &[u8]) -> bool {
    if name.first() == Some(&b'.') && pattern.first() != Some(&b'.') {
        return false;
    }
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, n));
                p += 1;
            }
            Some(&c) if c == b'?' || c == name[n] => {
                p += 1;
                n += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    p = sp + 1;
                    n = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p.min(pattern.len())..].iter().all(|&c| c == b'*')
}

/// `ls -v` order: runs of digits compare as numbers, the rest bytewise.
fn version_order(mut a: &[u8], mut b: &[u8]) -> Ordering {
    loop {
        match (a.first(), b.first()) {
            (None, None) => return Ordering::Equal,
            (None, _) => return Ordering::Less,
            (_, None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let da = a.iter().take_while(|c| c.is_ascii_digit()).count();
                let db = b.iter().take_while(|c| c.is_ascii_digit()).count();
                let (na, nb) = (trim_zeros(&a[..da]), trim_zeros(&b[..db]));
                let order = na.len().cmp(&nb.len()).then_with(|| na.cmp(nb));
                if order != Ordering::Equal {
                    return order;
                }
                a = &a[da..];
                b = &b[db..];
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                a = &a[1..];
                b = &b[1..];
            }
        }
    }
}

fn trim_zeros(digits: &[u8]) -> &[u8] {
    let zeros = digits.iter().take_while(|&&c| c == b'0').count();
    &digits[zeros.min(digits.len().saturating_sub(1))..]
}

/// augenrules' combination of the files' lines, each with its origin.
fn combine(lines: Vec<(Origin, String)>) -> Vec<(Origin, String)> {
    let (mut delete_all, mut backlog, mut failure, mut enable) = (None, None, None, None);
    let mut rest = Vec::new();
    for (origin, line) in lines {
        let word = line.trim_start();
        if word.is_empty() || word.starts_with('#') {
            continue;
        }
        if word.starts_with("-e") {
            enable = Some((origin, line));
        } else if word.trim_end() == "-D" {
            delete_all = Some((origin, line));
        } else if word.starts_with("-f") {
            failure = Some((origin, line));
        } else if word.starts_with("-b") {
            backlog = Some((origin, line));
        } else {
            rest.push((origin, line));
        }
    }
    let mut out: Vec<(Origin, String)> = [delete_all, backlog, failure]
        .into_iter()
        .flatten()
        .collect();
    out.extend(rest);
    out.extend(enable);
    out
}

/// Reads `patterns`' files and compiles their lines as augenrules would
/// load them; every error names its file and line.
pub fn load(patterns: &[String], options: &CompileOptions) -> Result<RuleSet, Vec<RuleError>> {
    let files = expand(patterns)?;
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    for file in &files {
        let name = file.display().to_string();
        match std::fs::read_to_string(file) {
            Ok(text) => lines.extend(text.lines().enumerate().map(|(i, line)| {
                (
                    Origin::File {
                        path: name.clone(),
                        line: i + 1,
                    },
                    line.to_string(),
                )
            })),
            Err(e) => errors.push(RuleError::unreadable(name, &e)),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let combined = combine(lines);
    RuleSet::build(
        combined
            .iter()
            .map(|(origin, line)| (origin.clone(), line.as_str())),
        options,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scratch_dir::ScratchDir;

    #[test]
    fn globs_match_as_the_shell_does() {
        assert!(glob_match(b"*.rules", b"10-base.rules"));
        assert!(!glob_match(b"*.rules", b"10-base.rules.bak"));
        assert!(!glob_match(b"*.rules", b".hidden.rules"));
        assert!(glob_match(b"?0-*.rules", b"30-stig.rules"));
        assert!(glob_match(b"a*b*c", b"axxbyyc"));
        assert!(!glob_match(b"a*b*c", b"axxbyy"));
    }

    #[test]
    fn a_glob_without_a_directory_is_read_in_the_current_one() {
        // `raudit rules check '*.rules'`: the pattern's parent is the empty
        // path, which read_dir refused ("a readable directory (No such
        // file or directory)"). Tests run in the package's directory.
        let found = expand(&["*.toml".to_string()]).unwrap();
        assert_eq!(found, [PathBuf::from("Cargo.toml")]);
    }

    #[test]
    fn names_sort_as_ls_v() {
        let mut names = vec![
            "99-finalize.rules",
            "10-base.rules",
            "9-x.rules",
            "100-y.rules",
            "10-a.rules",
        ];
        names.sort_by(|a, b| version_order(a.as_bytes(), b.as_bytes()));
        assert_eq!(
            names,
            [
                "9-x.rules",
                "10-a.rules",
                "10-base.rules",
                "99-finalize.rules",
                "100-y.rules"
            ]
        );
    }

    #[test]
    fn lines_combine_as_augenrules_combines_them() {
        let origin = |line| Origin::File {
            path: "f".into(),
            line,
        };
        let lines = [
            "# comment",
            "-e 1",
            "-a always,exit -S kill",
            "",
            "-b 100",
            "-D",
            "-f 1",
            "-w /etc/passwd -p wa",
            "-b 8192",
            "  -D  ",
            "--backlog_wait_time 60000",
            "-e 0",
        ];
        let combined = combine(
            lines
                .iter()
                .enumerate()
                .map(|(i, l)| (origin(i + 1), l.to_string()))
                .collect(),
        );
        let text: Vec<&str> = combined.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(
            text,
            [
                "  -D  ",
                "-b 8192",
                "-f 1",
                "-a always,exit -S kill",
                "-w /etc/passwd -p wa",
                "--backlog_wait_time 60000",
                "-e 0",
            ]
        );
        assert_eq!(combined[1].0, origin(9));
    }

    /// A rules file whose name is not UTF-8 (`20-caf\\xe9.rules`) is matched
    /// and loaded, in its place, as augenrules loads it (`ls -1v | grep`),
    /// not silently left out with its rules.
    #[test]
    fn a_file_name_that_is_not_utf8_is_matched_and_loaded() {
        use std::os::unix::ffi::OsStrExt;
        let dir = ScratchDir::new("rules-latin1");
        std::fs::write(
            dir.join("10-a.rules"),
            "-a always,exit -F arch=b64 -S kill\n",
        )
        .unwrap();
        let latin1 = dir.join(std::ffi::OsStr::from_bytes(b"20-caf\xe9.rules"));
        std::fs::write(&latin1, "-e 1\n").unwrap();
        std::fs::write(dir.join("9-b.rules"), "-b 8192\n").unwrap();
        let glob = format!("{}/*.rules", dir.display());
        let files = expand(std::slice::from_ref(&glob));
        let set = load(&[glob], &CompileOptions::host());
        assert_eq!(
            files.unwrap(),
            [dir.join("9-b.rules"), dir.join("10-a.rules"), latin1]
        );
        let texts: Vec<String> = set
            .unwrap()
            .entries
            .iter()
            .map(|e| e.text.clone())
            .collect();
        assert_eq!(
            texts,
            ["-b 8192", "-a always,exit -F arch=b64 -S kill", "-e 1"]
        );
    }

    #[test]
    fn files_load_in_order_and_errors_name_file_and_line() {
        let dir = ScratchDir::new("rules-files");
        std::fs::write(dir.join("10-base.rules"), "-D\n-b 8192\n").unwrap();
        std::fs::write(
            dir.join("2-first.rules"),
            "-a always,exit -F arch=b64 -S kill\n",
        )
        .unwrap();
        std::fs::write(dir.join("99-end.rules"), "-e 1\n").unwrap();
        std::fs::write(dir.join("notes.txt"), "not rules\n").unwrap();
        let glob = format!("{}/*.rules", dir.display());
        let set = load(std::slice::from_ref(&glob), &CompileOptions::host()).unwrap();
        let texts: Vec<&str> = set.entries.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "-D",
                "-b 8192",
                "-a always,exit -F arch=b64 -S kill",
                "-e 1"
            ]
        );
        std::fs::write(
            dir.join("50-bad.rules"),
            "\n-a always,exit -S no_such_call\n",
        )
        .unwrap();
        let errors = load(&[glob], &CompileOptions::host()).unwrap_err();
        assert_eq!(errors.len(), 1);
        let text = errors[0].to_string();
        assert!(text.contains("50-bad.rules:2:"), "{text}");
        let none = format!("{}/*.nothing", dir.display());
        let errors = load(std::slice::from_ref(&none), &CompileOptions::host()).unwrap_err();
        assert_eq!(
            errors[0].to_string(),
            format!("{none}: expected a glob that matches at least one file")
        );
    }

    /// A problem with a file as a whole names the file alone (no line 0,
    /// no "end of rule") and what was wanted, whichever way it was read.
    #[test]
    fn a_missing_file_is_named_without_a_line() {
        let dir = ScratchDir::new("rules-missing");
        let path = dir.join("none.rules").display().to_string();
        let errors = load(std::slice::from_ref(&path), &CompileOptions::host()).unwrap_err();
        assert_eq!(
            errors[0].to_string(),
            format!("{path}: expected an existing rules file")
        );
        let errors = RuleSet::from_file(&path).unwrap_err();
        assert_eq!(
            errors[0].to_string(),
            format!(
                "{path}: expected a readable rules file (No such file or directory (os error 2))"
            )
        );
    }
}
