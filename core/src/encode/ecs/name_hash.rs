//! A perfect hash of a fixed table's names ([`NameHash`]), found at
//! compile time: a name is looked up by one multiplication of six of its
//! facts (its length and five of its bytes) and one load, then one
//! comparison with the table's name in that slot, instead of a binary
//! search whose every step (and every byte compared in it) is a branch
//! that follows the name. The norm tables' names are found so.

/// Where each of a table's names is, by a hash no two of them share.
pub(super) struct NameHash {
    /// The multiplier that spreads the names' keys over the slots.
    mult: u64,
    /// Each slot's table index plus one; 0 where no name hashes.
    slots: [u8; SLOTS],
}

/// Ten times the syscall table's hundred-odd names: a multiplier that
/// gives each its own slot is found in some hundreds of tries (in 256
/// slots, none of 2^15 did).
const SLOTS: usize = 1024;
/// The multipliers tried: odd multiples of the golden ratio's 64 bits.
const TRIES: u64 = 1 << 16;

impl NameHash {
    /// The hash of `table`'s names (at most 255, no two with the
    /// same [`key`]): the first multiplier that gives each its own slot.
    /// Built at compile time, where a table it cannot hash stops the
    /// build.
    pub(super) const fn of<T>(table: &[(&str, T)]) -> NameHash {
        assert!(
            table.len() <= u8::MAX as usize,
            "a table of 255 names at most"
        );
        let mut seed = 1u64;
        loop {
            assert!(seed < TRIES, "no multiplier gives each name its own slot");
            let mult = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            let mut slots = [0u8; SLOTS];
            let mut i = 0;
            while i < table.len() {
                let slot = slot(key(table[i].0.as_bytes()), mult);
                if slots[slot] != 0 {
                    break;
                }
                slots[slot] = (i + 1) as u8;
                i += 1;
            }
            if i == table.len() {
                return NameHash { mult, slots };
            }
            seed += 2;
        }
    }

    /// The index of the one table entry that can be named `name`; the
    /// caller compares the entry's name (another name can hash there).
    #[inline(always)]
    pub(super) fn index(&self, name: &[u8]) -> Option<usize> {
        let at = self.slots.get(slot(key(name), self.mult)).copied()?;
        usize::from(at).checked_sub(1)
    }
}

/// A name's length and its bytes at the start, the end, the middle, two
/// thirds in and the second, in one word (a byte past the end reads as
/// 0): what tells the norm tables' names apart (a compile-time search
/// fails otherwise; the second byte tells `fgetxattr` from `fsetxattr`).
#[inline(always)]
const fn key(name: &[u8]) -> u64 {
    let len = name.len();
    (len as u64)
        | byte_at(name, 0) << 8
        | byte_at(name, len.wrapping_sub(1)) << 16
        | byte_at(name, len / 2) << 24
        | byte_at(name, len / 3 * 2 + len % 3 * 2 / 3) << 32
        | byte_at(name, 1) << 40
}

/// `name[i]`, or 0 past its end.
#[inline(always)]
const fn byte_at(name: &[u8], i: usize) -> u64 {
    if i < name.len() {
        name[i] as u64
    } else {
        0
    }
}

/// The slot of `key`: the top ten bits of its product with `mult`.
#[inline(always)]
const fn slot(key: u64, mult: u64) -> usize {
    (key.wrapping_mul(mult) >> (64 - SLOTS.trailing_zeros())) as usize
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;

    const TABLE: &[(&str, u8)] = &[("execve", 1), ("open", 2), ("openat", 3), ("read", 4)];
    static HASH: NameHash = NameHash::of(TABLE);

    #[test]
    fn each_name_has_its_own_slot() {
        for (i, (name, _)) in TABLE.iter().enumerate() {
            assert_eq!(HASH.index(name.as_bytes()), Some(i), "{name}");
        }
        // Another name lands anywhere (or nowhere): the caller compares.
        for other in ["", "x", "openat2", "\u{e9}", "readv"] {
            if let Some(i) = HASH.index(other.as_bytes()) {
                assert!(i < TABLE.len());
            }
        }
    }

    #[test]
    fn the_key_reads_no_byte_past_the_end() {
        assert_eq!(key(b""), 0);
        assert_eq!(
            key(b"a"),
            1 | (u64::from(b'a') * (1 << 8 | 1 << 16 | 1 << 24 | 1 << 32))
        );
        assert_eq!(key(b"ab") >> 24 & 0xFF, u64::from(b'b'));
        assert_eq!(key(b"ab") >> 40 & 0xFF, u64::from(b'b'));
        assert_ne!(key(b"fgetxattr"), key(b"fsetxattr"));
    }
}
