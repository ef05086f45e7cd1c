//! Live kernel tests of rule loading (root, auditctl installed; built as
//! ignored otherwise). Each holds `/run/raudit-live.lock` and puts the kernel's
//! rules and status back afterwards, even on failure.

mod rules_common;

#[path = "../../tests/scratch_dir.rs"]
mod scratch_dir;

use std::process::Command as Process;

use raudit::netlink::AuditStatus;
use raudit::rules::compile::host_machine;
use raudit::rules::print::Printer;
use raudit::rules::{apply, drift, RuleSet};
use raudit_core::wire::rule::RuleData;

use scratch_dir::ScratchDir;

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/rules/sample.rules");

fn auditctl(args: &[&str]) -> Option<String> {
    let out = Process::new("auditctl").args(args).output().ok()?;
    assert!(
        out.status.success(),
        "auditctl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Built as ignored without auditctl (`raudit_no_auditctl`); a run that
/// reaches here without it fails.
fn require_auditctl() {
    let ok = Process::new("auditctl")
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(ok, "auditctl -v failed: install auditd (Debian package)");
}

fn raudit_list(guard: &rules_common::LiveGuard) -> String {
    let mut printer = Printer::new(host_machine());
    let mut out = String::new();
    for rule in guard.control.list_rules().expect("list") {
        out.push_str(&printer.rule(&RuleData::new_checked(&rule).expect("rule")));
        out.push('\n');
    }
    if out.is_empty() {
        out.push_str("No rules\n");
    }
    out
}

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
#[cfg_attr(
    raudit_no_auditctl,
    ignore = "auditctl is not installed (Debian package auditd)"
)]
fn raudit_loads_what_auditctl_loads_and_lists_it_the_same() {
    require_auditctl();
    let guard = rules_common::live();
    // auditctl -R wants a root-owned file that others cannot write.
    let dir = ScratchDir::new("live-rules");
    let file = dir.join("sample.rules");
    std::fs::copy(SAMPLE, &file).expect("copy rules");
    guard.clear_rules();
    auditctl(&["-R", file.to_str().unwrap_or_default()]).expect("auditctl -R");
    let by_auditctl = auditctl(&["-l"]).expect("auditctl -l");
    let raw_by_auditctl = guard.control.list_rules().expect("list");
    assert_eq!(
        raudit_list(&guard),
        by_auditctl,
        "raudit rules list vs auditctl -l"
    );

    guard.clear_rules();
    let set = RuleSet::from_file(&file).expect("sample compiles");
    for (entry, bytes) in set.rules() {
        guard
            .control
            .add_rule(bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", entry.text));
    }
    assert_eq!(auditctl(&["-l"]).expect("auditctl -l"), by_auditctl);
    assert_eq!(guard.control.list_rules().expect("list"), raw_by_auditctl);
}

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn apply_excludes_itself_first_and_drift_sees_changes() {
    let guard = rules_common::live();
    let c = &guard.control;
    let rules = [
        "-b 321".to_string(),
        "-a always,exit -F arch=b64 -S execve -k exec".to_string(),
        "-w /etc/passwd -p wa -k identity".to_string(),
    ];
    let set = RuleSet::from_config_list(&rules).expect("compiles");
    guard.clear_rules();
    let report = apply(c, &set, Some(std::process::id())).expect("apply");
    assert_eq!(report.added, 3);
    assert_eq!(c.status().expect("status").backlog_limit, 321);
    let mut printer = Printer::new(host_machine());
    let listed: Vec<String> = c
        .list_rules()
        .expect("list")
        .iter()
        .map(|r| printer.rule(&RuleData::new_checked(r).expect("rule")))
        .collect();
    assert_eq!(
        listed[0],
        format!(
            "-a never,exit -S all -F pid={} -F key=raudit-self-exclusion",
            std::process::id()
        )
    );
    let clean = drift::check(c, &set);
    assert!(clean.is_clean(), "{clean}");
    // Applied again (a restart): nothing is touched, so no window opens.
    let again = apply(c, &set, Some(std::process::id())).expect("apply again");
    assert!(again.untouched(), "{again:?}");
    assert_eq!(again.kept, 3);

    // Behind raudit's back: a rule deleted, one added, the backlog changed.
    let listed_raw = c.list_rules().expect("list");
    c.delete_rule(&listed_raw[1]).expect("delete");
    let extra =
        RuleSet::from_config_list(&["-a always,exit -F arch=b64 -S kill".to_string()]).expect("ok");
    c.add_rule(extra.rules().next().expect("rule").1)
        .expect("add");
    c.set_status(&AuditStatus::set_backlog_limit(322))
        .expect("backlog");
    let report = drift::check(c, &set);
    assert!(!report.is_clean());
    let text = report.to_string();
    assert!(
        text.contains("rule missing: -a always,exit -F arch=b64 -S execve -k exec"),
        "{text}"
    );
    assert!(
        text.contains("rule added: -a always,exit -F arch=b64 -S kill"),
        "{text}"
    );
    assert!(
        text.contains("backlog_limit is 322, configured 321"),
        "{text}"
    );

    // Restored by difference: the missing rule added, the extra one deleted,
    // the backlog set; the rules still there untouched.
    let restored = drift::restore(c, &set).expect("restore");
    assert_eq!(
        (
            restored.added,
            restored.deleted,
            restored.kept,
            restored.settings
        ),
        (1, 1, 2, 1),
        "{restored:?}"
    );
    let again = drift::check(c, &set);
    assert!(again.is_clean(), "{again}");
}

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn apply_says_when_the_kernel_order_differs_from_the_set() {
    let guard = rules_common::live();
    let c = &guard.control;
    let rules = [
        "-a always,exit -F arch=b64 -S kill -k first".to_string(),
        "-a always,exit -F arch=b64 -S execve -k second".to_string(),
    ];
    let set = RuleSet::from_config_list(&rules).expect("compiles");
    guard.clear_rules();
    let fresh = apply(c, &set, None).expect("apply");
    assert!(!fresh.order_differs, "{fresh:?}");
    // Only the second is loaded: the first is appended after it.
    guard.clear_rules();
    c.add_rule(set.rules().nth(1).expect("second").1)
        .expect("add");
    let report = apply(c, &set, None).expect("apply");
    assert_eq!((report.added, report.kept), (1, 1));
    assert!(report.order_differs, "{report:?}");
}

/// Every corpus rules file compiles, the kernel takes it, and it compares
/// equal to the kernel's own listing of it: applied twice, the second
/// time touches nothing.
#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
#[cfg_attr(raudit_no_corpus, ignore = "../shared/corpus is absent")]
fn corpus_rule_files_round_trip_through_the_kernel() {
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/corpus/go-libaudit/rule/testdata");
    // Built to run: the corpus was there (or RAUDIT_REQUIRE_CORPUS=1 asks
    // for it); gone now is a failure, not a pass that checked nothing.
    let entries = std::fs::read_dir(&corpus).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (RAUDIT_REQUIRE_CORPUS=1, or the corpus vanished after the build)",
            corpus.display()
        )
    });
    let guard = rules_common::live();
    let c = &guard.control;
    let mut files: Vec<_> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "rules"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .rules file in {}", corpus.display());
    for file in &files {
        let set = RuleSet::from_file(file)
            .unwrap_or_else(|e| panic!("{}: does not compile: {e:?}", file.display()));
        guard.clear_rules();
        let me = Some(std::process::id());
        if let Err(e) = apply(c, &set, me) {
            panic!("{}: the kernel refuses some rules: {e}", file.display());
        }
        let again = apply(c, &set, me).expect("second apply");
        assert!(
            again.added == 0 && again.deleted == 0,
            "{}: {again:?}",
            file.display()
        );
        let report = drift::check(c, &set);
        assert!(report.is_clean(), "{}: {report}", file.display());
    }
    eprintln!("{} corpus rule files round-trip", files.len());
}
