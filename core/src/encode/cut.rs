//! The marked cut: what an event becomes when it does not fit its limit.
//!
//! Every record that says who did what to which object (SYSCALL, CWD,
//! every PATH, PROCTITLE, SOCKADDR, …: everything but the EXECVE
//! arguments) stays whole. Bytes are taken from the middle of the EXECVE
//! arguments, whole arguments at a time, as laurel's
//! `execve-argv-limit-bytes` does: the first arguments are kept up to half
//! the room (the first one whole whenever it fits at all), the last ones
//! in what is left, and the document says what went with
//! `"cut":{"arguments":N,"bytes":M}` (arguments left out, and their length
//! in bytes as the program saw them).
//!
//! Arguments are counted as *groups*: a run of argument fields with the
//! same index (`aN`, or `aN_len` and its `aN[i]` pieces, which may spread
//! over several records). Each shape iterates its own pieces in the same
//! order for planning and for writing, so a [`Keep`] means the same
//! arguments to both. Hostile orders (pieces of one argument interleaved
//! with another's) only make more, smaller groups: still one document.

/// Which argument groups a document keeps: group `g` (0-based, in order)
/// is kept when `g < head` or `g >= tail`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Keep {
    pub head: u32,
    pub tail: u32,
}

impl Keep {
    /// Every argument.
    pub const ALL: Keep = Keep {
        head: u32::MAX,
        tail: 0,
    };
    /// No argument at all.
    pub const NONE: Keep = Keep {
        head: 0,
        tail: u32::MAX,
    };

    pub fn keeps(self, group: u32) -> bool {
        group < self.head || group >= self.tail
    }

    pub fn is_all(self) -> bool {
        self.head >= self.tail
    }
}

/// What a cut left out: whole EXECVE arguments and their bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cut {
    /// Arguments left out.
    pub arguments: u32,
    /// Their length, decoded (the bytes the program was given).
    pub bytes: u64,
}

/// Longest marker: `,"cut":{"arguments":4294967295,"bytes":18446744073709551615}`.
pub const MARKER_MAX: usize = 61;

/// One argument field (or piece) as a shape sees it.
#[derive(Clone, Copy, Debug)]
pub struct Piece {
    /// The argument's index (`N` of `aN`).
    pub index: u32,
    /// What writing it costs in the document, in bytes.
    pub cost: usize,
    /// Its decoded length.
    pub bytes: u64,
}

/// One argument group: consecutive pieces with the same index.
#[derive(Clone, Copy, Debug, Default)]
struct Group {
    cost: usize,
    bytes: u64,
}

/// Groups consecutive pieces by index.
struct Groups<I: Iterator> {
    pieces: core::iter::Peekable<I>,
}

impl<I: Iterator<Item = Piece>> Iterator for Groups<I> {
    type Item = Group;

    fn next(&mut self) -> Option<Group> {
        let first = self.pieces.next()?;
        let mut group = Group {
            cost: first.cost,
            bytes: first.bytes,
        };
        while let Some(piece) = self.pieces.next_if(|p| p.index == first.index) {
            group.cost = group.cost.saturating_add(piece.cost);
            group.bytes = group.bytes.saturating_add(piece.bytes);
        }
        Some(group)
    }
}

/// Tracks the group of each piece while a shape writes them, with the same
/// grouping as the plan (consecutive pieces of one index).
#[derive(Clone, Copy, Debug, Default)]
pub struct GroupCounter {
    current: Option<u32>,
    next_group: u32,
}

impl GroupCounter {
    /// The group of the next piece, whose index is `index`.
    pub fn group_of(&mut self, index: u32) -> u32 {
        if self.current != Some(index) {
            self.current = Some(index);
            self.next_group = self.next_group.saturating_add(1);
        }
        self.next_group.saturating_sub(1)
    }
}

fn groups<I: Iterator<Item = Piece>>(pieces: I) -> Groups<I> {
    Groups {
        pieces: pieces.peekable(),
    }
}

/// Chooses the arguments to keep within `budget` bytes of argument cost:
/// leading ones up to half of it (the first whole if it fits the budget at
/// all), trailing ones in the rest. Returns what it keeps and what it cuts.
pub fn plan<I: Iterator<Item = Piece>>(pieces: impl Fn() -> I, budget: usize) -> (Keep, Cut) {
    let mut total = 0usize;
    let mut count = 0u32;
    let mut first = None;
    for group in groups(pieces()) {
        total = total.saturating_add(group.cost);
        count = count.saturating_add(1);
        first.get_or_insert(group.cost);
    }
    if total <= budget {
        return (Keep::ALL, Cut::default());
    }
    let half = budget / 2;
    let head_budget = match first {
        Some(cost) if cost <= budget => half.max(cost),
        _ => half,
    };
    let mut keep = Keep {
        head: 0,
        tail: count,
    };
    let mut cut = Cut::default();
    let mut before = 0usize; // cost of the groups before this one
    let mut head_cost = 0usize;
    let mut in_head = true;
    for (g, group) in groups(pieces()).enumerate() {
        let g = u32::try_from(g).unwrap_or(u32::MAX);
        if in_head && before.saturating_add(group.cost) <= head_budget {
            keep.head = g.saturating_add(1);
            head_cost = before.saturating_add(group.cost);
        } else {
            in_head = false;
            let rest = total.saturating_sub(before);
            if rest <= budget.saturating_sub(head_cost) {
                keep.tail = g;
                break;
            }
            cut.arguments = cut.arguments.saturating_add(1);
            cut.bytes = cut.bytes.saturating_add(group.bytes);
        }
        before = before.saturating_add(group.cost);
    }
    (keep, cut)
}

/// The decoded length of an argument value as written in a record: hex
/// halves, quotes are not counted.
pub fn decoded_len(value: &[u8]) -> u64 {
    let len = value.len() as u64;
    match value {
        [b'"', inner @ .., b'"'] => inner.len() as u64,
        _ if crate::record::looks_hex(value) => len / 2,
        _ => len,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    extern crate std;
    use std::vec::Vec;

    use super::*;

    fn pieces(costs: &[usize]) -> impl Fn() -> std::vec::IntoIter<Piece> + '_ {
        move || {
            costs
                .iter()
                .enumerate()
                .map(|(i, &cost)| Piece {
                    index: i as u32,
                    cost,
                    bytes: cost as u64,
                })
                .collect::<Vec<_>>()
                .into_iter()
        }
    }

    #[test]
    fn everything_fits_keeps_all() {
        let costs = [10, 20, 30];
        assert_eq!(plan(pieces(&costs), 60), (Keep::ALL, Cut::default()));
    }

    #[test]
    fn middle_goes_first_and_last_stay() {
        let costs = [10, 50, 50, 50, 10];
        let (keep, cut) = plan(pieces(&costs), 80);
        assert!(keep.keeps(0) && keep.keeps(4));
        let kept: usize = (0..5)
            .filter(|&g| keep.keeps(g))
            .map(|g| costs[g as usize])
            .sum();
        assert!(kept <= 80, "{keep:?}");
        let dropped = (0..5).filter(|&g| !keep.keeps(g)).count() as u32;
        assert_eq!(cut.arguments, dropped);
        assert_eq!(cut.bytes, 170 - kept as u64);
    }

    #[test]
    fn a_huge_last_argument_goes_whole() {
        let costs = [8, 1000];
        let (keep, cut) = plan(pieces(&costs), 100);
        assert_eq!(keep, Keep { head: 1, tail: 2 });
        assert_eq!(
            cut,
            Cut {
                arguments: 1,
                bytes: 1000
            }
        );
    }

    #[test]
    fn pieces_of_one_index_are_one_argument() {
        let list = [
            Piece {
                index: 0,
                cost: 5,
                bytes: 2,
            },
            Piece {
                index: 1,
                cost: 100,
                bytes: 40,
            },
            Piece {
                index: 1,
                cost: 100,
                bytes: 40,
            },
            Piece {
                index: 2,
                cost: 5,
                bytes: 2,
            },
        ];
        let (keep, cut) = plan(|| list.iter().copied(), 20);
        assert_eq!(keep, Keep { head: 1, tail: 2 });
        assert_eq!(
            cut,
            Cut {
                arguments: 1,
                bytes: 80
            }
        );
        let mut counter = GroupCounter::default();
        let groups: Vec<u32> = list.iter().map(|p| counter.group_of(p.index)).collect();
        assert_eq!(groups, [0, 1, 1, 2]);
    }

    proptest::proptest! {
        #[test]
        fn plan_fits_and_counts(
            costs in proptest::collection::vec(0usize..500, 0..60),
            budget in 0usize..3000,
        ) {
            let (keep, cut) = plan(pieces(&costs), budget);
            let kept: usize = costs.iter().enumerate()
                .filter(|&(g, _)| keep.keeps(g as u32)).map(|(_, &c)| c).sum();
            let total: usize = costs.iter().sum();
            if keep.is_all() {
                proptest::prop_assert!(total <= budget);
            } else {
                proptest::prop_assert!(kept <= budget);
                let dropped = costs.iter().enumerate()
                    .filter(|&(g, _)| !keep.keeps(g as u32)).count() as u32;
                proptest::prop_assert_eq!(cut.arguments, dropped);
                proptest::prop_assert_eq!(cut.bytes, (total - kept) as u64);
                if costs.first().is_some_and(|&c| c <= budget) {
                    proptest::prop_assert!(keep.keeps(0));
                }
            }
        }
    }
}
