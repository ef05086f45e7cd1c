//! The GELF output thread's work per event: a storm-like go-audit line
//! with its facts, built into a GELF message, compressed as configured and
//! sent over UDP to a local socket nobody reads (the kernel drops what its
//! buffer cannot hold; the send costs the same), for callgrind:
//!
//! ```text
//! cargo build --release -p raudit --example gelf_cost
//! valgrind --tool=callgrind target/release/examples/gelf_cost gzip 1 20000
//! ```
//!
//! Arguments: the compression type (`gzip`, `zlib`, `none`), its level
//! (-2..=9) and the number of events (default 20,000). Instructions per
//! event are callgrind's total over that number (less a run of 0 events).

#[path = "common/storm_event.rs"]
mod storm_event;

use std::net::UdpSocket;
use std::process::ExitCode;

use storm_event::storm_event;

use raudit::output::{Gelf, GelfCompression, GelfCompressionType, GelfNetwork, GelfSpec, Output};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let kind = match args.next().as_deref().unwrap_or("gzip") {
        "gzip" => GelfCompressionType::Gzip,
        "zlib" => GelfCompressionType::Zlib,
        "none" => GelfCompressionType::None,
        other => {
            eprintln!("unknown compression {other:?}: gzip, zlib or none");
            return ExitCode::FAILURE;
        }
    };
    let level: i8 = args.next().and_then(|l| l.parse().ok()).unwrap_or(1);
    let events: u32 = args.next().and_then(|n| n.parse().ok()).unwrap_or(20_000);
    let sink = match UdpSocket::bind("127.0.0.1:0").and_then(|s| s.local_addr()) {
        Ok(address) => address,
        Err(e) => {
            eprintln!("a local UDP socket: {e}");
            return ExitCode::FAILURE;
        }
    };
    let spec = GelfSpec {
        network: GelfNetwork::Udp,
        address: sink.to_string(),
        compression: GelfCompression { level, kind },
        tls: None,
        spool: None,
    };
    let mut gelf = Gelf::with_hostname(&spec, 64 << 10, "bench-host");
    let mut line = Vec::new();
    let (mut sent, mut failed) = (0u32, 0u32);
    for serial in 0..events {
        let side = storm_event(serial, &mut line);
        match gelf.write_line(&line, &side) {
            Ok(_) => sent += 1,
            Err(_) => failed += 1,
        }
    }
    println!("gelf {kind:?} level {level}: {sent} sent, {failed} failed");
    ExitCode::SUCCESS
}
