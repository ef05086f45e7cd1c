//! Encoder (to be written).
