//! Proves the hot path allocates nothing per event: a counting global
//! allocator watches receive → parse → assemble → filter → encode (with the
//! facts beside each line, and a cut version beside a line too large for a
//! transport) → queue → five outputs at once, each on its own thread
//! (file; syslog over a unix datagram socket; GELF over UDP, gzip, its
//! fields from the facts; OTLP/HTTP to a kept-alive local endpoint, its
//! attributes from the facts, through its spool: each batched line written
//! ahead to the spool file and confirmed when its batch got a 2xx; GELF
//! over TCP, its frames gathered and written together) over
//! thousands of events after a warm-up, fed
//! from memory through the pipeline's `Source` seam. One event in fifty is
//! a large execve (three 40 KiB arguments, split over EXECVE records): it
//! grows in the assembler's lane and goes out through the queue's large
//! buffer, whose pages stay for the next one; the datagram outputs send its
//! cut version. One in fifty is a user-space USER_MGMT record that names
//! the account it changes only by name (`acct="root"`, every other one
//! hex-encoded, `acct=726F6F74`, decoded on the stack): ECS looks its id
//! up (cached after the warm-up).
//! Run once per event shape (go-audit, structured, ECS), each with uid
//! names on and a SOCKADDR to decode.

#[path = "../../core/tests/support/execve.rs"]
mod execve;

#[path = "../scratch_dir.rs"]
mod scratch_dir;

use std::alloc::{GlobalAlloc, Layout, System};
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use raudit::output::otlp::http::Endpoint;
use raudit::output::{
    self, FileOutput, FileSpec, Gelf, GelfCompression, GelfNetwork, GelfSpec, Otlp, OtlpSpec, Sink,
    SpoolSpec, Spooling, Syslog, SyslogFormat, SyslogNetwork, SyslogSpec, WriterSettings,
};
use raudit::pipeline::{self, EventFilter, Format, Input, Pipeline, SideSettings, Slot, Source};
use raudit::queue::{Layout as QueueLayout, Policy, Queue};
use raudit::rewrite::{FieldRule, Redaction, RewriteSpec};
use raudit::stats::Stats;
use raudit::sys::netlink::Received;

use scratch_dir::ScratchDir;

struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

/// Whether an allocation now is the code under test's. The test harness's
/// main thread is not: on a slow machine it allocates to print "has been
/// running for over 60 seconds" while the test counts. The test itself runs
/// on a thread the harness spawned (were it on the main thread, the
/// counter's self-check would fail, not pass).
fn counted() -> bool {
    // SAFETY: getpid and gettid take no arguments and cannot fail.
    COUNTING.load(Ordering::Relaxed) && unsafe { libc::gettid() != libc::getpid() }
}

// SAFETY: forwards every call to the system allocator unchanged; only
// counts (an atomic add and two syscalls, which do not allocate).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if counted() {
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
        if counted() {
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
                sender: 0,
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
/// Time between receives: 7 records per 100 µs is 70,000 records/s, fast
/// enough for pacing to ask for pauses, and slow enough that the receive
/// thread stays under pacing's busy limit even in a debug build encoding
/// `ecs` on a loaded machine (at 20 µs it did not, and pacing went
/// unexercised).
const ARRIVAL_GAP: Duration = Duration::from_micros(100);

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

/// Whether event `serial` is the one user-space record naming an account
/// by name (never one the filter drops: not a multiple of ten).
fn is_account(serial: u32) -> bool {
    serial % 50 == 33
}

/// One execve event (six records, or more for a large one) with serial
/// `serial`; every tenth is one the filter drops. With `secret`, the
/// arguments and proctitle hold `--password=hunter2`.
fn event(serial: u32, secret: bool, out: &mut Vec<Vec<u8>>) {
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
    if is_account(serial) {
        // `root`, as its text or hex-encoded.
        let acct = if (serial / 50).is_multiple_of(2) {
            "\"root\""
        } else {
            "726F6F74"
        };
        out.push(datagram(1102, &format!("{stamp}pid={serial} uid=0 auid=1000 ses=1 msg='op=changing-shell acct={acct} exe=\"/usr/sbin/usermod\" hostname=? addr=? terminal=pts/0 res=success'")));
        return;
    }
    let arg = if serial.is_multiple_of(10) {
        "drop-me"
    } else {
        "keep"
    };
    let records: [(u16, String); 7] = [
        (1300, format!("arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=4 items=2 ppid=1 pid={serial} auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=1 comm=\"ls\" exe=\"/usr/bin/ls\" key=(null)")),
        (1309, if secret {
            format!("argc=4 a0=\"ls\" a1=\"{arg}\" a2=\"-l\" a3=\"--password=hunter2\"")
        } else {
            format!("argc=3 a0=\"ls\" a1=\"{arg}\" a2=\"-l\"")
        }),
        (1307, "cwd=\"/root\"".to_owned()),
        (1302, "item=0 name=\"/usr/bin/ls\" inode=1 dev=fe:00 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL".to_owned()),
        // ls\0-l\0--password=hunter2 or ls\0-l
        (1327, if secret {
            "proctitle=6C73002D6C002D2D70617373776F72643D68756E74657232".to_owned()
        } else {
            "proctitle=6C73002D6C".to_owned()
        }),
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
    while stats.outputs.iter().any(|o| o.sent.get() < events) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "an output thread stalled: {}",
            stats.line("stall")
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Reads datagrams into one buffer, counting them, until told to stop
/// (allocates nothing once started).
fn drain<F>(recv: F, stop: Arc<AtomicBool>, count: Arc<AtomicU64>) -> std::thread::JoinHandle<()>
where
    F: Fn(&mut [u8]) -> io::Result<usize> + Send + 'static,
{
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 256 * 1024];
        while !stop.load(Ordering::Relaxed) {
            if recv(&mut buf).is_ok() {
                count.fetch_add(1, Ordering::Relaxed);
            }
        }
    })
}

/// A GELF TCP receiver: takes one connection and counts the frames (NUL
/// bytes) that arrive until told to stop.
fn gelf_tcp_endpoint(
    listener: std::net::TcpListener,
    stop: Arc<AtomicBool>,
    frames: Arc<AtomicU64>,
) -> std::thread::JoinHandle<()> {
    use std::io::Read as _;
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 256 * 1024];
        let (mut conn, _) = listener.accept().unwrap();
        conn.set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        while !stop.load(Ordering::Relaxed) {
            if let Ok(n) = conn.read(&mut buf) {
                let nuls = buf[..n].iter().filter(|&&b| b == 0).count();
                frames.fetch_add(nuls as u64, Ordering::Relaxed);
            }
        }
    })
}

/// A minimal OTLP/HTTP endpoint: reads each request (head, then
/// `Content-Length` bytes) into one buffer and answers 200, counting the
/// requests, until told to stop (allocates nothing once started).
fn otlp_endpoint(
    listener: std::net::TcpListener,
    stop: Arc<AtomicBool>,
    requests: Arc<AtomicU64>,
) -> std::thread::JoinHandle<()> {
    use std::io::{Read as _, Write as _};
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 8 << 20];
        let (mut conn, _) = listener.accept().unwrap();
        conn.set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let mut filled = 0;
        while !stop.load(Ordering::Relaxed) {
            match conn.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(_) => continue,
            }
            while let Some(head) = buf[..filled].windows(4).position(|w| w == b"\r\n\r\n") {
                let head_text = &buf[..head];
                let key = b"Content-Length: ";
                let at = head_text
                    .windows(key.len())
                    .position(|w| w == key)
                    .expect("a Content-Length")
                    + key.len();
                let length = head_text[at..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .fold(0usize, |n, b| n * 10 + usize::from(b - b'0'));
                let end = head + 4 + length;
                if filled < end {
                    break;
                }
                requests.fetch_add(1, Ordering::Relaxed);
                conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                    .unwrap();
                buf.copy_within(end..filled, 0);
                filled -= end;
            }
        }
    })
}

#[test]
fn steady_state_allocates_nothing_per_event_go_audit() {
    steady_state_allocates_nothing_per_event(Format::GoAudit, false);
}

#[test]
fn steady_state_allocates_nothing_per_event_structured() {
    steady_state_allocates_nothing_per_event(Format::Structured, false);
}

#[test]
fn steady_state_allocates_nothing_per_event_ecs() {
    steady_state_allocates_nothing_per_event(Format::Ecs, false);
}

/// `raudit.redact` and `raudit.fields` on: argv and proctitle written
/// again, SYSCALL's a0..a3 left out, still nothing allocated.
#[test]
fn steady_state_allocates_nothing_per_event_go_audit_redacting() {
    steady_state_allocates_nothing_per_event(Format::GoAudit, true);
}

#[test]
fn steady_state_allocates_nothing_per_event_ecs_redacting() {
    steady_state_allocates_nothing_per_event(Format::Ecs, true);
}

/// What the redacting runs rewrite.
fn rewrite_spec() -> RewriteSpec {
    RewriteSpec {
        redactions: vec![Redaction::new(r"(--password=)\S+", "${1}<redacted>").unwrap()],
        fields: vec![FieldRule {
            msg_type: 1300,
            keys: ["a0", "a1", "a2", "a3"]
                .map(|k| k.as_bytes().to_vec())
                .to_vec(),
            keep: false,
        }],
    }
}

/// The allocation counter is global: one measurement at a time.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn steady_state_allocates_nothing_per_event(format: Format, rewrite: bool) {
    const WARM_UP: u32 = 2_000;
    const MEASURED: u32 = 20_000;
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = ScratchDir::new(&format!("alloc-{format:?}-{rewrite}"));
    let path = dir.join("events.log");

    let mut datagrams = Vec::new();
    for serial in 1..=WARM_UP + MEASURED {
        event(serial, rewrite, &mut datagrams);
    }
    let mut warm_up_datagrams = Vec::new();
    for serial in 1..=WARM_UP {
        event(serial, rewrite, &mut warm_up_datagrams);
    }
    let warm_up_datagrams = warm_up_datagrams.len();

    let max_event = raudit::pipeline::LARGEST_EXECVE_LINE as usize;
    let stats = Arc::new(Stats::new(&["file", "syslog", "gelf", "otlp", "gelf-tcp"]));
    // The receivers: a unix datagram socket and a UDP port, drained.
    let stop = Arc::new(AtomicBool::new(false));
    let syslog_socket = dir.join("log");
    let syslog_server = std::os::unix::net::UnixDatagram::bind(&syslog_socket).unwrap();
    let gelf_server = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let gelf_address = gelf_server.local_addr().unwrap().to_string();
    for socket_timeout in [
        syslog_server.set_read_timeout(Some(Duration::from_millis(50))),
        gelf_server.set_read_timeout(Some(Duration::from_millis(50))),
    ] {
        socket_timeout.unwrap();
    }
    let (syslog_got, gelf_got) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let receivers = [
        drain(
            move |buf| syslog_server.recv(buf),
            Arc::clone(&stop),
            Arc::clone(&syslog_got),
        ),
        drain(
            move |buf| gelf_server.recv(buf),
            Arc::clone(&stop),
            Arc::clone(&gelf_got),
        ),
    ];
    let file = FileOutput::open(
        FileSpec {
            path: path.clone(),
            mode: 0o600,
            uid: None,
            gid: None,
            rotation: None,
        },
        output::batch::DEFAULT_BATCH,
    )
    .unwrap();
    let syslog_spec = SyslogSpec::new(
        SyslogNetwork::Unixgram,
        syslog_socket.to_str().unwrap().to_owned(),
        132,
        "go-audit".into(),
        SyslogFormat::Rfc3164,
        None,
    );
    let gelf_spec = GelfSpec {
        network: GelfNetwork::Udp,
        address: gelf_address,
        compression: GelfCompression::default(),
        tls: None,
        spool: None,
    };
    let otlp_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let otlp_spec = OtlpSpec {
        endpoint: Endpoint::parse(&format!(
            "http://{}/v1/logs",
            otlp_listener.local_addr().unwrap()
        ))
        .unwrap(),
        batch_events: 512,
        batch_bytes: 1 << 20,
        flush_interval: Duration::from_secs(1),
        timeout: Duration::from_secs(10),
        headers: vec![("X-Scope-OrgID".into(), "audit".into())],
        spool: None,
        tls: None,
    };
    // GELF over TCP: its frames are gathered and written together.
    let gelf_tcp_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let gelf_tcp_spec = GelfSpec {
        network: GelfNetwork::Tcp,
        address: gelf_tcp_listener.local_addr().unwrap().to_string(),
        compression: GelfCompression::default(),
        tls: None,
        spool: None,
    };
    let gelf_tcp_got = Arc::new(AtomicU64::new(0));
    let gelf_tcp_server = gelf_tcp_endpoint(
        gelf_tcp_listener,
        Arc::clone(&stop),
        Arc::clone(&gelf_tcp_got),
    );
    let otlp_requests = Arc::new(AtomicU64::new(0));
    let otlp_server = otlp_endpoint(otlp_listener, Arc::clone(&stop), Arc::clone(&otlp_requests));
    let syslog_limit = syslog_spec.line_limit();
    let side = SideSettings {
        facts: true,
        cut_limit: [syslog_spec.line_limit(), gelf_spec.line_limit()]
            .into_iter()
            .flatten()
            .min(),
    };
    let queue = Queue::with_layout(QueueLayout {
        buffers: 256,
        buffer_size: 16 * 1024,
        policy: Policy::Block,
        drop_wait: Duration::ZERO,
        outputs: 5,
        side_size: side.bytes_per_buffer(16 * 1024),
        side_reserve: SideSettings::largest_bytes_per_buffer(16 * 1024),
        large_size: max_event + 1,
        large_side_size: side.bytes_per_buffer(max_event + 1),
        large_side_reserve: SideSettings::largest_bytes_per_buffer(max_event + 1),
    });
    let syslog = Syslog::open(&syslog_spec, 16 * 1024);
    let gelf = Gelf::open(&gelf_spec, 16 * 1024);
    let otlp = Otlp::open(&otlp_spec, max_event + 1);
    let gelf_tcp = Gelf::open(&gelf_tcp_spec, 16 * 1024);
    let otlp_spool = SpoolSpec {
        path: dir.join("spool").join("otlp"),
        max_bytes: 64 << 20,
    };
    let pause = Duration::from_millis(10);
    let sinks = vec![
        Sink::new(Box::new(file), 3, pause, 0),
        Sink::new(Box::new(syslog), 3, pause, 1),
        Sink::new(Box::new(gelf), 3, pause, 2),
        Sink::new(Box::new(otlp), 3, pause, 3)
            .with_spool(Spooling::open("otlp", &otlp_spool, max_event + 1).unwrap()),
        Sink::new(Box::new(gelf_tcp), 3, pause, 4),
    ];
    let writer = {
        let (queue, stats) = (Arc::clone(&queue), Arc::clone(&stats));
        let settings = WriterSettings {
            loss_report_interval: Duration::from_secs(3600),
            control_outline: raudit::json::ControlOutline::GoAudit,
            requests: output::Requests::NONE,
        };
        std::thread::spawn(move || output::run_writers(&queue, sinks, &stats, settings))
    };
    let settings = pipeline::Settings {
        filters: vec![EventFilter {
            syscall: Some("59".into()),
            message_type: 1309,
            regex: regex::bytes::Regex::new("a1=\"drop-me\"").unwrap(),
        }],
        // Every event ends with EOE; a deadline would only cut one in two
        // when a loaded host stalls this thread for 2 s mid-event (seen:
        // one event written as two, one line too many).
        assembler: raudit_core::assemble::Settings {
            timeout: raudit_core::time::Duration::from_secs(600),
            // (The user-space records too.)
            type_min: 1100,
            ..raudit_core::assemble::Settings::default()
        },
        pacing: true,
        socket_buffer_bytes: 4 << 20,
        side,
        format,
        rewrite: if rewrite {
            rewrite_spec()
        } else {
            RewriteSpec::default()
        },
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
    std::thread::sleep(Duration::from_millis(100));
    stop.store(true, Ordering::Relaxed);
    for receiver in receivers {
        receiver.join().unwrap();
    }
    otlp_server.join().unwrap();
    gelf_tcp_server.join().unwrap();
    for output in &stats.outputs {
        assert_eq!(output.sent.get(), kept, "{}", output.name);
        assert_eq!(
            output.errors.get() + output.dropped.get(),
            0,
            "{}",
            output.name
        );
    }
    assert_eq!(syslog_got.load(Ordering::Relaxed), kept, "syslog datagrams");
    assert!(gelf_got.load(Ordering::Relaxed) >= kept, "GELF datagrams");
    assert_eq!(
        gelf_tcp_got.load(Ordering::Relaxed),
        kept,
        "GELF TCP frames"
    );
    let requests = otlp_requests.load(Ordering::Relaxed);
    assert!(requests >= kept / 512, "OTLP requests: {requests}");
    println!("otlp: {kept} events in {requests} requests");
    // Every batched line was confirmed: the spool is empty, its file back
    // to its header.
    assert_eq!(stats.outputs[3].spool_events.get(), 0);
    assert_eq!(stats.outputs[3].spooled.get(), 0);
    assert_eq!(std::fs::metadata(&otlp_spool.path).unwrap().len(), 64);
    assert_eq!(stats.events.get(), u64::from(WARM_UP + MEASURED));
    assert_eq!(
        stats.filter_drops.get(),
        u64::from((WARM_UP + MEASURED) / 10)
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len() as u64, kept);
    if rewrite {
        assert!(!text.contains("hunter2") && !text.contains("68756E74657232"));
        let secrets = (1..=WARM_UP + MEASURED)
            .filter(|s| !is_large(*s) && !is_account(*s) && !s.is_multiple_of(10))
            .count() as u64;
        assert_eq!(stats.events_redacted.get(), secrets);
        assert_eq!(stats.redactions.get(), 2 * secrets, "argv and proctitle");
        assert_eq!(stats.fields_dropped.get(), 4 * secrets);
    }
    for line in lines.iter().step_by(97) {
        let event: serde_json::Value = serde_json::from_str(line).unwrap();
        let sequence = match format {
            Format::Ecs => &event["auditd"]["sequence"],
            _ => &event["sequence"],
        };
        if sequence
            .as_u64()
            .is_some_and(|s| is_large(s as u32) || is_account(s as u32))
        {
            continue;
        }
        match format {
            Format::GoAudit => {
                assert_eq!(event["messages"].as_array().unwrap().len(), 6);
                assert_eq!(event["uid_map"]["0"], "root");
            }
            Format::Structured => {
                let records = event["records"].as_array().unwrap();
                assert_eq!(records.len(), 6);
                assert_eq!(records[5]["interpreted"]["saddr"]["port"], 443);
                assert_eq!(event["uid_map"]["0"], "root");
            }
            Format::Ecs => {
                assert_eq!(event["user"]["name"], "root");
                assert_eq!(event["auditd"]["data"]["socket"]["port"], "443");
                assert_eq!(event["process"]["args"][2], "-l");
            }
        }
    }
    // Each account record went out, ECS's with the account's id looked up.
    let accounts: Vec<&&str> = lines
        .iter()
        .filter(|l| l.contains("changing-shell"))
        .collect();
    let want = (1..=WARM_UP + MEASURED).filter(|s| is_account(*s)).count();
    assert_eq!(accounts.len(), want, "{format:?}");
    if format == Format::Ecs {
        for line in accounts {
            let event: serde_json::Value = serde_json::from_str(line).unwrap();
            let want = serde_json::json!({"id":"0","name":"root"});
            assert_eq!(event["user"]["target"], want, "{line}");
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
    // The unix datagram carries at most its send buffer: each line longer
    // went to syslog as its cut version, counted.
    let syslog_limit = syslog_limit.unwrap();
    let too_long = lines.iter().filter(|l| l.len() + 1 > syslog_limit).count() as u64;
    assert_eq!(stats.outputs[1].cut.get(), too_long);
    println!(
        "syslog: {too_long} lines over {syslog_limit} bytes sent cut; gelf: {} cut",
        stats.outputs[2].cut.get()
    );
    println!(
        "large events: {} whole through the large buffer, {} cut while it was out",
        stats.large_lines.get(),
        stats.large_busy.get()
    );
    println!("{MEASURED} events after warm-up: {allocations} allocations");
    assert!(pipeline.pauses() > 0, "receive pacing was not exercised");
    assert_eq!(
        stats.pacing_pauses.get(),
        pipeline.pauses(),
        "the stats report every pause"
    );
    assert_eq!(allocations, 0, "the hot path allocated");
}

fn pipeline_source(pipeline: &mut Pipeline<MemorySource>) -> &mut MemorySource {
    pipeline.source_mut()
}
