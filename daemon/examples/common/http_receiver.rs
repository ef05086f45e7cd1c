//! An OTLP/HTTP receiver for the cost examples (`otlp_cost`, `sink_cost`):
//! a thread of the example's process that reads each request of one
//! connection and answers `200 OK`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;

/// Answers every request on the first connection with `200 OK`.
pub fn receive(listener: TcpListener) {
    let Ok((stream, _)) = listener.accept() else {
        return;
    };
    let Ok(mut answer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    let mut body = Vec::new();
    loop {
        let mut length = 0usize;
        loop {
            let mut header = String::new();
            match reader.read_line(&mut header) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
        }
        body.resize(length, 0);
        if reader.read_exact(&mut body).is_err()
            || answer
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                .is_err()
        {
            return;
        }
    }
}

/// The OTLP output's settings for the cost examples: batches of 512
/// events (1 MiB at most) to `endpoint`, never flushed by time, in clear.
pub fn otlp_spec(endpoint: raudit::output::otlp::http::Endpoint) -> raudit::output::OtlpSpec {
    raudit::output::OtlpSpec {
        endpoint,
        batch_events: 512,
        batch_bytes: 1024 * 1024,
        flush_interval: std::time::Duration::from_secs(3600),
        timeout: std::time::Duration::from_secs(10),
        headers: Vec::new(),
        spool: None,
        tls: None,
    }
}
