//! Static, sorted name tables for the kernel's numbers: message types,
//! architectures, syscalls, errnos and rule fields. Tables are data: each is
//! a checked-in array with a test that it is sorted and complete.

pub mod arch;
pub mod errno;
pub mod field;
pub mod msgtype;
pub mod syscall;
