//! Byte-for-byte conformance of the rule compiler with auditctl 3.0:
//! go-libaudit's captured vectors (when `../shared/corpus` is present) and
//! the project's own, captured from Debian's auditctl 3.0.9 on x86_64
//! (`tests/data/rules/*.golden`).

use std::path::{Path, PathBuf};

use raudit::rules::{Command, CompileOptions, RuleSet};
use raudit_core::tables::arch::Machine;

fn corpus() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus")).to_path_buf()
}

/// Standard base64 (with or without padding, whitespace ignored).
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("bad base64 byte {c}"),
    };
    let digits: Vec<u8> = text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
        .map(value)
        .collect();
    let mut out = Vec::new();
    for chunk in digits.chunks(4) {
        let mut n = 0u32;
        for (i, d) in chunk.iter().enumerate() {
            n |= u32::from(*d) << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    out
}

/// `(flags, bytes)` pairs of a go-libaudit golden file (a small YAML subset:
/// `- flags: TEXT` then `bytes: !!binary |` and indented base64 lines).
fn golden_entries(text: &str) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(flags) = line.trim_start().strip_prefix("- flags: ") else {
            continue;
        };
        let mut flags = flags.to_string();
        while let Some(more) =
            lines.next_if(|l| l.starts_with("    ") && !l.trim_start().starts_with("bytes:"))
        {
            flags.push(' ');
            flags.push_str(more.trim());
        }
        let mut b64 = String::new();
        if let Some(next) = lines.next_if(|l| l.trim_start().starts_with("bytes:")) {
            let inline = next.trim_start().trim_start_matches("bytes:").trim();
            if inline != "!!binary |" {
                b64.push_str(inline.trim_start_matches("!!binary").trim());
            }
            while let Some(l) = lines.next_if(|l| l.starts_with("    ")) {
                b64.push_str(l.trim());
            }
        }
        out.push((flags, base64_decode(&b64)));
    }
    out
}

fn options(machine: Machine) -> CompileOptions {
    CompileOptions {
        machine: Some(machine),
        allowed: raudit::rules::guard::Allowed::default(),
        // The captures' machine had the directories that these rules name
        // with a trailing slash, and none of the files.
        is_dir: |p| p.ends_with("/audit") || p.ends_with("sudoers.d"),
    }
}

/// Compiles `flags` and compares with `want` (which may carry netlink
/// padding after the rule). Returns a description of a mismatch.
fn check(flags: &str, want: &[u8], machine: Machine) -> Result<(), String> {
    let set = RuleSet::from_config_list_with(&[flags.to_string()], &options(machine))
        .map_err(|e| format!("{flags}: {}", e[0]))?;
    // The captures are the kernel's read-back of what auditctl sent.
    let got = match &set.entries[0].command {
        Command::Add(b) => raudit::rules::kernel_form(b),
        other => return Err(format!("{flags}: not a rule: {other:?}")),
    };
    let padded_ok = want.len() >= got.len()
        && want[..got.len()] == got[..]
        && want[got.len()..].iter().all(|&b| b == 0)
        && want.len() - got.len() < 4;
    if padded_ok {
        return Ok(());
    }
    let first = got.iter().zip(want).position(|(a, b)| a != b);
    Err(format!(
        "{flags}: got {} bytes, want {}; first difference at {first:?}",
        got.len(),
        want.len()
    ))
}

#[test]
#[cfg_attr(raudit_no_corpus, ignore = "../shared/corpus is absent")]
fn go_libaudit_golden_vectors() {
    let dir = corpus().join("go-libaudit/rule/testdata");
    let read = std::fs::read_dir(&dir).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (RAUDIT_REQUIRE_CORPUS=1, or the corpus vanished after the build)",
            dir.display()
        )
    });
    let mut files: Vec<PathBuf> = read
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".yml"))
        .collect();
    files.sort();
    let (mut passed, mut failures) = (0, Vec::new());
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let machine = if text.lines().next().unwrap_or("").contains("aarch64") {
            Machine::Aarch64
        } else {
            Machine::X86_64
        };
        for (flags, want) in golden_entries(&text) {
            match check(&flags, &want, machine) {
                Ok(()) => passed += 1,
                Err(e) => failures.push(format!("{}: {e}", file.display())),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{passed} passed; failures:\n{}",
        failures.join("\n")
    );
    assert!(passed > 100, "only {passed} vectors found");
}
