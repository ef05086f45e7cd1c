//! The output thread's own work per line for an output that takes lines
//! one by one (syslog, GELF, OTLP): buffers of storm events taken from
//! the queue and handed to a [`Sink`] whose output does nothing, so what
//! callgrind counts is the sink's and the queue's, not an encoder's:
//!
//! ```text
//! cargo build --release -p raudit --example sink_cost
//! valgrind --tool=callgrind target/release/examples/sink_cost 200
//! ```
//!
//! Argument: the number of 64 KiB buffers (default 200). Per line: the
//! total less a run of 0 buffers, over the lines printed.

#[path = "common/storm_event.rs"]
mod storm_event;

use std::io;
use std::process::ExitCode;
use std::time::Duration;

use storm_event::storm_event;

use raudit::output::{Output, Sent, Sink};
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

fn main() -> ExitCode {
    let buffers: u32 = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(200);
    let queue = Queue::new(4, 64 << 10, Policy::Block);
    let reader = queue.reader(0);
    let stats = Stats::new(&["nothing"]);
    let mut sink = Sink::new(Box::new(Nothing), 2, Duration::ZERO, 0);
    let mut line = Vec::new();
    let mut serial = 0;
    for _ in 0..buffers {
        let Some(mut buffer) = queue.take_free(|| false) else {
            eprintln!("the pool is empty");
            return ExitCode::FAILURE;
        };
        loop {
            storm_event(serial, &mut line);
            let Some(space) = buffer.space().get_mut(..line.len()) else {
                break;
            };
            space.copy_from_slice(&line);
            buffer.advance_line(line.len());
            serial += 1;
        }
        queue.submit(buffer);
        while let Some(filled) = reader.next() {
            sink.write_buffers(std::slice::from_ref(&filled), &stats);
            reader.release(filled);
        }
        sink.flush(&stats);
    }
    let sent = stats.outputs.first().map_or(0, |c| c.sent.get());
    println!("{buffers} buffers, {sent} lines through the sink");
    ExitCode::SUCCESS
}
