//! Errno names (`EACCES` = 13), both directions, for `-F exit=-EACCES`. The
//! table is generated into `errno_data.rs` from the kernel's generic errno
//! headers (the list libaudit's `errtab.h` carries).

use super::eq_ignore_case;

#[path = "errno_data.rs"]
mod data;

/// `(number, name)` sorted by number; aliases share a number.
pub fn table() -> &'static [(u16, &'static str)] {
    data::ERRNO
}

/// The first name of errno `number`.
pub fn name(number: u32) -> Option<&'static str> {
    let number = u16::try_from(number).ok()?;
    let at = data::ERRNO.partition_point(|&(n, _)| n < number);
    match data::ERRNO.get(at) {
        Some(&(n, name)) if n == number => Some(name),
        _ => None,
    }
}

/// The number of errno `name` (any case).
pub fn number(name: &[u8]) -> Option<u32> {
    data::ERRNO
        .iter()
        .find(|(_, n)| eq_ignore_case(n.as_bytes(), name))
        .map(|&(n, _)| u32::from(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        assert!(data::ERRNO.windows(2).all(|w| w[0].0 <= w[1].0));
        assert_eq!(number(b"EACCES"), Some(13));
        assert_eq!(number(b"eperm"), Some(1));
        assert_eq!(number(b"EWOULDBLOCK"), Some(11));
        assert_eq!(name(11), Some("EAGAIN"));
        assert_eq!(name(13), Some("EACCES"));
        assert_eq!(name(4000), None);
    }
}
