//! `struct audit_status` (uapi `linux/audit.h`): the payload of `AUDIT_GET`
//! replies and `AUDIT_SET` requests. [`AuditStatus::parse`] accepts the
//! 32-byte struct of old kernels and every longer one (fields a kernel did
//! not send are `None`); [`AuditStatus::emit`] writes the full 40 bytes,
//! which every kernel accepts (it copies at most its own size).
//!
//! Layout ([`layout`]), host byte order, u32 each: mask, enabled,
//! failure, pid, rate_limit, backlog_limit, lost, backlog, feature_bitmap
//! (a union with the old `version`), backlog_wait_time,
//! backlog_wait_time_actual.

use core::ops::Range;

/// Where each word of `struct audit_status` lies (smoltcp's `field::`
/// style): byte ranges, named once, that [`AuditStatus::parse`] and
/// [`AuditStatus::emit`] both use.
pub mod layout {
    /// A word's bytes.
    pub type Bytes = core::ops::Range<usize>;
    pub const MASK: Bytes = 0..4;
    pub const ENABLED: Bytes = 4..8;
    pub const FAILURE: Bytes = 8..12;
    pub const PID: Bytes = 12..16;
    pub const RATE_LIMIT: Bytes = 16..20;
    pub const BACKLOG_LIMIT: Bytes = 20..24;
    pub const LOST: Bytes = 24..28;
    pub const BACKLOG: Bytes = 28..32;
    /// `feature_bitmap`, formerly `version` (kernels since 3.14).
    pub const FEATURE_BITMAP: Bytes = 32..36;
    /// Kernels since 3.14.
    pub const BACKLOG_WAIT_TIME: Bytes = 36..40;
    /// Kernels since 5.10; never sent in a request.
    pub const BACKLOG_WAIT_TIME_ACTUAL: Bytes = 40..44;
}

/// `mask` bits: which fields an `AUDIT_SET` changes.
pub const AUDIT_STATUS_ENABLED: u32 = 0x1;
pub const AUDIT_STATUS_FAILURE: u32 = 0x2;
pub const AUDIT_STATUS_PID: u32 = 0x4;
pub const AUDIT_STATUS_RATE_LIMIT: u32 = 0x8;
pub const AUDIT_STATUS_BACKLOG_LIMIT: u32 = 0x10;
pub const AUDIT_STATUS_BACKLOG_WAIT_TIME: u32 = 0x20;
pub const AUDIT_STATUS_LOST: u32 = 0x40;
pub const AUDIT_STATUS_BACKLOG_WAIT_TIME_ACTUAL: u32 = 0x80;

/// Size of the struct [`AuditStatus::emit`] writes (up to
/// `backlog_wait_time`), which every kernel accepts.
pub const STATUS_LEN: usize = layout::BACKLOG_WAIT_TIME.end;
/// Size of the oldest struct (up to `backlog`).
pub const STATUS_MIN_LEN: usize = layout::BACKLOG.end;

/// `struct audit_status` as plain values.
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
    /// `feature_bitmap` (formerly `version`); `None` from kernels before 3.14.
    pub feature_bitmap: Option<u32>,
    /// `None` from kernels before 3.14.
    pub backlog_wait_time: Option<u32>,
    /// `None` from kernels before 5.10.
    pub backlog_wait_time_actual: Option<u32>,
}

/// A status payload shorter than [`STATUS_MIN_LEN`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatusError {
    /// Where the payload ended.
    pub offset: usize,
}

/// The output buffer is shorter than [`STATUS_LEN`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatusFull {
    pub available: usize,
}

impl AuditStatus {
    /// Reads an `AUDIT_GET` reply payload; bytes past the known fields are
    /// ignored (a newer kernel's additions).
    pub fn parse(src: &[u8]) -> Result<AuditStatus, StatusError> {
        if src.len() < STATUS_MIN_LEN {
            return Err(StatusError { offset: src.len() });
        }
        let word = |at: Range<usize>| -> Option<u32> {
            let b: [u8; 4] = src.get(at)?.try_into().ok()?;
            Some(u32::from_ne_bytes(b))
        };
        // Within STATUS_MIN_LEN, checked above.
        let base = |at| word(at).unwrap_or(0);
        Ok(AuditStatus {
            mask: base(layout::MASK),
            enabled: base(layout::ENABLED),
            failure: base(layout::FAILURE),
            pid: base(layout::PID),
            rate_limit: base(layout::RATE_LIMIT),
            backlog_limit: base(layout::BACKLOG_LIMIT),
            lost: base(layout::LOST),
            backlog: base(layout::BACKLOG),
            feature_bitmap: word(layout::FEATURE_BITMAP),
            backlog_wait_time: word(layout::BACKLOG_WAIT_TIME),
            backlog_wait_time_actual: word(layout::BACKLOG_WAIT_TIME_ACTUAL),
        })
    }

    /// Writes the 40-byte struct (absent fields as 0) and returns its size.
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, StatusFull> {
        let available = out.len();
        let out = out.get_mut(..STATUS_LEN).ok_or(StatusFull { available })?;
        let words = [
            (layout::MASK, self.mask),
            (layout::ENABLED, self.enabled),
            (layout::FAILURE, self.failure),
            (layout::PID, self.pid),
            (layout::RATE_LIMIT, self.rate_limit),
            (layout::BACKLOG_LIMIT, self.backlog_limit),
            (layout::LOST, self.lost),
            (layout::BACKLOG, self.backlog),
            (layout::FEATURE_BITMAP, self.feature_bitmap.unwrap_or(0)),
            (
                layout::BACKLOG_WAIT_TIME,
                self.backlog_wait_time.unwrap_or(0),
            ),
        ];
        for (at, w) in words {
            if let Some(bytes) = out.get_mut(at) {
                bytes.copy_from_slice(&w.to_ne_bytes());
            }
        }
        Ok(STATUS_LEN)
    }

    /// An `AUDIT_SET` that changes only `enabled` (0 off, 1 on, 2 locked).
    pub fn set_enabled(enabled: u32) -> AuditStatus {
        AuditStatus {
            mask: AUDIT_STATUS_ENABLED,
            enabled,
            ..AuditStatus::default()
        }
    }

    /// An `AUDIT_SET` that makes `pid` the audit daemon (0 releases it).
    pub fn set_pid(pid: u32) -> AuditStatus {
        AuditStatus {
            mask: AUDIT_STATUS_PID,
            pid,
            ..AuditStatus::default()
        }
    }

    /// An `AUDIT_SET` of the failure action (0 silent, 1 printk, 2 panic).
    pub fn set_failure(failure: u32) -> AuditStatus {
        AuditStatus {
            mask: AUDIT_STATUS_FAILURE,
            failure,
            ..AuditStatus::default()
        }
    }

    /// An `AUDIT_SET` of the rate limit (records per second, 0 = none).
    pub fn set_rate_limit(rate_limit: u32) -> AuditStatus {
        AuditStatus {
            mask: AUDIT_STATUS_RATE_LIMIT,
            rate_limit,
            ..AuditStatus::default()
        }
    }

    /// An `AUDIT_SET` of the backlog limit (queued records).
    pub fn set_backlog_limit(backlog_limit: u32) -> AuditStatus {
        AuditStatus {
            mask: AUDIT_STATUS_BACKLOG_LIMIT,
            backlog_limit,
            ..AuditStatus::default()
        }
    }

    /// An `AUDIT_SET` of the backlog wait time (in jiffies, as the kernel
    /// counts it).
    pub fn set_backlog_wait_time(wait: u32) -> AuditStatus {
        AuditStatus {
            mask: AUDIT_STATUS_BACKLOG_WAIT_TIME,
            backlog_wait_time: Some(wait),
            ..AuditStatus::default()
        }
    }

    /// An `AUDIT_SET` that resets `lost` to 0 (the reply carries the old count).
    pub fn reset_lost() -> AuditStatus {
        AuditStatus {
            mask: AUDIT_STATUS_LOST,
            ..AuditStatus::default()
        }
    }

    /// Combines two `AUDIT_SET` requests (`other`'s set fields win); also
    /// what a status reads after `other` was sent (a lost reset reads 0).
    pub fn and(self, other: AuditStatus) -> AuditStatus {
        let pick =
            |bit: u32, mine: u32, theirs: u32| if other.mask & bit != 0 { theirs } else { mine };
        AuditStatus {
            mask: self.mask | other.mask,
            enabled: pick(AUDIT_STATUS_ENABLED, self.enabled, other.enabled),
            failure: pick(AUDIT_STATUS_FAILURE, self.failure, other.failure),
            pid: pick(AUDIT_STATUS_PID, self.pid, other.pid),
            rate_limit: pick(AUDIT_STATUS_RATE_LIMIT, self.rate_limit, other.rate_limit),
            backlog_limit: pick(
                AUDIT_STATUS_BACKLOG_LIMIT,
                self.backlog_limit,
                other.backlog_limit,
            ),
            lost: pick(AUDIT_STATUS_LOST, self.lost, other.lost),
            backlog_wait_time: if other.mask & AUDIT_STATUS_BACKLOG_WAIT_TIME != 0 {
                other.backlog_wait_time
            } else {
                self.backlog_wait_time
            },
            ..self
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn words(ws: &[u32]) -> heapless::Vec<u8, 64> {
        let mut v = heapless::Vec::new();
        for w in ws {
            v.extend_from_slice(&w.to_ne_bytes()).unwrap();
        }
        v
    }

    #[test]
    fn parses_current_kernel() {
        let b = words(&[0x7f, 1, 1, 4242, 0, 8192, 3, 17, 0x7f, 60000, 12]);
        let s = AuditStatus::parse(&b).unwrap();
        assert_eq!(
            (s.enabled, s.pid, s.backlog_limit, s.lost, s.backlog),
            (1, 4242, 8192, 3, 17)
        );
        assert_eq!(s.feature_bitmap, Some(0x7f));
        assert_eq!(s.backlog_wait_time, Some(60000));
        assert_eq!(s.backlog_wait_time_actual, Some(12));
    }

    #[test]
    fn parses_old_and_odd_lengths() {
        let b = words(&[0, 1, 1, 0, 0, 64, 0, 0, 2]);
        let s = AuditStatus::parse(&b[..32]).unwrap();
        assert_eq!(
            (s.backlog_limit, s.feature_bitmap, s.backlog_wait_time),
            (64, None, None)
        );
        // 34 bytes: a partial word is absent, not garbage.
        assert_eq!(AuditStatus::parse(&b[..34]).unwrap().feature_bitmap, None);
        assert_eq!(
            AuditStatus::parse(&b[..36]).unwrap().feature_bitmap,
            Some(2)
        );
        assert_eq!(
            AuditStatus::parse(&b[..31]),
            Err(StatusError { offset: 31 })
        );
        assert_eq!(AuditStatus::parse(&[]), Err(StatusError { offset: 0 }));
    }

    #[test]
    fn emits_and_round_trips() {
        let req = AuditStatus::set_pid(99).and(AuditStatus::set_backlog_limit(8192));
        assert_eq!(req.mask, AUDIT_STATUS_PID | AUDIT_STATUS_BACKLOG_LIMIT);
        let mut out = [0xffu8; 48];
        assert_eq!(req.emit(&mut out), Ok(40));
        assert_eq!(
            &out[..40],
            &words(&[0x14, 0, 0, 99, 0, 8192, 0, 0, 0, 0])[..]
        );
        assert_eq!(out[40], 0xff);
        let back = AuditStatus::parse(&out[..40]).unwrap();
        assert_eq!(
            (back.pid, back.backlog_limit, back.backlog_wait_time),
            (99, 8192, Some(0))
        );
        assert_eq!(req.emit(&mut out[..39]), Err(StatusFull { available: 39 }));
    }

    #[test]
    fn the_layout_is_eleven_consecutive_words() {
        let all = [
            layout::MASK,
            layout::ENABLED,
            layout::FAILURE,
            layout::PID,
            layout::RATE_LIMIT,
            layout::BACKLOG_LIMIT,
            layout::LOST,
            layout::BACKLOG,
            layout::FEATURE_BITMAP,
            layout::BACKLOG_WAIT_TIME,
            layout::BACKLOG_WAIT_TIME_ACTUAL,
        ];
        for (i, at) in all.into_iter().enumerate() {
            assert_eq!(at, 4 * i..4 * i + 4);
        }
        assert_eq!((STATUS_MIN_LEN, STATUS_LEN), (32, 40));
    }

    #[test]
    fn request_builders() {
        assert_eq!(AuditStatus::set_enabled(1).mask, AUDIT_STATUS_ENABLED);
        assert_eq!(AuditStatus::set_failure(1).failure, 1);
        assert_eq!(AuditStatus::set_rate_limit(5).mask, AUDIT_STATUS_RATE_LIMIT);
        assert_eq!(AuditStatus::reset_lost().mask, AUDIT_STATUS_LOST);
        let read = AuditStatus {
            lost: 9,
            enabled: 1,
            ..AuditStatus::default()
        };
        let after = read.and(AuditStatus::reset_lost());
        assert_eq!((after.lost, after.enabled), (0, 1));
        let w = AuditStatus::set_backlog_wait_time(0).and(AuditStatus::set_enabled(1));
        assert_eq!((w.backlog_wait_time, w.enabled), (Some(0), 1));
        assert_eq!(
            w.mask,
            AUDIT_STATUS_BACKLOG_WAIT_TIME | AUDIT_STATUS_ENABLED
        );
    }
}
