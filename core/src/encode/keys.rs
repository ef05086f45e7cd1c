//! A small set of keys seen so far in one object, for "first value wins"
//! without scanning the record again per field: a 256-bit filter answers
//! "never seen" for most keys, a list of up to [`KEYS`] keys answers the
//! rest. Past that many keys it only knows "maybe", and the caller scans
//! (records that long are rare).

/// Keys remembered one by one.
const KEYS: usize = 96;

#[derive(Default)]
pub struct KeySet<'a> {
    filter: [u64; 4],
    keys: heapless::Vec<&'a [u8], KEYS>,
    overflowed: bool,
}

impl<'a> KeySet<'a> {
    /// Adds `key`.
    pub fn insert(&mut self, key: &'a [u8]) {
        let (word, bit) = slot(key);
        if let Some(w) = self.filter.get_mut(word) {
            *w |= bit;
        }
        if self.keys.push(key).is_err() {
            self.overflowed = true;
        }
    }

    /// Adds `key` and says whether it was added before (as
    /// [`contains`](Self::contains) would have, `rescan` likewise), the
    /// key's filter slot worked out once.
    pub fn add(&mut self, key: &'a [u8], rescan: impl FnOnce() -> bool) -> bool {
        let (word, bit) = slot(key);
        let Some(w) = self.filter.get_mut(word) else {
            return false;
        };
        let maybe = *w & bit != 0;
        *w |= bit;
        let before = maybe && (self.keys.contains(&key) || (self.overflowed && rescan()));
        if self.keys.push(key).is_err() {
            self.overflowed = true;
        }
        before
    }

    /// Whether `key` was added; `rescan` answers when the list
    /// overflowed and the filter cannot say no.
    pub fn contains(&self, key: &[u8], rescan: impl FnOnce() -> bool) -> bool {
        let (word, bit) = slot(key);
        if self.filter.get(word).is_none_or(|w| w & bit == 0) {
            return false;
        }
        if self.keys.contains(&key) {
            return true;
        }
        self.overflowed && rescan()
    }
}

/// The filter word and bit of `key`: its length and first, second and
/// last bytes, mixed.
fn slot(key: &[u8]) -> (usize, u64) {
    let at = |i: usize| usize::from(key.get(i).copied().unwrap_or(0));
    let last = usize::from(key.last().copied().unwrap_or(0));
    let h = key
        .len()
        .wrapping_mul(31)
        .wrapping_add(at(0))
        .wrapping_mul(31)
        .wrapping_add(at(1))
        .wrapping_mul(31)
        .wrapping_add(last);
    let h = h ^ (h >> 7);
    ((h >> 6) & 3, 1u64 << (h & 63))
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::format;
    use std::vec::Vec;

    use super::*;

    #[test]
    fn answers_exactly_within_the_list_and_asks_past_it() {
        let names: Vec<Vec<u8>> = (0..200).map(|i| format!("k{i}").into_bytes()).collect();
        let mut set = KeySet::default();
        for (n, name) in names.iter().enumerate() {
            for (m, other) in names.iter().enumerate() {
                let truth = m < n;
                let rescan = || names[..n].contains(other);
                assert_eq!(set.contains(other, rescan), truth, "{n} {m}");
            }
            set.insert(name);
        }
        assert!(set.overflowed);
        assert!(!KeySet::default().contains(b"", || true));

        // `add` answers as `contains` did before the key went in.
        let mut added = KeySet::default();
        let mut checked = KeySet::default();
        for (n, name) in names.iter().chain(&names).enumerate() {
            let rescan = || names.iter().chain(&names).take(n).any(|k| k == name);
            let want = checked.contains(name, rescan);
            checked.insert(name);
            assert_eq!(added.add(name, rescan), want, "{n}");
        }
    }
}
