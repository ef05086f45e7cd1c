//! Minimal netlink header and `audit_status` encoding used by [`Control`]
//! until `raudit_core::wire::{netlink, status}` land; same layout, host byte
//! order. Parsing never panics: short input is `None`.
//!
//! [`Control`]: super::control::Control

pub const HEADER_LEN: usize = 16;
pub const NLMSG_ERROR: u16 = 2;
pub const NLMSG_DONE: u16 = 3;
pub const NLM_F_REQUEST: u16 = 0x1;
pub const NLM_F_ACK: u16 = 0x4;

/// One netlink message inside a datagram.
#[derive(Clone, Copy, Debug)]
pub struct Frame<'a> {
    pub msg_type: u16,
    pub seq: u32,
    pub payload: &'a [u8],
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
}

fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    let b = bytes.get(at..at.checked_add(2)?)?;
    Some(u16::from_ne_bytes([b[0], b[1]]))
}

/// Splits a datagram into frames. A frame whose length is impossible ends
/// the walk; the unicast record quirk (length counting the payload only) is
/// handled by taking the rest of the datagram for a lone frame.
pub fn frames(datagram: &[u8]) -> impl Iterator<Item = Frame<'_>> {
    let mut rest = datagram;
    core::iter::from_fn(move || {
        let len = u32_at(rest, 0)? as usize;
        let msg_type = u16_at(rest, 4)?;
        let seq = u32_at(rest, 8)?;
        u32_at(rest, 12)?;
        let end = if len < HEADER_LEN || len > rest.len() {
            rest.len()
        } else {
            len
        };
        let payload = rest.get(HEADER_LEN..end)?;
        let next = end.checked_add(3).map(|n| n & !3).unwrap_or(usize::MAX);
        rest = rest.get(next..).unwrap_or(&[]);
        Some(Frame {
            msg_type,
            seq,
            payload,
        })
    })
}

/// The error code of an `NLMSG_ERROR` payload (0 is an ACK).
pub fn error_code(payload: &[u8]) -> Option<i32> {
    u32_at(payload, 0).map(|v| v as i32)
}

/// Appends a header for a payload of `payload_len` bytes.
pub fn write_header(out: &mut Vec<u8>, payload_len: usize, msg_type: u16, flags: u16, seq: u32) {
    let len = (HEADER_LEN + payload_len) as u32;
    out.extend_from_slice(&len.to_ne_bytes());
    out.extend_from_slice(&msg_type.to_ne_bytes());
    out.extend_from_slice(&flags.to_ne_bytes());
    out.extend_from_slice(&seq.to_ne_bytes());
    out.extend_from_slice(&0u32.to_ne_bytes());
}

/// `struct audit_status` (kernel `include/uapi/linux/audit.h`), all fields
/// `u32`. Older kernels send a shorter struct; missing fields read as 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AuditStatus {
    pub mask: u32,
    pub enabled: u32,
    pub failure: u32,
    pub pid: u32,
    pub rate_limit: u32,
    pub backlog_limit: u32,
    pub lost: u32,
    pub backlog: u32,
    pub feature_bitmap: u32,
    pub backlog_wait_time: u32,
    pub backlog_wait_time_actual: u32,
}

impl AuditStatus {
    pub const MASK_ENABLED: u32 = 0x01;
    pub const MASK_FAILURE: u32 = 0x02;
    pub const MASK_PID: u32 = 0x04;
    pub const MASK_RATE_LIMIT: u32 = 0x08;
    pub const MASK_BACKLOG_LIMIT: u32 = 0x10;
    pub const MASK_BACKLOG_WAIT_TIME: u32 = 0x20;
    pub const MASK_LOST: u32 = 0x40;
    pub const MASK_BACKLOG_WAIT_TIME_ACTUAL: u32 = 0x80;
    /// Size of the struct this code writes.
    pub const LEN: usize = 44;

    /// Reads the struct; `None` when shorter than the first eight fields.
    pub fn parse(bytes: &[u8]) -> Option<AuditStatus> {
        if bytes.len() < 32 {
            return None;
        }
        let f = |i: usize| u32_at(bytes, i * 4).unwrap_or(0);
        Some(AuditStatus {
            mask: f(0),
            enabled: f(1),
            failure: f(2),
            pid: f(3),
            rate_limit: f(4),
            backlog_limit: f(5),
            lost: f(6),
            backlog: f(7),
            feature_bitmap: f(8),
            backlog_wait_time: f(9),
            backlog_wait_time_actual: f(10),
        })
    }

    /// Writes the struct in the kernel's layout.
    pub fn emit(&self) -> [u8; Self::LEN] {
        let fields = [
            self.mask,
            self.enabled,
            self.failure,
            self.pid,
            self.rate_limit,
            self.backlog_limit,
            self.lost,
            self.backlog,
            self.feature_bitmap,
            self.backlog_wait_time,
            self.backlog_wait_time_actual,
        ];
        let mut out = [0u8; Self::LEN];
        for (chunk, value) in out.chunks_exact_mut(4).zip(fields) {
            chunk.copy_from_slice(&value.to_ne_bytes());
        }
        out
    }
}
