//! The receive thread's work per event, without a kernel: storm-like events
//! (a `getppid` SYSCALL, PROCTITLE and EOE, as `benches/storm` makes them)
//! fed from memory through the pipeline's `Source` seam into pooled
//! buffers, with what goes beside each line for the outputs chosen by the
//! first argument, so callgrind's instruction counts compare them:
//!
//! ```text
//! cargo build --release -p raudit --example receive-cost
//! valgrind --tool=callgrind target/release/examples/receive-cost facts 20000
//! ```
//!
//! Arguments: `none` (file only: nothing beside the lines), `facts` (GELF
//! or OTLP: the event's facts) or `all` (facts and a cut version of lines
//! over GELF UDP's limit, as with every output), then the number of
//! events (default 20,000), then the shape (`go-audit`, the default,
//! `structured` or `ecs`). It prints the events and bytes encoded;
//! instructions per event are callgrind's total over that number (less
//! the start-up, which a run of 0 events shows).

use std::io;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use raudit::output::{GelfCompression, GelfNetwork, GelfSpec};
use raudit::pipeline::source::receive_from;
use raudit::pipeline::{Format, Input, Pipeline, Settings, SideSettings, Slot, Source};
use raudit::queue::{Policy, Queue};
use raudit::stats::Stats;
use raudit::sys::netlink::Received;

/// Datagrams made on demand: event `n` is three records of serial `n`.
struct Storm {
    next: u64,
    end: u64,
}

impl Storm {
    fn datagram(&self, slot: &mut Slot) -> usize {
        let serial = self.next / 3;
        let (msg_type, body): (u16, String) = match self.next % 3 {
            0 => (
                1300,
                format!(
                    "arch=c000003e syscall=110 success=yes exit={} a0=0 a1=0 a2=0 a3=0 \
                     items=0 ppid=4100 pid=4200 auid=1000 uid=0 gid=0 euid=0 suid=0 \
                     fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm=\"storm-gen\" \
                     exe=\"/work/target/release/storm-gen\" key=\"storm\"",
                    4100 + serial % 7
                ),
            ),
            1 => (
                1327,
                "proctitle=2F776F726B2F7461726765742F72656C656173652F73746F726D2D67656E002D64"
                    .into(),
            ),
            _ => (1320, String::new()),
        };
        let payload = format!(
            "audit({}.{:03}:{serial}): {body}",
            1_700_000_000 + serial / 1000,
            serial % 1000
        );
        let len = 16 + payload.len();
        slot[..4].copy_from_slice(&(len as u32).to_ne_bytes());
        slot[4..6].copy_from_slice(&msg_type.to_ne_bytes());
        slot[6..16].fill(0);
        slot[16..len].copy_from_slice(payload.as_bytes());
        len
    }
}

impl Source for Storm {
    fn receive(
        &mut self,
        slots: &mut [Slot],
        received: &mut [Received],
        _: Duration,
    ) -> io::Result<Input> {
        Ok(receive_from(slots, received, |slot| {
            if self.next >= self.end {
                return None;
            }
            let len = self.datagram(slot);
            self.next += 1;
            Some(Received {
                len,
                truncated: false,
                sender: 0,
            })
        }))
    }

    fn pause(&mut self, _: Duration) {}
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let what = args.next().unwrap_or_else(|| "all".into());
    let events: u64 = args.next().and_then(|n| n.parse().ok()).unwrap_or(20_000);
    let format = match args.next().as_deref().unwrap_or("go-audit") {
        "go-audit" => Format::GoAudit,
        "structured" => Format::Structured,
        "ecs" => Format::Ecs,
        other => {
            eprintln!("unknown format {other:?}: go-audit, structured or ecs");
            return ExitCode::FAILURE;
        }
    };
    let gelf_limit = GelfSpec {
        network: GelfNetwork::Udp,
        address: String::new(),
        compression: GelfCompression::default(),
        tls: None,
        spool: None,
    }
    .line_limit();
    let side = match what.as_str() {
        "none" => SideSettings::default(),
        "facts" => SideSettings {
            facts: true,
            cut_limit: None,
        },
        "all" => SideSettings {
            facts: true,
            cut_limit: gelf_limit,
        },
        other => {
            eprintln!("unknown side {other:?}: none, facts or all");
            return ExitCode::FAILURE;
        }
    };
    let size = 16 << 10;
    let queue = Queue::with_outputs(64, size, Policy::Drop, 1, side.bytes_per_buffer(size));
    let stats = Arc::new(Stats::new(&[]));
    let settings = Settings {
        batch: 32,
        format,
        side,
        ..Settings::default()
    };
    let source = Storm {
        next: 0,
        end: events * 3,
    };
    let mut pipeline = Pipeline::new(source, settings, Arc::clone(&queue), stats);
    let reader = queue.reader(0);
    let (mut lines, mut bytes) = (0u64, 0u64);
    let mut drain = || {
        while let Some(filled) = reader.next() {
            lines += filled.bytes().iter().filter(|&&b| b == b'\n').count() as u64;
            bytes += filled.bytes().len() as u64;
            reader.release(filled);
        }
    };
    loop {
        match pipeline.step(Some(Duration::ZERO)) {
            Ok(Input::Ended) => break,
            Ok(_) => drain(),
            Err(e) => {
                eprintln!("receive: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    if let Err(e) = pipeline.finish(Duration::ZERO, Duration::ZERO) {
        eprintln!("finish: {e}");
        return ExitCode::FAILURE;
    }
    drain();
    println!("{what}: {lines} events, {bytes} bytes");
    ExitCode::SUCCESS
}
