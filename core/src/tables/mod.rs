//! Static, sorted name tables for the kernel's numbers: message types,
//! architectures, syscalls, io_uring operations, errnos, capabilities and
//! rule fields.
//! Tables are data: each is a checked-in array with a test that it is sorted
//! and complete.

pub mod arch;
pub mod capability;
pub mod errno;
pub mod field;
pub mod msgtype;
pub mod syscall;
pub mod uring;

/// ASCII case-insensitive equality (libaudit's name lookups ignore case).
pub(crate) fn eq_ignore_case(a: &[u8], b: &[u8]) -> bool {
    a.eq_ignore_ascii_case(b)
}
