//! The response reader against answers split at every byte, framed every
//! way RFC 9112 allows, and answers out of step or hostile.

use super::*;

/// Serves `data` at most `step` bytes a read, then times out (as a
/// kept-alive socket whose read timeout expires).
struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
}

impl io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.data.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = self.step.min(buf.len()).min(self.data.len());
        let (now, rest) = self.data.split_at(n);
        buf[..n].copy_from_slice(now);
        self.data = rest;
        Ok(n)
    }
}

/// Each of `responses` read from a stream of its own with reads of
/// `step` bytes: each must be read to its last byte, no further (a
/// reader that stopped short would leave the connection out of step; one
/// that read on would time out).
fn replies(responses: &[&[u8]], step: usize) -> Vec<Result<Reply, String>> {
    let mut buf = [0; super::super::REPLY_ROOM];
    let mut out = Vec::new();
    for data in responses {
        let mut stream = Trickle { data, step };
        let reply = read_reply(&mut stream, &mut buf).map_err(|e| e.to_string());
        if reply.is_ok() {
            assert!(
                stream.data.is_empty(),
                "{} bytes left unread",
                stream.data.len()
            );
        }
        out.push(reply);
    }
    out
}

/// `responses` read with reads of every size from one byte to the
/// longest's: the same replies each time, which `check` is given.
fn each_split(responses: &[&[u8]], check: impl Fn(&[Result<Reply, String>])) {
    let longest = responses.iter().map(|r| r.len()).max().unwrap_or(1);
    for step in 1..=longest {
        check(&replies(responses, step));
    }
}

/// `ok` whose connection closes after it.
fn closed(status: u16) -> Reply {
    Reply {
        close: true,
        ..ok(status)
    }
}

fn ok(status: u16) -> Reply {
    Reply {
        status,
        retry_after: None,
        close: false,
        rejected: 0,
    }
}

/// partial_success { rejected_log_records: 300, error_message: "x" }.
const PARTIAL: [u8; 8] = [0x0a, 0x06, 0x08, 0xac, 0x02, 0x12, 0x01, b'x'];

#[test]
fn partial_success_counts_are_read_and_garbage_is_none() {
    assert_eq!(rejected_records(&PARTIAL), 300);
    assert_eq!(rejected_records(&[]), 0);
    assert_eq!(rejected_records(b"{}"), 0);
    assert_eq!(rejected_records(&[0x0a, 0x7f, 0x08]), 0);
}

#[test]
fn interim_answers_are_read_past_to_the_final_one() {
    let responses: [&[u8]; 2] = [
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n\
          HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}",
    ];
    each_split(&responses, |got| {
        assert_eq!(got, [Ok(ok(200)), Ok(ok(202))])
    });
    let switched = replies(&[b"HTTP/1.1 101 Switching Protocols\r\n\r\n"], 64);
    assert!(switched[0]
        .as_ref()
        .unwrap_err()
        .contains("switched protocols"));
}

#[test]
fn chunked_bodies_end_at_their_last_chunk_with_extensions_and_trailers() {
    let mut partial = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;a=b\r\n".to_vec();
    partial.extend_from_slice(&PARTIAL[..3]);
    partial.extend_from_slice(b"\r\n5\r\n");
    partial.extend_from_slice(&PARTIAL[3..]);
    partial.extend_from_slice(b"\r\n0;last=\"yes\"\r\nX-Trailer: 1\r\nY: 2\r\n\r\n");
    let responses: [&[u8]; 3] = [
        &partial,
        // Chunk data that itself ends in what a last chunk looks like.
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab0\r\n\r\n0\r\n\r\n",
        b"HTTP/1.1 204 No Content\r\n\r\n",
    ];
    let rejected = Reply {
        rejected: 300,
        ..ok(200)
    };
    each_split(&responses, |got| {
        assert_eq!(got, [Ok(rejected), Ok(ok(200)), Ok(ok(204))]);
    });
}

#[test]
fn transfer_encoding_wins_over_content_length_in_either_order() {
    for head in [
        "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n",
        "Content-Length: 3\r\nTransfer-Encoding: gzip, chunked\r\n",
    ] {
        let data = format!("HTTP/1.1 200 OK\r\n{head}\r\n3\r\nabc\r\n0\r\n\r\n");
        each_split(&[data.as_bytes()], |got| {
            assert_eq!(got, [Ok(ok(200))], "{head:?}");
        });
    }
    // Another coding last: the body runs to the close.
    let mut stream = Trickle {
        data: b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzz",
        step: 8,
    };
    let mut buf = [0; 256];
    let reply = read_reply(&mut stream, &mut buf).unwrap();
    assert_eq!(reply, closed(200));
}

#[test]
fn content_lengths_are_checked_and_kept_bodies_bounded() {
    let huge: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\nxx";
    // Read as far as there is, then the stream times out: an error, not a panic.
    assert!(replies(&[huge], 64)[0].is_err());
    let two: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx";
    let got = replies(&[two], 64);
    assert!(got[0]
        .as_ref()
        .unwrap_err()
        .contains("two different Content-Lengths"));
    let same: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nxx";
    assert_eq!(replies(&[same], 64), [Ok(ok(200))]);
    // A 2xx body larger than half the room: read past, its partial
    // success not read (not a protobuf this small anyway).
    let mut long = b"HTTP/1.1 200 OK\r\nContent-Length: 20000\r\n\r\n".to_vec();
    long.resize(long.len() + 20000, b'z');
    let mut partial = b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n".to_vec();
    partial.extend_from_slice(&PARTIAL);
    for step in [1, 7, 4096, long.len()] {
        assert_eq!(
            replies(&[&long, &partial], step),
            [
                Ok(ok(200)),
                Ok(Reply {
                    rejected: 300,
                    ..ok(200)
                })
            ]
        );
    }
}

#[test]
fn many_headers_and_retry_after_and_connection() {
    let mut data = b"HTTP/1.1 503 Busy\r\nRetry-After: 7\r\nConnection: close\r\n".to_vec();
    for i in 0..100 {
        data.extend_from_slice(format!("X-H{i}: v\r\n").as_bytes());
    }
    data.extend_from_slice(b"Content-Length: 0\r\n\r\n");
    let busy = Reply {
        status: 503,
        retry_after: Some(Duration::from_secs(7)),
        close: true,
        rejected: 0,
    };
    assert_eq!(replies(&[&data], 100), [Ok(busy)]);
    let old: &[u8] = b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n";
    assert_eq!(replies(&[old], 64), [Ok(closed(200))]);
}

#[test]
fn bytes_after_a_response_close_the_connection() {
    let mut stream = Trickle {
        data: b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\n",
        step: 4096,
    };
    let mut buf = [0; super::super::REPLY_ROOM];
    let reply = read_reply(&mut stream, &mut buf).unwrap();
    assert_eq!(reply, closed(200));
}

#[test]
fn broken_answers_are_errors_never_panics() {
    for data in [
        &b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"[..],
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        b"SSH-2.0-OpenSSH\r\n\r\n",
    ] {
        let got = replies(&[data], 3);
        assert!(
            got[0].is_err(),
            "{:?}: {got:?}",
            String::from_utf8_lossy(data)
        );
    }
    // Closed before the end.
    let mut closed = &b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab"[..];
    let mut buf = [0; 64];
    let err = read_reply(&mut closed, &mut buf).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    // A head larger than the room.
    let mut long = b"HTTP/1.1 200 OK\r\nX: ".to_vec();
    long.resize(200, b'a');
    let err = read_reply(&mut &long[..], &mut buf).unwrap_err();
    assert!(err.to_string().contains("head is too large"), "{err}");
}

proptest::proptest! {
    /// Whatever the bytes and however they are split, an answer or an
    /// error, never a panic or an endless read.
    #[test]
    fn any_answer_reads_to_an_end(
        data in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::sample::select(&b"HTTP/1.1 200 OK\r\n:0123456789abcdef;= "[..]),
                proptest::num::u8::ANY,
            ],
            0..200,
        ),
        head in proptest::sample::select(&[
            "",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n",
            "HTTP/1.1 100 Continue\r\n\r\n",
        ][..]),
        step in 1usize..40,
    ) {
        let mut all = head.as_bytes().to_vec();
        all.extend_from_slice(&data);
        let mut stream = Trickle { data: &all, step };
        let mut buf = [0; 512];
        let _ = read_reply(&mut stream, &mut buf);
    }
}
