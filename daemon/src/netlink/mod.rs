//! Talking to the kernel's audit subsystem over netlink: [`kernel_control::Control`]
//! for requests and replies (status, pid, rules). The socket itself lives in
//! [`crate::sys::netlink`].

pub mod kernel_control;

pub use kernel_control::{AuditStatus, Control, ControlError, Features};
