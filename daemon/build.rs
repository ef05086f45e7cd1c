//! Decides which environment-dependent tests are built as ignored: see
//! `tests/build_env.rs`.

#[path = "../tests/build_env.rs"]
mod build_env;

fn main() {
    println!("cargo:rerun-if-changed=../tests/build_env.rs");
    build_env::emit_test_env();
    pack_relative_relocations();
    group_hot_text();
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

/// The kernel maps a binary's code 64 KiB around each page a process
/// touches, so resident code is set by how many such windows the running
/// code is spread over, not by its size. `link/hot-text.ld` (written by
/// `benches/profile/hot_text.py` from a callgrind run of the daemon) puts
/// the functions of the steady state together, then those only start-up
/// runs, before the rest: the daemon's idle and storm resident sets keep a
/// few windows of code instead of most of the binary's, and start-up's peak
/// maps fewer. GNU ld (and lld) read it as an addition to their default
/// script (`INSERT BEFORE .text`); a function it does not name stays where
/// the linker puts it.
fn group_hot_text() {
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    let gnu = std::env::var("CARGO_CFG_TARGET_ENV").is_ok_and(|env| env == "gnu");
    println!("cargo:rerun-if-changed=link/hot-text.ld");
    if let (true, true, Ok(dir)) = (linux, gnu, std::env::var("CARGO_MANIFEST_DIR")) {
        println!("cargo:rustc-link-arg-bin=raudit=-Wl,-T,{dir}/link/hot-text.ld");
    }
}
