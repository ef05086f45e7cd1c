//! What signals mean to raudit: `SIGTERM`/`SIGINT` stop receiving, complete
//! every in-flight event, drain the queue, release the audit pid and exit 0;
//! `SIGHUP`/`SIGUSR1` reopen the output files (logrotate). The handlers
//! (in [`crate::sys::signals`]) only set flags; the receive loop and the
//! output thread look at them.

pub use crate::sys::signals::{
    install, request_reopen, request_shutdown, shutdown_requested, take_reopen,
};
