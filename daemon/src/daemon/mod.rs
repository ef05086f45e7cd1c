//! The live daemon, start to finish. Start-up order: plan (from the config)
//! → outputs (so a bad path fails before the kernel is touched) → socket
//! (receive buffer) → audit pid and rules (or multicast, claiming nothing)
//! → threads. Three threads run: the receive thread (socket, assembler,
//! encoder; see [`crate::pipeline`]), the output thread (see
//! [`crate::output::run_writer`]) and this one, the supervisor: it polls
//! `AUDIT_GET` for the kernel's `lost`/`backlog` and for the pid being
//! taken, prints the stats every interval, and checks the rules for drift
//! (see [`drift_watch`]), whose records it hands to the output thread over
//! a small control channel.
//!
//! Shutdown (SIGTERM/SIGINT): the receive thread stops, the pid is
//! released if still ours (so the kernel stops sending), the socket is
//! drained of what the kernel already handed over, every in-flight event is
//! completed, the queue is drained, the final stats are printed, exit 0.

pub mod audit_pid;
pub mod drift_watch;
pub mod plan;
pub mod preflight;

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crate::netlink::{Control, ControlError};
use crate::output::{
    self, ControlSender, FileOutput, Gelf, Sink, StdoutOutput, Syslog, WriterSettings,
};
use crate::pipeline::{Pipeline, SocketSource};
use crate::queue::Queue;
use crate::rules;
use crate::signals;
use crate::stats::Stats;
use crate::sys::netlink::{AuditSocket, Membership};
use drift_watch::DriftWatch;
pub use plan::{DriftPlan, Listen, OutputPlan, RunPlan};

/// How often the audit pid and the kernel counters are polled.
const STATUS_POLL: Duration = Duration::from_secs(2);
/// How long the supervisor sleeps between looks at the clock and flags.
const SUPERVISOR_TICK: Duration = Duration::from_millis(50);

/// A start-up failure: what failed, for the exit message.
#[derive(Debug)]
pub struct StartError(pub String);

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn fail(what: &str, e: impl std::fmt::Display) -> StartError {
    StartError(format!("{what}: {e}"))
}

/// Runs the daemon until SIGTERM/SIGINT. Errors are start-up errors only:
/// once running, nothing makes raudit exit but a signal.
pub fn run(plan: RunPlan) -> Result<(), StartError> {
    crate::logging::set_flags(plan.log_flags);
    signals::install().map_err(|e| fail("installing signal handlers", e))?;
    let names: Vec<&str> = plan.outputs.iter().map(OutputPlan::name).collect();
    let stats = Arc::new(Stats::new(&names));
    let sinks = open_outputs(&plan)?;

    let membership = match plan.listen {
        Listen::Daemon { .. } => Membership::Unicast,
        Listen::Multicast => Membership::ReadLog,
    };
    let socket =
        Arc::new(AuditSocket::open(membership).map_err(|e| fail("opening the audit socket", e))?);
    if let Some(bytes) = plan.receive_buffer {
        set_receive_buffer(&socket, bytes)?;
    }
    let control = Control::open().map_err(|e| fail("opening the audit control socket", e))?;
    let initial = control
        .status()
        .map_err(|e| fail("reading the audit status (AUDIT_GET)", e))?;
    stats.kernel_lost_start.set(u64::from(initial.lost));
    stats.kernel_lost.set(u64::from(initial.lost));

    if let Listen::Daemon { takeover } = plan.listen {
        audit_pid::claim(&socket, &control, takeover, Duration::from_secs(5))
            .map_err(|e| StartError(e.to_string()))?;
        eprintln!("raudit: audit pid {} claimed", std::process::id());
        if let Some(apply) = &plan.rules {
            if let Err(e) = apply(&control) {
                let _ = audit_pid::release_if_ours(&control);
                return Err(fail("loading the audit rules", e));
            }
        }
    } else {
        eprintln!("raudit: read-only: listening on audit multicast group 1 beside the audit daemon (pid {})", initial.pid);
    }

    // Before the threads start, so they inherit it (as auditd's
    // priority_boost, when the config asks for it).
    if plan.priority_boost > 0 {
        if let Err(e) = crate::sys::process::raise_priority(plan.priority_boost) {
            eprintln!(
                "raudit: could not raise the priority by {}: {e}",
                plan.priority_boost
            );
        }
    }
    let queue = Queue::new(plan.queue_buffers, plan.buffer_bytes, plan.policy);
    let (records, control_records) = output::control_channel();
    let writer = {
        let queue = Arc::clone(&queue);
        let stats = Arc::clone(&stats);
        let settings = WriterSettings {
            loss_report_interval: plan.stats_interval,
        };
        let boost = plan.priority_boost;
        thread::Builder::new()
            .name("raudit-output".into())
            .spawn(move || {
                // The writer boosted once more than the receive thread: it
                // needs little CPU, but when woken it must run at once, or
                // under a storm the pool runs out while it waits its turn.
                if boost > 0 {
                    let _ = crate::sys::process::raise_priority(boost);
                }
                output::run_writer_with(queue, sinks, stats, settings, Some(control_records))
            })
            .map_err(|e| fail("starting the output thread", e))?
    };
    let mut pipeline_settings = plan.pipeline.clone();
    pipeline_settings.socket_buffer_bytes = socket.receive_buffer().unwrap_or(0);
    let pipeline = Pipeline::new(
        SocketSource::new(Arc::clone(&socket)),
        pipeline_settings,
        Arc::clone(&queue),
        Arc::clone(&stats),
    );
    let unicast = matches!(plan.listen, Listen::Daemon { .. });
    let receiver = {
        let stats = Arc::clone(&stats);
        thread::Builder::new()
            .name("raudit-receive".into())
            .spawn(move || receive_thread(pipeline, unicast, &stats))
            .map_err(|e| fail("starting the receive thread", e))?
    };
    eprintln!(
        "raudit: started processing events in the range [{}, {}]",
        plan.pipeline.assembler.type_min, plan.pipeline.assembler.type_max
    );
    // Start-up (YAML, rules, regex compilation) freed its memory; give the
    // pages back so the steady state does not carry them.
    crate::sys::process::release_free_memory();
    if let Err(e) = crate::sys::process::release_startup_code() {
        eprintln!("raudit: could not release start-up code pages: {e}");
    }

    let watch = Supervised {
        socket: &socket,
        control: &control,
        stats: &stats,
        queue: &queue,
        records,
    };
    supervise(&plan, &watch, &receiver);
    if receiver.join().is_err() {
        eprintln!("raudit: the receive thread panicked");
    }
    if writer.join().is_err() {
        eprintln!("raudit: the output thread panicked");
    }
    if let Ok(status) = control.status() {
        stats.kernel_lost.set(u64::from(status.lost));
        stats.kernel_backlog.set(u64::from(status.backlog));
    }
    report(&plan, &stats, "exit");
    Ok(())
}

fn open_outputs(plan: &RunPlan) -> Result<Vec<Sink>, StartError> {
    let mut sinks = Vec::new();
    for (index, out) in plan.outputs.iter().enumerate() {
        let sink = match out {
            OutputPlan::Stdout { attempts } => {
                let output = StdoutOutput::open(output::batch::DEFAULT_BATCH)
                    .map_err(|e| fail("opening stdout", e))?;
                Sink::new(Box::new(output), *attempts, plan.retry_pause, index)
            }
            OutputPlan::File { spec, attempts } => {
                let output = FileOutput::open(spec.clone(), output::batch::DEFAULT_BATCH)
                    .map_err(|e| fail("opening the output file", e))?;
                Sink::new(Box::new(output), *attempts, plan.retry_pause, index)
            }
            OutputPlan::Syslog(spec) => {
                let output = Syslog::open(spec, plan.buffer_bytes);
                Sink::new(Box::new(output), spec.attempts, plan.retry_pause, index)
            }
            OutputPlan::Gelf(spec) => {
                let output = Gelf::open(spec, plan.buffer_bytes);
                Sink::new(Box::new(output), spec.attempts, plan.retry_pause, index)
            }
        };
        sinks.push(sink);
    }
    if sinks.is_empty() {
        return Err(StartError("no output is enabled".into()));
    }
    Ok(sinks)
}

fn set_receive_buffer(socket: &AuditSocket, bytes: u32) -> Result<(), StartError> {
    let forced = socket
        .set_receive_buffer(bytes as usize)
        .map_err(|e| fail("setting socket_buffer.receive", e))?;
    let granted = socket.receive_buffer().unwrap_or(0);
    if forced {
        eprintln!("raudit: socket receive buffer {bytes} bytes (SO_RCVBUFFORCE; the kernel reports {granted})");
    } else {
        eprintln!(
            "raudit: SO_RCVBUFFORCE was refused (no CAP_NET_ADMIN?); fell back to SO_RCVBUF, capped by net.core.rmem_max: the kernel reports {granted} bytes"
        );
    }
    Ok(())
}

fn receive_thread(mut pipeline: Pipeline<SocketSource>, unicast: bool, stats: &Stats) {
    let mut errors_reported = 0u32;
    loop {
        match pipeline.run(&signals::shutdown_requested) {
            Ok(()) => break,
            Err(e) => {
                stats.malformed.add(1);
                if errors_reported < 10 {
                    eprintln!("raudit: receive failed, continuing: {e}");
                    errors_reported += 1;
                }
                thread::sleep(Duration::from_millis(10));
            }
        }
    }
    // Stop the kernel sending to us first, so the drain below ends.
    if unicast {
        match Control::open()
            .map_err(|e| e.to_string())
            .and_then(|c| audit_pid::release_if_ours(&c).map_err(|e| e.to_string()))
        {
            Ok(true) => eprintln!("raudit: audit pid released"),
            Ok(false) => eprintln!("raudit: the audit pid is no longer ours; left as it is"),
            Err(e) => eprintln!("raudit: could not release the audit pid: {e}"),
        }
    }
    let (idle, limit) = if unicast {
        (Duration::from_millis(100), Duration::from_secs(5))
    } else {
        (Duration::from_millis(20), Duration::from_millis(500))
    };
    if let Err(e) = pipeline.finish(idle, limit) {
        eprintln!("raudit: draining the socket failed: {e}");
        // Still complete what is in flight and close the queue.
        let _ = pipeline.finish(Duration::ZERO, Duration::ZERO);
    }
    if unicast {
        remove_self_exclusion();
    }
}

/// Deletes the `-a never,exit -F pid=SELF` rule loaded at start: once we
/// exit, another process may get our pid and must not go unaudited. The
/// other rules stay, as auditd leaves them.
fn remove_self_exclusion() {
    let rule = rules::self_exclusion(std::process::id());
    let result = Control::open()
        .map_err(ControlError::Io)
        .and_then(|control| control.delete_rule(&rule));
    match result {
        Ok(()) => eprintln!("raudit: self-exclusion rule removed"),
        Err(e) if e.errno() == Some(libc::ENOENT) => {}
        Err(e) => eprintln!("raudit: could not remove the self-exclusion rule: {e}"),
    }
}

/// What the supervisor looks at and reports to.
struct Supervised<'a> {
    socket: &'a AuditSocket,
    control: &'a Control<'a>,
    stats: &'a Stats,
    queue: &'a Queue,
    records: ControlSender,
}

fn supervise(plan: &RunPlan, s: &Supervised<'_>, receiver: &thread::JoinHandle<()>) {
    let (socket, control, stats) = (s.socket, s.control, s.stats);
    let mut watch = audit_pid::PidWatch::default();
    // Drift is about the rules raudit loaded: daemon mode only.
    let mut drift = match (&plan.drift, plan.listen) {
        (Some(d), Listen::Daemon { .. }) => Some(DriftWatch::new(d.clone(), Instant::now())),
        _ => None,
    };
    let mut next_poll = Instant::now() + STATUS_POLL;
    let mut next_report = Instant::now() + plan.stats_interval;
    let mut enobufs_seen = 0;
    while !receiver.is_finished() && !signals::shutdown_requested() {
        thread::sleep(SUPERVISOR_TICK);
        let now = Instant::now();
        let enobufs = stats.enobufs.get();
        let report_due = now >= next_report;
        if now >= next_poll || enobufs != enobufs_seen || report_due {
            next_poll = now + STATUS_POLL;
            if enobufs != enobufs_seen {
                enobufs_seen = enobufs;
            }
            match control.status() {
                Ok(status) => {
                    stats.kernel_lost.set(u64::from(status.lost));
                    stats.kernel_backlog.set(u64::from(status.backlog));
                    if matches!(plan.listen, Listen::Daemon { .. }) {
                        watch.check(&status, socket);
                    }
                }
                Err(e) => eprintln!("raudit: AUDIT_GET failed: {e}"),
            }
        }
        if let Some(drift) = drift.as_mut() {
            let detected = stats.drift_detected.get();
            drift.tick(now, control, stats, &s.records);
            if stats.drift_detected.get() != detected {
                s.queue.wake();
            }
        }
        if report_due {
            next_report = now + plan.stats_interval;
            report(plan, stats, "interval");
        }
    }
}

fn report(plan: &RunPlan, stats: &Stats, when: &str) {
    eprintln!("{}", stats.line(when));
    if let Some(path) = &plan.stats_file {
        if let Err(e) = stats.write_file(path) {
            eprintln!("raudit: writing the stats file {}: {e}", path.display());
        }
    }
}

/// Prints `error` and gives the exit status for a failed start.
pub fn exit_on(error: &StartError) -> std::process::ExitCode {
    eprintln!("raudit: {error}");
    std::process::ExitCode::FAILURE
}
