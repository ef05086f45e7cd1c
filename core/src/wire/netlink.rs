//! Netlink frames (to be written).
