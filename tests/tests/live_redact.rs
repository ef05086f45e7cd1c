//! Live: with `raudit.redact` a real `execve` whose arguments hold
//! `--password=…` reaches the output without the secret, in every shape;
//! with the ECS shape the event's process carries an entity id and its
//! parent (this test) its executable. Holds `/run/raudit-live.lock` and
//! the guard that puts the kernel's rules and status back.

mod daemon_common;
#[path = "../../daemon/tests/rules_common/mod.rs"]
mod rules_common;

use std::path::Path;

use daemon_common::{events_with, probe_program, scratch, wait_for, write_config, Daemon};

const EXECVE: &str = "-a always,exit -F arch=b64 -S execve";

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[test]
#[cfg_attr(raudit_no_live, ignore = "needs CAP_AUDIT_CONTROL (root)")]
fn a_live_password_is_redacted_in_every_shape() {
    let _guard = rules_common::live();
    for format in ["go-audit", "structured", "ecs"] {
        let dir = scratch(&format!("redact-{format}"));
        let log = dir.join("audit.log");
        let program = probe_program(&dir, "redact");
        let marker = format!("redact-{format}-7c1d");
        let config = write_config(
            &dir,
            &format!(
                "output:\n  file:\n    enabled: true\n    path: {}\nrules:\n  - {EXECVE}\n  - -e 1\n\
                 raudit:\n  format: {format}\n  redact:\n    - pattern: '(--password=)\\S+'\n      \
                 replace: '${{1}}<redacted>'\n",
                log.display()
            ),
        );
        let mut daemon = Daemon::start(&["--config", config.to_str().unwrap()]);
        daemon.wait_started();
        let status = std::process::Command::new(&program)
            .arg(format!("--marker={marker}"))
            .arg("--password=hunter2")
            .arg("a b --password=hunter2")
            .status()
            .unwrap();
        assert!(status.success());
        wait_for("the probe's event", || {
            !events_with(&read(&log), &marker).is_empty()
        });
        assert!(daemon.stop().success());
        let text = read(&log);
        assert!(
            !text.contains("hunter2"),
            "{format}: the secret was written"
        );
        assert!(
            !text.contains("68756E74657232"),
            "{format}: the secret's hex was written"
        );
        let events = events_with(&text, &marker);
        assert_eq!(events.len(), 1, "{format}");
        let event = &events[0];
        // Two arguments, and the proctitle's one or two: the kernel keeps
        // its first 128 bytes, where the second may or may not fit.
        let redacted = event["redacted"].as_u64().unwrap_or(0);
        assert!((3..=4).contains(&redacted), "{format}: {event}");
        if format == "ecs" {
            let process = &event["process"];
            assert_eq!(process["args"][2], "--password=<redacted>", "{event}");
            // The probe is gone by now or not: an entity id only if found.
            let parent = &process["parent"];
            assert_eq!(parent["pid"], std::process::id(), "{event}");
            assert_eq!(
                parent["entity_id"].as_str().map(str::len),
                Some(64),
                "{event}"
            );
            let exe = std::env::current_exe().unwrap();
            assert_eq!(parent["executable"], exe.to_str().unwrap(), "{event}");
        }
        assert!(
            daemon.stderr().contains("redactions="),
            "{format}: stats name redactions"
        );
    }
}
