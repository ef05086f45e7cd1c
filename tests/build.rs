//! Decides which environment-dependent tests are built as ignored: see
//! `tests/build_env.rs`.

include!("../tests/build_env.rs");

fn main() {
    println!("cargo:rerun-if-changed=../tests/build_env.rs");
    emit_test_env();
}
