//! Tests of whole buffers and fragments: `writev` straight from the pool,
//! short writes, lines never joined to a fragment.

use super::*;

/// A connected pair of non-blocking stream sockets as files (the socket
/// buffer bounds one write).
fn nonblocking_pair() -> (File, File) {
    let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    b.set_nonblocking(true).unwrap();
    let a: std::os::fd::OwnedFd = a.into();
    let b: std::os::fd::OwnedFd = b.into();
    (File::from(a), File::from(b))
}

fn read_all_available(reader: &mut File, into: &mut Vec<u8>) {
    let mut chunk = [0u8; 8192];
    loop {
        match io::Read::read(reader, &mut chunk) {
            Ok(0) => return,
            Ok(n) => into.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) => panic!("{e}"),
        }
    }
}

#[test]
fn whole_buffers_go_out_in_order_after_pending_lines() {
    let dir = temp_dir("buffers");
    let path = dir.join("audit.log");
    let mut out = FileOutput::open(spec(path.clone()), 1024).unwrap();
    out.write_line(b"control\n", &NO_SIDE).unwrap();
    let parts: [&[u8]; 3] = [b"a\nb\n", b"", b"c\n"];
    assert!(out.write_buffers(&parts).unwrap().is_ok());
    assert_eq!(out.pending_lines(), 0);
    assert_eq!(std::fs::read(&path).unwrap(), b"control\na\nb\nc\n");
}

#[test]
fn a_short_writev_keeps_the_rest_pending_and_repeats_nothing() {
    let (mut reader, mut writer) = nonblocking_pair();
    let mut batch = LineBatch::with_capacity(64);
    // More than the socket holds: the writev stops part-way.
    let line = [b'x'; 1023]
        .iter()
        .chain(b"\n")
        .copied()
        .collect::<Vec<u8>>();
    let big: Vec<u8> = line.repeat(4096);
    let parts: [&[u8]; 2] = [&big, b"tail\n"];
    batch.write_through(&mut writer, &parts).unwrap();
    assert!(!batch.is_empty(), "the pipe took everything");
    let mut got = Vec::new();
    read_all_available(&mut reader, &mut got);
    assert!(batch.lines() >= 1);
    while !batch.is_empty() {
        let _ = batch.write_to(&mut writer);
        read_all_available(&mut reader, &mut got);
    }
    let mut expected = big.clone();
    expected.extend_from_slice(b"tail\n");
    assert_eq!(got.len(), expected.len());
    assert!(got == expected);
}

#[test]
fn a_failing_writev_accepts_nothing() {
    let mut full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let mut batch = LineBatch::with_capacity(64);
    let parts: [&[u8]; 1] = [b"a\n"];
    let e = batch.write_through(&mut full, &parts).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::ENOSPC));
    assert!(batch.is_empty());
    assert_eq!(batch.lines(), 0);
}

#[test]
fn whole_buffers_are_retried_then_counted_as_errors() {
    let stats = Stats::new(&["file"]);
    let dir = temp_dir("full");
    let mut file = FileOutput::open(spec(dir.join("audit.log")), 64).unwrap();
    // Point the output at /dev/full: every write fails with ENOSPC.
    file.redirect_for_test(
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap(),
    );
    let mut sink = Sink::new(Box::new(file), 2, Duration::ZERO, 0);
    let queue = Queue::new(2, 64, Policy::Drop);
    submit(&queue, &[&[b"a\n", b"b\n"], &[b"c\n"]]);
    let reader = queue.reader(0);
    let held = [reader.next().unwrap(), reader.next().unwrap()];
    sink.write_buffers(&held, &stats);
    assert_eq!(stats.outputs[0].errors.get(), 3);
    assert_eq!(stats.outputs[0].retries.get(), 1);
    assert_eq!(stats.outputs[0].sent.get(), 0);
}

#[test]
fn outputs_without_whole_buffers_get_each_line() {
    let stats = Stats::new(&["flaky"]);
    let lines = Arc::new(Mutex::new(Vec::new()));
    let flaky = Flaky {
        failures: 1,
        lines: Arc::clone(&lines),
    };
    let mut sink = Sink::new(Box::new(flaky), 2, Duration::ZERO, 0);
    let queue = Queue::new(2, 64, Policy::Drop);
    submit(&queue, &[&[b"a\n", b"b\n"], &[b"c\n"]]);
    let reader = queue.reader(0);
    let held = [reader.next().unwrap(), reader.next().unwrap()];
    sink.write_buffers(&held, &stats);
    assert_eq!(
        *lines.lock().unwrap(),
        vec![b"a\n".to_vec(), b"b\n".to_vec(), b"c\n".to_vec()]
    );
    assert_eq!(stats.outputs[0].sent.get(), 3);
    assert_eq!(stats.outputs[0].retries.get(), 1);
}

#[test]
fn a_fragment_left_by_a_failed_write_is_taken_back_out_of_the_file() {
    let dir = temp_dir("fragment");
    let path = dir.join("audit.log");
    std::fs::write(&path, b"{\"old\":1}\n").unwrap();
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    let mut batch = LineBatch::with_capacity(64);
    // A line half written, as after a short write before ENOSPC.
    io::Write::write_all(&mut file, b"{\"half").unwrap();
    assert!(batch.try_push(b"{\"half\":2}\n"));
    assert!(batch.try_push(b"{\"next\":3}\n"));
    // Simulate the state a short write leaves: 6 bytes of the first line
    // written; then the device fails.
    batch.mark_written_for_test(6);
    let mut full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let _ = batch.write_to(&mut full); // fails: settles against `full`
                                       // /dev/full cannot be truncated; the fragment is found against the file.
    let mut batch = LineBatch::with_capacity(64);
    assert!(batch.try_push(b"{\"half\":2}\n"));
    batch.mark_written_for_test(6);
    batch.settle_for_test(&file);
    assert!(!batch.has_fragment());
    assert_eq!(std::fs::read(&path).unwrap(), b"{\"old\":1}\n");
    batch.write_to(&mut file).unwrap();
    assert_eq!(
        std::fs::read(&path).unwrap(),
        b"{\"old\":1}\n{\"half\":2}\n"
    );
}

#[test]
fn a_line_cut_by_a_short_writev_that_cannot_be_taken_back_is_never_joined_to_the_next() {
    // A socket cannot be truncated: the fragment of the line the writev
    // stopped in stays where it went, as on a pipe (stdout) or an
    // append-only file (`chattr +a`: ftruncate refused).
    let (mut reader, mut writer) = nonblocking_pair();
    let mut batch = LineBatch::with_capacity(64);
    let line = [b'x'; 1000]
        .iter()
        .chain(b"\n")
        .copied()
        .collect::<Vec<u8>>();
    let big: Vec<u8> = line.repeat(4096);
    let parts: [&[u8]; 1] = [&big];
    batch.write_through(&mut writer, &parts).unwrap();
    let mut got = Vec::new();
    read_all_available(&mut reader, &mut got);
    assert!(!got.ends_with(b"\n"), "the writev stopped inside a line");
    // The output gives the pending lines up (attempts spent)...
    let dropped = batch.discard(&writer);
    assert!(dropped >= 1);
    // ...and writes the next line later.
    assert!(batch.try_push(b"next\n"));
    while !batch.is_empty() {
        let _ = batch.write_to(&mut writer);
        read_all_available(&mut reader, &mut got);
    }
    for (at, received) in got.split(|&b| b == b'\n').enumerate() {
        assert!(
            received.is_empty() || received == b"next" || received == &line[..line.len() - 1],
            "line {at} is a fragment joined to another ({} bytes)",
            received.len()
        );
    }
    assert!(got.ends_with(b"next\n"));
}

#[test]
fn a_fragment_taken_back_from_a_file_not_opened_for_appending_leaves_no_hole() {
    // stdout redirected to a regular file without O_APPEND (a shell's
    // `>`, systemd's `StandardOutput=file:`): its offset, not its end,
    // says where the next write goes.
    let dir = temp_dir("no-append");
    let path = dir.join("stdout.log");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .unwrap();
    io::Write::write_all(&mut file, b"{\"old\":1}\n").unwrap();
    // A line half written, as after a short write before ENOSPC.
    io::Write::write_all(&mut file, b"{\"half").unwrap();
    let mut batch = LineBatch::with_capacity(64);
    assert!(batch.try_push(b"{\"half\":2}\n"));
    batch.mark_written_for_test(6);
    batch.settle_for_test(&file);
    assert!(!batch.has_fragment());
    batch.write_to(&mut file).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&std::fs::read(&path).unwrap()),
        "{\"old\":1}\n{\"half\":2}\n"
    );
}
