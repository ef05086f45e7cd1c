//! The OTLP output thread's work per event: storm-like go-audit lines
//! with their facts, encoded into `ExportLogsServiceRequest` batches
//! (the default 512 events) and posted over HTTP/1.1 to a receiver thread
//! in this process that reads each request and answers `200 OK`, for
//! callgrind:
//!
//! ```text
//! cargo build --release -p raudit --example otlp_cost
//! valgrind --tool=callgrind --separate-threads=yes target/release/examples/otlp_cost 20000
//! ```
//!
//! Argument: the number of events (default 20,000). Instructions per event
//! are the main thread's total (the `-01` file) over that number, less a
//! run of 0 events.

#[path = "common/storm_event.rs"]
mod storm_event;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::ExitCode;
use std::time::Duration;

use raudit::output::otlp::http::Endpoint;
use raudit::output::{Otlp, OtlpSpec, Output};
use storm_event::storm_event;

/// Answers every request on the first connection with `200 OK`.
fn receive(listener: TcpListener) {
    let Ok((stream, _)) = listener.accept() else {
        return;
    };
    let Ok(mut answer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    let mut body = Vec::new();
    loop {
        let mut length = 0usize;
        loop {
            let mut header = String::new();
            match reader.read_line(&mut header) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
        }
        body.resize(length, 0);
        if reader.read_exact(&mut body).is_err()
            || answer
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                .is_err()
        {
            return;
        }
    }
}

fn main() -> ExitCode {
    let events: u32 = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000);
    let (listener, address) =
        match TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr().map(|a| (l, a))) {
            Ok(bound) => bound,
            Err(e) => {
                eprintln!("a local TCP port: {e}");
                return ExitCode::FAILURE;
            }
        };
    let receiver = std::thread::spawn(move || receive(listener));
    let endpoint = match Endpoint::parse(&format!("http://{address}/v1/logs")) {
        Ok(endpoint) => endpoint,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let spec = OtlpSpec {
        endpoint,
        batch_events: 512,
        batch_bytes: 1024 * 1024,
        flush_interval: Duration::from_secs(3600),
        timeout: Duration::from_secs(10),
        headers: Vec::new(),
        spool: None,
        tls: None,
    };
    let mut otlp = Otlp::with_hostname(&spec, 64 << 10, "bench-host");
    let mut line = Vec::new();
    let (mut sent, mut failed) = (0u32, 0u32);
    for serial in 0..events {
        let side = storm_event(serial, &mut line);
        match otlp.write_line(&line, &side) {
            Ok(_) => sent += 1,
            Err(_) => failed += 1,
        }
    }
    let flushed = otlp.flush().is_ok();
    drop(otlp);
    let _ = receiver.join();
    println!("otlp: {sent} accepted, {failed} failed, last batch sent: {flushed}");
    ExitCode::SUCCESS
}
