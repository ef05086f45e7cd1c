//! The tests' OTLP/HTTP receiver (`receiver.py`, decoding with the
//! official `opentelemetry-proto` package) as a child process.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::Value;

const RECEIVER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/otlp/receiver.py");

pub fn receiver_available() -> bool {
    let ok = Command::new("python3")
        .args([
            "-c",
            "import opentelemetry.proto.collector.logs.v1.logs_service_pb2",
        ])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        // Where CI promises it (`RAUDIT_REQUIRE_LIVE`: `.ci/run` installs
        // it), a missing decoder fails instead of skipping.
        assert!(
            std::env::var_os("RAUDIT_REQUIRE_LIVE").is_none(),
            "python3 with opentelemetry-proto is missing, and RAUDIT_REQUIRE_LIVE asks for it"
        );
        eprintln!(
            "SKIPPED: python3 with opentelemetry-proto is missing (pip install opentelemetry-proto)"
        );
    }
    ok
}

pub struct Receiver {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    pub port: u16,
}

impl Receiver {
    pub fn start(args: &[&str]) -> Receiver {
        let mut child = Command::new("python3")
            .arg(RECEIVER)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("starting the OTLP receiver");
        let stdin = child.stdin.take();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let port = line
            .strip_prefix("PORT ")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("the receiver did not say its port: {line:?}"));
        Receiver {
            child,
            stdin,
            stdout,
            port,
        }
    }

    /// Stops it; the records it decoded and its summary.
    pub fn finish(mut self) -> (Vec<Value>, Value) {
        drop(self.stdin.take());
        let mut records = Vec::new();
        let mut summary = Value::Null;
        for line in self.stdout.lines() {
            let v: Value = serde_json::from_str(&line.unwrap()).unwrap();
            match v.get("summary") {
                Some(s) => summary = s.clone(),
                None => records.push(v),
            }
        }
        assert!(self.child.wait().unwrap().success(), "the receiver failed");
        (records, summary)
    }
}
