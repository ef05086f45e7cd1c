//! raudit daemon library.
