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

#[path = "common/http_receiver.rs"]
mod http_receiver;
#[path = "common/storm_event.rs"]
mod storm_event;

use std::net::TcpListener;
use std::process::ExitCode;

use http_receiver::receive;
use raudit::output::otlp::http::Endpoint;
use raudit::output::{Otlp, Output};
use storm_event::storm_event;

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
    let spec = http_receiver::otlp_spec(endpoint);
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
