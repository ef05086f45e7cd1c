//! Live kernel tests for `raudit::netlink::Control` (root; skipped otherwise).

mod rules_common;

use raudit::netlink::AuditStatus;

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn status_reads_and_backlog_limit_round_trips() {
    let guard = rules_common::live();
    let c = &guard.control;
    let before = c.status().expect("AUDIT_GET");
    assert!(before.backlog_limit > 0);
    let wanted = if before.backlog_limit == 4321 {
        4322
    } else {
        4321
    };
    c.set_status(&AuditStatus::set_backlog_limit(wanted))
        .expect("set backlog");
    assert_eq!(c.status().expect("AUDIT_GET").backlog_limit, wanted);
    let wait = before.backlog_wait_time.unwrap_or(0) + 1;
    c.set_status(&AuditStatus::set_backlog_wait_time(wait))
        .expect("set wait");
    assert_eq!(c.status().expect("AUDIT_GET").backlog_wait_time, Some(wait));
}

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn list_rules_answers_and_bad_rule_is_refused_with_errno() {
    let guard = rules_common::live();
    let c = &guard.control;
    c.list_rules().expect("AUDIT_LIST_RULES");
    // An empty payload is not an audit_rule_data: the kernel says EINVAL.
    let err = c.add_rule(&[0u8; 8]).expect_err("refused");
    assert_eq!(err.errno(), Some(libc_einval()));
}

fn libc_einval() -> i32 {
    22
}
