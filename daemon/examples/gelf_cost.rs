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

use std::net::UdpSocket;
use std::process::ExitCode;

use raudit::output::{Gelf, GelfCompression, GelfCompressionType, GelfNetwork, GelfSpec, Output};
use raudit::side::{Facts, LineSide};

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
        line.clear();
        line.extend_from_slice(
            format!(
                "{{\"sequence\":{serial},\"timestamp\":\"1700000000.{:03}\",\"messages\":[\
                 {{\"type\":1300,\"data\":\"arch=c000003e syscall=110 success=yes exit={} a0=0 \
                 a1=0 a2=0 a3=0 items=0 ppid=4100 pid=4200 auid=1000 uid=0 gid=0 euid=0 suid=0 \
                 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm=\\\"storm-gen\\\" \
                 exe=\\\"/work/target/release/storm-gen\\\" key=\\\"storm\\\"\"}},\
                 {{\"type\":1327,\"data\":\"proctitle=2F776F726B2F7461726765742F72656C656173652F\
                 73746F726D2D67656E002D64\"}}],\"uid_map\":{{\"0\":\"root\",\"1000\":\"user\"}}}}\n",
                serial % 1000,
                4100 + serial % 7
            )
            .as_bytes(),
        );
        let facts = Facts {
            sequence: serial,
            seconds: 1_700_000_000,
            millis: (serial % 1000) as u16,
            syscall: Some(110),
            success: Some(true),
            auid: Some(1000),
            uid: Some(0),
            pid: Some(4200),
            key: Some(b"storm"),
            exe: Some(b"/work/target/release/storm-gen"),
            comm: Some(b"storm-gen"),
        };
        let side = LineSide {
            facts: Some(facts),
            cut: None,
        };
        match gelf.write_line(&line, &side) {
            Ok(_) => sent += 1,
            Err(_) => failed += 1,
        }
    }
    println!("gelf {kind:?} level {level}: {sent} sent, {failed} failed");
    ExitCode::SUCCESS
}
