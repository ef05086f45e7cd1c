//! The one place in raudit that calls into libc with `unsafe`.
//!
//! Every `unsafe` block in the daemon lives under this module and carries a
//! `// SAFETY:` comment (clippy's `undocumented_unsafe_blocks`, denied
//! here); an `unsafe fn` would carry a `# Safety` section
//! (`missing_safety_doc`). Everything it exports is a safe API: the rest of
//! the daemon is `#![deny(unsafe_code)]`. A call that a signal may
//! interrupt goes through [`retry::retry_if_interrupted`], never a loop of
//! its own.
#![deny(clippy::undocumented_unsafe_blocks, clippy::missing_safety_doc)]

pub mod access;
pub mod json_text;
pub mod localtime;
pub mod netlink;
pub mod passwd;
pub mod poll;
#[cfg(test)]
pub mod private_mounts;
pub mod process;
pub mod reserve;
pub mod retry;
pub mod signals;
pub mod state_map;
