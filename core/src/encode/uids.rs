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

/// The `uid=` searcher, built once and kept (by an [`Enrich`] that offers
/// it through [`Enrich::uid_scanner`]): building a `memmem` searcher costs
/// about as much as scanning a small event with it.
///
/// [`Enrich`]: super::Enrich
/// [`Enrich::uid_scanner`]: super::Enrich::uid_scanner
#[derive(Clone, Debug)]
pub struct UidScanner(memmem::Finder<'static>);

impl UidScanner {
    pub fn new() -> UidScanner {
        UidScanner(memmem::Finder::new(b"uid="))
    }

    /// The event's `uid=` values.
    pub fn scan_event<'a>(&self, event: &Event<'a>) -> UidValues<'a> {
        let mut uids = UidValues::default();
        for record in event.records() {
            if !skips_uids(record.msg_type) {
                uids.scan_with(&self.0, record.body);
            }
        }
        uids
    }
}

impl Default for UidScanner {
    fn default() -> UidScanner {
        UidScanner::new()
    }
}

impl<'a> UidValues<'a> {
    /// The event's `uid=` values, with a searcher built for this event
    /// (see [`UidScanner`] to keep one).
    pub fn of_event(event: &Event<'a>) -> UidValues<'a> {
        UidScanner::new().scan_event(event)
    }

    /// Adds the `uid=` values of one record body.
    pub fn scan(&mut self, body: &'a [u8]) {
        self.scan_with(&memmem::Finder::new(b"uid="), body);
    }

    /// [`scan`](Self::scan) with a searcher built once per event (a
    /// `memmem` searcher beats walking the `=` signs here: `uid=` is
    /// searched for several times per record, far into the body).
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

    /// Keeps `value` in order unless it is there already (a value past
    /// [`MAX_UIDS`] sets `overflowed`). Values are a few
    /// digits: comparing them byte by byte inline is cheaper than a
    /// `memcmp` call each, and orders exactly as `<[u8]>::cmp`.
    pub fn insert(&mut self, value: &'a [u8]) {
        match self
            .values
            .binary_search_by(|kept| kept.iter().cmp(value.iter()))
        {
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

    /// Values kept and whether some were not.
    type Scanned<'a> = (std::vec::Vec<&'a [u8]>, bool);

    /// `scan` as it was before `insert` compared inline: `<[u8]>::cmp`
    /// (memcmp) to keep the values in order.
    fn scan_with_memcmp(body: &[u8]) -> Scanned<'_> {
        let finder = memchr::memmem::Finder::new(b"uid=");
        let mut values: Vec<&[u8], MAX_UIDS> = Vec::new();
        let mut overflowed = false;
        let mut data = body;
        while let Some(found) = finder.find(data) {
            let start = found + 4;
            let Some(rest) = data.get(start..) else { break };
            let end = match memchr::memchr(b' ', rest) {
                Some(end) => end,
                None if rest.len() <= 5 => rest.len(),
                None => break,
            };
            let value = &rest[..end];
            if let Err(at) = values.binary_search(&value) {
                overflowed |= values.insert(at, value).is_err();
            }
            let next = start + end + 1;
            match data.get(next..) {
                Some(tail) if !tail.is_empty() => data = tail,
                _ => break,
            }
        }
        (values.iter().copied().collect(), overflowed)
    }

    /// What `scan` keeps, and what the memcmp-ordered reference keeps.
    fn scan_both(body: &[u8]) -> (Scanned<'_>, Scanned<'_>) {
        let mut u = UidValues::default();
        u.scan(body);
        let new = (u.values.iter().copied().collect(), u.overflowed);
        (new, scan_with_memcmp(body))
    }

    #[test]
    fn more_than_max_uids_keeps_the_first_and_says_so() {
        let body: std::string::String = (0..40).map(|i| std::format!("uid={} ", 100 + i)).collect();
        let ((values, overflowed), reference) = scan_both(body.as_bytes());
        assert!(overflowed);
        assert_eq!(values.len(), MAX_UIDS);
        assert_eq!((values, overflowed), reference);
    }

    const UID_PIECES: &[&[u8]] = &[
        b"uid=",
        b"auid=",
        b"uid",
        b"u",
        b"id",
        b"=",
        b" ",
        b"0",
        b"1000",
        b"4294967295",
        b"x",
        b"\xff",
        b"\"",
    ];

    proptest::proptest! {
        #[test]
        fn scan_agrees_with_the_memcmp_ordering(
            pieces in proptest::collection::vec(
                proptest::sample::select(UID_PIECES),
                0..32,
            )
        ) {
            let body = pieces.concat();
            let (new, reference) = scan_both(&body);
            proptest::prop_assert_eq!(new, reference);
        }

        #[test]
        fn values_sort_as_byte_strings(values in proptest::collection::vec("[0-9a-z]{0,6}", 0..40)) {
            let body: std::string::String = values.iter().map(|v| std::format!("uid={v} ")).collect();
            let (new, reference) = scan_both(body.as_bytes());
            proptest::prop_assert_eq!(new, reference);
        }
    }

    #[test]
    fn empty_value_and_odd_input_do_not_panic() {
        assert_eq!(scan(b"uid= x"), [&b""[..]]);
        assert!(scan(b"uid").is_empty());
        assert_eq!(scan(b"uid="), [&b""[..]]);
    }
}
