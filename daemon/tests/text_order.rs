//! The raudit binary is linked with `link/hot-text.ld` (`build.rs`): the
//! default config's steady state in `.text.hot`, the other profiled
//! configs' (network outputs, the ECS shape) in `.text.hot_more`, then
//! start-up's in `.text.startup_only`, then the rest in `.text`. Read back from the built
//! binary with binutils' `readelf` and `nm` (GNU ld links it, so they are
//! there; a missing one fails the test).

use std::ops::Range;
use std::process::Command;

const BINARY: &str = env!("CARGO_BIN_EXE_raudit");

fn run(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool)
        .args(args)
        .arg(BINARY)
        .output()
        .unwrap_or_else(|e| panic!("{tool}: {e} (binutils is needed)"));
    assert!(out.status.success(), "{tool} {args:?} failed");
    String::from_utf8(out.stdout).expect("tool output is UTF-8")
}

/// The address range of each named section, from `readelf -SW`.
fn section(name: &str) -> Range<u64> {
    let table = run("readelf", &["-SW"]);
    for line in table.lines() {
        // "  [17] .text.hot  PROGBITS  00000000000b6430 0b5430 04310d ..."
        let fields: Vec<&str> = line
            .split(|c: char| c == '[' || c == ']' || c.is_whitespace())
            .filter(|f| !f.is_empty())
            .collect();
        if fields.get(1) == Some(&name) {
            let hex = |i: usize| u64::from_str_radix(fields[i], 16).expect("hex field");
            return hex(3)..hex(3) + hex(5);
        }
    }
    panic!("{BINARY} has no section {name}");
}

/// The address of the first text symbol whose mangled name contains
/// every one of `parts`.
fn function(parts: &[&str]) -> u64 {
    let symbols = run("nm", &["--defined-only"]);
    symbols
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let (address, kind, name) = (fields.next()?, fields.next()?, fields.next()?);
            let text = matches!(kind, "t" | "T");
            (text && parts.iter().all(|p| name.contains(p))).then_some(address)
        })
        .map(|address| u64::from_str_radix(address, 16).expect("nm address"))
        .next()
        .unwrap_or_else(|| panic!("no function named like {parts:?} in {BINARY}"))
}

#[test]
fn steady_state_code_comes_first_then_start_up_then_the_rest() {
    let hot = section(".text.hot");
    let more = section(".text.hot_more");
    let start_up = section(".text.startup_only");
    let rest = section(".text");
    assert!(hot.end <= more.start && more.end <= start_up.start && start_up.end <= rest.start);
    // What the receive and file threads run for every event.
    for parts in [
        &["8pipeline9EventSink6commit"][..],
        &["11raudit_core", "4text11escape_into"],
        &["file..FileOutput$u20$as", "13write_buffers"],
    ] {
        let at = function(parts);
        assert!(hot.contains(&at), "{parts:?} at {at:#x}, not in {hot:x?}");
    }
    // What the network outputs and the ECS shape run for every event.
    for parts in [
        &["3ecs", "13write_process"][..],
        &["gelf..Gelf$u20$as", "10write_line"],
    ] {
        let at = function(parts);
        assert!(more.contains(&at), "{parts:?} at {at:#x}, not in {more:x?}");
    }
    // What only start-up runs: the config file's parsing.
    let at = function(&["6raudit6config6Config21from_yaml_str_partial"]);
    assert!(
        start_up.contains(&at),
        "config parsing at {at:#x}, not in {start_up:x?}"
    );
}

/// `*`-only glob match, as the linker script's patterns use.
fn glob(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

#[test]
fn the_order_still_names_the_binary_s_functions() {
    let script = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/link/hot-text.ld"))
        .expect("daemon/link/hot-text.ld");
    let patterns: Vec<&str> = script
        .split("*(.text.")
        .skip(1)
        .filter_map(|s| s.split_whitespace().next())
        .collect();
    assert!(patterns.len() > 100, "{} patterns", patterns.len());
    let symbols = run("nm", &["--defined-only"]);
    let names: Vec<&str> = symbols
        .lines()
        .filter_map(|line| line.split_whitespace().nth(2))
        .collect();
    let unmatched: Vec<&&str> = patterns
        .iter()
        .filter(|p| !names.iter().any(|n| glob(p, n)))
        .collect();
    // A debug build inlines less and names a few functions differently
    // from the release build the script was made from (6 of 380 when it
    // was written); many more unmatched means renamed functions: rerun
    // benches/profile/hot-text.sh.
    assert!(
        unmatched.len() * 20 <= patterns.len(),
        "{} of {} patterns name no function; regenerate with benches/profile/hot-text.sh: {unmatched:?}",
        unmatched.len(),
        patterns.len()
    );
}

#[test]
fn glob_matches_stars_only() {
    assert!(glob("_ZN6raudit4main17h*", "_ZN6raudit4main17habcE"));
    assert!(glob("a*b*c", "axxbyyc"));
    assert!(glob("abc", "abc"));
    assert!(!glob("abc", "abcd"));
    assert!(!glob("a*c", "ab"));
    assert!(!glob("_ZN6raudit4main17h*", "_ZN6raudit5other17h1E"));
}
