//! Conformance against the shared corpus of real captures (read in place,
//! never copied): every auditd log line through `Record::from_log_line`,
//! every audit frame of the netlink captures through `Frames` +
//! `Record::from_kernel`. Built as ignored when the corpus is absent.

use std::fs;
use std::path::{Path, PathBuf};

use raudit_core::record::{Fields, Record};
use raudit_core::wire::netlink::{Frames, NLMSG_DONE, NLMSG_ERROR, NLMSG_NOOP};
use raudit_core::wire::MessageType;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus");

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

/// The shared corpus. These tests are built as ignored when it is absent
/// (`tests/build_env.rs`), so reaching here without it is a failure.
fn corpus() -> PathBuf {
    let root = PathBuf::from(CORPUS);
    assert!(
        root.is_dir(),
        "{CORPUS} is absent (RAUDIT_REQUIRE_CORPUS=1, or it vanished after the build)"
    );
    root
}

#[test]
#[cfg_attr(raudit_no_corpus, ignore = "../shared/corpus is absent")]
fn log_lines_parse() {
    let root = corpus();
    let mut logs = Vec::new();
    files(&root, "log", &mut logs);
    logs.sort();
    let (mut total, mut ok) = (0usize, 0usize);
    let mut refused = Vec::new();
    for path in &logs {
        let data = fs::read(path).expect("readable corpus file");
        let (mut file_total, mut file_ok) = (0usize, 0usize);
        for line in data.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            file_total += 1;
            match Record::from_log_line(line) {
                Ok(r) => {
                    file_ok += 1;
                    // The body's fields iterate to the end without losing bytes.
                    let mut fields = Fields::new(r.body);
                    for _ in fields.by_ref() {}
                    assert!(fields.remainder().iter().all(|&b| b == b' '));
                    // ENRICHED exactly when the line carries the separator.
                    assert_eq!(r.enriched.is_some(), line.contains(&0x1d));
                }
                Err(e) => {
                    let name = path.file_name().unwrap().to_string_lossy().into_owned();
                    let line = String::from_utf8_lossy(line).into_owned();
                    println!("{name}: {e:?}: {line}");
                    refused.push((name, line));
                }
            }
        }
        println!("{}: {file_ok}/{file_total} lines", path.display());
        total += file_total;
        ok += file_ok;
    }
    println!("log lines: {ok}/{total} parsed");
    assert!(total > 2000, "corpus unexpectedly small: {total}");
    // One go-libaudit line is malformed on purpose (`msg=?`, no stamp);
    // every other line parses.
    let refused: Vec<(&str, &str)> = refused
        .iter()
        .map(|(file, line)| (file.as_str(), line.as_str()))
        .collect();
    assert_eq!(
        refused,
        [("audit-rhel7.log", "type=UNKNOWN[1329] msg=?")],
        "refused lines"
    );
}

#[test]
#[cfg_attr(raudit_no_corpus, ignore = "../shared/corpus is absent")]
fn netlink_captures_parse() {
    let root = corpus();
    let mut captures = Vec::new();
    files(&root, "netlink", &mut captures);
    captures.sort();
    let (mut frames, mut records) = (0usize, 0usize);
    for path in &captures {
        let data = fs::read(path).expect("readable corpus file");
        let (mut file_frames, mut file_records) = (0usize, 0usize);
        for frame in Frames::new(&data) {
            let msg = frame.unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
            file_frames += 1;
            // Payloads lie inside the buffer.
            let start = msg.payload.as_ptr() as usize - data.as_ptr() as usize;
            assert!(start + msg.payload.len() <= data.len());
            if matches!(msg.msg_type, NLMSG_NOOP | NLMSG_ERROR | NLMSG_DONE) || msg.msg_type < 1000
            {
                continue;
            }
            let r = Record::from_kernel(MessageType(msg.msg_type), msg.payload)
                .unwrap_or_else(|e| panic!("{e:?}: {}", String::from_utf8_lossy(msg.payload)));
            assert!(!r.body.ends_with(b"\0") && !r.body.ends_with(b"\n"));
            Fields::new(r.body).for_each(drop);
            file_records += 1;
        }
        println!(
            "{}: {file_records} records in {file_frames} frames",
            path.display()
        );
        frames += file_frames;
        records += file_records;
    }
    println!("netlink: {records} records in {frames} frames");
    assert!(!captures.is_empty(), "no .netlink capture in the corpus");
    assert!(records > 2000, "capture unexpectedly small: {records}");
}

#[test]
#[cfg_attr(raudit_no_corpus, ignore = "../shared/corpus is absent")]
fn laurel_record_lines_parse() {
    let root = corpus();
    let mut texts = Vec::new();
    files(&root.join("laurel"), "txt", &mut texts);
    let (mut total, mut enriched, mut nodes) = (0usize, 0usize, 0usize);
    // What the lines show, counted without the parser.
    let (mut separators, mut node_prefixes) = (0usize, 0usize);
    for path in &texts {
        let data = fs::read(path).expect("readable corpus file");
        let lines = data.split(|&b| b == b'\n');
        for line in lines.filter(|l| l.starts_with(b"type=") || l.starts_with(b"node=")) {
            separators += usize::from(line.contains(&0x1d));
            node_prefixes += usize::from(line.starts_with(b"node="));
            let r = Record::from_log_line(line).unwrap_or_else(|e| {
                panic!(
                    "{}: {e:?}: {}",
                    path.display(),
                    String::from_utf8_lossy(line)
                )
            });
            total += 1;
            enriched += usize::from(r.enriched.is_some());
            nodes += usize::from(r.node.is_some());
        }
    }
    println!("laurel: {total} lines ({enriched} enriched, {nodes} with node=)");
    assert!(total > 500, "laurel's samples unexpectedly small: {total}");
    assert!(
        separators > 0 && node_prefixes > 0,
        "laurel's samples changed"
    );
    assert_eq!(enriched, separators, "ENRICHED parts found");
    assert_eq!(nodes, node_prefixes, "node= prefixes found");
}
