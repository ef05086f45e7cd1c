//! Criterion benches of the core (to be written).
fn main() {}
