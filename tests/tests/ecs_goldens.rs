//! The ECS shape against go-libaudit's aucoalesce goldens
//! (`../shared/corpus/go-libaudit/aucoalesce/testdata/*.json.golden`, the
//! same events as the `.yaml` inputs; skipped visibly where absent),
//! field by field under Auditbeat's names (`sequence` → `auditd.sequence`,
//! `user.ids.euid` → `user.effective.id`, `user.ids.old-auid` →
//! `user.old-auid.id`, `process.exe` → `process.executable`,
//! `data.socket_port` → `auditd.data.socket.port`, …; [`ours`] is the
//! whole mapping).
//!
//! Every golden field is looked up in raudit's document and counted as
//! equal, different or missing; the report is printed, and every field
//! must be equal in every event that has it. The only exceptions are
//! listed with their reasons: the golden fields Auditbeat does not put
//! in its document ([`NOT_IN_AUDITBEAT`], counted on a line of their
//! own, not compared) and the reference's own artefacts ([`ARTEFACTS`],
//! each held to still differ). `RAUDIT_ECS_GOLDENS_ALL=1` prints every
//! example of a difference, not only the first.

mod common;

use std::collections::BTreeMap;
use std::fs;

use common::coalesce::cases;
use common::{all_types, corpus};
use raudit::pipeline::Format as EventFormat;
use raudit::replay::{Capacities, Format, Replayer};
use raudit_core::encode::NoEnrich;
use serde_json::Value;

/// Single golden values that are the reference's own artefacts, with why.
const ARTEFACTS: &[(&str, &str, &str)] = &[
    (
        "AUDIT_TIME_ADJNTPVAL chronyd freq",
        "tags",
        "the input lost its ENRICHED separator (`key=(null)ARCH=x86_64`); \
         go-libaudit makes a tag of the ARCH value, raudit reads the key as written",
    ),
    (
        "AUDIT_TIME_ADJNTPVAL chronyd status",
        "tags",
        "same input damage as `chronyd freq`",
    ),
    (
        "AUDIT_TIME_ADJNTPVAL freq/tick",
        "tags",
        "same input damage as `chronyd freq`",
    ),
];

/// Golden fields that are not in Auditbeat's document when the golden
/// event has what the reason names, with why; neither compared nor
/// counted as values.
const NOT_IN_AUDITBEAT: &[(&str, &str, &str)] = &[
    (
        "category",
        "ecs.event.category",
        // auditbeat/module/auditd/audit_linux.go, buildMetricbeatEvent:
        // `"event": {"category": auditEvent.Category.String(), …}`, then
        // normalizeEventFields: `if len(event.ECS.Event.Category) > 0 {
        // m.Put("event.category", event.ECS.Event.Category) }`.
        "aucoalesce's own category is Auditbeat's `event.category` only until \
         `normalizeEventFields` overwrites it with the ECS categories, which \
         the event has",
    ),
    // audit_linux.go, buildMetricbeatEvent: `addUser` writes `user.id`
    // from the uid, then `setECSEntity("user", auditEvent.ECS.User…)`
    // puts the ECS user's id there, or deletes it when unset.
    ("user.ids.uid", "ecs.user.id", UID_OVERWRITTEN),
    ("user.ids.uid", "ecs.user.name", UID_OVERWRITTEN),
    // The same for `user.effective.id` (`setECSEntity("user.effective", …)`).
    ("user.ids.euid", "ecs.user.effective.id", EUID_OVERWRITTEN),
    ("user.ids.euid", "ecs.user.effective.name", EUID_OVERWRITTEN),
];

const UID_OVERWRITTEN: &str = "the ECS user (`ecs.user`) is Auditbeat's `user.id`, not the uid";
const EUID_OVERWRITTEN: &str =
    "the ECS effective user is Auditbeat's `user.effective.id`, not the euid";

/// Marks absent the golden's effective user and group when Auditbeat
/// leaves them out (audit_linux.go, `removeRedundantEntity`: no
/// `user.effective` when its id or name is the user's): `Null`, which
/// compares equal to nothing written. The user and effective user are
/// the ECS ones when the golden maps them, else the uid and euid.
fn redundant_effective(expected: &mut BTreeMap<String, Value>) {
    let text = |e: &BTreeMap<String, Value>, k: &str| {
        e.get(k)
            .and_then(Value::as_str)
            .filter(|v| *v != "unset")
            .map(str::to_owned)
    };
    let mapped = |e: &BTreeMap<String, Value>, prefix: &str| {
        e.contains_key(&format!("{prefix}.id")) || e.contains_key(&format!("{prefix}.name"))
    };
    let (user_id, user_name) = if mapped(expected, "ecs.user") {
        (
            text(expected, "ecs.user.id"),
            text(expected, "ecs.user.name"),
        )
    } else {
        (text(expected, "user.ids.uid"), None)
    };
    let (effective_id, effective_name) = if mapped(expected, "ecs.user.effective") {
        (
            text(expected, "ecs.user.effective.id"),
            text(expected, "ecs.user.effective.name"),
        )
    } else {
        (text(expected, "user.ids.euid"), None)
    };
    let same = |a: &Option<String>, b: &Option<String>| a.is_some() && a == b;
    if same(&user_id, &effective_id) || same(&user_name, &effective_name) {
        for (field, want) in expected.iter_mut() {
            let effective = ["user.ids.euid", "user.ids.egid"].contains(&field.as_str())
                || field.starts_with("ecs.user.effective.");
            if effective {
                *want = Value::Null;
            }
        }
    }
}

/// Where a golden (aucoalesce) field is in raudit's ECS document.
fn ours(golden: &str) -> String {
    let fixed = [
        ("sequence", "auditd.sequence"),
        ("record_type", "auditd.message_type"),
        ("result", "auditd.result"),
        ("session", "auditd.session"),
        // Auditbeat writes the summary's action as `event.action` only.
        ("summary.action", "event.action"),
        ("process.ppid", "process.parent.pid"),
        ("process.exe", "process.executable"),
        ("process.cwd", "process.working_directory"),
        ("user.ids.uid", "user.id"),
        ("user.ids.gid", "user.group.id"),
        ("user.ids.euid", "user.effective.id"),
        ("user.ids.egid", "user.effective.group.id"),
        ("user.ids.suid", "user.saved.id"),
        ("user.ids.sgid", "user.saved.group.id"),
        ("user.ids.fsuid", "user.filesystem.id"),
        ("user.ids.fsgid", "user.filesystem.group.id"),
        ("user.ids.auid", "user.audit.id"),
        ("ecs.event.category", "event.category"),
        ("ecs.event.type", "event.type"),
        ("ecs.event.kind", "event.kind"),
    ];
    if let Some(&(_, to)) = fixed.iter().find(|(from, _)| *from == golden) {
        return to.to_owned();
    }
    // Any other id: Auditbeat's `user.KEY.id` (`user.old-auid.id`).
    if let Some(key) = golden.strip_prefix("user.ids.") {
        return format!("user.{key}.id");
    }
    for (prefix, to) in [
        ("ecs.user.", "user."),
        ("ecs.group.", "group."),
        ("summary.", "auditd.summary."),
        // Auditbeat's createAuditdData nests aucoalesce's socket_* keys.
        ("data.socket_", "auditd.data.socket."),
        ("data.", "auditd.data."),
        ("user.selinux.", "user.selinux."),
    ] {
        if let Some(rest) = golden.strip_prefix(prefix) {
            return format!("{to}{rest}");
        }
    }
    if golden == "category" {
        return "event.category".to_owned();
    }
    if golden == "paths" {
        return "auditd.paths".to_owned();
    }
    golden.to_owned()
}

/// Leaves of `v` by dotted path (arrays are leaves).
fn leaves(v: &Value, path: &str, out: &mut BTreeMap<String, Value>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                leaves(v, &p, out);
            }
        }
        other => {
            out.insert(path.to_owned(), other.clone());
        }
    }
}

/// The value at a dotted path, whose keys may themselves hold dots
/// (`@timestamp` has none; no golden key does).
fn at<'v>(v: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.').try_fold(v, |v, k| v.get(k))
}

/// Same value: strings and numbers compare by their text (the goldens
/// write every number as a string; Auditbeat writes pids as numbers).
fn same(a: &Value, b: &Value) -> bool {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        _ => text(a) == text(b),
    }
}

fn ecs_documents(text: &str) -> Vec<Value> {
    let capacities = Capacities {
        format: EventFormat::Ecs,
        ..Capacities::default()
    };
    let mut replayer = Replayer::new(all_types(), capacities, NoEnrich);
    let mut out = Vec::new();
    let mut input = text.as_bytes();
    replayer
        .run_input(&mut input, Format::Log, &mut out, &mut |_| {})
        .expect("replay into memory");
    replayer.finish(&mut out).expect("replay into memory");
    String::from_utf8(out)
        .expect("UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("invalid JSON ({e}): {l}")))
        .collect()
}

#[derive(Default)]
struct Tally {
    equal: u32,
    different: u32,
    missing: u32,
    examples: Vec<String>,
}

#[test]
#[cfg_attr(raudit_no_corpus, ignore = "../shared/corpus is absent")]
fn ecs_matches_the_aucoalesce_goldens_field_by_field() {
    let corpus = corpus();
    let dir = corpus.join("go-libaudit/aucoalesce/testdata");
    let mut tally: BTreeMap<String, Tally> = BTreeMap::new();
    let mut events = 0;
    let mut absent: BTreeMap<&str, (u32, &str)> = BTreeMap::new();
    let mut removed = 0;
    // Golden values skipped as the reference's artefacts (ARTEFACTS).
    let mut artefacts = 0;
    let mut paths: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    paths.sort();
    for path in paths {
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let inputs = cases(&fs::read_to_string(&path).unwrap());
        let golden: Value =
            serde_json::from_str(&fs::read_to_string(path.with_extension("json.golden")).unwrap())
                .unwrap();
        for case in golden.as_array().unwrap() {
            let name = case["test_name"].as_str().unwrap();
            let Some(text) = inputs.get(name) else {
                panic!("{}: no input for {name}", path.display());
            };
            let docs = ecs_documents(text);
            assert_eq!(docs.len(), 1, "{name}: {docs:#?}");
            let doc = &docs[0];
            events += 1;
            let mut expected = BTreeMap::new();
            leaves(&case["event"], "", &mut expected);
            // Go trims trailing zeros of the fraction; Auditbeat writes
            // three digits (`…:19.05Z` is `…:19.050Z`).
            if let Some(Value::String(ts)) = expected.get_mut("@timestamp") {
                if let Some((head, frac)) = ts.trim_end_matches('Z').split_once('.') {
                    *ts = format!("{head}.{frac:0<3}Z");
                }
            }
            redundant_effective(&mut expected);
            for &(field, when, why) in NOT_IN_AUDITBEAT {
                if expected.contains_key(when) && expected.remove(field).is_some() {
                    absent.entry(field).or_insert((0, why)).0 += 1;
                }
            }
            for (field, want) in expected {
                // Empty objects and "unset" ids Auditbeat leaves out.
                if want.as_object().is_some_and(|o| o.is_empty()) {
                    continue;
                }
                if ARTEFACTS.iter().any(|&(n, f, _)| n == name && f == field) {
                    // Still different, or the entry is stale.
                    let got = at(doc, &ours(&field));
                    assert!(
                        !got.is_some_and(|got| same(got, &want)),
                        "{name}: {field} is listed as the reference's artefact but raudit \
                         writes the golden's value ({want}): remove it from ARTEFACTS"
                    );
                    artefacts += 1;
                    continue;
                }
                let t = tally.entry(field.clone()).or_default();
                let unset_id = (field.starts_with("user.ids.")
                    || field.starts_with("ecs.user.")
                    || field == "session")
                    && want == "unset";
                match at(doc, &ours(&field)) {
                    // Auditbeat leaves unset ids out, and what it
                    // removes (`Null`).
                    None if unset_id => t.equal += 1,
                    None if want.is_null() => {
                        t.equal += 1;
                        removed += 1;
                    }
                    Some(got) if same(got, &want) => t.equal += 1,
                    Some(got) => {
                        t.different += 1;
                        t.examples.push(format!("{name}: {want} vs {got}"));
                    }
                    None => {
                        t.missing += 1;
                        t.examples.push(format!("{name}: {want} missing"));
                    }
                }
            }
        }
    }
    assert_eq!(events, 48, "the corpus has 48 aucoalesce events");
    eprintln!(
        "{:<36} {:>5} {:>5} {:>5}",
        "golden field", "equal", "diff", "miss"
    );
    let (mut equal, mut total) = (0, 0);
    for (field, t) in &tally {
        eprintln!(
            "{field:<36} {:>5} {:>5} {:>5}  {}",
            t.equal,
            t.different,
            t.missing,
            t.examples.first().map_or("", String::as_str)
        );
        if std::env::var_os("RAUDIT_ECS_GOLDENS_ALL").is_some() {
            for example in t.examples.iter().skip(1) {
                eprintln!("{:<54}{example}", "");
            }
        }
        equal += t.equal;
        total += t.equal + t.different + t.missing;
    }
    eprintln!("{equal} of {total} golden values equal over {events} events");
    eprintln!(
        "({removed} of them user.effective's, left out where Auditbeat's \
         removeRedundantEntity leaves them out: the user's own id or name)"
    );
    for (field, (count, why)) in &absent {
        eprintln!("not in Auditbeat's document: {field} ({count}): {why}");
    }
    eprintln!("{artefacts} golden values not compared, the reference's artefacts:");
    for (name, field, why) in ARTEFACTS {
        eprintln!("  {name}: {field}: {why}");
    }
    assert_eq!(
        artefacts,
        ARTEFACTS.len(),
        "every listed artefact is in the corpus"
    );
    let failures: Vec<String> = tally
        .iter()
        .filter(|(_, t)| t.different > 0 || t.missing > 0)
        .map(|(field, t)| format!("{field}: {:?}", t.examples))
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
}
