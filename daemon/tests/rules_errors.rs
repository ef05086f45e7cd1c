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
        allowed: raudit::rules::guard::Allowed {
            lock: true,
            panic: true,
        },
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
        "-a always,exit -F auid=4294967295",
        "-a always,exit -F arch=b64 -S open -F exit=-2147483648",
    ])
    .expect("edges compile");
    assert_eq!(
        edges.status_settings().next().unwrap().1,
        StatusSetting::BacklogLimit(u32::MAX)
    );
}

#[test]
fn a_second_path_dir_or_inode_is_refused_as_the_kernel_refuses_it() {
    // Found by the `rules` fuzz target: `-w /a -F dir=/b` compiled, the
    // kernel refuses it (EINVAL), and auditctl's -l form of it
    // (`-w /a-w /b`) does not read back.
    for rule in [
        "-w /etc/passwd -F dir=/etc -p wa",
        "-a always,exit -F path=/a -F path=/b",
        "-a always,exit -F dir=/a -F inode=12",
        "-a always,exit -F inode=12 -F path=/a",
    ] {
        let errors = config(&[rule]).expect_err(rule);
        assert_eq!(errors.len(), 1, "{rule}");
        assert!(
            errors[0]
                .to_string()
                .ends_with("one path, dir or inode per rule (the kernel refuses a second)"),
            "{rule}: {}",
            errors[0]
        );
    }
    assert!(config(&["-a always,exit -F path=/a -F perm=x", "-w /etc/ -p wa"]).is_ok());
}

#[test]
fn path_and_dir_fields_are_what_the_kernel_takes() {
    // Found by the `rules` fuzz target: `-F path==bin/su` compiled (the
    // kernel refuses it) and its listing `-w =bin/su` does not read back.
    for (rule, expected) in [
        (
            "-a always,exit -F path==bin/su -F perm=x",
            "an absolute path (starting with /)",
        ),
        (
            "-a always,exit -F dir=relative",
            "an absolute path (starting with /)",
        ),
        ("-a always,exit -F path!=/etc/passwd", "= for path and dir"),
        (
            "-a always,exit -F path=/etc/",
            "a path not ending in / (use dir= for a directory)",
        ),
    ] {
        let errors = config(&[rule]).expect_err(rule);
        assert!(
            errors[0].to_string().ends_with(expected),
            "{rule}: {}",
            errors[0]
        );
    }
    assert!(config(&["-a always,exit -F dir=/etc/ -F perm=wa"]).is_ok());
}

#[test]
fn perm_by_p_is_for_the_exit_list_as_perm_by_f() {
    // Found by the `rules` fuzz target.
    let errors = config(&["-a always,io_uring -S openat -p rwa"]).expect_err("io_uring -p");
    assert!(errors[0]
        .to_string()
        .ends_with("-p only on the exit list (and with -w)"));
    assert!(config(&["-a always,exit -S openat -p r", "-w /etc/passwd -p wa"]).is_ok());
}

#[test]
fn an_empty_syscall_list_is_refused() {
    // Found by the `rules` fuzz target: `-S,` compiled to an empty mask.
    for (rule, expected) in [
        ("-a always,exit -S,", "syscall names or numbers after -S"),
        ("-a always,exit -S ,,", "syscall names or numbers after -S"),
        (
            "-a always,io_uring -S ,",
            "io_uring operation names or numbers after -S",
        ),
    ] {
        let errors = config(&[rule]).expect_err(rule);
        assert!(
            errors[0].to_string().ends_with(expected),
            "{rule}: {}",
            errors[0]
        );
    }
}

#[test]
fn an_empty_permission_set_is_refused() {
    // Found by the `rules` fuzz target: `-w /etc -p ''` compiled to a perm
    // field of 0 (a watch that never fires), listed as `-w /etc -p `,
    // which does not compile back.
    for rule in ["-w /etc -p ''", "-w /etc -p \"\""] {
        let errors = config(&[rule]).expect_err(rule);
        assert!(
            errors[0]
                .to_string()
                .ends_with("permissions from r, w, x, a"),
            "{rule}: {}",
            errors[0]
        );
    }
}

#[test]
fn a_second_perm_field_is_refused() {
    // Found by the `rules` fuzz target: `-w / -F perm=x` gave two perm
    // fields, listed as `-w / -p rwxa -p x`.
    for rule in ["-w /etc -F perm=x", "-a always,exit -F perm=r -F perm=w"] {
        let errors = config(&[rule]).expect_err(rule);
        assert!(
            errors[0]
                .to_string()
                .ends_with("one perm per rule (-p sets a watch's)"),
            "{rule}: {}",
            errors[0]
        );
    }
    assert!(config(&["-w /etc -p x", "-a always,exit -F perm=r"]).is_ok());
}

#[test]
fn a_key_compares_only_with_equals() {
    // Found by the `rules` fuzz target: `-F key<u` listed as `-F key=u`.
    for rule in [
        "-a always,exit -S openat -F key<u",
        "-a always,exit -S all -F key!=k",
    ] {
        let errors = config(&[rule]).expect_err(rule);
        assert!(
            errors[0].to_string().ends_with("= for key"),
            "{rule}: {}",
            errors[0]
        );
    }
}

#[test]
fn a_long_file_name_is_refused_with_or_without_a_trailing_slash() {
    // Found by the `rules` fuzz target: the 255-byte limit was checked
    // before trailing slashes were trimmed.
    let long = "n".repeat(256);
    for rule in [format!("-w /etc/{long}"), format!("-w /etc/{long}/")] {
        let errors = config(&[rule.as_str()]).expect_err(&rule);
        assert!(errors[0]
            .to_string()
            .ends_with("a file name of at most 255 bytes"));
    }
    // The same for -F path= and dir=, which list as -w (third libFuzzer run).
    for rule in [
        format!("-a always,exit -S all -F path=/bin/{long} -F perm=x"),
        format!("-a always,exit -F dir=/etc/{long}/"),
    ] {
        let errors = config(&[rule.as_str()]).expect_err(&rule);
        assert!(errors[0]
            .to_string()
            .ends_with("a file name of at most 255 bytes"));
    }
    assert!(config(&[format!("-w /etc/{}/", "n".repeat(255)).as_str()]).is_ok());
}

#[test]
fn an_empty_key_is_refused() {
    // Found by the `rules` fuzz target: `-F key=` added a key field that
    // the listing leaves out.
    for rule in [
        "-w /etc/sw -p rwa -k a -F key=",
        "-w /etc/sw -k ''",
        "-a always,exit -S all -F key=",
    ] {
        let errors = config(&[rule]).expect_err(rule);
        assert!(
            errors[0].to_string().ends_with("a key of 1 to 256 bytes"),
            "{rule}: {}",
            errors[0]
        );
    }
}

#[test]
fn a_watch_deletion_is_on_a_line_of_its_own_too() {
    // Found by the `rules` fuzz target: -W beside -a compiled onto -a's list.
    for rule in [
        "-a always,exclude -W /x",
        "-d always,exit -W /x",
        "-a always,exit -w /x",
    ] {
        let errors = config(&[rule]).expect_err(rule);
        assert!(
            errors[0]
                .to_string()
                .ends_with("a watch on a line of its own (not with -a/-d)"),
            "{rule}: {}",
            errors[0]
        );
    }
    assert!(config(&["-W /etc/passwd -p wa"]).is_ok());
}

#[test]
fn operators_and_fields_the_kernel_refuses_are_errors() {
    // kernel/auditfilter.c audit_field_valid(): & and &= only on a0-a3,
    // pers and devminor; only = and != on the LSM strings, filetype and
    // auid=unset (which the kernel turns into loginuid_set); a filetype
    // outside S_IFMT; on the filesystem list only fstype and key. Each of
    // these passed `rules check` and the kernel then refused the rule
    // (EINVAL), so the daemon did not start.
    for (rule, expected) in [
        ("-a always,exit -F uid&0", "= != < > <= >="),
        ("-a always,exit -F auid&=1", "= != < > <= >="),
        ("-a never,exit -F pid&1", "= != < > <= >="),
        (
            "-a always,exit -F arch=b64 -S openat -F exit&=2",
            "= != < > <= >=",
        ),
        ("-a never,exit -F saddr_fam&2", "= != < > <= >="),
        ("-a always,exit -F subj_user<staff_u", "= or !="),
        ("-a always,exit -F obj_type>etc_t", "= or !="),
        ("-a always,exit -F filetype<file", "= or !="),
        ("-a always,exit -F auid>=unset", "= or !="),
        ("-a always,exit -F filetype=5", "S_IFMT"),
        (
            "-a always,filesystem -F fstype=tracefs -F uid=0",
            "only fstype and key on the filesystem list",
        ),
    ] {
        let errors = config(&[rule]).expect_err(rule);
        assert_eq!(errors.len(), 1, "{rule}");
        assert!(
            errors[0].to_string().contains(expected),
            "{rule}: {}",
            errors[0]
        );
    }
    // What the kernel takes still compiles.
    config(&[
        "-a always,exit -F arch=b64 -S clone -F a0&0x7C020000",
        "-a always,exit -F arch=b64 -S open -F a1&=3",
        "-a always,exit -F pers&=1 -F devminor&1",
        "-a always,exit -F auid>=1000 -F auid!=unset -F uid<=999",
        "-a always,exit -F subj_type!=crond_t -F filetype=dir",
        "-a always,filesystem -F fstype=tracefs -k t",
    ])
    .expect("the kernel takes these");
}

#[test]
fn a_key_field_in_capitals_joins_the_other_keys() {
    // `-F KEY=` is the key field too (field names have no case), but it
    // bypassed the joining of keys: with -k it made a second key field,
    // which the kernel refuses (EINVAL), and it skipped the \x01 check.
    let set = config(&["-a always,exit -F arch=b64 -S kill -F KEY=a -k b"]).expect("compiles");
    let joined = config(&["-a always,exit -F arch=b64 -S kill -k a -k b"]).expect("compiles");
    assert_eq!(set.entries[0].command, joined.entries[0].command);
    let errors = config(&["-a always,exit -S kill -F Key=a\x01b"]).expect_err("separator");
    assert!(
        errors[0].to_string().ends_with("a key without \\x01"),
        "{}",
        errors[0]
    );
}

#[test]
fn syscall_numbers_in_the_class_bits_are_refused() {
    // The kernel reads the mask's top 16 bits as syscall classes and
    // expands them (`-S 2047` audits the dir-write class: mkdir, rename,
    // …), so the listed rule never equals the compiled one: every start
    // deleted and re-added it and drift reported it each interval.
    for rule in [
        "-a always,exit -F arch=b64 -S 2047",
        "-a always,exit -F arch=b64 -S openat,2032",
        "-a always,io_uring -S 2040",
    ] {
        let errors = config(&[rule]).expect_err(rule);
        assert!(
            errors[0].to_string().contains("below 2032"),
            "{rule}: {}",
            errors[0]
        );
    }
    config(&[
        "-a always,exit -F arch=b64 -S 2031",
        "-a always,exit -S all",
    ])
    .expect("compiles");
}

#[test]
fn an_unset_id_is_only_for_auid() {
    // The kernel turns auid=4294967295 into loginuid_set; for every other
    // uid and gid field it is no id (make_kuid gives INVALID_UID) and the
    // rule is refused with EINVAL, after `rules check` passed it.
    for rule in [
        "-a always,exit -F uid=4294967295",
        "-a always,exit -F euid=unset",
        "-a always,exit -F obj_uid!=-1",
        "-a always,exit -F fsgid=4294967295",
    ] {
        let errors = config(&[rule]).expect_err(rule);
        assert!(
            errors[0].to_string().contains("only auid takes unset"),
            "{rule}: {}",
            errors[0]
        );
    }
    config(&[
        "-a always,exit -F auid!=unset -F auid!=-1 -F auid!=4294967295",
        "-a always,exit -F uid=4294967294 -F gid=0",
    ])
    .expect("compiles");
}

#[test]
fn a_sign_inside_a_number_is_an_error() {
    // Rust's from_str_radix takes a leading `+`, so `0+5` (octal after the
    // 0) compiled to 5 where auditctl's strtoul reads 0, and `-b +5` was a
    // backlog that auditctl refuses; each is junk after a number.
    for rule in [
        "-a always,exit -F arch=b64 -S open -F a0=0+5",
        "-a always,exit -F arch=b64 -S open -F a1=0x+10",
        "-a always,exit -F pid=+7",
        "-b +5",
        "-a always,exit -F arch=b64 -S +2",
    ] {
        let errors = config(&[rule]).expect_err(rule);
        assert_eq!(errors.len(), 1, "{rule}");
    }
    config(&[
        "-a always,exit -F arch=b64 -S open -F a0=010 -F a1=0x10 -F pid=7",
        "-b 5",
    ])
    .expect("compiles");
}

#[test]
fn a_nul_byte_in_a_rule_is_refused() {
    // The kernel keeps a string field up to its first NUL (it lists keys,
    // paths and exe with strlen), so a key or path with one was listed as
    // another rule than the one compiled: deleted and added again at each
    // start and reported as drift at each check. A YAML "\0" puts one in.
    for rule in [
        "-w /etc/passwd -p wa -k a\0b",
        "-a always,exit -F arch=b64 -S open -F exe=/bin/a\0b",
        "-a always,exit -F path=/etc/a\0b -F perm=r",
    ] {
        let errors = config(&[rule]).expect_err(rule);
        assert!(
            errors[0].to_string().contains("NUL"),
            "{rule:?}: {}",
            errors[0]
        );
    }
}

#[test]
fn a_field_compare_by_number_is_one_the_kernel_knows() {
    // `-F field_compare=N` is the field -C writes. The kernel takes = and
    // != and numbers up to AUDIT_MAX_FIELD_COMPARE only, and the listing
    // left an unknown one out (`-a always,exit -S all` for the rule).
    for rule in [
        "-a always,exit -F field_compare=99",
        "-a always,exit -F field_compare<3",
        "-a always,exit -F field_compare=0",
    ] {
        let errors = config(&[rule]).expect_err(rule);
        assert_eq!(errors.len(), 1, "{rule}");
    }
    let by_number = config(&["-a always,exit -F field_compare!=5"]).expect("compiles");
    let by_c = config(&["-a always,exit -C auid!=obj_uid"]).expect("compiles");
    assert_eq!(by_number.entries[0].command, by_c.entries[0].command);
}

#[test]
fn a_backlog_wait_time_the_kernel_refuses_is_an_error() {
    // The kernel refuses more than 10 * 60 * HZ ticks (EINVAL), HZ at most
    // 1000: raudit.kernel.backlog_wait_time stops at 600000, the rules'
    // --backlog_wait_time did not, so the daemon failed at start.
    for rule in [
        "--backlog_wait_time 600001",
        "--backlog_wait_time=4294967295",
    ] {
        let errors = config(&[rule]).expect_err(rule);
        assert!(
            errors[0].to_string().contains("600000"),
            "{rule}: {}",
            errors[0]
        );
    }
    let set = config(&["--backlog_wait_time 600000"]).expect("compiles");
    assert_eq!(
        set.status_settings().next().unwrap().1,
        StatusSetting::BacklogWaitTime(600_000)
    );
}

/// `raudit rules check -` / `compile -` (and so `load -`) on standard input
/// that is not UTF-8 text (a Latin-1 byte in a comment or key): an error
/// naming standard input, never an empty rule set, which `load` would make
/// the kernel's (every rule deleted).
#[test]
fn standard_input_that_is_not_text_is_an_error_not_an_empty_set() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let latin1: &[u8] = b"-a always,exit -F arch=b64 -S execve -k caf\xe9\n-e 1\n";
    for action in ["check", "compile"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_raudit"))
            .args(["rules", action, "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(latin1).unwrap();
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{action}: {stderr}");
        assert!(out.stdout.is_empty(), "{action}: {:?}", out.stdout);
        assert!(
            stderr.contains("<stdin>") && stderr.contains("UTF-8"),
            "{action}: {stderr}"
        );
    }
}

/// On a machine raudit has no syscall table for (riscv64, loongarch64, …),
/// a syscall rule that names no machine is an error saying what to write,
/// never compiled for another machine (its rule would match no process:
/// nothing audited, silently). Named machines, watches and rules without
/// syscalls compile as anywhere.
#[test]
fn syscall_rules_on_a_machine_without_a_table_must_name_one() {
    let options = CompileOptions {
        machine: None,
        ..CompileOptions::host()
    };
    let compile = |line: &str| RuleSet::from_config_list_with(&[line.to_string()], &options);
    for line in [
        "-a always,exit -S execve",
        "-a always,exit -F arch=b64 -S execve",
        "-a always,exit -F arch=b32 -S execve",
    ] {
        let errors = compile(line).expect_err(line);
        assert!(
            errors[0]
                .to_string()
                .contains("no syscall table for this machine"),
            "{line}: {}",
            errors[0]
        );
    }
    for line in [
        "-a always,exit -F arch=x86_64 -S execve -k k",
        "-a always,exit -F arch=aarch64 -S openat",
        "-w /etc/passwd -p wa -k k",
        "-a always,exclude -F msgtype=CWD",
        "-e 1",
    ] {
        assert!(compile(line).is_ok(), "{line}: {:?}", compile(line).err());
    }
}
