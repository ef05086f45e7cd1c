//! Talking to the kernel's audit subsystem over netlink: [`control::Control`]
//! for requests and replies (status, pid, rules). The socket itself lives in
//! [`crate::sys::netlink`].

pub mod control;

pub use control::{AuditStatus, Control, ControlError, Features};
