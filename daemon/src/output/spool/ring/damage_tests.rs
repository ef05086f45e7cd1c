//! Property tests of the spool's promises about files it did not write
//! whole: a spool damaged after it was written (bytes changed, cut short)
//! and a file made up to pass the header's checks (any numbers, entries
//! with valid checksums placed anywhere, noise between them). Whatever
//! the file holds, opening it never panics, handing out ends, and what is
//! handed out is an entry some run wrote, in its order; the spool then
//! takes new entries as usual.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use proptest::prelude::*;

use super::entry::head;
use super::header::Header;
use super::{Handed, SpoolFile, HEADER};
use crate::scratch_dir::ScratchDir;

/// Entries of this test are told apart by their first bytes: `#N:`.
fn payload(n: usize, noise: &[u8]) -> Vec<u8> {
    let mut p = format!("#{n}:").into_bytes();
    p.extend_from_slice(noise);
    p
}

/// Hands out everything `spool` has, at most `bound` entries: more means
/// the walk does not end. An error (a damaged entry met while handing
/// out) ends it too.
fn hand_out_all(spool: &mut SpoolFile, bound: usize) -> Vec<Vec<u8>> {
    let mut got = Vec::new();
    for _ in 0..=bound {
        match spool.hand_out() {
            Ok(Some(Handed::Entry(e))) => got.push(e.to_vec()),
            Ok(Some(Handed::Oversized)) => got.push(b"(oversized)".to_vec()),
            Ok(None) | Err(_) => return got,
        }
    }
    panic!("more than {bound} entries handed out: the walk does not end");
}

/// After whatever was found: a new entry is kept and comes back last,
/// and confirming everything leaves the spool empty.
fn takes_new_entries(spool: &mut SpoolFile, bound: usize) {
    spool.rewind();
    let fresh = payload(usize::MAX, b"after the damage");
    let Ok(Ok(_)) = spool.append(&[&fresh], false) else {
        // (An entry larger than this run takes: refused, as at any time.)
        return;
    };
    let got = hand_out_all(spool, bound + 1);
    // (A damaged entry met on the way ends the walk before the new one.)
    let all = got.len() as u64 == spool.entries();
    if all {
        assert_eq!(got.last(), Some(&fresh), "the new entry comes back last");
    }
    spool.confirm(got.len() as u64).unwrap();
    if all {
        assert_eq!(spool.entries(), 0, "every entry confirmed");
        assert_eq!(spool.bytes(), 0);
    }
}

/// `file`'s bytes with each `(place, byte)` of `damage` written (places
/// taken modulo its length) and then cut to `cut` (modulo its length + 1).
fn damaged(mut file: Vec<u8>, damage: &[(u64, u8)], cut: Option<u64>) -> Vec<u8> {
    if !file.is_empty() {
        for &(place, byte) in damage {
            let at = (place % file.len() as u64) as usize;
            file[at] = byte;
        }
    }
    if let Some(cut) = cut {
        file.truncate((cut % (file.len() as u64 + 1)) as usize);
    }
    file
}

fn spool_path(dir: &ScratchDir) -> std::path::PathBuf {
    dir.join("spool")
}

fn rewrite(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// A spool written by this code, then damaged: what comes back after a
    /// reopen is a run, in order, of the entries it held (every one of
    /// them when nothing was damaged), never bytes nobody wrote.
    #[test]
    fn a_damaged_spool_hands_out_only_entries_it_held_in_order(
        noises in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..120), 0..40),
        confirmed in 0u64..40,
        max_bytes in prop_oneof![Just(HEADER + 512), Just(HEADER + 2048), Just(1u64 << 16)],
        damage in prop::collection::vec((any::<u64>(), any::<u8>()), 0..6),
        cut in prop::option::of(any::<u64>()),
        reopen_bytes in prop_oneof![Just(HEADER + 512), Just(1u64 << 16)],
        reopen_max_entry in prop_oneof![Just(64usize), Just(256usize)],
    ) {
        let dir = ScratchDir::new("spool-damage");
        let path = spool_path(&dir);
        let written: Vec<Vec<u8>> =
            noises.iter().enumerate().map(|(n, noise)| payload(n, noise)).collect();
        let held: Vec<Vec<u8>> = {
            let mut spool = SpoolFile::open(&path, max_bytes, 256).unwrap();
            for p in &written {
                let _ = spool.append(&[p], false).unwrap();
            }
            let handed = hand_out_all(&mut spool, written.len());
            spool.confirm(confirmed).unwrap();
            let left = spool.entries() as usize;
            prop_assert!(left <= handed.len());
            handed[handed.len() - left..].to_vec()
        };
        let bytes = std::fs::read(&path).unwrap();
        let untouched = damage.is_empty() && cut.is_none();
        rewrite(&path, &damaged(bytes, &damage, cut));

        let mut spool = SpoolFile::open(&path, reopen_bytes, reopen_max_entry).unwrap();
        let got = hand_out_all(&mut spool, written.len() + 1);
        // Each handed entry is one held, later than the one before.
        let mut from = 0;
        for entry in &got {
            if entry == b"(oversized)" {
                from += 1;
                continue;
            }
            let at = held[from..].iter().position(|h| h == entry);
            prop_assert!(at.is_some(), "an entry nobody wrote: {:?}", String::from_utf8_lossy(entry));
            from += at.unwrap() + 1;
        }
        if untouched {
            let whole: Vec<Vec<u8>> = held
                .iter()
                .map(|h| if h.len() > reopen_max_entry { b"(oversized)".to_vec() } else { h.clone() })
                .collect();
            prop_assert_eq!(&got, &whole);
        }
        takes_new_entries(&mut spool, written.len() + 1);
    }

    /// A file made to pass the header's checksums with any numbers, its
    /// ring holding a chain of entries with valid checksums from the
    /// oldest place on (now and then a gap, an id out of turn, an entry
    /// across the ring's end, noise around them): opening it never panics,
    /// handing out ends, only those entries come out, in their order, and
    /// within bounds exactly the chain's lead in turn, none counted torn.
    #[test]
    fn a_made_up_file_never_panics_and_yields_only_its_chain(
        capacity in prop_oneof![
            8 => 64u64..4096,
            1 => 0u64..64,
            1 => prop_oneof![Just(u64::MAX), Just(1u64 << 48), Just((1u64 << 48) + 1)],
        ],
        head_pick in any::<u64>(),
        head_anywhere in prop::bool::weighted(0.1),
        head_id in prop_oneof![
            8 => 0u64..8,
            1 => prop_oneof![Just(1u64 << 62), Just((1u64 << 62) + 1), Just(u64::MAX - 2)],
        ],
        writing in prop::option::weighted(0.2, prop_oneof![0u64..12, Just(u64::MAX)]),
        chain in prop::collection::vec(
            (
                prop_oneof![8 => Just(0u64), 1 => 1u64..40],
                prop_oneof![8 => Just(1u64), 1 => 0u64..4],
                prop::collection::vec(any::<u8>(), 0..60),
            ),
            0..10,
        ),
        noise_seed in any::<u8>(),
        max_bytes in prop_oneof![Just(HEADER + 256), Just(1u64 << 16)],
    ) {
        let dir = ScratchDir::new("spool-made-up");
        let path = spool_path(&dir);
        let head_at = if head_anywhere || capacity == 0 { head_pick } else { head_pick % capacity };
        let header = Header { capacity, head: head_at, head_id, writing };
        // The ring (as much of it as a test file holds), noise first.
        let ring_len = capacity.min(8192) as usize;
        let mut ring: Vec<u8> = (0..ring_len)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(noise_seed))
            .collect();
        let mut entries = Vec::new();
        let (mut at, mut id) = (head_at, head_id);
        // How many lead the chain in turn (no gap, the next id), and the
        // bytes the chain spans.
        let mut in_turn = 0;
        let mut span = 0u64;
        for (i, (gap, id_step, bytes)) in chain.iter().enumerate() {
            let p = payload(i, bytes);
            if i > 0 {
                id = id.wrapping_add(*id_step);
            }
            if in_turn == i && *gap == 0 && (i == 0 || *id_step == 1) {
                in_turn += 1;
            }
            at = at.wrapping_add(*gap);
            span += gap;
            let mut e = head(id, p.len() as u32, &[&p]).to_vec();
            e.extend_from_slice(&p);
            span += e.len() as u64;
            if ring_len > 0 {
                for (k, b) in e.iter().enumerate() {
                    let place = (at.wrapping_add(k as u64) % capacity.max(1)) as usize;
                    if let Some(slot) = ring.get_mut(place) {
                        *slot = *b;
                    }
                }
            }
            at = at.wrapping_add(e.len() as u64) % capacity.max(1);
            entries.push(p);
        }
        // A header within bounds naming no entry being written, and no
        // entry written over another: the walk takes the chain's lead in
        // turn, and stops at the first after it (a gap, noise or an id out
        // of turn).
        let exact = writing.is_none()
            && !head_anywhere
            && (64..=8192).contains(&capacity)
            && span < capacity
            && head_id < 8;
        let mut file = header.encode().to_vec();
        file.extend_from_slice(&ring);
        rewrite(&path, &file);

        let mut spool = SpoolFile::open(&path, max_bytes, 256).unwrap();
        let got = hand_out_all(&mut spool, entries.len() + 1);
        let mut from = 0;
        for entry in &got {
            let at = entries[from..].iter().position(|e| e == entry);
            prop_assert!(at.is_some(), "an entry nobody wrote: {:?}", String::from_utf8_lossy(entry));
            from += at.unwrap() + 1;
        }
        if exact {
            prop_assert_eq!(&got[..], &entries[..in_turn], "the chain's lead in turn, whole");
            // Where it stops is the end of what was written, not an entry
            // torn by a kill.
            prop_assert_eq!(spool.torn(), 0);
        }
        takes_new_entries(&mut spool, entries.len() + 1);
    }
}
