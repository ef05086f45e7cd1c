//! `raudit.redact` and `raudit.fields` end to end: `raudit replay --config`
//! of an `execve` whose arguments and proctitle hold `--password=hunter2`
//! (in a short argument, a hex-encoded one and a long one the kernel split
//! over records, the secret across two pieces) writes the secret in no
//! shape, neither as text nor as hex, says `"redacted"`, and leaves out
//! the fields `raudit.fields` names.

mod daemon_common;

#[path = "../../core/tests/support/execve.rs"]
mod execve;

use std::process::Command;

use execve::execve_bodies;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// The auditd log of one execve of `args`.
fn log(args: &[Vec<u8>]) -> String {
    let stamp = "audit(1700000000.250:42): ";
    let mut log = format!(
        "type=SYSCALL msg={stamp}arch=c000003e syscall=59 success=yes exit=0 a0=55 a1=56 \
         a2=57 a3=0 items=1 ppid=1 pid=77 uid=0 comm=\"mysql\" exe=\"/usr/bin/mysql\" key=\"exec\"\n"
    );
    for body in execve_bodies(args) {
        log.push_str(&format!("type=EXECVE msg={stamp}{body}\n"));
    }
    log.push_str(&format!("type=CWD msg={stamp}cwd=\"/tmp\"\n"));
    let title: Vec<u8> = args.join(&0u8)[..128].to_vec();
    log.push_str(&format!(
        "type=PROCTITLE msg={stamp}proctitle={}\n",
        hex(&title)
    ));
    log.push_str(&format!("type=EOE msg={stamp}\n"));
    log
}

#[test]
fn a_password_is_in_no_shape_and_chosen_fields_are_gone() {
    let dir = daemon_common::scratch("redact-replay");
    let long = {
        // Hex pieces of 3700 bytes: "--password=hu" ends the second.
        let mut a = vec![b'x'; 7400 - 13];
        a.extend_from_slice(b"--password=hunter2 and more");
        a
    };
    let args: Vec<Vec<u8>> = vec![
        b"mysql".to_vec(),
        b"--password=hunter2".to_vec(),
        b"-e select 1 --password=hunter2".to_vec(),
        long,
    ];
    let input = dir.join("audit.log");
    std::fs::write(&input, log(&args)).unwrap();
    // The long argument really is split over records, the secret across
    // its pieces.
    let text = std::fs::read_to_string(&input).unwrap();
    assert!(
        text.contains(&format!("a3[2]={}", hex(b"nter2 and more"))),
        "{}",
        &text[..200]
    );
    for format in ["go-audit", "structured", "ecs"] {
        let config = dir.join(format!("{format}.yaml"));
        std::fs::write(
            &config,
            format!(
                "output:\n  stdout:\n    enabled: true\nraudit:\n  format: {format}\n  redact:\n    \
                 - pattern: '(--password=)\\S+'\n      replace: '${{1}}<redacted>'\n  fields:\n    \
                 SYSCALL: {{drop: [a0, a1, a2, a3]}}\n"
            ),
        )
        .unwrap();
        let out = Command::new(daemon_common::raudit_binary())
            .args(["replay", "--no-user-names", "--config"])
            .arg(&config)
            .arg(&input)
            .output()
            .unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{format}: {stderr}");
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines.len(), 1, "{format}: {stdout}");
        let line = lines[0];
        let event: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(!line.contains("hunter2"), "{format}: {line}");
        assert!(!line.contains(&hex(b"hunter2")), "{format}: {line}");
        assert!(
            line.contains("<redacted>") || line.contains(&hex(b"<redacted>")),
            "{format}"
        );
        // a1, a2, a3 and the proctitle's two (the long argument's secret
        // is past its 128 bytes).
        assert_eq!(event["redacted"], 5, "{format}: {line}");
        assert!(!line.contains("a0=55"), "{format}: {line}");
        assert!(!line.contains("\"a0\":"), "{format}: {line}");
    }
}
