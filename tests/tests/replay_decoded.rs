//! Decoded values of the structured shape checked against what auditd
//! itself made of the same records: the shared corpus' live capture
//! (kernel 6.18) was logged with `log_format = ENRICHED`, so each
//! SOCKADDR record carries auditd's reading (`SADDR={ saddr_fam=inet
//! laddr=127.0.0.1 lport=9 }`). Skips visibly without the corpus.

mod common;

use std::collections::BTreeMap;

use raudit::config::EventFormat;
use raudit::replay::{Capacities, Format, Replayer};
use raudit_core::encode::NoEnrich;
use serde_json::{json, Value};

/// Replays `bytes` in the structured shape; every line must be JSON.
fn structured(bytes: &[u8]) -> Vec<Value> {
    let capacities = Capacities {
        format: EventFormat::Structured,
        ..Capacities::default()
    };
    let mut replayer = Replayer::new(common::all_types(), capacities, NoEnrich);
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
fn sockaddr_reads_as_auditd_read_it_live() {
    let Some(corpus) = common::corpus() else {
        return;
    };
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
