//! The spool file's header: its layout, and the checks that decide
//! whether what a file's first [`HEADER`] bytes say can be used.
//!
//! Layout (little-endian): magic (8 bytes), the ring's capacity (8), the
//! oldest entry's ring position (8) and id (8), CRC-32 of those 32 bytes
//! (4); then the id of the entry an append was about to write when it
//! wrote this header, plus one (8; zero: none), and CRC-32 of the 44 bytes
//! before (4); the rest is zero. Files written before that second part
//! existed have zeros there, which its checksum refuses: read as "none"
//! (and a run that knows only the first part reads this one's files). A
//! header whose magic or checksum does not hold
//! is not a spool's; one whose checksum holds but whose numbers are out of
//! [`MAX_CAPACITY`] or [`MAX_ID`] (a hostile or damaged file: no run
//! writes them) is refused too, so every offset computed from it stays far
//! from overflow.

/// Bytes before the ring.
pub const HEADER: u64 = 64;
const MAGIC: &[u8; 8] = b"rauditS1";
/// The largest ring a header may claim (256 TiB; a configured bound above
/// it is taken as this): positions and sizes below it never overflow an
/// offset computation.
pub const MAX_CAPACITY: u64 = 1 << 48;
/// The largest oldest-entry id a header may claim: ids then grow for 2^62
/// more entries without overflow.
pub const MAX_ID: u64 = 1 << 62;

/// What a valid header says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub capacity: u64,
    /// The oldest entry's ring position, below `capacity`.
    pub head: u64,
    pub head_id: u64,
    /// The entry an append was about to write when it wrote this header
    /// (see the write order in [`super`]).
    pub writing: Option<u64>,
}

/// Why a file's header cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// Shorter than a header, or its magic or checksum does not hold.
    NotASpool,
    /// Its checksum holds but its numbers are out of bounds.
    OutOfBounds,
}

impl Header {
    pub fn encode(&self) -> [u8; HEADER as usize] {
        let mut h = [0u8; HEADER as usize];
        h[..8].copy_from_slice(MAGIC);
        h[8..16].copy_from_slice(&self.capacity.to_le_bytes());
        h[16..24].copy_from_slice(&self.head.to_le_bytes());
        h[24..32].copy_from_slice(&self.head_id.to_le_bytes());
        let crc = crc32fast::hash(&h[..32]);
        h[32..36].copy_from_slice(&crc.to_le_bytes());
        let writing = self.writing.map_or(0, |id| id.saturating_add(1));
        h[36..44].copy_from_slice(&writing.to_le_bytes());
        let crc = crc32fast::hash(&h[..44]);
        h[44..48].copy_from_slice(&crc.to_le_bytes());
        h
    }

    /// The header `bytes` (what the file's start held) say, if it can be
    /// used.
    pub fn decode(bytes: &[u8]) -> Result<Header, Refused> {
        let Some(h) = bytes.get(..HEADER as usize) else {
            return Err(Refused::NotASpool);
        };
        if &h[..8] != MAGIC || crc32fast::hash(&h[..32]) != u32::from_le_bytes(le4(&h[32..36])) {
            return Err(Refused::NotASpool);
        }
        let header = Header {
            capacity: u64::from_le_bytes(le8(&h[8..16])),
            head: u64::from_le_bytes(le8(&h[16..24])),
            head_id: u64::from_le_bytes(le8(&h[24..32])),
            writing: None,
        };
        if header.capacity == 0
            || header.capacity > MAX_CAPACITY
            || header.head >= header.capacity
            || header.head_id > MAX_ID
        {
            return Err(Refused::OutOfBounds);
        }
        let writing = u64::from_le_bytes(le8(&h[36..44]));
        let header = Header {
            writing: (writing > 0
                && crc32fast::hash(&h[..44]) == u32::from_le_bytes(le4(&h[44..48])))
            .then(|| writing - 1),
            ..header
        };
        Ok(header)
    }
}

/// The 4 bytes of a fixed range of a fixed-size array (the callers' ranges
/// are constants of the right length).
pub(super) fn le4(bytes: &[u8]) -> [u8; 4] {
    let mut out = [0; 4];
    out.copy_from_slice(bytes);
    out
}

/// As [`le4`], 8 bytes.
pub(super) fn le8(bytes: &[u8]) -> [u8; 8] {
    let mut out = [0; 8];
    out.copy_from_slice(bytes);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_reads_back_and_one_without_the_writing_part_says_none() {
        let header = Header {
            capacity: 4096,
            head: 100,
            head_id: 7,
            writing: Some(9),
        };
        assert_eq!(Header::decode(&header.encode()), Ok(header));
        let none = Header {
            writing: None,
            ..header
        };
        assert_eq!(Header::decode(&none.encode()), Ok(none));
        // As a run before the writing part existed wrote it: zeros there.
        let mut old = header.encode();
        old[36..].fill(0);
        assert_eq!(Header::decode(&old), Ok(none));
        // A damaged writing part is not trusted; the rest still is.
        let mut damaged = header.encode();
        damaged[40] ^= 1;
        assert_eq!(Header::decode(&damaged), Ok(none));
        damaged[20] ^= 1;
        assert_eq!(Header::decode(&damaged), Err(Refused::NotASpool));
    }
}
