//! A TLS stream output's work per event: the storm benchmark's event sent
//! by the syslog (RFC 5424, octet-counted) or GELF output over TLS to a
//! rustls receiver on loopback (a thread of this process, which decrypts
//! and drops what it gets), taken line by line and flushed every
//! `FLUSH_EVERY` events, as the output thread flushes when its backlog runs
//! dry. For callgrind (`--separate-threads=yes`: the main thread's file is
//! the output's work, the receiver's is apart) and `strace -c` (without
//! `-f`: the main thread's system calls only):
//!
//! ```text
//! cargo build --release -p raudit --example tls_cost
//! valgrind --tool=callgrind --separate-threads=yes target/release/examples/tls_cost syslog 20000
//! strace -c target/release/examples/tls_cost gelf 100000
//! ```
//!
//! Arguments: the output (`syslog` or `gelf`), the number of events
//! (default 20,000) and how many are taken between flushes (default
//! 1,000). Per event: the totals less a run of 0 events (the handshake).

#[path = "common/storm_event.rs"]
mod storm_event;
#[path = "common/thread_cpu.rs"]
mod thread_cpu;
#[path = "common/tls_receiver.rs"]
mod tls_receiver;

use std::process::ExitCode;

use storm_event::storm_event;
use thread_cpu::thread_cpu;
use tls_receiver::{receiver, tls_output};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let output = args.next().unwrap_or_else(|| "syslog".to_owned());
    let events: u32 = args.next().and_then(|n| n.parse().ok()).unwrap_or(20_000);
    let flush_every: u32 = args.next().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let dir = std::env::temp_dir().join(format!("raudit-tls-cost-{}", std::process::id()));
    let (address, receiver) = match receiver(&dir) {
        Ok(started) => started,
        Err(e) => {
            eprintln!("the loopback receiver: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut out = match tls_output(&output, &address, &dir) {
        Ok(out) => out,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let mut line = Vec::new();
    let (mut sent, mut failed) = (0u32, 0u32);
    let cpu_before = thread_cpu();
    for serial in 0..events {
        let side = storm_event(serial, &mut line);
        match out.write_line(&line, &side) {
            Ok(_) => sent += 1,
            Err(_) => failed += 1,
        }
        if (serial + 1) % flush_every == 0 && out.flush().is_err() {
            failed += 1;
        }
    }
    if out.flush().is_err() {
        failed += 1;
    }
    let cpu = thread_cpu()
        .zip(cpu_before)
        .map(|(a, b)| (a.0 - b.0, a.1 - b.1));
    drop(out);
    let received = receiver.join().unwrap_or(0);
    let _ = std::fs::remove_dir_all(&dir);
    println!("{output} over TLS: {sent} sent, {failed} failed, {received} bytes received");
    if let Some((user, system)) = cpu.filter(|_| events > 0) {
        let per = |ticks: u64| ticks as f64 * 10_000.0 / f64::from(events);
        println!(
            "this thread's CPU per event: {:.2} µs user, {:.2} µs system (10 ms ticks)",
            per(user),
            per(system)
        );
    }
    ExitCode::SUCCESS
}
