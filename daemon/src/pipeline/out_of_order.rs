//! go-audit's `message_tracking.log_out_of_order`: a line on stderr for
//! each serial that arrives after a newer one, in go-audit's words (`Got
//! sequence N after L messages`, L being how far behind the newest serial
//! it came). The assembler's serial window decides what is late (its
//! `late_serials` counter moves); this only remembers the newest serial
//! seen, so the lag can be told. Nothing here allocates.

use std::fmt;

/// The newest serial and the late count already logged.
#[derive(Debug, Default)]
pub struct OutOfOrder {
    newest: Option<u32>,
    late_seen: u64,
}

/// One late serial, as go-audit logs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Late {
    pub serial: u32,
    /// Serials between it and the newest one seen before it.
    pub lag: u32,
}

impl fmt::Display for Late {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Got sequence {} after {} messages",
            self.serial, self.lag
        )
    }
}

impl OutOfOrder {
    /// After the assembler took a record with `serial`, its late count is
    /// `late_total`: the late arrival to log, if this record was one.
    pub fn note(&mut self, serial: u32, late_total: u64) -> Option<Late> {
        let late = late_total != self.late_seen;
        self.late_seen = late_total;
        let newest = match self.newest {
            // Signed distance modulo 2^32, as the serial window reads it.
            Some(newest) if (serial.wrapping_sub(newest) as i32) <= 0 => newest,
            _ => {
                self.newest = Some(serial);
                serial
            }
        };
        late.then(|| Late {
            serial,
            lag: newest.wrapping_sub(serial),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_late_serial_is_told_with_its_lag() {
        let mut log = OutOfOrder::default();
        assert_eq!(log.note(10, 0), None);
        assert_eq!(log.note(14, 0), None);
        let late = log.note(11, 1).unwrap();
        assert_eq!(late, Late { serial: 11, lag: 3 });
        assert_eq!(late.to_string(), "Got sequence 11 after 3 messages");
        // A second record of the same late event is not late again.
        assert_eq!(log.note(11, 1), None);
        // Across the wrap at 2^32.
        let mut log = OutOfOrder::default();
        log.note(u32::MAX, 0);
        log.note(1, 0);
        assert_eq!(log.note(0, 1), Some(Late { serial: 0, lag: 1 }));
    }
}
