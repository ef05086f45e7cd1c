//! The side regions beside the buffers ([`crate::side`]): reserved at
//! start as address space only, the part the outputs need opened then, and
//! more opened when a reload enables an output that needs it
//! ([`Queue::open_side`]).

use crate::sys::reserve::{Region, Regions};

use super::Queue;

impl Queue {
    /// Side bytes open now beside each pooled buffer and each large one.
    pub fn side_opened(&self) -> (usize, usize) {
        (self.sides.opened(), self.large_sides.opened())
    }

    /// Opens `pooled` side bytes beside each pooled buffer and `large`
    /// beside each large one, if not open yet (a reload enabled an output
    /// that needs more beside the lines; see the module doc). Called
    /// before the receive thread is told to write that much; an error (more
    /// than was reserved, or the commit limit reached) opens nothing more.
    pub fn open_side(&self, pooled: usize, large: usize) -> std::io::Result<()> {
        self.sides.open(pooled)?;
        if self.large_sides.reserved() > 0 || large > 0 {
            self.large_sides.open(large)?;
        }
        Ok(())
    }
}

/// `count` side regions reserving `reserve` bytes each (at least `open`),
/// `open` of them open; what cannot be is said on stderr (the daemon
/// checks [`Queue::side_opened`] at start).
pub(super) fn side_regions(
    count: usize,
    open: usize,
    reserve: usize,
) -> (&'static Regions, Vec<Region>) {
    let reserve = reserve.max(open);
    let reserved = Regions::reserve(count, reserve).or_else(|e| {
        eprintln!("raudit: cannot reserve {reserve} side bytes beside each of {count} buffers: {e}; reserving only what the outputs need now");
        Regions::reserve(count, open)
    });
    let (regions, handles) = match reserved {
        Ok(reserved) => reserved,
        Err(e) => {
            eprintln!(
                "raudit: cannot reserve {open} side bytes beside each of {count} buffers: {e}"
            );
            return side_regions_none();
        }
    };
    if let Err(e) = regions.open(open) {
        eprintln!("raudit: cannot open {open} side bytes beside each of {count} buffers: {e}");
    }
    (regions, handles)
}

/// No side regions.
pub(super) fn side_regions_none() -> (&'static Regions, Vec<Region>) {
    (Regions::none(), Vec::new())
}
