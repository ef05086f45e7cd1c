//! The spool file's header: its layout, and the checks that decide
//! whether what a file's first [`HEADER`] bytes say can be used.
//!
//! Layout (little-endian): magic (8 bytes), the ring's capacity (8), the
//! oldest entry's ring position (8) and id (8), CRC-32 of those 32 bytes
//! (4); the rest is zero. A header whose magic or checksum does not hold
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
        };
        if header.capacity == 0
            || header.capacity > MAX_CAPACITY
            || header.head >= header.capacity
            || header.head_id > MAX_ID
        {
            return Err(Refused::OutOfBounds);
        }
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
