//! Proves the hot path allocates nothing per event: a counting global
//! allocator watches receive → parse → assemble → filter → encode → queue →
//! file write (pipeline and output thread both) over thousands of events
//! after a warm-up, fed from memory through the pipeline's `Source` seam.
//! One event in fifty is a large execve (three 40 KiB arguments, split over
//! EXECVE records): it grows in the assembler's lane and goes out through
//! the queue's large buffer, whose pages are given back after; two file
//! outputs write every buffer. Run once per event shape (go-audit,
//! structured, ECS), each with uid names on and a SOCKADDR to decode.

#[path = "../../core/tests/support/execve.rs"]
mod execve;

use std::alloc::{GlobalAlloc, Layout, System};
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use raudit::config::EventFormat;
use raudit::output::{self, FileOutput, FileSpec, Sink, WriterSettings};
use raudit::pipeline::{self, EventFilter, Input, Pipeline, Slot, Source};
use raudit::queue::{Policy, Queue};
use raudit::stats::Stats;
use raudit::sys::netlink::Received;

struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards every call to the system allocator unchanged; only
// counts (an atomic add, which does not allocate).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Datagrams from memory, as the unicast stream carries them, a few per
/// receive and [`ARRIVAL_GAP`] apart, as at a high but not saturating
/// rate (so receive pacing asks for pauses, which are not taken).
struct MemorySource {
    datagrams: Vec<Vec<u8>>,
    next: usize,
}

impl Source for MemorySource {
    fn receive(
        &mut self,
        slots: &mut [Slot],
        received: &mut [Received],
        _timeout: Duration,
    ) -> io::Result<Input> {
        let arrival = Instant::now();
        while arrival.elapsed() < ARRIVAL_GAP {
            std::hint::spin_loop();
        }
        let mut n = 0;
        while n < slots.len().min(PER_RECEIVE) && self.next < self.datagrams.len() {
            let datagram = &self.datagrams[self.next];
            slots[n][..datagram.len()].copy_from_slice(datagram);
            received[n] = Received {
                len: datagram.len(),
                truncated: false,
            };
            n += 1;
            self.next += 1;
        }
        Ok(if n == 0 {
            Input::Idle
        } else {
            Input::Datagrams(n)
        })
    }

    fn pause(&mut self, _: Duration) {}
}

/// Datagrams per receive: fewer than the slots, as at moderate rates.
const PER_RECEIVE: usize = 7;
/// Time between receives: 7 records per 20 µs is 350,000 records/s.
const ARRIVAL_GAP: Duration = Duration::from_micros(20);

fn datagram(msg_type: u16, payload: &str) -> Vec<u8> {
    let mut d = Vec::new();
    // The unicast quirk: nlmsg_len counts the payload only.
    d.extend_from_slice(&(payload.len() as u32).to_ne_bytes());
    d.extend_from_slice(&msg_type.to_ne_bytes());
    d.extend_from_slice(&0u16.to_ne_bytes());
    d.extend_from_slice(&0u32.to_ne_bytes());
    d.extend_from_slice(&0u32.to_ne_bytes());
    d.extend_from_slice(payload.as_bytes());
    d
}

/// Serials of large events.
fn is_large(serial: u32) -> bool {
    serial % 50 == 25
}

/// One execve event (six records, or more for a large one) with serial
/// `serial`; every tenth is one the filter drops.
fn event(serial: u32, out: &mut Vec<Vec<u8>>) {
    let stamp = format!("audit(1700000000.{:03}:{serial}): ", serial % 1000);
    if is_large(serial) {
        let mut args = execve::arguments(3, 40 * 1024);
        args.insert(0, b"/bin/large".to_vec());
        out.push(datagram(1300, &format!("{stamp}arch=c000003e syscall=59 success=yes exit=0 items=1 ppid=1 pid={serial} auid=1000 uid=0 comm=\"large\" exe=\"/bin/large\"")));
        for body in execve::execve_bodies(&args) {
            out.push(datagram(1309, &format!("{stamp}{body}")));
        }
        out.push(datagram(1307, &format!("{stamp}cwd=\"/root\"")));
        out.push(datagram(1320, &stamp));
        return;
    }
    let arg = if serial.is_multiple_of(10) {
        "drop-me"
    } else {
        "keep"
    };
    let records: [(u16, String); 7] = [
        (1300, format!("arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=4 items=2 ppid=1 pid={serial} auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=1 comm=\"ls\" exe=\"/usr/bin/ls\" key=(null)")),
        (1309, format!("argc=3 a0=\"ls\" a1=\"{arg}\" a2=\"-l\"")),
        (1307, "cwd=\"/root\"".to_owned()),
        (1302, "item=0 name=\"/usr/bin/ls\" inode=1 dev=fe:00 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL".to_owned()),
        (1327, "proctitle=6C73002D6C".to_owned()),
        (1306, "saddr=020001BB7F0000010000000000000000".to_owned()),
        (1320, String::new()),
    ];
    for (msg_type, body) in records {
        out.push(datagram(msg_type, &format!("{stamp}{body}")));
    }
}

fn drive(pipeline: &mut Pipeline<MemorySource>) {
    while pipeline.step(None).unwrap() != Input::Idle {}
}

fn wait_written(stats: &Stats, events: u64) {
    let started = Instant::now();
    while stats.outputs[0].events.get() < events {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "output thread stalled"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn steady_state_allocates_nothing_per_event_go_audit() {
    steady_state_allocates_nothing_per_event(EventFormat::GoAudit);
}

#[test]
fn steady_state_allocates_nothing_per_event_structured() {
    steady_state_allocates_nothing_per_event(EventFormat::Structured);
}

#[test]
fn steady_state_allocates_nothing_per_event_ecs() {
    steady_state_allocates_nothing_per_event(EventFormat::Ecs);
}

/// The allocation counter is global: one measurement at a time.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn steady_state_allocates_nothing_per_event(format: EventFormat) {
    const WARM_UP: u32 = 2_000;
    const MEASURED: u32 = 20_000;
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = std::env::temp_dir().join(format!("raudit-alloc-{}-{format:?}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("events.log");

    let mut datagrams = Vec::new();
    for serial in 1..=WARM_UP + MEASURED {
        event(serial, &mut datagrams);
    }
    let mut warm_up_datagrams = Vec::new();
    for serial in 1..=WARM_UP {
        event(serial, &mut warm_up_datagrams);
    }
    let warm_up_datagrams = warm_up_datagrams.len();

    let max_event = raudit::config::DEFAULT_MAX_EVENT_BYTES as usize;
    let queue = Queue::with_large(256, 16 * 1024, Policy::Block, max_event + 1);
    let stats = Arc::new(Stats::new(&["file", "second"]));
    let open = |path: &std::path::Path| {
        let file = FileOutput::open(
            FileSpec {
                path: path.to_owned(),
                mode: 0o600,
                uid: None,
                gid: None,
            },
            output::batch::DEFAULT_BATCH,
        )
        .unwrap();
        Sink::new(Box::new(file), 3, Duration::from_millis(10), 0)
    };
    let sinks = vec![open(&path), open(&dir.join("second.log"))];
    let writer = {
        let (queue, stats) = (Arc::clone(&queue), Arc::clone(&stats));
        let settings = WriterSettings {
            loss_report_interval: Duration::from_secs(3600),
        };
        std::thread::spawn(move || output::run_writer(queue, sinks, stats, settings))
    };
    let settings = pipeline::Settings {
        filters: vec![EventFilter {
            syscall: Some("59".into()),
            message_type: 1309,
            regex: regex::bytes::Regex::new("a1=\"drop-me\"").unwrap(),
        }],
        pacing: true,
        socket_buffer_bytes: 4 << 20,
        format,
        ..pipeline::Settings::default()
    };
    let source = MemorySource { datagrams, next: 0 };
    let mut pipeline = Pipeline::new(source, settings, Arc::clone(&queue), Arc::clone(&stats));

    // Warm-up: caches (uid names), the regex's matcher, first writes.
    {
        let full = std::mem::take(&mut pipeline_source(&mut pipeline).datagrams);
        let rest = full[warm_up_datagrams..].to_vec();
        pipeline_source(&mut pipeline).datagrams = full[..warm_up_datagrams].to_vec();
        drive(&mut pipeline);
        wait_written(&stats, u64::from(WARM_UP - WARM_UP / 10));
        let source = pipeline_source(&mut pipeline);
        source.datagrams = rest;
        source.next = 0;
    }

    // The counter itself works.
    COUNTING.store(true, Ordering::SeqCst);
    drop(std::hint::black_box(Box::new(1u64)));
    assert!(ALLOCATIONS.swap(0, Ordering::SeqCst) >= 1);

    drive(&mut pipeline);
    let kept = u64::from(WARM_UP + MEASURED) - u64::from((WARM_UP + MEASURED) / 10);
    wait_written(&stats, kept);
    COUNTING.store(false, Ordering::SeqCst);
    let allocations = ALLOCATIONS.load(Ordering::SeqCst);

    pipeline.finish(Duration::ZERO, Duration::ZERO).unwrap();
    writer.join().unwrap();
    assert_eq!(stats.events.get(), u64::from(WARM_UP + MEASURED));
    assert_eq!(
        stats.filter_drops.get(),
        u64::from((WARM_UP + MEASURED) / 10)
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len() as u64, kept);
    for line in lines.iter().step_by(97) {
        let event: serde_json::Value = serde_json::from_str(line).unwrap();
        let sequence = match format {
            EventFormat::Ecs => &event["auditd"]["sequence"],
            _ => &event["sequence"],
        };
        if sequence.as_u64().is_some_and(|s| is_large(s as u32)) {
            continue;
        }
        match format {
            EventFormat::GoAudit => {
                assert_eq!(event["messages"].as_array().unwrap().len(), 6);
                assert_eq!(event["uid_map"]["0"], "root");
            }
            EventFormat::Structured => {
                let records = event["records"].as_array().unwrap();
                assert_eq!(records.len(), 6);
                assert_eq!(records[5]["interpreted"]["saddr"]["port"], 443);
                assert_eq!(event["uid_map"]["0"], "root");
            }
            EventFormat::Ecs => {
                assert_eq!(event["user"]["name"], "root");
                assert_eq!(event["auditd"]["data"]["socket_port"], "443");
                assert_eq!(event["process"]["args"][2], "-l");
            }
        }
    }
    let large: Vec<&&str> = lines.iter().filter(|l| l.len() > 16 * 1024).collect();
    assert!(!large.is_empty(), "no large event went out whole");
    for line in large {
        let event: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(
            event.get("cut").is_none() && event.get("truncated").is_none(),
            "{format:?}"
        );
    }
    let second = std::fs::read_to_string(dir.join("second.log")).unwrap();
    assert_eq!(second, text, "both outputs wrote the same lines");
    println!(
        "large events: {} whole through the large buffer, {} cut while it was out",
        stats.large_lines.get(),
        stats.large_busy.get()
    );
    println!("{MEASURED} events after warm-up: {allocations} allocations");
    assert!(pipeline.pauses() > 0, "receive pacing was not exercised");
    assert_eq!(allocations, 0, "the hot path allocated");
    let _ = std::fs::remove_dir_all(&dir);
}

fn pipeline_source(pipeline: &mut Pipeline<MemorySource>) -> &mut MemorySource {
    pipeline.source_mut()
}
