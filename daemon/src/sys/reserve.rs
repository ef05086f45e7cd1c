//! Address space reserved at start for large events, touched only while
//! one is in flight: an anonymous private mapping with `MAP_NORESERVE`
//! (no swap or commit charge up front; its pages are the shared zero page
//! until written), and [`release_written`], which gives written pages back
//! (`MADV_DONTNEED`: the next touch maps a fresh zero page) so the
//! resident set returns to where it was once large events stop.

use std::io;

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
}
