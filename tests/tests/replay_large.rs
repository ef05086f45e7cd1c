//! Large events replay whole: own long-argument data (auditd log lines
//! built here, split as the kernel splits EXECVE records) and the shared
//! live corpus come out one line per event, in go-audit's shape with every
//! record and its body exactly as go-audit writes them (`{"type":T,
//! "data":"<the record after 'audit(…): '>"}` in arrival order), and any
//! event above 16 KiB is whole: no `truncated`, no `cut`.

mod common;

#[path = "../../core/tests/support/execve.rs"]
mod execve;

use std::collections::BTreeMap;
use std::fs;

use common::{all_types, corpus, messages, replay};
use execve::{arguments, execve_bodies, rebuild_argv};
use raudit::replay::Format;
use raudit_core::assemble::Settings;

/// Log lines of one execve of `args` with serial `serial`: SYSCALL,
/// EXECVE records, CWD, PATH, PROCTITLE, EOE; also the (type, body) pairs
/// go-audit would write.
fn execve_log(serial: u32, args: &[Vec<u8>]) -> (String, Vec<(u64, String)>) {
    let stamp = format!("audit(1700000000.250:{serial}): ");
    let mut records: Vec<(u64, String)> = vec![(
        1300,
        "arch=c000003e syscall=59 success=yes exit=0 items=1 ppid=1 pid=77 uid=0 \
         comm=\"prog\" exe=\"/bin/prog\" key=\"exec\""
            .to_owned(),
    )];
    records.extend(execve_bodies(args).into_iter().map(|b| (1309, b)));
    records.push((1307, "cwd=\"/tmp\"".to_owned()));
    records.push((
        1302,
        "item=0 name=\"/bin/prog\" inode=5 dev=08:01".to_owned(),
    ));
    records.push((1327, "proctitle=2F62696E2F70726F67".to_owned()));
    let names = [
        (1300, "SYSCALL"),
        (1309, "EXECVE"),
        (1307, "CWD"),
        (1302, "PATH"),
        (1327, "PROCTITLE"),
    ];
    let name = |t: u64| {
        names
            .iter()
            .find(|(n, _)| *n == t)
            .map_or("UNKNOWN", |(_, s)| *s)
    };
    let mut log = String::new();
    for (t, body) in &records {
        log.push_str(&format!("type={} msg={stamp}{body}\n", name(*t)));
    }
    log.push_str(&format!("type=EOE msg={stamp}\n"));
    (log, records)
}

#[test]
fn long_argument_logs_replay_whole_in_go_audits_shape() {
    let cases = [(1usize, 128 * 1024usize), (15, 128 * 1024), (5000, 3)];
    let mut log = String::new();
    let mut wanted = Vec::new();
    for (serial, (count, len)) in (1u32..).zip(cases) {
        let mut args = arguments(count, len);
        args.insert(0, b"/bin/prog".to_vec());
        let (lines, records) = execve_log(serial, &args);
        log.push_str(&lines);
        wanted.push((serial, args, records));
    }
    let r = replay(log.as_bytes(), Format::Log, Settings::default());
    assert_eq!(r.events.len(), cases.len(), "one line per event");
    for ((serial, args, records), (line, event)) in wanted.iter().zip(r.lines.iter().zip(&r.events))
    {
        assert!(line.len() > 16 * 1024, "{serial}: {} bytes", line.len());
        assert_eq!(event["sequence"], *serial);
        assert_eq!(event["timestamp"], "1700000000.250");
        assert!(event.get("truncated").is_none() && event.get("cut").is_none());
        assert!(messages(event) == *records, "{serial}: records differ");
        // go-audit's key order and nothing else at the top.
        let keys: Vec<&String> = event.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["messages", "sequence", "timestamp", "uid_map"]);
        assert!(line.starts_with(&format!("{{\"sequence\":{serial},\"timestamp\":\"1700000000.250\",\"messages\":[{{\"type\":1300,\"data\":\"")));
        let datas: Vec<&str> = records
            .iter()
            .filter(|(t, _)| *t == 1309)
            .map(|(_, b)| b.as_str())
            .collect();
        let rebuilt: Vec<Vec<u8>> = rebuild_argv(&datas).into_iter().map(|(_, a)| a).collect();
        assert!(rebuilt == *args);
    }
    assert_eq!(r.counts.truncated_output, 0);
    assert_eq!(r.counts.cut_output, 0);
    assert!(r.counters.large_events >= 1, "{:?}", r.counters);
}

#[test]
#[cfg_attr(raudit_no_corpus, ignore = "../shared/corpus is absent")]
fn the_live_corpus_replays_one_line_per_event_and_large_ones_whole() {
    let corpus = corpus();
    let live = corpus.join("live");
    for (file, format) in [
        ("debian12-k6.18-scenario.netlink", Format::Netlink),
        ("debian12-k6.18-scenario.log", Format::Log),
    ] {
        let bytes = fs::read(live.join(file)).unwrap();
        let r = replay(&bytes, format, all_types());
        let mut seen = BTreeMap::new();
        let mut large = 0;
        for (line, event) in r.lines.iter().zip(&r.events) {
            let serial = event["sequence"].as_u64().unwrap();
            assert!(
                seen.insert(serial, ()).is_none(),
                "{file}: serial {serial} twice"
            );
            if line.len() > 16 * 1024 {
                large += 1;
                assert!(event.get("truncated").is_none() && event.get("cut").is_none());
            }
        }
        assert_eq!(r.counts.truncated_output, 0, "{file}");
        assert_eq!(r.counters.dropped_records, 0, "{file}");
        // The scenario's two long execs: fewer lines above 16 KiB means an
        // event lost bytes without a mark.
        assert_eq!(large, 2, "{file}: events above 16 KiB");
        eprintln!(
            "{file}: {} events, {large} above 16 KiB, all whole",
            r.events.len()
        );
    }
}
