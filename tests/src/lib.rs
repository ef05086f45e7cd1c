//! Integration tests of the built raudit binary live in `tests/`.
