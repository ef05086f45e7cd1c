//! The OTLP output against a receiver nobody here wrote the decoder of: a
//! small HTTP server (`otlp/receiver.py`) decodes every request body with
//! the official `opentelemetry-proto` Python package. Events go through
//! the output's [`Sink`] (its retry policy and counters) as the output
//! thread drives it; no kernel needed. Skipped, saying so, when python3
//! or the package is missing (`.ci/run` installs it). Over `https://`,
//! the receiver's certificate comes from a CA the test makes (openssl).

mod otlp;

#[path = "../scratch_dir.rs"]
mod scratch_dir;

use std::io::Write as _;
use std::time::{Duration, Instant};

use otlp::{receiver_available, Receiver};

use raudit::output::otlp::http::Endpoint;
use raudit::output::{Otlp, OtlpSpec, Sink, SpoolSpec, Spooling, TlsClient};
use raudit::output::{TlsSpec, TlsVersion};
use raudit::side::{Facts, LineSide};
use raudit::stats::Stats;
use serde_json::Value;

use scratch_dir::ScratchDir;

fn spec(port: u16, batch_events: u32) -> OtlpSpec {
    OtlpSpec {
        endpoint: Endpoint::parse(&format!("http://127.0.0.1:{port}/v1/logs")).unwrap(),
        batch_events,
        batch_bytes: 1 << 20,
        flush_interval: Duration::from_secs(1),
        timeout: Duration::from_secs(5),
        headers: vec![("X-Tenant".into(), "audit".into())],
        spool: None,
        tls: None,
    }
}

fn line(sequence: u32) -> String {
    format!(
        r#"{{"sequence":{sequence},"timestamp":"1700000000.{:03}","messages":[{{"type":1300,"data":"x \"q\" é"}}]}}"#,
        sequence % 1000
    ) + "\n"
}

/// Sends `count` events (each with facts; every seventh has an exe that
/// is not UTF-8) through a sink, then flushes.
fn send_events(sink: &mut Sink, stats: &Stats, count: u32) {
    for sequence in 0..count {
        let exe: &[u8] = if sequence % 7 == 0 {
            b"/bin/\xffbad"
        } else {
            b"/usr/bin/id"
        };
        let facts = Facts {
            sequence,
            seconds: 1_700_000_000,
            millis: (sequence % 1000) as u16,
            syscall: Some(59),
            success: Some(sequence % 2 == 0),
            auid: Some(1000),
            uid: Some(0),
            pid: Some(u64::from(sequence) + 100),
            key: Some(b"exec"),
            exe: Some(exe),
            comm: None,
        };
        let side = LineSide {
            facts: Some(facts),
            cut: None,
        };
        sink.write(line(sequence).as_bytes(), &side, stats);
    }
    sink.flush(stats);
}

/// Every record's body and attributes, checked against what was sent; the
/// sequences received, in order.
fn check_records(records: &[Value]) -> Vec<u64> {
    let mut sequences = Vec::new();
    for r in records {
        let a = &r["attributes"];
        let sequence = a["audit.sequence"].as_str().map_or_else(
            || a["audit.sequence"].as_u64().unwrap(),
            |s| s.parse().unwrap(),
        );
        let expected = line(sequence as u32);
        assert_eq!(
            r["body"],
            Value::from(expected.trim_end()),
            "body of {sequence}"
        );
        assert_eq!(r["resource"]["service.name"], "raudit");
        assert_eq!(r["resource"]["host.name"], "testhost");
        assert_eq!(r["scope"], "raudit");
        assert_eq!(r["severity"], 9);
        assert_eq!(
            r["time"].as_u64(),
            Some(1_700_000_000_000_000_000 + (sequence % 1000) * 1_000_000)
        );
        assert!(r["observed"].as_u64().unwrap() > 1_700_000_000_000_000_000);
        // Python's protobuf gives int64 as int (json number).
        assert_eq!(a["audit.syscall"], 59);
        assert_eq!(a["audit.auid"], 1000);
        assert_eq!(a["audit.uid"], 0);
        assert_eq!(a["process.pid"], sequence + 100);
        assert_eq!(a["audit.success"], sequence % 2 == 0);
        assert_eq!(a["audit.key"], "exec");
        assert_eq!(a["host.name"], "testhost");
        if sequence % 7 == 0 {
            assert_eq!(a["process.executable.path"]["bytes"], hex(b"/bin/\xffbad"));
        } else {
            assert_eq!(a["process.executable.path"], "/usr/bin/id");
        }
        assert!(
            a.get("process.command").is_none(),
            "absent facts are left out"
        );
        sequences.push(sequence);
    }
    sequences
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn every_event_arrives_once_in_order_with_its_attributes() {
    if !receiver_available() {
        return;
    }
    let receiver = Receiver::start(&[]);
    let stats = Stats::new(&["otlp"]);
    let output = Otlp::with_hostname(&spec(receiver.port, 100), 64 * 1024, "testhost");
    let mut sink = Sink::new(Box::new(output), 3, Duration::from_millis(10), 0);
    send_events(&mut sink, &stats, 1000);
    let (records, summary) = receiver.finish();
    assert_eq!(summary["errors"], Value::Array(vec![]));
    let sequences = check_records(&records);
    assert_eq!(
        sequences,
        (0..1000).collect::<Vec<u64>>(),
        "each once, in order"
    );
    assert_eq!(summary["requests"], 10, "batches of batch_events");
    assert_eq!(summary["connections"], 1, "one kept-alive connection");
    let c = &stats.outputs[0];
    assert_eq!(
        (c.sent.get(), c.errors.get(), c.dropped.get()),
        (1000, 0, 0)
    );
}

#[test]
fn a_busy_collector_is_waited_for_as_it_asks_without_loss_or_duplicate() {
    if !receiver_available() {
        return;
    }
    let receiver = Receiver::start(&["--busy", "2"]);
    let stats = Stats::new(&["otlp"]);
    let output = Otlp::with_hostname(&spec(receiver.port, 100), 64 * 1024, "testhost");
    let mut sink = Sink::new(Box::new(output), 3, Duration::from_millis(10), 0);
    let started = Instant::now();
    send_events(&mut sink, &stats, 300);
    let elapsed = started.elapsed();
    let (records, summary) = receiver.finish();
    assert_eq!(summary["busy"], 2);
    assert!(
        elapsed >= Duration::from_secs(2),
        "Retry-After: 1 honoured twice, took {elapsed:?}"
    );
    let sequences = check_records(&records);
    assert_eq!(
        sequences,
        (0..300).collect::<Vec<u64>>(),
        "each once, in order"
    );
    let c = &stats.outputs[0];
    assert_eq!((c.sent.get(), c.errors.get()), (300, 0));
}

#[test]
fn a_busy_collector_asking_for_no_pause_is_still_paused_for() {
    if !receiver_available() {
        return;
    }
    let receiver = Receiver::start(&["--busy", "3", "--retry-after", "0"]);
    let stats = Stats::new(&["otlp"]);
    let output = Otlp::with_hostname(&spec(receiver.port, 100), 64 * 1024, "testhost");
    let mut sink = Sink::new(Box::new(output), 3, Duration::from_millis(10), 0);
    let started = Instant::now();
    send_events(&mut sink, &stats, 100);
    let elapsed = started.elapsed();
    let (records, summary) = receiver.finish();
    assert_eq!(summary["busy"], 3);
    assert!(
        elapsed >= Duration::from_millis(300),
        "Retry-After: 0 paused 100 ms three times, took {elapsed:?}"
    );
    assert_eq!(check_records(&records), (0..100).collect::<Vec<u64>>());
    let c = &stats.outputs[0];
    assert_eq!((c.sent.get(), c.errors.get()), (100, 0));
}

#[test]
fn answers_framed_every_way_http_allows_are_read_in_step_on_one_connection() {
    if !receiver_available() {
        return;
    }
    // 100 Continue first, 40 extra headers, chunks with extensions and a
    // trailer, a partial success in the chunked body.
    let receiver = Receiver::start(&["--quirks", "--partial", "3"]);
    let stats = Stats::new(&["otlp"]);
    let output = Otlp::with_hostname(&spec(receiver.port, 100), 64 * 1024, "testhost");
    let mut sink = Sink::new(Box::new(output), 3, Duration::from_millis(10), 0);
    send_events(&mut sink, &stats, 250);
    let (records, summary) = receiver.finish();
    assert_eq!(
        check_records(&records),
        (0..250).collect::<Vec<u64>>(),
        "each once, in order"
    );
    assert_eq!(summary["requests"], 3, "no batch sent twice");
    assert_eq!(summary["connections"], 1, "the connection kept, in step");
    let c = &stats.outputs[0];
    assert_eq!((c.sent.get(), c.errors.get()), (241, 9));
}

#[test]
fn a_refused_batch_is_dropped_and_counted_as_errors() {
    if !receiver_available() {
        return;
    }
    let receiver = Receiver::start(&["--reject", "1"]);
    let stats = Stats::new(&["otlp"]);
    let output = Otlp::with_hostname(&spec(receiver.port, 100), 64 * 1024, "testhost");
    let mut sink = Sink::new(Box::new(output), 3, Duration::from_millis(10), 0);
    send_events(&mut sink, &stats, 250);
    let (records, summary) = receiver.finish();
    assert_eq!(summary["rejected"], 1);
    let sequences = check_records(&records);
    assert_eq!(sequences, (100..250).collect::<Vec<u64>>());
    let c = &stats.outputs[0];
    assert_eq!((c.sent.get(), c.errors.get()), (150, 100));
}

#[test]
fn a_dead_collector_costs_errors_not_a_hang() {
    // A port nobody listens on: connection refused at once.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let stats = Stats::new(&["otlp"]);
    let output = Otlp::with_hostname(&spec(port, 10), 64 * 1024, "testhost");
    let mut sink = Sink::new(Box::new(output), 2, Duration::from_millis(1), 0);
    let started = Instant::now();
    send_events(&mut sink, &stats, 25);
    assert!(started.elapsed() < Duration::from_secs(10));
    let c = &stats.outputs[0];
    assert_eq!(c.sent.get(), 0, "nothing counted as sent");
    assert_eq!(c.errors.get(), 25, "every event counted once as an error");
    let _ = std::io::stderr().flush();
}

#[test]
fn records_a_partial_success_rejected_are_counted_as_errors() {
    if !receiver_available() {
        return;
    }
    let receiver = Receiver::start(&["--partial", "3"]);
    let stats = Stats::new(&["otlp"]);
    let output = Otlp::with_hostname(&spec(receiver.port, 100), 64 * 1024, "testhost");
    let mut sink = Sink::new(Box::new(output), 3, Duration::from_millis(10), 0);
    send_events(&mut sink, &stats, 250);
    let (records, _) = receiver.finish();
    assert_eq!(records.len(), 250);
    let c = &stats.outputs[0];
    // Three batches (100, 100, 50), three records rejected in each.
    assert_eq!((c.sent.get(), c.errors.get()), (241, 9));
}

/// Runs openssl with `args` in `dir`.
fn openssl(dir: &std::path::Path, args: &[&str]) {
    let status = std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl runs");
    assert!(status.success(), "openssl {args:?}");
}

/// A CA (`NAME-ca.pem`) and, signed by it, a certificate for 127.0.0.1
/// (`NAME.pem`, `NAME.key`) in `dir`.
fn certificates(dir: &std::path::Path, name: &str) {
    let (ca, ca_key) = (format!("{name}-ca.pem"), format!("{name}-ca.key"));
    let (cert, key, csr) = (
        format!("{name}.pem"),
        format!("{name}.key"),
        format!("{name}.csr"),
    );
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let subject = format!("/CN=raudit test CA {name}");
    let mut args = vec!["req", "-x509"];
    args.extend(ec);
    args.extend([
        "-keyout", &ca_key, "-out", &ca, "-days", "2", "-subj", &subject,
    ]);
    openssl(dir, &args);
    let mut args = vec!["req"];
    args.extend(ec);
    args.extend(["-keyout", &key, "-out", &csr, "-subj", "/CN=127.0.0.1"]);
    openssl(dir, &args);
    std::fs::write(dir.join("san.cnf"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &ca,
            "-CAkey",
            &ca_key,
            "-CAcreateserial",
            "-out",
            &cert,
            "-days",
            "2",
            "-extfile",
            "san.cnf",
        ],
    );
}

fn https_spec(port: u16, ca: &std::path::Path) -> OtlpSpec {
    let mut spec = spec(port, 100);
    spec.endpoint = Endpoint::parse(&format!("https://127.0.0.1:{port}/v1/logs")).unwrap();
    let settings = TlsSpec {
        ca_file: Some(ca.to_owned()),
        cert_file: None,
        key_file: None,
        server_name: None,
        min_version: TlsVersion::V1_2,
    };
    spec.tls = Some(TlsClient::new(&settings, &spec.endpoint.authority).unwrap());
    spec
}

#[test]
fn over_https_every_event_arrives_once_and_another_ca_is_refused_and_counted() {
    if !receiver_available() {
        return;
    }
    if std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_err()
    {
        assert!(
            std::env::var_os("RAUDIT_REQUIRE_LIVE").is_none(),
            "openssl is missing, and RAUDIT_REQUIRE_LIVE asks for it"
        );
        eprintln!("SKIPPED: openssl is missing (it makes the test's CA)");
        return;
    }
    let dir = ScratchDir::new("otlp-https");
    certificates(&dir, "server");
    certificates(&dir, "other");
    let (cert, key) = (dir.join("server.pem"), dir.join("server.key"));
    let tls_args = [
        "--cert",
        cert.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
    ];

    let receiver = Receiver::start(&tls_args);
    let stats = Stats::new(&["otlp"]);
    let spec = https_spec(receiver.port, &dir.join("server-ca.pem"));
    let output = Otlp::with_hostname(&spec, 64 * 1024, "testhost");
    let mut sink = Sink::new(Box::new(output), 3, Duration::from_millis(10), 0);
    send_events(&mut sink, &stats, 500);
    let (records, summary) = receiver.finish();
    assert_eq!(summary["errors"], Value::Array(vec![]));
    assert_eq!(
        check_records(&records),
        (0..500).collect::<Vec<u64>>(),
        "each once, in order"
    );
    assert_eq!(summary["requests"], 5);
    assert_eq!(summary["connections"], 1, "one kept-alive TLS connection");
    let c = &stats.outputs[0];
    assert_eq!((c.sent.get(), c.errors.get()), (500, 0));

    // A collector whose certificate another CA signed: refused, counted,
    // nothing taken.
    let receiver = Receiver::start(&tls_args);
    let stats = Stats::new(&["otlp"]);
    let spec = https_spec(receiver.port, &dir.join("other-ca.pem"));
    let output = Otlp::with_hostname(&spec, 64 * 1024, "testhost");
    let mut sink = Sink::new(Box::new(output), 2, Duration::from_millis(1), 0);
    send_events(&mut sink, &stats, 30);
    let (records, _) = receiver.finish();
    assert!(records.is_empty(), "{} records taken", records.len());
    let c = &stats.outputs[0];
    assert_eq!((c.sent.get(), c.errors.get()), (0, 30));
}

#[test]
fn a_spool_keeps_what_a_dead_collector_missed_across_a_restart_and_sends_it_first() {
    if !receiver_available() {
        return;
    }
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = ScratchDir::new("otlp-spool");
    let spool = SpoolSpec {
        path: dir.join("otlp"),
        max_bytes: 1 << 20,
    };
    let spooled_sink = || {
        let output = Otlp::with_hostname(&spec(port, 40), 64 * 1024, "testhost");
        let name = format!("otlp 127.0.0.1:{port}");
        Sink::new(Box::new(output), 3, Duration::from_millis(10), 0)
            .with_spool(Spooling::open(&name, &spool, 64 * 1024).unwrap())
    };
    // Nobody listens: every event goes to the spool, none is an error.
    let stats = Stats::new(&["otlp"]);
    let mut sink = spooled_sink();
    send_events(&mut sink, &stats, 100);
    let c = &stats.outputs[0];
    assert_eq!((c.sent.get(), c.errors.get(), c.dropped.get()), (0, 0, 0));
    assert_eq!((c.spooled.get(), c.spool_events.get()), (100, 100));
    drop(sink);
    // raudit "restarts" with the collector back, and newer events come.
    let receiver = Receiver::start(&["--port", &port.to_string()]);
    let stats = Stats::new(&["otlp"]);
    let mut sink = spooled_sink();
    let newer: Vec<String> = (100..130).map(line).collect();
    for text in &newer {
        sink.write(text.as_bytes(), &LineSide::default(), &stats);
    }
    let c = &stats.outputs[0];
    let started = Instant::now();
    while c.sent.get() < 130 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "sent {} of 130",
            c.sent.get()
        );
        std::thread::sleep(Duration::from_millis(100));
        sink.flush(&stats);
    }
    let (records, summary) = receiver.finish();
    assert_eq!(summary["errors"], Value::Array(vec![]));
    let sequences: Vec<u64> = records
        .iter()
        .map(|r| {
            let body: Value = serde_json::from_str(r["body"].as_str().unwrap()).unwrap();
            body["sequence"].as_u64().unwrap()
        })
        .collect();
    assert_eq!(
        sequences,
        (0..130).collect::<Vec<u64>>(),
        "the spooled first, each once, in order"
    );
    assert_eq!((c.spool_events.get(), c.spool_bytes.get()), (0, 0));
    assert_eq!(c.errors.get(), 0);
}
