//! An output thread's work per line for an output that takes lines one by
//! one: buffers of storm events taken from the queue and handed to a
//! [`Sink`], flushed when the backlog runs dry (after each buffer here).
//! With `nothing` the output does nothing, so what callgrind counts is the
//! sink's and the queue's, not an encoder's; with `syslog` or `gelf` it is
//! that output over TLS to an in-process rustls receiver, with `otlp` OTLP
//! over HTTP to an in-process receiver (this thread's CPU is printed, the
//! receiver's apart; the lines are made once and copied into each
//! buffer):
//!
//! ```text
//! cargo build --release -p raudit --example sink_cost
//! valgrind --tool=callgrind target/release/examples/sink_cost nothing 200
//! target/release/examples/sink_cost syslog 5000
//! ```
//!
//! Arguments: the output (`nothing`, `syslog`, `gelf`, `otlp`; default
//! `nothing`) and the number of 64 KiB buffers (default 200). Per line:
//! the total less a run of 0 buffers, over the lines printed.

#[path = "common/http_receiver.rs"]
mod http_receiver;
#[path = "common/storm_event.rs"]
mod storm_event;
#[path = "common/thread_cpu.rs"]
mod thread_cpu;
#[path = "common/tls_receiver.rs"]
mod tls_receiver;

use std::io;
use std::process::ExitCode;
use std::time::Duration;

use storm_event::storm_event;
use thread_cpu::thread_cpu;

use raudit::output::otlp::http::Endpoint;
use raudit::output::{Otlp, Output, Sent, Sink};
use raudit::queue::{Policy, Queue};
use raudit::side::LineSide;
use raudit::stats::Stats;

/// An output that takes every line and sends nothing.
struct Nothing;

impl Output for Nothing {
    fn name(&self) -> &str {
        "nothing"
    }

    fn write_line(&mut self, line: &[u8], _side: &LineSide<'_>) -> io::Result<Sent> {
        std::hint::black_box(line);
        Ok(Sent::Whole)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The output `kind` (over TLS to a receiver whose CA is in `dir`), and
/// the receiver's thread.
fn output(kind: &str, dir: &std::path::Path) -> Result<(Box<dyn Output>, Receiver), String> {
    match kind {
        "nothing" => return Ok((Box::new(Nothing), None)),
        "otlp" => return otlp(),
        _ => {}
    }
    let (address, thread) = tls_receiver::receiver(dir)?;
    let output = tls_receiver::tls_output(kind, &address, dir)?;
    Ok((output, Some(thread)))
}

/// The OTLP output over HTTP (batches of 512) to an in-process receiver.
fn otlp() -> Result<(Box<dyn Output>, Receiver), String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    let thread = std::thread::spawn(move || {
        http_receiver::receive(listener);
        0
    });
    let spec = http_receiver::otlp_spec(Endpoint::parse(&format!("http://{address}/v1/logs"))?);
    Ok((
        Box::new(Otlp::with_hostname(&spec, 64 << 10, "bench-host")),
        Some(thread),
    ))
}

/// An in-process receiver's thread (the bytes it got), if there is one.
type Receiver = Option<std::thread::JoinHandle<u64>>;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let kind = args.next().unwrap_or_else(|| "nothing".to_owned());
    let buffers: u32 = args.next().and_then(|n| n.parse().ok()).unwrap_or(200);
    let dir = std::env::temp_dir().join(format!("raudit-sink-cost-{}", std::process::id()));
    let (output, receiver) = match output(&kind, &dir) {
        Ok(made) => made,
        Err(e) => {
            eprintln!("{kind}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let queue = Queue::new(4, 64 << 10, Policy::Block);
    let reader = queue.reader(0);
    let stats = Stats::new(&[kind.as_str()]);
    let mut sink = Sink::new(output, 2, Duration::ZERO, 0);
    // One buffer's lines, made once: each buffer is a copy (the lines'
    // making is not the thread's work being measured).
    let mut lines = Vec::new();
    let mut ends = Vec::new();
    let mut line = Vec::new();
    for serial in 0.. {
        storm_event(serial, &mut line);
        if lines.len() + line.len() > queue.buffer_size() {
            break;
        }
        lines.extend_from_slice(&line);
        ends.push(lines.len());
    }
    let before = thread_cpu();
    for _ in 0..buffers {
        let Some(mut buffer) = queue.take_free(|| false) else {
            eprintln!("the pool is empty");
            return ExitCode::FAILURE;
        };
        if let Some(space) = buffer.space().get_mut(..lines.len()) {
            space.copy_from_slice(&lines);
        }
        let mut start = 0;
        for &end in &ends {
            buffer.advance_line(end - start);
            start = end;
        }
        queue.submit(buffer);
        while let Some(filled) = reader.next() {
            sink.write_buffers(std::slice::from_ref(&filled), &stats);
            reader.release(filled);
        }
        sink.flush(&stats);
    }
    let cpu = thread_cpu().zip(before).map_or((0, 0), |(after, before)| {
        (after.0 - before.0, after.1 - before.1)
    });
    drop(sink);
    let received = receiver.map(|r| r.join().unwrap_or(0));
    let _ = std::fs::remove_dir_all(&dir);
    let sent = stats.outputs.first().map_or(0, |c| c.sent.get());
    println!(
        "{kind}: {buffers} buffers, {sent} lines through the sink, received {received:?} bytes"
    );
    if sent > 0 {
        let per = |ticks: u64| ticks as f64 * 10_000.0 / sent as f64;
        println!(
            "this thread's CPU per line: {:.3} µs user, {:.3} µs system (10 ms ticks)",
            per(cpu.0),
            per(cpu.1)
        );
    }
    ExitCode::SUCCESS
}
