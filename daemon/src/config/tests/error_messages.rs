//! Error and warning messages: unknown keys and their closest key, wrong
//! types, bad values, invalid YAML or UTF-8, each on one line with its place.

use super::*;
use crate::scratch_dir::ScratchDir;

#[test]
fn unknown_keys_name_their_path() {
    let text = "output:\n  file:\n    enabled: true\n    pathh: /x\nrules: ['-e 1']\n";
    let e = errors(text);
    assert_eq!(e[1], "test.yaml:4: output.file.pathh: unknown key; did you mean `path`? expected one of path, mode, user, group, enabled, attempts, max_bytes, keep");
    assert_eq!(
        e[0],
        "test.yaml:3: output.file.path: required when output.file is enabled"
    );
    let text = format!("{MINIMAL}raudit:\n  queue:\n    sise: 4\n");
    assert!(errors(&text)[0].starts_with(
        "test.yaml:8: raudit.queue.sise: unknown key; did you mean `size`? expected one of size, buffer_size, policy, wait"
    ));
    // Nothing close: no guess.
    let text = format!("{MINIMAL}raudit:\n  queue:\n    colour: 4\n");
    assert_eq!(
        errors(&text)[0],
        "test.yaml:8: raudit.queue.colour: unknown key; expected one of size, buffer_size, policy, wait"
    );
}

#[test]
fn a_typo_inside_a_section_names_the_closest_key() {
    let text = "output:\n  stdout:\n    enabeld: true\nrules: ['-e 1']\n";
    assert!(errors(text).contains(
        &"test.yaml:3: output.stdout.enabeld: unknown key; did you mean `enabled`? expected one of enabled, attempts".to_string()
    ));
    let text = format!("{MINIMAL}message_tracking:\n  max_out_of_ordr: 4\n");
    assert!(errors(&text)[0].contains("did you mean `max_out_of_order`?"));
}

#[test]
fn unknown_top_level_keys_are_warnings_as_go_audit_ignores_them() {
    // go-audit's own example carries `canary: true`.
    let text = format!("canary: true\n{MINIMAL}outptu: 1\n");
    let c = parse(&text).unwrap();
    assert_eq!(
        c.warnings,
        [
            "test.yaml:1: canary: warning: unknown key; expected one of socket_buffer, events, message_tracking, output, log, rules, filters, extras, raudit; ignored, as go-audit does",
            "test.yaml:7: outptu: warning: unknown key; did you mean `output`? expected one of socket_buffer, events, message_tracking, output, log, rules, filters, extras, raudit; ignored, as go-audit does",
        ]
    );
    assert!(parse(MINIMAL).unwrap().warnings.is_empty());
    // With errors, the warnings are listed among them, by line.
    let e = errors(&format!("canary: true\n{MINIMAL}events: {{min: x}}\n"));
    assert!(
        e[0].starts_with("test.yaml:1: canary: warning: unknown key"),
        "{e:?}"
    );
    assert!(e[1].starts_with("test.yaml:7: events.min: "), "{e:?}");
}

#[test]
fn a_byte_order_mark_is_skipped() {
    let text = format!("\u{feff}{MINIMAL}");
    let c = parse(&text).unwrap();
    assert!(c.output.stdout.is_some());
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

#[test]
fn closest_key_needs_a_near_miss() {
    use super::values::closest;
    let keys = ["enabled", "attempts", "path", "mode"];
    assert_eq!(closest("enabeld", &keys), Some("enabled"));
    assert_eq!(closest("ENABLE", &keys), Some("enabled"));
    assert_eq!(closest("atempts", &keys), Some("attempts"));
    assert_eq!(closest("pth", &keys), Some("path"));
    assert_eq!(closest("x", &keys), None);
    assert_eq!(closest("", &keys), None);
    assert_eq!(closest("canary", &keys), None);
}

/// A long unknown key (YAML's explicit `? key` has no length limit) is
/// reported at once: the typo hint compares only keys of about its length,
/// not a table of len(key) x len(candidate) cells for each of the ~250
/// record type names (100 KB: 25 s and growing with the square).
#[test]
fn a_long_unknown_key_is_reported_without_comparing_it_letter_by_letter() {
    let key = "A".repeat(100_000);
    let text =
        format!("{MINIMAL}raudit:\n  fields:\n    ? {key}\n    : {{drop: [a0]}}\n? {key}\n: 1\n");
    let started = std::time::Instant::now();
    let result = parse(&text);
    let took = started.elapsed();
    let e = match result {
        Ok(c) => panic!("expected errors, got {c:?}"),
        Err(e) => e.to_string(),
    };
    assert!(e.contains("unknown record type"), "{}", &e[..200]);
    assert!(
        took < std::time::Duration::from_secs(1),
        "took {took:?} to report a long key"
    );
}

#[test]
fn wrong_types_name_key_found_and_expected() {
    let e = errors(&format!(
        "{MINIMAL}events:\n  min: abc\nmessage_tracking:\n  enabled: yes\n"
    ));
    assert_eq!(
        e[0],
        "test.yaml:7: events.min: expected a record type from 0 to 65535, found \"abc\""
    );
    assert_eq!(
        e[1],
        "test.yaml:9: message_tracking.enabled: expected true or false, found \"yes\""
    );
    let e = errors(&format!("{MINIMAL}log: [1]\n"));
    assert_eq!(e[0], "test.yaml:6: log: expected a mapping, found a list");
    let e = errors("output:\n  stdout: {enabled: true, attempts: 0}\nrules: ['-e 1']\n");
    assert_eq!(
        e[0],
        "test.yaml:2: output.stdout.attempts: expected at least 1 attempt, found 0"
    );
    let e = errors(
        "output:\n  syslog: {enabled: true, network: http, priority: 192}\nrules: ['-e 1']\n",
    );
    assert!(e[0].contains("output.syslog.network: expected one of unixgram, unix, udp, udp4, udp6, tcp, tcp4, tcp6, found \"http\""), "{e:?}");
    assert!(
        e[1].contains("output.syslog.priority: expected a priority from 0 to 191"),
        "{e:?}"
    );
}

#[test]
fn bad_octal_mode() {
    let e = errors(
        "output:\n  file:\n    enabled: true\n    path: /x\n    mode: 0800\nrules: ['-e 1']\n",
    );
    assert_eq!(e, ["test.yaml:5: output.file.mode: expected a file mode from 01 to 07777 (octal, as 0600), found \"0800\" (a leading 0 means octal, as in go-audit)"]);
    let e = errors("output:\n  file: {enabled: true, path: /x, mode: 010000}\nrules: ['-e 1']\n");
    assert!(
        e[0].contains("output.file.mode: expected a file mode"),
        "{e:?}"
    );
    let e = errors("output:\n  file: {enabled: true, path: /x, mode: 0}\nrules: ['-e 1']\n");
    assert!(
        e[0].contains("output.file.mode: expected a file mode"),
        "{e:?}"
    );
}

#[test]
fn bad_regex_names_its_index() {
    let text = format!(
        "{MINIMAL}filters:\n  - {{message_type: 1306, regex: ok}}\n  - {{syscall: 49, message_type: 1306, regex: 'saddr=(10'}}\n  - {{syscall: x, regex: a}}\n"
    );
    let e = errors(&text);
    assert_eq!(
        e[0],
        "test.yaml:8: filters[1].regex: invalid regex \"saddr=(10\": unclosed group"
    );
    assert_eq!(
        e[1],
        "test.yaml:9: filters[2].syscall: expected a syscall number, found \"x\""
    );
    assert_eq!(e[2], "test.yaml:9: filters[2]: missing message_type");
    let c = parse(&format!(
        "{MINIMAL}filters:\n  - {{message_type: '1306', regex: ok}}\n"
    ))
    .unwrap();
    assert_eq!(
        (c.filters[0].syscall, c.filters[0].message_type),
        (None, 1306)
    );
}

#[test]
fn min_greater_than_max() {
    let e = errors(&format!("{MINIMAL}events:\n  min: 1400\n  max: 1300\n"));
    assert_eq!(e, ["test.yaml:7: events: min (1400) is greater than max (1300): no event would be captured"]);
}

#[test]
fn every_error_is_reported() {
    let text = "output:\n  file: {enabled: true, user: nobody_here, group: nogroup_here}\n  gelf: {enabled: true}\nevents: {min: x}\nrules: []\nraudit: {rules: {files: [relative.rules]}}\n";
    let e = errors(text);
    assert_eq!(e.len(), 6, "{e:?}");
    assert!(e
        .iter()
        .any(|l| l.contains("output.file.user: no user named \"nobody_here\"")));
    assert!(e
        .iter()
        .any(|l| l.contains("output.file.group: no group named \"nogroup_here\"")));
    assert!(e.iter().any(|l| l.contains("output.file.path: required")));
    assert!(e
        .iter()
        .any(|l| l.contains("output.gelf.address: required")));
    assert!(e.iter().any(|l| l.contains("events.min: expected")));
    assert!(e
        .iter()
        .any(|l| l.contains("raudit.rules.files[0]: expected an absolute path")));
}

#[test]
fn invalid_yaml_has_a_line() {
    let e = errors("output:\n  stdout: {enabled: true\nrules: x\n");
    assert_eq!(e.len(), 1);
    assert!(e[0].starts_with("test.yaml:"), "{e:?}");
    assert!(e[0].contains("invalid YAML"), "{e:?}");
}

#[test]
fn load_reports_a_missing_file() {
    let e = Config::load(Path::new("/nonexistent/raudit.yaml")).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("/nonexistent/raudit.yaml: cannot read:"),
        "{e}"
    );
}

#[test]
fn every_error_is_one_line_even_with_a_newline_in_a_key() {
    // Found by the `config` fuzz target: a quoted key with a newline made
    // its error two lines.
    let text = "output:\n  gelf:\n    \"ena\\nbled\": true\nrules: ['-e 1']\n";
    let e = errors(text);
    assert!(
        e.iter()
            .any(|l| l.starts_with("test.yaml:3: output.gelf.ena\\nbled: unknown key;")),
        "{e:?}"
    );
    let shown = parse(text).unwrap_err().to_string();
    assert_eq!(
        shown.lines().count(),
        parse(text).unwrap_err().errors.len(),
        "{shown}"
    );
}

/// A file that is not UTF-8 (a Latin-1 comment) is refused naming the line
/// and column of the first byte that is not, by every reader of the file
/// (the daemon's start and check-config, SIGHUP, replay).
#[test]
fn a_file_that_is_not_utf8_names_the_line_and_column() {
    let dir = ScratchDir::new("latin1");
    let path = dir.join("raudit.yaml");
    std::fs::write(
        &path,
        b"output:\n  stdout:\n    enabled: true # caf\xe9\nrules: ['-e 1']\n",
    )
    .unwrap();
    let shown = path.display().to_string();
    let e = Config::load(&path).unwrap_err().to_string();
    let (config, partial) = Config::load_partial(&path);
    assert!(
        e.starts_with(&format!(
            "{shown}:3: not UTF-8 text: byte 0xe9 at column 24"
        )),
        "{e}"
    );
    assert!(config.is_none());
    assert_eq!(partial.unwrap().to_string(), e);
}
