//! `skip!`: one place for the tests' "a tool or privilege is missing"
//! rule, included by each test file that needs it.

/// A missing tool or privilege: a visible skip where nothing promises
/// them, a failure where CI does (`RAUDIT_REQUIRE_LIVE`, set by `.ci/run`
/// as root after installing every tool the tests use).
macro_rules! skip {
    ($($arg:tt)*) => {{
        let why = format!($($arg)*);
        assert!(
            std::env::var_os("RAUDIT_REQUIRE_LIVE").is_none(),
            "cannot run, and RAUDIT_REQUIRE_LIVE asks for it: {why}"
        );
        eprintln!("{why}");
    }};
}
