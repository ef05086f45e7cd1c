//! A GELF receiver for the tests: reassembles chunked UDP messages and
//! decompresses them as Graylog does.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Read;
use std::net::UdpSocket;

use raudit::output::gelf::{CHUNK_MAGIC, CHUNK_SIZE, MAX_CHUNKS};
use raudit::output::GelfCompressionType;

/// Receives one GELF message: a plain datagram or all chunks of one id.
pub fn receive(server: &UdpSocket) -> (Vec<u8>, usize) {
    let mut buf = vec![0u8; 65536];
    let mut chunks: BTreeMap<u8, Vec<u8>> = BTreeMap::new();
    let mut id = None;
    loop {
        let n = server.recv(&mut buf).unwrap();
        assert!(n <= CHUNK_SIZE, "datagram of {n} bytes");
        let d = &buf[..n];
        if d[..2] != CHUNK_MAGIC {
            assert!(chunks.is_empty());
            return (d.to_vec(), 1);
        }
        let this_id = d[2..10].to_vec();
        assert_eq!(id.get_or_insert(this_id.clone()), &this_id);
        let (seq, n_chunks) = (d[10], d[11] as usize);
        assert!(n_chunks <= MAX_CHUNKS && (seq as usize) < n_chunks);
        assert!(chunks.insert(seq, d[12..].to_vec()).is_none());
        if chunks.len() == n_chunks {
            let whole: Vec<u8> = chunks.into_values().flatten().collect();
            return (whole, n_chunks);
        }
    }
}

pub fn inflate(kind: GelfCompressionType, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match kind {
        GelfCompressionType::Gzip => {
            assert_eq!(&payload[..2], &[0x1f, 0x8b]);
            flate2::read::GzDecoder::new(payload)
                .read_to_end(&mut out)
                .unwrap();
        }
        GelfCompressionType::Zlib => {
            assert_eq!(payload[0], 0x78);
            flate2::read::ZlibDecoder::new(payload)
                .read_to_end(&mut out)
                .unwrap();
        }
        GelfCompressionType::None => out = payload.to_vec(),
    }
    out
}
