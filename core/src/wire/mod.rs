//! Views over the kernel's bytes: netlink frames, `audit_status`,
//! `audit_rule_data`, and the kernel's numbers as newtypes.
//!
//! Every view checks its lengths once at construction; accessors never panic.
//! Host byte order throughout (netlink is host-endian).

pub mod netlink;
pub mod rule;
pub mod status;

mod message_type;
pub use message_type::MessageType;
