//! raudit-core: the allocation-free heart of raudit.
//!
//! Everything here is `#![no_std]`, uses no allocator and no `unsafe`, and
//! never reads a socket, a file or a clock (sans-IO): the daemon hands in bytes
//! and the current [`time::Instant`], and gets back completed events encoded
//! into buffers it owns.
//!
//! Layers, each in its own module, data flowing one way:
//!
//! - [`wire`]: views over kernel bytes: netlink frames (`nlmsghdr`), the
//!   `audit_status` struct, `audit_rule_data`, and the [`wire::MessageType`]
//!   newtype. Checked once, then no accessor panics.
//! - [`record`]: [`record::Record`], a borrowed view of one audit record
//!   (type, timestamp, serial, body) from the kernel form
//!   `audit(S.MS:SERIAL): body` or the auditd log-line form; the zero-copy
//!   `key=value` field iterator and hex decoding.
//! - [`assemble`]: groups records into events in a fixed table and a byte
//!   arena; completion on EOE, standalone types, deadlines and pressure;
//!   serial-gap tracking. Full is a counted value, never a panic.
//! - [`encode`]: writes a completed event as JSON (go-audit's shape) into a
//!   caller buffer through `serde-json-core`; oversized events are truncated
//!   visibly and counted.
//! - [`tables`]: static, sorted name tables (message types, architectures,
//!   syscalls, io_uring operations, errnos, rule fields).
//! - [`time`]: millisecond `Instant`/`Duration` newtypes; core owns no clock.
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod assemble;
pub mod encode;
pub mod record;
pub mod tables;
pub mod time;
pub mod wire;
