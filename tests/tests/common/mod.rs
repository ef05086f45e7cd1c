//! Helpers shared by the integration tests: the shared corpus (optional),
//! and replaying bytes through the daemon's replay pipeline in-process.

#![allow(dead_code)]

pub mod coalesce;

use std::path::PathBuf;

use raudit::replay::{Capacities, Format, Malformed, ReplayCounts, Replayer};
use raudit_core::assemble::{Counters, Settings};
use raudit_core::encode::NoEnrich;

/// `../shared/corpus` beside the project. Tests that read it carry
/// `#[cfg_attr(raudit_no_corpus, ignore = ...)]` (see `tests/build_env.rs`),
/// so they show up as ignored when it is absent; reaching here without it
/// (`RAUDIT_REQUIRE_CORPUS=1`, or removed after the build) is a failure.
pub fn corpus() -> PathBuf {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus"));
    assert!(
        dir.is_dir(),
        "{} is absent (RAUDIT_REQUIRE_CORPUS=1, or it vanished after the build)",
        dir.display()
    );
    dir
}

/// The project's own test data.
pub fn data(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/data")).join(name)
}

/// Settings that keep every record type (no go-audit range filter).
pub fn all_types() -> Settings {
    Settings {
        type_min: 1000,
        type_max: 2999,
        ..Settings::default()
    }
}

pub struct Replayed {
    pub lines: Vec<String>,
    pub events: Vec<serde_json::Value>,
    pub counts: ReplayCounts,
    pub counters: Counters,
    pub malformed: Vec<Malformed>,
}

/// Replays `bytes` in `format`; every output line must be valid JSON.
pub fn replay(bytes: &[u8], format: Format, settings: Settings) -> Replayed {
    let mut replayer = Replayer::new(settings, Capacities::default(), NoEnrich);
    let mut out = Vec::new();
    let mut malformed = Vec::new();
    let mut input = bytes;
    replayer
        .run_input(&mut input, format, &mut out, &mut |m| malformed.push(m))
        .expect("replay into memory cannot fail");
    replayer
        .finish(&mut out)
        .expect("replay into memory cannot fail");
    let text = String::from_utf8(out).expect("replay output is UTF-8");
    let lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let events = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("invalid JSON ({e}): {l}")))
        .collect();
    Replayed {
        lines,
        events,
        counts: replayer.counts().clone(),
        counters: replayer.assembler_counters(),
        malformed,
    }
}

/// (type, data) of each message of an event.
pub fn messages(event: &serde_json::Value) -> Vec<(u64, String)> {
    event["messages"]
        .as_array()
        .expect("messages is an array")
        .iter()
        .map(|m| {
            (
                m["type"].as_u64().expect("type"),
                m["data"].as_str().expect("data").to_owned(),
            )
        })
        .collect()
}
