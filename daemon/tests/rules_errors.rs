//! Rule errors: every error names the rule, the word and what was expected,
//! all errors of a set are reported, and a set with errors yields nothing.

use raudit::rules::{Command, CompileOptions, RuleSet, StatusSetting};

fn config(rules: &[&str]) -> Result<RuleSet, Vec<raudit::rules::RuleError>> {
    let rules: Vec<String> = rules.iter().map(|s| s.to_string()).collect();
    RuleSet::from_config_list(&rules)
}

#[test]
fn every_error_is_reported_with_origin_token_and_expectation() {
    let errors = config(&[
        "-a exit,always -S execve",
        "-a exit,sometimes",
        "-a always,exit -F arch=b64 -S no_such_call",
        "-a always,exit -F nosuchfield=1",
        "-w relative/path",
        "-e 2",
        "-f 2",
        "-a always,exit -F uid=no-such-user-raudit",
    ])
    .expect_err("errors");
    let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(errors.len(), 7, "{text:#?}");
    assert!(
        text[0].starts_with("rules[1]:4: `exit,sometimes`: "),
        "{}",
        text[0]
    );
    assert!(text[1].contains("`no_such_call` is not one"), "{}", text[1]);
    assert!(text[2].contains("nosuchfield"), "{}", text[2]);
    assert!(text[3].contains("absolute path"), "{}", text[3]);
    assert!(text[4].contains("locks the rules"), "{}", text[4]);
    assert!(text[5].contains("panics the kernel"), "{}", text[5]);
    assert!(text[6].contains("known user"), "{}", text[6]);
}

#[test]
fn files_name_their_lines_and_status_settings_compile() {
    let text = "# comment\n\n-D\n-b 8192\n--backlog_wait_time 60000\n-r 0\n-e 1\n-f 1\n--reset-lost\n-a always,exit -S bogus\n";
    let errors =
        RuleSet::from_text(text, "t.rules", &CompileOptions::host()).expect_err("one error");
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].to_string().starts_with("t.rules:10:"),
        "{}",
        errors[0]
    );
    let ok = RuleSet::from_text(
        &text.replace("bogus", "all"),
        "t.rules",
        &CompileOptions::host(),
    )
    .expect("ok");
    let settings: Vec<StatusSetting> = ok.status_settings().map(|(_, s)| s).collect();
    assert_eq!(
        settings,
        [
            StatusSetting::BacklogLimit(8192),
            StatusSetting::BacklogWaitTime(60000),
            StatusSetting::RateLimit(0),
            StatusSetting::Enabled(1),
            StatusSetting::Failure(1),
            StatusSetting::ResetLost,
        ]
    );
    assert_eq!(ok.entries[0].command, Command::DeleteAll);
    assert_eq!(ok.rules().count(), 1);
}

#[test]
fn lock_and_panic_are_allowed_only_when_asked() {
    let options = CompileOptions {
        allow_immutable: true,
        allow_panic: true,
        ..CompileOptions::host()
    };
    let set = RuleSet::from_text("-e 2\n-f 2\n", "x", &options).expect("allowed");
    assert_eq!(set.entries.len(), 2);
}

#[test]
fn numbers_out_of_range_are_errors_naming_the_token() {
    let out_of_range = [
        ("-b 4294967297", "4294967297"),
        ("-r 18446744073709551616", "18446744073709551616"),
        ("--backlog_wait_time 0x100000000", "0x100000000"),
        ("-a always,exit -F uid=4294967296", "uid=4294967296"),
        (
            "-a always,exit -F arch=b64 -S open -F a0=99999999999999999999",
            "a0=99999999999999999999",
        ),
        (
            "-a always,exit -F arch=b64 -S open -F exit=-2147483649",
            "exit=-2147483649",
        ),
        (
            "-a always,exit -F pid=99999999999999999999",
            "pid=99999999999999999999",
        ),
        ("-a always,exit -F inode=4294967296", "inode=4294967296"),
        (
            "-a always,exit -F sessionid=4294967296",
            "sessionid=4294967296",
        ),
        ("-a always,exit -F ppid=4294967296", "ppid=4294967296"),
    ];
    for (rule, token) in out_of_range {
        let errors = config(&[rule]).expect_err(rule);
        assert_eq!(errors.len(), 1, "{rule}");
        let text = errors[0].to_string();
        assert!(text.contains(&format!("`{token}`")), "{rule}: {text}");
        assert!(text.contains("out of range"), "{rule}: {text}");
    }
    // The edges are values.
    let edges = config(&[
        "-b 4294967295",
        "-a always,exit -F uid=4294967295",
        "-a always,exit -F arch=b64 -S open -F exit=-2147483648",
    ])
    .expect("edges compile");
    assert_eq!(
        edges.status_settings().next().unwrap().1,
        StatusSetting::BacklogLimit(u32::MAX)
    );
}
