//! The one place in raudit that calls into libc with `unsafe`.
//!
//! Every `unsafe` block in the daemon lives under this module and carries a
//! `// SAFETY:` comment. Everything it exports is a safe API: the rest of
//! the daemon is `#![deny(unsafe_code)]`.

pub mod access;
pub mod localtime;
pub mod netlink;
pub mod passwd;
pub mod poll;
pub mod process;
pub mod reserve;
pub mod signals;
pub mod state_map;
