//! Audit message type names, both directions (to be completed).

/// Canonical name of a message type number.
pub fn name(_number: u16) -> Option<&'static str> {
    None
}

/// Number of a canonical name, also `UNKNOWN[N]`.
pub fn number(_name: &[u8]) -> Option<u16> {
    None
}
