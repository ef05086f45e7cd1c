//! GELF payload compression as go-gelf writes it: gzip (type 0), zlib
//! (type 1) or none (type 2), at a `compress/flate` level.
//!
//! One `flate2::Compress` is made at start and `reset` per message, and
//! the output `Vec` is reused: no allocation per event once it has reached
//! the largest message's size. The gzip wrapper (header, CRC-32, size) is
//! written here, with Go's header bytes (no name, mtime 0, OS unknown).

use std::io;

use flate2::{Compress, Compression, Crc, FlushCompress, Status};

/// `output.gelf.compression`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GelfCompression {
    /// `level`, default 1 (Go's `flate.BestSpeed`); -2..=9 as `compress/flate`.
    pub level: i8,
    /// `type`, default 0 (gzip).
    pub kind: GelfCompressionType,
}

/// `output.gelf.compression.type`: go-gelf's `CompressType` numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GelfCompressionType {
    /// 0 (or `gzip`).
    Gzip,
    /// 1 (or `zlib`).
    Zlib,
    /// 2 (or `none`).
    None,
}

/// Compresses one message at a time into a reused buffer.
pub struct Compressor {
    kind: GelfCompressionType,
    deflate: Compress,
    gzip_xfl: u8,
    out: Vec<u8>,
}

impl Compressor {
    /// `capacity`: the expected largest compressed message.
    pub fn new(config: GelfCompression, capacity: usize) -> Compressor {
        let level = match config.level {
            // Go's DefaultCompression.
            -1 => Compression::default(),
            // Go's HuffmanOnly has no flate2 equivalent: the fastest level.
            l if l < -1 => Compression::fast(),
            l => Compression::new(u32::from(l.unsigned_abs()).min(9)),
        };
        let zlib_header = config.kind == GelfCompressionType::Zlib;
        // Go's gzip header: XFL 2 at best compression, 4 at best speed.
        let gzip_xfl = match config.level {
            9 => 2,
            1 => 4,
            _ => 0,
        };
        Compressor {
            kind: config.kind,
            deflate: Compress::new(level, zlib_header),
            gzip_xfl,
            out: match config.kind {
                GelfCompressionType::None => Vec::new(),
                _ => Vec::with_capacity(capacity),
            },
        }
    }

    /// `input` compressed (or `input` itself for type none).
    pub fn compress<'a>(&'a mut self, input: &'a [u8]) -> io::Result<&'a [u8]> {
        match self.kind {
            GelfCompressionType::None => Ok(input),
            GelfCompressionType::Zlib => {
                self.out.clear();
                self.deflate_into(input)?;
                Ok(&self.out)
            }
            GelfCompressionType::Gzip => {
                self.out.clear();
                self.out
                    .extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, self.gzip_xfl, 0xff]);
                self.deflate_into(input)?;
                let mut crc = Crc::new();
                crc.update(input);
                self.out.extend_from_slice(&crc.sum().to_le_bytes());
                self.out
                    .extend_from_slice(&(input.len() as u32).to_le_bytes());
                Ok(&self.out)
            }
        }
    }

    /// Appends the whole deflate stream of `input` to `self.out`.
    fn deflate_into(&mut self, input: &[u8]) -> io::Result<()> {
        self.deflate.reset();
        let start = self.deflate.total_in();
        loop {
            let consumed = usize::try_from(self.deflate.total_in() - start).unwrap_or(usize::MAX);
            let rest = input.get(consumed..).unwrap_or_default();
            if self.out.capacity() - self.out.len() < 64 {
                // Grows only when a message is larger than any before.
                self.out.reserve(rest.len() / 2 + 1024);
            }
            let status = self
                .deflate
                .compress_vec(rest, &mut self.out, FlushCompress::Finish)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            if status == Status::StreamEnd {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::io::Read as _;

    use super::*;

    fn roundtrip(kind: GelfCompressionType, level: i8, input: &[u8]) -> Vec<u8> {
        let mut c = Compressor::new(GelfCompression { level, kind }, 16);
        let packed = c.compress(input).unwrap().to_vec();
        // Twice: the reset path must give the same bytes.
        assert_eq!(c.compress(input).unwrap(), &packed[..]);
        let mut out = Vec::new();
        match kind {
            GelfCompressionType::Gzip => {
                assert_eq!(&packed[..2], &[0x1f, 0x8b]);
                flate2::read::GzDecoder::new(&packed[..])
                    .read_to_end(&mut out)
                    .unwrap();
            }
            GelfCompressionType::Zlib => {
                assert_eq!(packed[0], 0x78);
                flate2::read::ZlibDecoder::new(&packed[..])
                    .read_to_end(&mut out)
                    .unwrap();
            }
            GelfCompressionType::None => out = packed,
        }
        out
    }

    #[test]
    fn every_type_and_level_roundtrips() {
        let input: Vec<u8> = (0..20_000u32).map(|i| (i * 7 % 251) as u8).collect();
        for kind in [
            GelfCompressionType::Gzip,
            GelfCompressionType::Zlib,
            GelfCompressionType::None,
        ] {
            for level in -2..=9 {
                assert_eq!(roundtrip(kind, level, &input), input);
                assert_eq!(roundtrip(kind, level, b""), b"");
            }
        }
    }
}
