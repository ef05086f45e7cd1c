//! Decides which environment-dependent tests are built as ignored: see
//! `tests/build_env.rs`.

include!("../tests/build_env.rs");

fn main() {
    println!("cargo:rerun-if-changed=../tests/build_env.rs");
    emit_test_env();
    pack_relative_relocations();
}

/// The raudit binary is a PIE: its ~7,600 relative relocations, as
/// classic RELA entries (24 bytes each, 180 KiB), are read by the dynamic
/// loader at every start and count in the start-up peak of resident memory.
/// Packed (`DT_RELR`, glibc >= 2.36, lld and GNU ld >= 2.38) they take a few
/// KiB; the binary stays a PIE with full RELRO.
fn pack_relative_relocations() {
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    let gnu = std::env::var("CARGO_CFG_TARGET_ENV").is_ok_and(|env| env == "gnu");
    if linux && gnu {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
