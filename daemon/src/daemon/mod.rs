//! The live daemon, start to finish. Start-up order: plan (from the config)
//! → output directories looked at (a bad path fails before anything) →
//! refuse if another daemon runs (audit pid, instance lock: see
//! [`instance`]), before any file is opened or changed → outputs → state
//! file (see [`restart`]) → socket (receive buffer) → audit pid, stale
//! exemptions removed, rules by difference (or multicast, claiming
//! nothing) → threads. The receive thread (socket, assembler, encoder; see
//! [`crate::pipeline`]), one output thread per output (see
//! [`crate::output::writer`]) and this one, the supervisor, run: it polls
//! `AUDIT_GET` for the kernel's `lost`/`backlog` and for the pid being
//! taken, prints the stats every interval, and checks the rules for drift
//! (see [`drift_watch`]), whose records it hands to the output threads over
//! small control channels (one per output). With `raudit.metrics.listen` a
//! metrics thread serves the counters (see [`crate::metrics`]); its address
//! is bound right after the outputs open, so a taken one fails the start.
//!
//! Shutdown (SIGTERM/SIGINT): the receive thread stops, the pid is
//! released if still ours (so the kernel stops sending), the socket is
//! drained of what the kernel already handed over, every in-flight event is
//! completed, every output drains its backlog (for at most `DRAIN_LIMIT`
//! more: a dead receiver gives the rest up, counted) and then writes the
//! supervisor's last control records (it closes their channels once it has
//! sent them, so none comes after an output has ended), the final stats
//! are printed, exit 0.

pub mod audit_pid;
pub mod drift_watch;
pub mod instance;
mod notify;
pub mod plan;
pub mod preflight;
pub mod reload;
pub mod restart;
pub mod spoof_watch;

use std::cell::RefCell;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crate::json::ControlOutline;
use crate::metrics::MetricsServer;
use crate::netlink::{Control, ControlError};
use crate::output::{
    self, ControlSender, FileOutput, Gelf, Otlp, Output, Sink, Spooling, StdoutOutput, Syslog,
    WriterSettings,
};
use crate::pipeline::{Pipeline, SideSettings, SocketSource};
use crate::queue::{Layout, Queue};
use crate::rules;
use crate::signals;
use crate::stats::Stats;
use crate::sys::netlink::{AuditSocket, Membership};
use drift_watch::DriftWatch;
pub use plan::{DriftPlan, Listen, OutputPlan, RunPlan};
use spoof_watch::SpoofWatch;

/// How often the audit pid and the kernel counters are polled.
const STATUS_POLL: Duration = Duration::from_secs(2);
/// How long the output threads may take to drain at shutdown, once the
/// receive thread has handed over its last events.
const DRAIN_LIMIT: Duration = Duration::from_secs(5);
/// How long the supervisor sleeps between looks at the clock and flags.
const SUPERVISOR_TICK: Duration = Duration::from_millis(50);

/// Gives back what start-up used and the steady state does not: the
/// allocator's free pages and the resident pages of code and read-only data
/// (they fault back in from the page cache when used). Called once the plan
/// is built (CLI, YAML, regex and rule compilation done) and again once the
/// threads run, so the peak resident set is the larger of the two stages,
/// not their sum.
pub fn release_startup_memory() {
    crate::sys::process::release_free_memory();
    if let Err(e) = crate::sys::process::release_startup_code() {
        eprintln!("raudit: could not release start-up code pages: {e}");
    }
}

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
pub fn run(mut plan: RunPlan) -> Result<(), StartError> {
    crate::logging::set_flags(plan.log_flags);
    signals::install().map_err(|e| fail("installing signal handlers", e))?;
    check_output_dirs(&plan)?;
    let control = Control::open().map_err(|e| fail("opening the audit control socket", e))?;
    let initial = control
        .status()
        .map_err(|e| fail("reading the audit status (AUDIT_GET)", e))?;
    // A second daemon is refused here, before it opens, creates or changes
    // any output, state or stats file.
    let held_lock = match (plan.listen, &plan.state_file) {
        (Listen::Daemon { takeover }, Some(state)) => {
            instance::check_audit_pid(&initial, takeover, || {
                audit_pid::holder_is_healthy(&control)
            })?;
            // A raudit taken over drains for up to 5 s before it exits.
            Some(instance::take(state, takeover, Duration::from_secs(10))?)
        }
        _ => None,
    };
    // A place per output kind (see OutputPlan::PLACES); those not
    // configured are not reported until a reload enables them.
    let stats = Arc::new(Stats::new(&OutputPlan::PLACES));
    let readers = OutputPlan::readers(&plan.outputs);
    for (place, counters) in stats.outputs.iter().enumerate() {
        counters.set_enabled(readers & (1 << place) != 0);
    }
    let sinks = open_outputs(&plan)?;
    let (state, mut restart_watch) = match (&held_lock, &plan.state_file) {
        (Some(_), Some(path)) => {
            let (state, previous) = restart::RestartState::open(path)
                .map_err(|e| fail(&format!("opening the state file {}", path.display()), e))?;
            (
                Some(restart::install(state)),
                Some(restart::RestartWatch::new(path, previous)),
            )
        }
        _ => (None, None),
    };
    // Bound before the kernel is touched, so a taken address fails the start.
    let metrics = match &plan.metrics {
        Some(address) => {
            let server = MetricsServer::start(address, Arc::clone(&stats))
                .map_err(|e| StartError(e.to_string()))?;
            eprintln!("raudit: metrics served on {}", server.address());
            Some(server)
        }
        None => None,
    };

    let membership = match plan.listen {
        Listen::Daemon { .. } => Membership::Unicast,
        Listen::Multicast => Membership::ReadLog,
    };
    let socket =
        Arc::new(AuditSocket::open(membership).map_err(|e| fail("opening the audit socket", e))?);
    if let Some(bytes) = plan.receive_buffer {
        set_receive_buffer(&socket, bytes)?;
    }
    stats.start_kernel_lost(initial.lost);

    if let Listen::Daemon { takeover } = plan.listen {
        audit_pid::claim(&socket, &control, takeover, Duration::from_secs(5))
            .map_err(|e| StartError(e.to_string()))?;
        eprintln!("raudit: audit pid {} claimed", std::process::id());
        remove_stale_exclusions(&control);
        if let Some(apply) = &plan.rules {
            match apply(&control, &stats) {
                Ok(Some(in_force)) => {
                    if let Some(drift) = plan.drift.as_mut() {
                        drift.set = in_force;
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    abandon_claim(&control);
                    return Err(fail("loading the audit rules", e));
                }
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
    // Outputs open, rules loaded: that code is done before the threads
    // start touching the steady state's.
    release_startup_memory();
    // A large buffer holds the longest line and its newline.
    let large_size = plan.pipeline.max_event_bytes + 1;
    let side = plan.pipeline.side;
    let queue = Queue::with_layout(Layout {
        buffers: plan.queue_buffers,
        buffer_size: plan.buffer_bytes,
        policy: plan.policy,
        drop_wait: plan.drop_wait,
        outputs: OutputPlan::PLACES.len(),
        side_size: side.bytes_per_buffer(plan.buffer_bytes),
        side_reserve: SideSettings::largest_bytes_per_buffer(plan.buffer_bytes),
        large_size,
        large_side_size: side.bytes_per_buffer(large_size),
        large_side_reserve: SideSettings::largest_bytes_per_buffer(large_size),
    });
    let wanted = (
        side.bytes_per_buffer(plan.buffer_bytes),
        side.bytes_per_buffer(large_size),
    );
    let opened = queue.side_opened();
    if opened.0 < wanted.0 || opened.1 < wanted.1 {
        if matches!(plan.listen, Listen::Daemon { .. }) {
            abandon_claim(&control);
        }
        return Err(StartError(format!(
            "the buffers' side regions: {} and {} bytes needed beside each pooled and large buffer, {} and {} could be opened (see above)",
            wanted.0, wanted.1, opened.0, opened.1
        )));
    }
    // Before the receive thread starts: buffers go to the configured
    // outputs' places only.
    queue.set_readers(readers);
    let (records, control_records) = output::control_channels(OutputPlan::PLACES.len());
    let outline = ControlOutline::of(plan.pipeline.format.shape());
    let mut records = records.with_outline(outline);
    let mut control_records: Vec<Option<_>> = control_records.into_iter().map(Some).collect();
    for place in 0..OutputPlan::PLACES.len() {
        if readers & (1 << place) == 0 {
            records.close(place);
        }
    }
    let settings = WriterSettings {
        loss_report_interval: plan.stats_interval,
        control_outline: outline,
        requests: output::Requests {
            reopen: signals::reopen_generation,
            stopping: signals::shutdown_requested,
            host_name: crate::host_name::read_into,
        },
    };
    let unicast = matches!(plan.listen, Listen::Daemon { .. });
    // A thread that does not start fails the start: what the claim did
    // to the kernel is undone first, as above.
    let abandon = |what: &str, e: std::io::Error| {
        if unicast {
            abandon_claim(&control);
        }
        fail(what, e)
    };
    let mut writers = Vec::new();
    for (place, sink) in sinks {
        let control = control_records.get_mut(place).and_then(Option::take);
        let handle = output::spawn_writer(
            &queue,
            place,
            sink,
            &stats,
            settings,
            control,
            plan.priority_boost,
        )
        .map_err(|e| abandon("starting the output threads", e))?;
        writers.push((place, handle));
    }
    let mut pipeline_settings = plan.pipeline.clone();
    pipeline_settings.socket_buffer_bytes = socket.receive_buffer().unwrap_or(0);
    let pipeline = Pipeline::new(
        SocketSource::new(Arc::clone(&socket)),
        pipeline_settings,
        Arc::clone(&queue),
        Arc::clone(&stats),
    );
    let receiver = {
        let stats = Arc::clone(&stats);
        thread::Builder::new()
            .name("raudit-receive".into())
            .spawn(move || receive_thread(pipeline, unicast, &stats))
            .map_err(|e| abandon("starting the receive thread", e))?
    };
    eprintln!(
        "raudit: started processing events in the range [{}, {}]",
        plan.pipeline.assembler.type_min, plan.pipeline.assembler.type_max
    );
    // Units ordered after raudit start once their processes are audited.
    if let Err(e) = notify::ready() {
        eprintln!("raudit: telling systemd that raudit is ready (NOTIFY_SOCKET): {e}");
    }
    // The rest of start-up (outputs, socket, rules, threads) is done: the
    // steady state keeps only what it touches from here on.
    release_startup_memory();

    let watch = Supervised {
        socket: &socket,
        control: &control,
        stats: &stats,
        queue: &queue,
        records: RefCell::new(records),
        writers: RefCell::new(writers),
        writer_settings: settings,
    };
    supervise(&mut plan, &watch, &receiver, restart_watch.as_mut());
    let Supervised {
        records, writers, ..
    } = watch;
    // The supervisor has sent its last records: closing their channels
    // lets each output thread end once it has written them.
    drop(records);
    let writers = writers.into_inner();
    if receiver.join().is_err() {
        eprintln!("raudit: the receive thread panicked");
        queue.close();
    }
    // Every output drains its backlog, but a dead receiver must not hold
    // the exit up: after DRAIN_LIMIT what is left is dropped (counted).
    queue.set_drain_deadline(Instant::now() + DRAIN_LIMIT);
    let mut writers_ok = true;
    let readers = queue.readers();
    for (place, writer) in writers {
        if writer.join().is_err() {
            eprintln!("raudit: an output thread panicked");
            writers_ok = false;
        }
        // An output a reload retired whose thread the supervisor had not
        // reaped yet (it stops as soon as asked): not reported either.
        reload::stop_reporting_if_retired(&stats, readers, place);
    }
    if let (true, Some(state)) = (writers_ok, state) {
        // Everything handed over was written or counted as dropped: the
        // next start knows this instance left no gap of its own.
        state.clean_stop();
    }
    if let Ok(status) = control.status() {
        stats.note_kernel_lost(status.lost);
        stats.kernel_backlog.set(u64::from(status.backlog));
    }
    stats.queue_depth.set(queue.depth() as u64);
    stats.lost_buffers.raise_to(queue.lost_buffers());
    report(&plan, &stats, "exit");
    if let Some(metrics) = metrics {
        metrics.stop();
    }
    Ok(())
}

/// A file output whose directory is missing fails before anything else
/// (the kernel, the instance lock), touching nothing: it is only looked at.
fn check_output_dirs(plan: &RunPlan) -> Result<(), StartError> {
    for out in &plan.outputs {
        if let OutputPlan::File { spec, .. } = out {
            let dir = spec.path.parent().filter(|d| !d.as_os_str().is_empty());
            if let Some(dir) = dir.filter(|d| !d.is_dir()) {
                return Err(StartError(format!(
                    "the output file {}: its directory {} does not exist",
                    spec.path.display(),
                    dir.display()
                )));
            }
        }
    }
    Ok(())
}

/// Each configured output opened, with its place.
fn open_outputs(plan: &RunPlan) -> Result<Vec<(usize, Sink)>, StartError> {
    let mut sinks = Vec::new();
    for out in &plan.outputs {
        let place = out.place();
        sinks.push((place, open_sink(out, plan)?));
    }
    if sinks.is_empty() {
        return Err(StartError("no output is enabled".into()));
    }
    Ok(sinks)
}

/// Output `out` opened, with its spool when it has one, as its thread
/// takes it (at start, and when a reload enables it).
pub(crate) fn open_sink(out: &OutputPlan, plan: &RunPlan) -> Result<Sink, StartError> {
    let (output, attempts) = open_output(out, plan)?;
    let mut sink = Sink::new(output, attempts, plan.retry_pause, out.place());
    if let Some(spec) = out.spool() {
        sink = sink.with_spool(open_spool(out, spec, plan)?);
    }
    Ok(sink)
}

/// The spool `spec` of output `out` opened (at start, and when a reload
/// gives it another).
pub(crate) fn open_spool(
    out: &OutputPlan,
    spec: &output::SpoolSpec,
    plan: &RunPlan,
) -> Result<Spooling, StartError> {
    let longest = plan.buffer_bytes.max(plan.pipeline.max_event_bytes + 1);
    Spooling::open(out.name(), spec, longest).map_err(|e| {
        StartError(format!(
            "opening the spool {} of output {}: {e}",
            spec.path.display(),
            out.name()
        ))
    })
}

/// Opens one output (at start, and for a reload that changed it), with its
/// `attempts`.
pub(crate) fn open_output(
    out: &OutputPlan,
    plan: &RunPlan,
) -> Result<(Box<dyn Output>, u32), StartError> {
    let buffer_bytes = plan.buffer_bytes;
    Ok(match out {
        OutputPlan::Stdout { attempts } => {
            let output = StdoutOutput::open(output::batch::DEFAULT_BATCH)
                .map_err(|e| fail("opening stdout", e))?;
            (Box::new(output), *attempts)
        }
        OutputPlan::File { spec, attempts } => {
            let output = FileOutput::open(spec.clone(), output::batch::DEFAULT_BATCH)
                .map_err(|e| fail("opening the output file", e))?;
            (Box::new(output), *attempts)
        }
        OutputPlan::Syslog { spec, attempts } => {
            (Box::new(Syslog::open(spec, buffer_bytes)), *attempts)
        }
        OutputPlan::Gelf { spec, attempts } => {
            (Box::new(Gelf::open(spec, buffer_bytes)), *attempts)
        }
        OutputPlan::Otlp { spec, attempts } => {
            // A record holds its line whole: up to the largest event (the
            // large buffers), not only a pooled buffer's size.
            let longest = buffer_bytes.max(plan.pipeline.max_event_bytes + 1);
            (Box::new(Otlp::open(spec, longest)), *attempts)
        }
    })
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
        match pipeline.run(signals::shutdown_requested) {
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

/// Undoes, for a start that fails once the audit pid is claimed, what
/// an exit undoes: the pid released if still ours, and the self-exclusion
/// rule (loaded first with the rules) deleted, since a pid exemption must
/// not outlive its process (a failed start used to leave it: whoever got
/// the pid next went unaudited until a later raudit started). The rules and
/// settings loaded stay, as at any exit.
fn abandon_claim(control: &Control<'_>) {
    if let Err(e) = audit_pid::release_if_ours(control) {
        eprintln!("raudit: could not release the audit pid: {e}");
    }
    remove_self_exclusion();
}

/// Deletes the self-exclusion rule loaded at start: once we
/// exit, another process may get our pid and must not go unaudited. The
/// other rules stay, as auditd leaves them.
fn remove_self_exclusion() {
    // As the kernel lists it: a delete must match the stored flags, and
    // the prepend flag is not stored.
    let rule = rules::kernel_form(&rules::self_exclusion(std::process::id()));
    let result = Control::open()
        .map_err(ControlError::Io)
        .and_then(|control| control.delete_rule(&rule));
    match result {
        Ok(()) => eprintln!("raudit: self-exclusion rule removed"),
        Err(e) if e.errno() == Some(libc::ENOENT) => {}
        Err(e) => eprintln!("raudit: could not remove the self-exclusion rule: {e}"),
    }
}

/// Deletes the self-exclusion rules of earlier raudits that are gone
/// (killed before they could remove their own): a reused pid must not go
/// unaudited.
fn remove_stale_exclusions(control: &Control<'_>) {
    let is_live_raudit = rules::apply::is_live_raudit;
    match rules::apply::remove_stale_exclusions(control, std::process::id(), is_live_raudit) {
        Ok(pids) => {
            for pid in pids {
                eprintln!("raudit: removed the self-exclusion rule of pid {pid}, left by a raudit that is gone");
            }
        }
        Err(e) => eprintln!("raudit: could not check for stale self-exclusion rules: {e}"),
    }
}

/// Watches for `enabled 0` that nothing configured will change: said on
/// stderr with the fix, once each time it starts.
#[derive(Debug, Default)]
struct DisabledWatch {
    said: bool,
}

impl DisabledWatch {
    /// Whether to speak now: `enabled` is 0, nothing configured enables
    /// auditing, and it was not said since auditing was last on.
    fn observe(&mut self, enabled: u32, configured_enable: bool) -> bool {
        if enabled != 0 {
            self.said = false;
            return false;
        }
        if self.said || configured_enable {
            return false;
        }
        self.said = true;
        true
    }

    fn check(&mut self, plan: &RunPlan, enabled: u32) {
        if !self.observe(enabled, plan.enables_auditing) {
            return;
        }
        match plan.listen {
            Listen::Daemon { .. } => eprintln!(
                "raudit: auditing is disabled in the kernel (enabled 0) and the configured rules do not enable it: no events will come; add \"-e 1\" to rules"
            ),
            Listen::Multicast => eprintln!(
                "raudit: auditing is disabled in the kernel (enabled 0): no events will come until the audit daemon's rules enable it (\"-e 1\", or auditctl -e 1)"
            ),
        }
    }
}

/// What the supervisor looks at and reports to.
pub(crate) struct Supervised<'a> {
    socket: &'a AuditSocket,
    control: &'a Control<'a>,
    pub(crate) stats: &'a Arc<Stats>,
    pub(crate) queue: &'a Arc<Queue>,
    pub(crate) records: RefCell<ControlSender>,
    /// The output threads, by place (a reload adds and retires some).
    pub(crate) writers: RefCell<Vec<(usize, thread::JoinHandle<()>)>>,
    pub(crate) writer_settings: WriterSettings,
}

fn supervise(
    plan: &mut RunPlan,
    s: &Supervised<'_>,
    receiver: &thread::JoinHandle<()>,
    mut restart: Option<&mut restart::RestartWatch>,
) {
    let (socket, control, stats) = (s.socket, s.control, s.stats);
    let mut watch = audit_pid::PidWatch::default();
    // Drift is about the rules raudit loaded: daemon mode only.
    let mut drift = match (&plan.drift, plan.listen) {
        (Some(d), Listen::Daemon { .. }) => Some(DriftWatch::new(d.clone(), Instant::now())),
        _ => None,
    };
    let mut spoofs = SpoofWatch::new(plan.stats_interval);
    let mut disabled = DisabledWatch::default();
    if let Ok(status) = control.status() {
        disabled.check(plan, status.enabled);
    }
    let mut next_poll = Instant::now() + STATUS_POLL;
    let mut next_report = Instant::now() + plan.stats_interval;
    let mut enobufs_seen = 0;
    while !receiver.is_finished() && !signals::shutdown_requested() {
        thread::sleep(SUPERVISOR_TICK);
        if signals::shutdown_requested() {
            // Asked during the sleep: the receive thread is releasing the
            // pid and removing the self-exclusion; a status poll now would
            // take the cleared pid for a loss and reclaim it, a drift
            // check would put the exclusion back.
            break;
        }
        let now = Instant::now();
        stats.queue_depth.set(s.queue.depth() as u64);
        stats.lost_buffers.raise_to(s.queue.lost_buffers());
        let enobufs = stats.enobufs.get();
        let report_due = now >= next_report;
        if now >= next_poll || enobufs != enobufs_seen || report_due {
            next_poll = now + STATUS_POLL;
            if enobufs != enobufs_seen {
                enobufs_seen = enobufs;
            }
            match control.status() {
                Ok(status) => {
                    stats.note_kernel_lost(status.lost);
                    stats.kernel_backlog.set(u64::from(status.backlog));
                    disabled.check(plan, status.enabled);
                    if matches!(plan.listen, Listen::Daemon { .. }) {
                        watch.check(&status, socket);
                    }
                }
                Err(e) => eprintln!("raudit: AUDIT_GET failed: {e}"),
            }
        }
        if signals::take_reload() {
            reload::reload(plan, control, s, &mut drift);
            s.queue.wake();
        }
        reload::reap_retired(s);
        if let Some(drift) = drift.as_mut() {
            let detected = stats.drift_detected.get();
            drift.tick(now, control, stats, &s.records.borrow());
            if stats.drift_detected.get() != detected {
                s.queue.wake();
            }
        }
        if spoofs.tick(now, control, stats, &s.records.borrow()) {
            s.queue.wake();
        }
        if let Some(watch) = restart.as_deref_mut() {
            if watch.tick(stats, &s.records.borrow()) {
                s.queue.wake();
            }
        }
        if report_due {
            next_report = now + plan.stats_interval;
            report(plan, stats, "interval");
        }
    }
    // What came since the last report, before the output thread ends.
    if spoofs.tick(
        Instant::now() + LONGEST_SPOOF_GAP,
        control,
        stats,
        &s.records.borrow(),
    ) {
        s.queue.wake();
    }
}

/// Later than any spoofed-report interval: the last report is always due.
const LONGEST_SPOOF_GAP: Duration = Duration::from_secs(3600);

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

#[cfg(test)]
mod tests {
    use super::DisabledWatch;

    #[test]
    fn disabled_auditing_is_said_once_each_time_it_starts() {
        let mut watch = DisabledWatch::default();
        assert!(!watch.observe(1, false));
        assert!(watch.observe(0, false));
        assert!(!watch.observe(0, false), "said once");
        assert!(!watch.observe(1, false));
        assert!(watch.observe(0, false), "disabled again later");
        let mut configured = DisabledWatch::default();
        assert!(
            !configured.observe(0, true),
            "-e 1 configured: drift's to say"
        );
    }
}
