//! Address space reserved at start for large events, touched only while
//! one is in flight: an anonymous private mapping with `MAP_NORESERVE`
//! (no swap or commit charge up front; its pages are the shared zero page
//! until written), and [`release_written`], which gives written pages back
//! (`MADV_DONTNEED`: the next touch maps a fresh zero page) so the
//! resident set returns to where it was once large events stop.
//!
//! [`Regions`]: address space for many equal regions (the queue's side
//! regions) reserved **inaccessible** (`PROT_NONE`: charged to no commit
//! limit, even under `vm.overcommit_memory=2`, and never resident), of
//! which a prefix of every region is made readable and writable
//! (`mprotect`) when it is first needed ([`Regions::open`]), at start or
//! when a reload needs more room beside the lines. What was opened stays
//! open, so a slice handed out earlier never loses its access; a
//! [`Region`] hands out slices of its opened prefix only.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Reserves `len` bytes of zeroed, readable and writable memory for the
/// life of the process (it is never unmapped: the daemon makes its
/// reservations once). An empty slice for `len` 0.
pub fn reserve(len: usize) -> io::Result<&'static mut [u8]> {
    if len == 0 {
        return Ok(Default::default());
    }
    // SAFETY: an anonymous private mapping at an address of the kernel's
    // choosing aliases no existing memory; the result is checked against
    // MAP_FAILED before use.
    let addr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if addr == libc::MAP_FAILED {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the mapping is `len` bytes, readable and writable, zero
    // filled, page aligned (so aligned for u8), never unmapped, and this
    // is the only reference made to it: it may live for 'static.
    Ok(unsafe { std::slice::from_raw_parts_mut(addr.cast::<u8>(), len) })
}

/// Gives back to the kernel the pages of `bytes` that its first `written`
/// bytes touch (the last one whole, when it lies inside `bytes`: its rest
/// is dead too); they read as zeros afterwards and cost no resident memory
/// until written again. Only pages wholly inside `bytes` are given back.
/// Errors are ignored: the pages then simply stay resident.
pub fn release_written(bytes: &mut [u8], written: usize) {
    let page = page_size();
    let start = bytes.as_mut_ptr() as usize;
    let first = start.next_multiple_of(page);
    let inside = (start + bytes.len()) / page * page;
    let end = (start + written.min(bytes.len()))
        .next_multiple_of(page)
        .min(inside);
    if end <= first {
        return;
    }
    // SAFETY: [first, end) lies inside `bytes`, which we borrow mutably
    // (nobody else reads or writes it meanwhile); MADV_DONTNEED on private
    // anonymous or heap pages only replaces their contents with zeros,
    // which is a valid value for u8.
    unsafe {
        libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_DONTNEED);
    }
}

/// `count` regions of address space of up to `each` bytes, each region's
/// first [`opened`](Regions::opened) bytes readable and writable, the rest
/// inaccessible (see the module doc). Lives as long as the process.
#[derive(Debug)]
pub struct Regions {
    /// Address of the mapping (0: nothing reserved).
    base: usize,
    /// Distance between two regions: `each` rounded up to whole pages.
    stride: usize,
    count: usize,
    /// Bytes of each region open for access; only grows, and only after
    /// `mprotect` succeeded (stored with Release, read with Acquire).
    opened: AtomicUsize,
    /// Held while opening, so two opens never interleave.
    opening: Mutex<()>,
}

/// No regions: what an empty [`Region`] refers to.
static NONE: Regions = Regions {
    base: 0,
    stride: 0,
    count: 0,
    opened: AtomicUsize::new(0),
    opening: Mutex::new(()),
};

impl Regions {
    /// Reserves `count` regions of up to `each` bytes, none open yet: one
    /// inaccessible private anonymous mapping (never unmapped). With
    /// nothing to reserve, no mapping and regions of 0 bytes.
    pub fn reserve(count: usize, each: usize) -> io::Result<(&'static Regions, Vec<Region>)> {
        let stride = each.next_multiple_of(page_size());
        let len = stride
            .checked_mul(count)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "side regions too large"))?;
        if len == 0 {
            let regions = (0..count).map(|_| Region::empty()).collect();
            return Ok((Regions::none(), regions));
        }
        // SAFETY: an anonymous private mapping at an address of the
        // kernel's choosing aliases no existing memory; PROT_NONE makes
        // every access fault until `open` makes a part accessible; the
        // result is checked against MAP_FAILED before use.
        let addr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if addr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let regions: &'static Regions = Box::leak(Box::new(Regions {
            base: addr as usize,
            stride,
            count,
            opened: AtomicUsize::new(0),
            opening: Mutex::new(()),
        }));
        let handles = (0..count)
            .map(|i| Region {
                regions,
                start: regions.base + i * stride,
            })
            .collect();
        Ok((regions, handles))
    }

    /// No regions at all.
    pub fn none() -> &'static Regions {
        &NONE
    }

    /// Bytes of each region open for access now.
    pub fn opened(&self) -> usize {
        self.opened.load(Ordering::Acquire)
    }

    /// Bytes each region may be opened to at most.
    pub fn reserved(&self) -> usize {
        self.stride
    }

    /// Makes the first `bytes` of every region readable and writable (the
    /// pages holding them: whole pages), if they are not yet; never closes
    /// what is open. More than [`reserved`](Self::reserved) is refused.
    /// Under `vm.overcommit_memory=2` the opened pages are charged to the
    /// commit limit now, and this fails (`ENOMEM`) when it is reached; a
    /// failed open leaves [`opened`](Self::opened) as it was.
    pub fn open(&self, bytes: usize) -> io::Result<()> {
        let _one = self
            .opening
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let opened = self.opened();
        if bytes <= opened {
            return Ok(());
        }
        if bytes > self.stride {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{bytes} bytes beside a buffer, {} reserved", self.stride),
            ));
        }
        let page = page_size();
        let from = opened.next_multiple_of(page);
        let to = bytes.next_multiple_of(page).min(self.stride);
        if to > from {
            let per_region = (0..self.count)
                .try_for_each(|i| self.protect(self.base + i * self.stride + from, to - from));
            if per_region.is_err() {
                // Each region's open prefix is a mapping of its own to the
                // kernel: with very many regions `vm.max_map_count` runs
                // out. Then all of it, one mapping again.
                self.protect(self.base, self.stride * self.count)?;
            }
        }
        self.opened.store(bytes, Ordering::Release);
        Ok(())
    }

    /// `mprotect(addr, len, PROT_READ | PROT_WRITE)`.
    fn protect(&self, addr: usize, len: usize) -> io::Result<()> {
        // SAFETY: [addr, addr + len) lies inside this mapping (callers
        // stay within `count` regions of `stride` bytes from `base`),
        // which nothing else maps; making pages readable and writable
        // takes no access away from any slice handed out.
        let rc = unsafe {
            libc::mprotect(
                addr as *mut libc::c_void,
                len,
                libc::PROT_READ | libc::PROT_WRITE,
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

/// One region of [`Regions`]: owned by one holder (it is not `Clone`),
/// whose slices cover only the opened prefix.
#[derive(Debug)]
pub struct Region {
    regions: &'static Regions,
    /// Address of its first byte.
    start: usize,
}

impl Region {
    /// A region of 0 bytes (nothing reserved).
    pub fn empty() -> Region {
        Region {
            regions: &NONE,
            start: 0,
        }
    }

    /// Bytes open for access now (it only grows).
    pub fn len(&self) -> usize {
        self.regions.opened()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The open prefix.
    pub fn as_slice(&self) -> &[u8] {
        let len = self.len();
        if len == 0 {
            return &[];
        }
        // SAFETY: `len` bytes from `start` lie in this region (opened never
        // exceeds the stride) and are readable and writable: `opened` is
        // stored (Release) only after their mprotect succeeded and read
        // here with Acquire, and pages are never closed again nor
        // unmapped. The region belongs to this one `Region` (one handle per
        // region, not Clone), so writes happen only through `&mut self`.
        unsafe { std::slice::from_raw_parts(self.start as *const u8, len) }
    }

    /// The open prefix, to write.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        let len = self.len();
        if len == 0 {
            return &mut [];
        }
        // SAFETY: as in `as_slice`; `&mut self` makes this the only
        // reference to the region's bytes while it lives.
        unsafe { std::slice::from_raw_parts_mut(self.start as *mut u8, len) }
    }
}

/// The page size (4096 when `sysconf` cannot tell).
fn page_size() -> usize {
    // SAFETY: sysconf takes an integer name and has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(size)
        .ok()
        .filter(|&s| s > 0)
        .unwrap_or(4096)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Resident pages of `bytes`, as `mincore` reports them.
    fn resident(bytes: &[u8]) -> usize {
        let page = page_size();
        let start = bytes.as_ptr() as usize / page * page;
        let pages = (bytes.as_ptr() as usize + bytes.len() - start).div_ceil(page);
        let mut vec = vec![0u8; pages];
        // SAFETY: test-only; the range is our own mapping and `vec` has a
        // byte per page.
        let rc =
            unsafe { libc::mincore(start as *mut libc::c_void, pages * page, vec.as_mut_ptr()) };
        assert_eq!(rc, 0);
        vec.iter().filter(|&&b| b & 1 == 1).count()
    }

    #[test]
    fn reserved_pages_are_resident_only_while_written() {
        let len = 64 * page_size();
        let bytes = reserve(len).unwrap();
        assert_eq!(bytes.len(), len);
        assert_eq!(resident(bytes), 0, "untouched");
        bytes[..len / 2].fill(0xa5);
        assert_eq!(resident(bytes), 32);
        release_written(bytes, len / 2);
        assert_eq!(resident(bytes), 0, "given back");
        // A partly written last page goes back whole.
        bytes[..3 * page_size() + 10].fill(0xa5);
        release_written(bytes, 3 * page_size() + 10);
        assert_eq!(resident(bytes), 0, "the partial page too");
        // Never past the slice: a page it holds only part of stays.
        let (head, tail) = bytes.split_at_mut(page_size() + 10);
        tail.fill(1);
        head.fill(2);
        release_written(head, page_size() + 10);
        assert_eq!(resident(bytes), 63, "the shared page stays");
        assert_eq!(bytes[page_size()], 2);
        release_written(bytes, len);
        assert_eq!(resident(bytes), 0);
        // (Reading maps the shared zero page, which mincore counts.)
        assert!(bytes.iter().all(|&b| b == 0), "reads as zeros");
        assert!(reserve(0).unwrap().is_empty());
    }

    /// Whether the pages of `[addr, addr + len)` are mapped readable and
    /// writable, as `/proc/self/maps` says (asked, never faulted).
    fn accessible(addr: usize, len: usize) -> bool {
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        let mut at = addr;
        for line in maps.lines() {
            let mut parts = line.split_whitespace();
            let range = parts.next().unwrap();
            let perms = parts.next().unwrap();
            let (lo, hi) = range.split_once('-').unwrap();
            let lo = usize::from_str_radix(lo, 16).unwrap();
            let hi = usize::from_str_radix(hi, 16).unwrap();
            if lo <= at && at < hi {
                if !perms.starts_with("rw") {
                    return false;
                }
                at = hi;
                if at >= addr + len {
                    return true;
                }
            }
        }
        false
    }

    #[test]
    fn regions_are_reserved_inaccessible_and_opened_as_needed() {
        let page = page_size();
        let (regions, mut handles) = Regions::reserve(3, 5 * page - 100).unwrap();
        assert_eq!(regions.reserved(), 5 * page, "whole pages");
        assert_eq!(handles.len(), 3);
        assert_eq!(regions.opened(), 0);
        assert!(handles
            .iter()
            .all(|r| r.is_empty() && r.as_slice().is_empty()));
        let start = |r: &Region| r.start;
        assert!(!accessible(start(&handles[0]), 1), "PROT_NONE until opened");
        regions.open(page + 10).unwrap();
        assert!(handles.iter().all(|r| r.len() == page + 10));
        for (i, r) in handles.iter_mut().enumerate() {
            r.as_mut_slice().fill(i as u8 + 1);
        }
        for (i, r) in handles.iter().enumerate() {
            assert!(
                r.as_slice().iter().all(|&b| b == i as u8 + 1),
                "each its own"
            );
            assert!(accessible(start(r), 2 * page), "the opened pages, whole");
            assert!(!accessible(start(r) + 2 * page, 1), "the rest stays closed");
        }
        regions.open(10).unwrap();
        assert_eq!(regions.opened(), page + 10, "never closed again");
        regions.open(3 * page).unwrap();
        assert_eq!(handles[2].len(), 3 * page);
        assert_eq!(handles[2].as_slice()[page], 3, "kept what was written");
        assert_eq!(handles[2].as_slice()[page + 10], 0, "zeros beyond");
        assert!(accessible(start(&handles[1]), 3 * page));
        assert!(!accessible(start(&handles[1]) + 3 * page, 1));
        assert!(regions.open(5 * page + 1).is_err(), "more than reserved");
        assert_eq!(regions.opened(), 3 * page);
        let (none, empty) = Regions::reserve(4, 0).unwrap();
        assert_eq!((none.reserved(), empty.len()), (0, 4));
        assert!(Region::empty().as_slice().is_empty());
    }
}
