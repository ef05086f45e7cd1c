//! Writes seed corpora for every fuzz target from the shared corpus of real
//! captures: `cargo run --example seed -- [CORPUS_DIR] [OUT_DIR]`
//! (defaults: `../../shared/corpus` beside the project, `fuzz/corpus`).
//! Files are named by a hash of their content, so reruns add nothing twice.
//! The output is gitignored; never commit it.

use std::path::PathBuf;
use std::{env, fs, io};

use raudit_fuzz::daemon_targets::{self, DAEMON_TARGETS};
use raudit_fuzz::harness::{all_seeds, Corpus, CORPUS, TARGETS};
use raudit_fuzz::rewrite_target;

fn main() -> io::Result<()> {
    let mut args = env::args_os().skip(1);
    let from = args
        .next()
        .map_or_else(|| PathBuf::from(CORPUS), PathBuf::from);
    let to = args.next().map_or_else(
        || PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/corpus")),
        PathBuf::from,
    );
    let corpus = Corpus::load(&from);
    for target in TARGETS {
        let dir = to.join(target);
        fs::create_dir_all(&dir)?;
        let seeds = all_seeds(target, corpus.as_ref());
        for seed in &seeds {
            fs::write(dir.join(format!("{:016x}", fnv1a(seed))), seed)?;
        }
        println!("{target}: {} seeds in {}", seeds.len(), dir.display());
    }
    for target in DAEMON_TARGETS {
        let dir = to.join(target);
        fs::create_dir_all(&dir)?;
        let seeds = daemon_targets::seeds(target);
        for seed in &seeds {
            fs::write(dir.join(format!("{:016x}", fnv1a(seed))), seed)?;
        }
        println!("{target}: {} seeds in {}", seeds.len(), dir.display());
    }
    let dir = to.join("rewrite");
    fs::create_dir_all(&dir)?;
    let events = corpus
        .as_ref()
        .map(|c| c.argument_events(2000))
        .unwrap_or_default();
    let seeds = rewrite_target::seeds(&events);
    for seed in &seeds {
        fs::write(dir.join(format!("{:016x}", fnv1a(seed))), seed)?;
    }
    println!("rewrite: {} seeds in {}", seeds.len(), dir.display());
    Ok(())
}

/// FNV-1a, 64 bits: a stable content name.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
