//! `-S` on the io_uring list: operation names from libaudit's
//! `uringop_table.h`, as auditctl 3.1+ built `--with-io_uring` compiles and
//! lists them. Debian's auditctl 3.0.9 has no io_uring list at all, so the
//! vectors in `data/rules/uring.golden` are hand-derived from libaudit's
//! source by `data/rules/uring_vectors.py` (not by raudit's compiler); the
//! live test checks that this kernel accepts each rule and reads back exactly
//! those bytes.

mod rules_common;

use raudit::rules::print::Printer;
use raudit::rules::{kernel_form, Command, CompileOptions, RuleSet};
use raudit_core::tables::arch::Machine;
use raudit_core::wire::rule::RuleData;

const GOLDEN: &str = include_str!("data/rules/uring.golden");

fn options() -> CompileOptions {
    CompileOptions {
        machine: Some(Machine::X86_64),
        ..CompileOptions::host()
    }
}

fn compile(text: &str) -> Result<Vec<u8>, String> {
    let set = RuleSet::from_config_list_with(&[text.to_string()], &options())
        .map_err(|e| e[0].to_string())?;
    match &set.entries[0].command {
        Command::Add(b) => Ok(b.clone()),
        other => Err(format!("{text}: not a rule: {other:?}")),
    }
}

fn print(bytes: &[u8]) -> String {
    let rule = RuleData::new_checked(bytes).expect("valid rule");
    Printer::new(Some(Machine::X86_64)).rule(&rule)
}

fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("bad base64 byte {c}"),
    };
    let digits: Vec<u8> = text.bytes().filter(|&c| c != b'=').map(value).collect();
    let mut out = Vec::new();
    for chunk in digits.chunks(4) {
        let mut n = 0u32;
        for (i, d) in chunk.iter().enumerate() {
            n |= u32::from(*d) << (18 - 6 * i);
        }
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    out
}

/// `(rule, auditctl -l text, kernel bytes)` of each vector.
fn vectors() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    GOLDEN
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|line| {
            let mut parts = line.split('\t');
            let (Some(text), Some(listed), Some(b64)) = (parts.next(), parts.next(), parts.next())
            else {
                panic!("bad golden line: {line}");
            };
            (text, listed, base64_decode(b64))
        })
        .collect()
}

#[test]
fn compiled_bytes_equal_the_hand_derived_ones() {
    let vectors = vectors();
    assert!(vectors.len() >= 7);
    for (text, _, want) in vectors {
        let got = kernel_form(&compile(text).expect("compiles"));
        assert_eq!(got, want, "{text}");
    }
}

#[test]
fn printed_text_names_the_operations() {
    for (text, listed, bytes) in vectors() {
        assert_eq!(print(&bytes), listed, "{text}");
    }
}

#[test]
fn listed_text_compiles_back_to_the_same_bytes() {
    for (_, listed, bytes) in vectors() {
        // auditctl's asymmetry: a rule without -S has the whole mask and
        // lists as `-S all`, but `-S all` on io_uring sets only the named
        // operations; the line without it is the rule again.
        let again = listed.replace(" -S all", "");
        assert_eq!(
            kernel_form(&compile(&again).expect("compiles")),
            bytes,
            "{listed}"
        );
    }
}

#[test]
fn ops_are_mask_bits_without_an_architecture() {
    let rule = compile("-a always,io_uring -S openat").expect("compiles");
    let view = RuleData::new_checked(&rule).expect("valid");
    assert_eq!(view.flags(), 7);
    assert_eq!(view.field_count(), 0, "no arch field is assumed");
    let set: Vec<u32> = (0..2048).filter(|&nr| view.has_syscall(nr)).collect();
    assert_eq!(set, [18]);
    // The same name on the exit list is the x86_64 syscall.
    let exit = compile("-a always,exit -F arch=b64 -S openat").expect("compiles");
    assert!(RuleData::new_checked(&exit)
        .expect("valid")
        .has_syscall(257));
    // Deleting takes the same path.
    let set =
        RuleSet::from_config_list_with(&["-d always,io_uring -S connect".to_string()], &options())
            .expect("compiles");
    let Command::Delete(bytes) = &set.entries[0].command else {
        panic!("not a delete");
    };
    assert!(RuleData::new_checked(bytes).expect("valid").has_syscall(16));
    // Numbers print back as numbers; the last bit of word 62 still fits.
    let high = compile("-a always,io_uring -S 2015").expect("compiles");
    assert_eq!(print(&high), "-a always,io_uring -S 2015");
}

#[test]
fn syscall_names_and_out_of_range_numbers_are_not_operations() {
    for (rule, token) in [
        ("-a always,io_uring -S read", "`read` is not one"),
        ("-a always,io_uring -S openat,execve", "`execve` is not one"),
        ("-a always,io_uring -S 2048", "`2048` is not one"),
        ("-a always,io_uring -S -1", "`-1` is not one"),
    ] {
        let e = compile(rule).expect_err(rule);
        assert!(e.contains("io_uring operation") && e.contains(token), "{e}");
    }
    let e = compile("-a always,io_uring -S openat -F arch=b64").expect_err("arch after -S");
    assert!(e.contains("-F arch before any -S"), "{e}");
    let e = compile("-a always,io_uring -S openat -F success=1").expect_err("exit only");
    assert!(e.contains("only on the exit list"), "{e}");
}

/// This kernel accepts each vector as raudit compiles it and reads back the
/// hand-derived bytes.
#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn live_kernel_reads_back_the_vectors() {
    let guard = rules_common::live();
    guard.clear_rules();
    for (text, _, want) in vectors() {
        let bytes = compile(text).expect("compiles");
        guard
            .control
            .add_rule(&bytes)
            .unwrap_or_else(|e| panic!("{text}: {e}"));
        let listed = guard.control.list_rules().expect("list");
        assert_eq!(listed.len(), 1, "{text}");
        assert_eq!(listed[0], want, "{text}: kernel read-back");
        guard.control.delete_rule(&bytes).expect("delete");
    }
}
