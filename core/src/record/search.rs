//! go-audit's way of finding a value in a record body: the first occurrence
//! of `KEY=` as a plain substring (so `uid` also finds `auid=`, and a value
//! that happens to contain `KEY=` counts too), not a parsed field.
//!
//! [`find_key`] tries each position in turn, looking at the `=` first. For
//! a key near the start of the body, like `syscall=` (second in every
//! SYSCALL record), that costs a few nanoseconds, where a one-off
//! `memmem::find` spends ~30 building its searcher. For keys found far into
//! a body, or searched many times in one (`uid=`), a `memmem::Finder`
//! built once is faster: its vector scan wins over a long stretch.

/// Where the first `KEY=` in `body` starts (the index of `KEY`'s first
/// byte), exactly as `memmem::find(body, b"KEY=")` returns it.
pub fn find_key<const N: usize>(body: &[u8], key: &[u8; N]) -> Option<usize> {
    let mut start = 0;
    // `start` stays below `body.len()`, so `start + N` cannot overflow.
    while let Some(window) = body.get(start..=start + N) {
        if window.last() == Some(&b'=') && window.get(..N) == Some(&key[..]) {
            return Some(start);
        }
        start += 1;
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    extern crate std;

    use memchr::memmem;
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn finds_the_first_key_as_a_substring() {
        let body = b"arch=c000003e syscall=59 success=yes auid=1000 uid=0";
        assert_eq!(find_key(body, b"syscall"), Some(14));
        assert_eq!(find_key(body, b"uid"), Some(38)); // inside `auid=`
        assert_eq!(find_key(b"uid=0", b"uid"), Some(0));
        assert_eq!(find_key(b"a=xuid=5", b"uid"), Some(3)); // inside a value
        assert_eq!(find_key(b"uiduid=", b"uid"), Some(3));
        assert_eq!(find_key(b"id=0 ui=1", b"uid"), None);
        assert_eq!(find_key(b"uid", b"uid"), None);
        assert_eq!(find_key(b"=uid", b"uid"), None);
        assert_eq!(find_key(b"", b"uid"), None);
        assert_eq!(find_key(b"==", b""), Some(0));
    }

    /// What bodies are made of: parts of the keys, `=`, spaces, and other
    /// bytes.
    const PIECES: &[&[u8]] = &[
        b"uid", b"u", b"id", b"d", b"=", b" ", b"sys", b"call", b"syscall", b"a", b"0", b"\xff",
    ];

    fn body() -> impl Strategy<Value = std::vec::Vec<u8>> {
        let pieces = prop::sample::select(PIECES);
        prop::collection::vec(pieces, 0..40).prop_map(|p| p.concat())
    }

    proptest! {
        #[test]
        fn agrees_with_memmem(body in body()) {
            prop_assert_eq!(find_key(&body, b"uid"), memmem::find(&body, b"uid="));
            prop_assert_eq!(find_key(&body, b"syscall"), memmem::find(&body, b"syscall="));
            prop_assert_eq!(find_key(&body, b"d"), memmem::find(&body, b"d="));
        }

        #[test]
        fn agrees_with_memmem_on_any_bytes(body in prop::collection::vec(any::<u8>(), 0..64)) {
            prop_assert_eq!(find_key(&body, b"uid"), memmem::find(&body, b"uid="));
        }
    }
}
