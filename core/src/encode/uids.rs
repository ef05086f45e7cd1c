//! go-audit's `uid_map` keys: every `uid=` value in an event's records,
//! found exactly as go-audit's `mapUids` finds them (any key ending in
//! `uid=`: `auid`, `euid`, `ouid`…; the value runs to the next space, or to
//! the end of the body when that is at most 5 bytes away), skipping the
//! record types go-audit skips (SOCKADDR, CWD, EXECVE). Kept sorted and
//! unique, in a fixed-capacity list.

use heapless::Vec;
use memchr::memmem;

use crate::assemble::Event;
use crate::wire::MessageType;

/// Most distinct uid values kept for one event.
pub const MAX_UIDS: usize = 32;

/// Sorted, unique uid values of one event (borrowed from its records).
#[derive(Debug, Default)]
pub struct UidValues<'a> {
    pub values: Vec<&'a [u8], MAX_UIDS>,
    /// More distinct values existed than [`MAX_UIDS`].
    pub overflowed: bool,
}

impl<'a> UidValues<'a> {
    pub fn of_event(event: &Event<'a>) -> UidValues<'a> {
        let mut uids = UidValues::default();
        let finder = memmem::Finder::new(b"uid=");
        for record in event.records() {
            if !skips_uids(record.msg_type) {
                uids.scan_with(&finder, record.body);
            }
        }
        uids
    }

    /// Adds the `uid=` values of one record body.
    pub fn scan(&mut self, body: &'a [u8]) {
        self.scan_with(&memmem::Finder::new(b"uid="), body);
    }

    /// [`scan`](Self::scan) with a searcher built once per event.
    fn scan_with(&mut self, finder: &memmem::Finder<'_>, body: &'a [u8]) {
        let mut data = body;
        while let Some(found) = finder.find(data) {
            let start = found + 4;
            let Some(rest) = data.get(start..) else { break };
            let end = match memchr::memchr(b' ', rest) {
                Some(end) => end,
                None if rest.len() <= 5 => rest.len(),
                None => break,
            };
            if let Some(value) = rest.get(..end) {
                self.insert(value);
            }
            let next = start + end + 1;
            match data.get(next..) {
                Some(tail) if !tail.is_empty() => data = tail,
                _ => break,
            }
        }
    }

    fn insert(&mut self, value: &'a [u8]) {
        match self.values.binary_search(&value) {
            Ok(_) => {}
            Err(at) => {
                if self.values.insert(at, value).is_err() {
                    self.overflowed = true;
                }
            }
        }
    }
}

fn skips_uids(msg_type: MessageType) -> bool {
    matches!(
        msg_type,
        MessageType::SOCKADDR | MessageType::CWD | MessageType::EXECVE
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(body: &[u8]) -> std::vec::Vec<&[u8]> {
        let mut u = UidValues::default();
        u.scan(body);
        u.values.iter().copied().collect()
    }
    extern crate std;

    #[test]
    fn finds_every_uid_suffix_sorted_and_unique() {
        let body = b"pid=1 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 ses=2";
        assert_eq!(scan(body), [&b"0"[..], b"1000"]);
    }

    #[test]
    fn value_at_end_counts_only_when_short() {
        assert_eq!(scan(b"x ouid=1000"), [&b"1000"[..]]);
        assert!(scan(b"x ouid=4294967295").is_empty());
    }

    #[test]
    fn empty_value_and_odd_input_do_not_panic() {
        assert_eq!(scan(b"uid= x"), [&b""[..]]);
        assert!(scan(b"uid").is_empty());
        assert_eq!(scan(b"uid="), [&b""[..]]);
    }
}
