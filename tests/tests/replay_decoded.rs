//! Decoded values of the structured shape checked against what auditd
//! itself made of the same records: the shared corpus' live capture
//! (kernel 6.18) was logged with `log_format = ENRICHED`, so each
//! SOCKADDR record carries auditd's reading (`SADDR={ saddr_fam=inet
//! laddr=127.0.0.1 lport=9 }`). Skips visibly without the corpus.

mod common;

use std::collections::BTreeMap;

use raudit::pipeline::Format as EventFormat;
use raudit::replay::{Capacities, Format, Replayer};
use raudit_core::encode::{Enrich, NoEnrich};
use serde_json::{json, Value};

/// Replays `bytes` in the structured shape; every line must be JSON.
fn structured(bytes: &[u8]) -> Vec<Value> {
    documents(bytes, EventFormat::Structured)
}

/// Replays `bytes` (log lines) in `format`; every line must be JSON.
fn documents(bytes: &[u8], format: EventFormat) -> Vec<Value> {
    documents_with(bytes, format, NoEnrich)
}

/// [`documents`], enriched by `enrich`.
fn documents_with(bytes: &[u8], format: EventFormat, enrich: impl Enrich) -> Vec<Value> {
    let capacities = Capacities {
        format,
        ..Capacities::default()
    };
    let mut replayer = Replayer::new(common::all_types(), capacities, enrich);
    let mut out = Vec::new();
    let mut input = bytes;
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

/// auditd's `SADDR={ k=v … }` as the object the structured shape writes.
fn auditd_reading(enriched: &str) -> Value {
    let inner = enriched
        .trim()
        .strip_prefix("SADDR={")
        .and_then(|s| s.strip_suffix('}'))
        .unwrap_or_else(|| panic!("not an SADDR reading: {enriched}"));
    let kv: BTreeMap<&str, &str> = inner
        .split_whitespace()
        .filter_map(|t| t.split_once('='))
        .collect();
    let port = |k: &str| kv[k].parse::<u64>().expect("port");
    match kv["saddr_fam"] {
        "inet" => json!({"family":"ipv4","addr":kv["laddr"],"port":port("lport")}),
        "inet6" => json!({"family":"ipv6","addr":kv["laddr"],"port":port("lport")}),
        "local" => json!({"family":"unix","path":kv["path"]}),
        "netlink" => json!({"family":"netlink","pid":port("nlnk-pid"),"groups":0}),
        other => panic!("family {other} not in the capture before"),
    }
}

#[test]
#[cfg_attr(raudit_no_corpus, ignore = "../shared/corpus is absent")]
fn sockaddr_reads_as_auditd_read_it_live() {
    let corpus = common::corpus();
    let path = corpus.join("live/debian12-k6.18-scenario.log");
    let log = std::fs::read(&path).expect("live capture");
    // serial → auditd's reading of its SOCKADDR record.
    let mut expected = BTreeMap::new();
    for line in log.split(|&b| b == b'\n') {
        let line = String::from_utf8_lossy(line);
        if !line.starts_with("type=SOCKADDR ") {
            continue;
        }
        let (raw, enriched) = line.split_once('\x1d').expect("ENRICHED suffix");
        let serial: u64 = raw
            .split_once(':')
            .and_then(|(_, rest)| rest.split_once(')'))
            .and_then(|(s, _)| s.parse().ok())
            .expect("serial");
        expected.insert(serial, auditd_reading(enriched));
    }
    assert!(expected.len() >= 60, "{} SOCKADDR records", expected.len());
    let mut checked = 0;
    for event in structured(&log) {
        let serial = event["sequence"].as_u64().expect("sequence");
        for record in event["records"].as_array().expect("records") {
            if record["type"] != "SOCKADDR" {
                continue;
            }
            let want = &expected[&serial];
            assert_eq!(&record["interpreted"]["saddr"], want, "serial {serial}");
            checked += 1;
        }
    }
    assert_eq!(checked, expected.len());
}

/// laurel's decoded samples (`../shared/corpus/laurel/src/testdata/
/// record-*.txt` and the `.json` laurel writes for them): every `ARGV`
/// laurel joins is the structured shape's `argv` and the ECS shape's
/// `process.args`; every `SADDR` laurel reads is the same address.
#[test]
#[cfg_attr(raudit_no_corpus, ignore = "../shared/corpus is absent")]
fn argv_and_sockaddr_read_as_laurel_reads_them() {
    let corpus = common::corpus();
    let dir = corpus.join("laurel/src/testdata");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("laurel testdata")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with("record-") && name.ends_with(".json")
        })
        .collect();
    paths.sort();
    let (mut argvs, mut addresses) = (0, 0);
    for path in paths {
        // (Each of laurel's expectations has its input beside it.)
        let input = std::fs::read(path.with_extension("txt"))
            .unwrap_or_else(|e| panic!("{}: its input: {e}", path.display()));
        let structured = by_sequence(structured(&input), |e| e["sequence"].as_u64());
        let ecs = by_sequence(documents(&input, EventFormat::Ecs), |e| {
            e["auditd"]["sequence"].as_u64()
        });
        let text = std::fs::read_to_string(&path).unwrap();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let laurel: Value = serde_json::from_str(line).unwrap();
            let id = laurel["ID"].as_str().expect("ID");
            let serial: u64 = id.rsplit(':').next().unwrap().parse().unwrap();
            let ours = &structured[&serial];
            let record = |t: &str| {
                ours["records"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|r| r["type"] == t)
                    .cloned()
            };
            if let Some(argv) = laurel["EXECVE"].get("ARGV") {
                let execve = record("EXECVE").expect("an EXECVE record");
                assert_eq!(&execve["argv"], argv, "{}", path.display());
                assert_eq!(&ecs[&serial]["process"]["args"], argv, "{}", path.display());
                argvs += 1;
            }
            for s in laurel["SOCKADDR"].as_array().into_iter().flatten() {
                let Some(reading) = s["SADDR"].as_str() else {
                    continue;
                };
                let got = &record("SOCKADDR").expect("a SOCKADDR record")["interpreted"]["saddr"];
                let kv: BTreeMap<&str, &str> = reading
                    .trim_matches(|c| c == '{' || c == '}')
                    .split_whitespace()
                    .filter_map(|t| t.split_once('='))
                    .collect();
                let family = kv.get("saddr_fam").or(kv.get("fam")).copied();
                match family {
                    Some("netlink") => {
                        assert_eq!(got["family"], "netlink");
                        assert_eq!(got["pid"].to_string(), kv["nlnk-pid"]);
                    }
                    Some("local") => {
                        assert_eq!(got["family"], "unix");
                        assert_eq!(got["path"], kv["path"]);
                    }
                    other => panic!(
                        "{}: family {other:?} not in the samples before",
                        path.display()
                    ),
                }
                addresses += 1;
            }
        }
    }
    eprintln!("{argvs} argv and {addresses} addresses as laurel reads them");
    assert!(
        argvs >= 4 && addresses >= 2,
        "{argvs} argv, {addresses} addresses"
    );
}

fn by_sequence(
    events: Vec<Value>,
    sequence: impl Fn(&Value) -> Option<u64>,
) -> BTreeMap<u64, Value> {
    events
        .into_iter()
        .map(|e| (sequence(&e).expect("sequence"), e))
        .collect()
}

/// Names the ids of go-libaudit's RHEL 7 log: users `u<N>`, groups
/// `g<N>` (0 is `root` for both).
struct RhelIds;

impl Enrich for RhelIds {
    fn user_name(&self, uid: &[u8]) -> Option<&str> {
        match uid {
            b"0" => Some("root"),
            b"74" => Some("u74"),
            b"1000" => Some("u1000"),
            _ => None,
        }
    }

    fn group_name(&self, gid: &[u8]) -> Option<&str> {
        match gid {
            b"0" => Some("root"),
            b"1000" => Some("g1000"),
            _ => None,
        }
    }
}

/// The ids inside the user-space records' `msg='…'` of a real log
/// (go-libaudit's RHEL 7: groupadd, useradd, sshd) are named as auparse
/// reads them: `id` a group's in ADD_GROUP and GRP_MGMT, a user's in
/// ADD_USER, USER_MGMT and the logins; CRYPTO_KEY_USER's and
/// CRYPTO_SESSION's `suid` a user's (ECS: `user.saved`; ADD_USER's
/// account `user.target`, ADD_GROUP's `group`).
#[test]
#[cfg_attr(raudit_no_corpus, ignore = "../shared/corpus is absent")]
fn ids_inside_user_messages_are_named_as_auparse_reads_them() {
    let log = std::fs::read(common::corpus().join("go-libaudit/auparse/testdata/audit-rhel7.log"))
        .unwrap();
    let mut seen: BTreeMap<String, u32> = BTreeMap::new();
    for doc in documents_with(&log, EventFormat::Structured, RhelIds) {
        for record in doc["records"].as_array().unwrap() {
            let kind = record["type"].as_str().unwrap();
            let msg = &record["fields"]["msg"];
            let interpreted = &record["interpreted"];
            // (Ids the kernel writes are numbers, `id` a string.)
            let text = |v: &Value| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            };
            if let Some(id) = text(&msg["id"]) {
                let group = matches!(kind, "ADD_GROUP" | "GRP_MGMT" | "DEL_GROUP");
                let want = if group {
                    format!("g{id}")
                } else {
                    format!("u{id}")
                };
                assert_eq!(interpreted["ID"], want.as_str(), "{kind}: {record}");
                *seen.entry(kind.to_owned()).or_default() += 1;
            }
            if let Some(suid) = text(&msg["suid"]) {
                let want = if suid == "0" {
                    "root".to_owned()
                } else {
                    format!("u{suid}")
                };
                assert_eq!(interpreted["SUID"], want.as_str(), "{kind}: {record}");
                *seen.entry(kind.to_owned()).or_default() += 1;
            }
        }
    }
    for kind in [
        "ADD_GROUP",
        "GRP_MGMT",
        "ADD_USER",
        "USER_MGMT",
        "USER_LOGIN",
        "CRYPTO_KEY_USER",
        "CRYPTO_SESSION",
    ] {
        assert!(seen.contains_key(kind), "no {kind} with a msg id: {seen:?}");
    }
    let ecs = documents_with(&log, EventFormat::Ecs, RhelIds);
    let session = ecs
        .iter()
        .find(|d| d["auditd"]["message_type"] == "crypto_session")
        .expect("a CRYPTO_SESSION event");
    assert_eq!(session["user"]["saved"], json!({"id":"74","name":"u74"}));
    // The account records: Auditbeat's user.target and group.
    let of_type = |t: &str| {
        ecs.iter()
            .find(|d| d["auditd"]["message_type"] == t)
            .unwrap_or_else(|| panic!("an {t} event"))
    };
    assert_eq!(
        of_type("add_user")["user"]["target"],
        json!({"id":"1000","name":"u1000"})
    );
    assert_eq!(
        of_type("add_group")["group"],
        json!({"id":"1000","name":"g1000"})
    );
}
