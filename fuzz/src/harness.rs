//! Running fuzz bodies without libFuzzer: a deterministic xorshift
//! generator and mutator, and seed inputs for every target built from the
//! shared corpus of real captures (`../shared/corpus` beside the project;
//! absent is fine). Used by the stable tests and by `examples/seed.rs`,
//! which writes the same seeds into `fuzz/corpus/<target>/`.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

use raudit_core::record::Record;
use raudit_core::wire::netlink::{write_message, Frames};
use raudit_core::wire::MessageType;

use crate::core_targets::{encode_event, encode_ops};

/// The fuzz targets, by name.
pub const TARGETS: &[&str] = &[
    "record",
    "netlink_stream",
    "assembler_ops",
    "encoder",
    "encoder_shapes",
    "replay",
    "user_message",
];

/// The shared corpus, beside the project (every crate of it is one level
/// below the project root).
pub const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus");

/// xorshift64*: small, deterministic, good enough to drive test inputs.
#[derive(Clone, Debug)]
pub struct XorShift(u64);

impl XorShift {
    pub fn new(seed: u64) -> XorShift {
        XorShift(seed | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next_u64() % n as u64) as usize
    }

    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next_u64() as u8).collect()
    }

    /// `seed` with a few random edits: byte flips, inserted and deleted
    /// runs, duplicated runs, truncation, a splice from `other`.
    pub fn mutate(&mut self, seed: &[u8], other: &[u8]) -> Vec<u8> {
        let mut v = seed.to_vec();
        for _ in 0..1 + self.below(6) {
            let at = self.below(v.len() + 1);
            match self.below(7) {
                0 if !v.is_empty() => {
                    let i = self.below(v.len());
                    v[i] ^= 1 << self.below(8);
                }
                1 => {
                    let len = 1 + self.below(8);
                    let run = self.bytes(len);
                    v.splice(at..at, run);
                }
                2 => {
                    let end = (at + 1 + self.below(16)).min(v.len());
                    v.drain(at.min(end)..end);
                }
                3 => {
                    let end = (at + 1 + self.below(32)).min(v.len());
                    let run = v[at.min(end)..end].to_vec();
                    v.splice(at..at, run);
                }
                4 => v.truncate(at),
                5 if !other.is_empty() => {
                    let from = self.below(other.len());
                    let end = (from + 1 + self.below(64)).min(other.len());
                    v.splice(at..at, other[from..end].iter().copied());
                }
                _ => {
                    let i = self.below(v.len().max(1));
                    if let Some(b) = v.get_mut(i) {
                        *b = [0, 0xff, b' ', b'=', b'"', b'\'', 0x1d, b'\n'][self.below(8)];
                    }
                }
            }
        }
        v
    }
}

/// Runs `body` over every seed and then `random` generated inputs (random
/// bytes, and mutations of the seeds), deterministically from `seed`.
pub fn run(body: impl Fn(&[u8]), seeds: &[Vec<u8>], random: usize, seed: u64) {
    println!("{} seeds, {random} generated inputs", seeds.len());
    for input in seeds {
        body(input);
    }
    let mut rng = XorShift::new(seed);
    for _ in 0..random {
        let input = if seeds.is_empty() || rng.below(3) == 0 {
            let len = rng.below(512);
            rng.bytes(len)
        } else {
            let a = &seeds[rng.below(seeds.len())];
            let b = &seeds[rng.below(seeds.len())];
            rng.mutate(a, b)
        };
        body(&input);
    }
}

/// The corpus read into memory: auditd log files and netlink captures.
#[derive(Debug, Default)]
pub struct Corpus {
    pub logs: Vec<Vec<u8>>,
    pub captures: Vec<Vec<u8>>,
}

impl Corpus {
    /// The corpus at `root`, or `None` (with a note) when it is absent.
    pub fn load(root: &Path) -> Option<Corpus> {
        if !root.is_dir() {
            // The bodies still run over their own seeds; only a run that
            // promised the corpus fails without it.
            assert!(
                std::env::var("RAUDIT_REQUIRE_CORPUS").as_deref() != Ok("1"),
                "{} is absent and RAUDIT_REQUIRE_CORPUS=1",
                root.display()
            );
            println!("note: {} absent, corpus seeds not added", root.display());
            return None;
        }
        let mut paths = Vec::new();
        walk(root, &mut paths);
        paths.sort();
        let mut corpus = Corpus::default();
        for path in paths {
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
            let laurel = path.to_string_lossy().contains("laurel");
            match ext {
                "log" => corpus.logs.extend(fs::read(&path).ok()),
                "txt" if laurel => corpus.logs.extend(fs::read(&path).ok()),
                "netlink" => corpus.captures.extend(fs::read(&path).ok()),
                _ => {}
            }
        }
        Some(corpus)
    }

    /// The corpus beside the project ([`CORPUS`]).
    pub fn shared() -> Option<Corpus> {
        Corpus::load(&PathBuf::from(CORPUS))
    }

    fn log_lines(&self) -> impl Iterator<Item = &[u8]> {
        self.logs
            .iter()
            .flat_map(|log| log.split_inclusive(|&b| b == b'\n'))
    }

    /// The frames of every capture, as byte ranges of it.
    fn frames(&self) -> impl Iterator<Item = (&[u8], Vec<(usize, usize)>)> {
        self.captures.iter().map(|capture| {
            let mut spans = Vec::new();
            let mut frames = Frames::new(capture);
            let mut start = frames.offset();
            while let Some(Ok(_)) = frames.next() {
                spans.push((start, frames.offset()));
                start = frames.offset();
            }
            (&capture[..], spans)
        })
    }

    /// Every record of the captures and logs: (type, serial, body).
    fn records(&self) -> Vec<Vec<(u16, u32, &[u8])>> {
        let mut streams = Vec::new();
        for capture in &self.captures {
            let mut stream = Vec::new();
            for message in Frames::new(capture).map_while(Result::ok) {
                let t = MessageType(message.msg_type);
                if let Ok(r) = Record::from_kernel(t, message.payload) {
                    stream.push((message.msg_type, r.serial, r.body));
                }
            }
            streams.push(stream);
        }
        for log in &self.logs {
            let lines = log.split(|&b| b == b'\n');
            let stream = lines
                .filter_map(|line| Record::from_log_line(line).ok())
                .map(|r| (r.msg_type.0, r.serial, r.body))
                .collect();
            streams.push(stream);
        }
        streams
    }

    /// Seed inputs for `target` (one of [`TARGETS`]).
    pub fn seeds(&self, target: &str) -> Vec<Vec<u8>> {
        match target {
            "record" => {
                let mut seeds: Vec<Vec<u8>> = self.log_lines().map(<[u8]>::to_vec).collect();
                for capture in &self.captures {
                    let frames = Frames::new(capture).map_while(Result::ok);
                    seeds.extend(frames.map(|m| m.payload.to_vec()));
                }
                seeds
            }
            "netlink_stream" => {
                let mut seeds = Vec::new();
                for (capture, spans) in self.frames() {
                    for group in spans.chunks(4) {
                        let (start, end) = (group[0].0, group[group.len() - 1].1);
                        seeds.push(capture[start..end].to_vec());
                    }
                }
                seeds
            }
            "assembler_ops" => self
                .records()
                .iter()
                .flat_map(|stream| stream.chunks(48).map(encode_ops))
                .collect(),
            "encoder" | "encoder_shapes" => {
                let mut seeds = Vec::new();
                for stream in self.records() {
                    for (i, event) in events(&stream).into_iter().enumerate() {
                        let (serial, size) = (event[0].1, [128, 600, 8192][i % 3]);
                        let records: Vec<(u16, &[u8])> =
                            event.iter().map(|&(t, _, body)| (t, body)).collect();
                        seeds.push(encode_event(serial, 1_700_000_000, &records, size));
                    }
                }
                seeds
            }
            "replay" => {
                let mut seeds = Vec::new();
                for log in &self.logs {
                    let lines: Vec<&[u8]> = log.split_inclusive(|&b| b == b'\n').collect();
                    seeds.extend(lines.chunks(40).map(<[&[u8]]>::concat));
                }
                for (capture, spans) in self.frames() {
                    for group in spans.chunks(40) {
                        let (start, end) = (group[0].0, group[group.len() - 1].1);
                        seeds.push(capture[start..end].to_vec());
                    }
                }
                seeds
            }
            "user_message" => self
                .log_lines()
                .filter_map(|line| Record::from_log_line(line).ok())
                .filter(|r| r.msg_type.is_user_space())
                .filter_map(|r| {
                    let at = r.body.windows(5).position(|w| w == b"msg='")?;
                    let inner = r.body.get(at + 5..)?;
                    Some(inner.strip_suffix(b"'").unwrap_or(inner).to_vec())
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

impl Corpus {
    /// The corpus's events as `(type, body)` records, EXECVE or PROCTITLE
    /// among them (the `rewrite` target's seeds), at most `max`.
    pub fn argument_events(&self, max: usize) -> Vec<Vec<(u16, &[u8])>> {
        let mut out = Vec::new();
        for stream in self.records() {
            for event in events(&stream) {
                if out.len() < max && event.iter().any(|r| matches!(r.0, 1309 | 1327)) {
                    out.push(event.iter().map(|&(t, _, body)| (t, body)).collect());
                }
            }
        }
        out
    }
}

/// Consecutive records grouped by serial (a new group at each serial
/// change): the events of a stream, roughly.
fn events<'a>(stream: &[(u16, u32, &'a [u8])]) -> Vec<Vec<(u16, u32, &'a [u8])>> {
    let mut out: Vec<Vec<(u16, u32, &[u8])>> = Vec::new();
    for &record in stream {
        match out.last_mut() {
            Some(event) if event[0].1 == record.1 => event.push(record),
            _ => out.push(vec![record]),
        }
    }
    out
}

/// A few hand-written seeds per target, for when the corpus is absent.
pub fn builtin_seeds(target: &str) -> Vec<Vec<u8>> {
    let syscall: &[u8] = b"audit(1700000000.123:42): arch=c000003e syscall=59 success=yes \
        exit=0 a0=55 items=1 ppid=1 pid=2 auid=1000 uid=0 comm=\"ls\" exe=\"/usr/bin/ls\" key=(null)";
    let user: &[u8] = b"audit(1700000000.200:43): pid=9 uid=0 auid=1000 ses=3 \
        msg='op=PAM:session_open acct=\"root\" exe=\"/usr/bin/su\" res=success'";
    let log = b"type=SYSCALL msg=audit(1700000000.123:42): arch=c000003e syscall=59 uid=0\n\
        type=EXECVE msg=audit(1700000000.123:42): argc=2 a0=\"ls\" a1=2D6C\n\
        type=PROCTITLE msg=audit(1700000000.123:42): proctitle=6C73002D6C\x1dARCH=x86_64\n\
        type=EOE msg=audit(1700000000.123:42): \n\
        node=h type=USER_LOGIN msg=audit(1700000001.000:44): pid=1 msg='op=login res=success'\n";
    let mut capture = vec![0u8; 1024];
    let mut at = 0;
    for (t, p) in [
        (1300, syscall),
        (1112, user),
        (1320, &b"audit(1700000000.123:42): "[..]),
    ] {
        at += write_message(&mut capture[at..], t, 0, 0, 0, p).unwrap_or(0);
    }
    capture.truncate(at);
    match target {
        "record" => vec![syscall.to_vec(), user.to_vec(), log.to_vec()],
        "netlink_stream" | "replay" => vec![capture, log.to_vec()],
        "assembler_ops" => vec![encode_ops(&[
            (1300, 42, syscall),
            (1112, 43, user),
            (1309, 42, b"argc=1 a0=\"ls\""),
            (1320, 42, b""),
        ])],
        "encoder" | "encoder_shapes" => vec![encode_event(
            42,
            1_700_000_000,
            &[(1300, syscall), (1309, b"argc=1 a0=\"ls\"")],
            600,
        )],
        "user_message" => vec![
            b"op=PAM:session_open acct=\"root\" exe=\"/usr/bin/su\" res=success".to_vec(),
            b"text=x' uid=12345 pid=1 auid=0 res=failed msg='y exe=\"/usr/sbin/auditctl\" hostname=? addr=? terminal=pts/0 res=success".to_vec(),
            b"avc:  denied  { status } for auid=0 uid=0 path=\"/x\" tclass=service permissive=0  exe=\"/usr/lib/systemd/systemd\" sauid=0 hostname=? addr=? terminal=?".to_vec(),
            b"cwd=\"/\" cmd=6C73202D6C terminal=pts/1 res=success".to_vec(),
        ],
        _ => Vec::new(),
    }
}

/// Seeds for `target`: the built-in ones, plus the corpus's when present.
pub fn all_seeds(target: &str, corpus: Option<&Corpus>) -> Vec<Vec<u8>> {
    let mut seeds = builtin_seeds(target);
    if let Some(corpus) = corpus {
        seeds.extend(corpus.seeds(target));
    }
    seeds
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}
