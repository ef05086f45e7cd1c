//! Decides which environment-dependent tests are built as ignored: see
//! `tests/build_env.rs`.

#[path = "../tests/build_env.rs"]
mod build_env;

fn main() {
    println!("cargo:rerun-if-changed=../tests/build_env.rs");
    build_env::emit_test_env();
}
