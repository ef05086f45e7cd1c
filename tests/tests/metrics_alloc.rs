//! Proves a metrics scrape allocates nothing: a counting global allocator
//! watches hundreds of scrapes (TCP and unix socket, request parsed,
//! exposition rendered, response written) after a warm-up. The client
//! here reads into a fixed buffer, so every allocation counted would be
//! the server's.

#[path = "../scratch_dir.rs"]
mod scratch_dir;

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use raudit::metrics::MetricsAddress;
use raudit::metrics::MetricsServer;
use raudit::stats::Stats;

use scratch_dir::ScratchDir;

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

const WARM_UP: usize = 20;
const SCRAPES: usize = 300;

/// One scrape into `buf`; returns the response length.
fn scrape(mut stream: impl Read + Write, buf: &mut [u8]) -> usize {
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: test\r\n\r\n")
        .unwrap();
    let mut len = 0;
    loop {
        let n = stream.read(&mut buf[len..]).unwrap();
        if n == 0 {
            return len;
        }
        len += n;
    }
}

#[test]
fn scrapes_allocate_nothing_after_warm_up() {
    let stats = Arc::new(Stats::new(&["file", "stdout"]));
    let tcp = MetricsServer::start(
        &MetricsAddress::Tcp("127.0.0.1:0".parse().unwrap()),
        Arc::clone(&stats),
    )
    .unwrap();
    let MetricsAddress::Tcp(addr) = *tcp.address() else {
        panic!("a TCP address");
    };
    let dir = ScratchDir::new("metrics-alloc");
    let path = dir.join("metrics.sock");
    let unix =
        MetricsServer::start(&MetricsAddress::Unix(path.clone()), Arc::clone(&stats)).unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let once = |i: usize, buf: &mut [u8], addr: SocketAddr| {
        stats.records.add(i as u64);
        stats.outputs[0].bytes.add(1000);
        let len = if i.is_multiple_of(2) {
            scrape(TcpStream::connect(addr).unwrap(), buf)
        } else {
            scrape(UnixStream::connect(&path).unwrap(), buf)
        };
        assert!(buf[..len].starts_with(b"HTTP/1.1 200 OK"));
        assert!(len > 1000, "a whole exposition: {len} bytes");
    };
    for i in 0..WARM_UP {
        once(i, &mut buf, addr);
    }
    ALLOCATIONS.store(0, Ordering::SeqCst);
    COUNTING.store(true, Ordering::SeqCst);
    for i in 0..SCRAPES {
        once(i, &mut buf, addr);
    }
    COUNTING.store(false, Ordering::SeqCst);
    let allocations = ALLOCATIONS.load(Ordering::SeqCst);
    tcp.stop();
    unix.stop();
    assert_eq!(
        allocations, 0,
        "{allocations} allocations in {SCRAPES} scrapes"
    );
}
