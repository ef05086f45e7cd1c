#!/usr/bin/env python3
"""raudit's audit storm benchmark: how fast does each audit daemon drain the
kernel, at what CPU and memory cost, and how long does it make audited
processes wait?

Run as root through run.sh (which builds storm-gen and storm-null first).
For each scenario x repetition x daemon it:
  resets the kernel (no rules, backlog_limit, backlog_wait_time, rate 0,
  enabled 1), starts the daemon, waits until it is the kernel's audit pid,
  loads one rule, runs storm-gen, deletes the rule, waits until the daemon
  has drained, reads the kernel's and the daemon's counters, stops the
  daemon (by the pid it started) and counts the events it wrote.
The whole run holds the machine-wide live-audit lock, and the kernel's audit
state (rules, enabled, backlog_limit, backlog_wait_time, rate_limit) is saved
first and restored at the end, also after an error, Ctrl-C or SIGTERM.
"""
import argparse
import fcntl
import gzip
import json
import os
import resource
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
WORK = os.environ.get("STORM_WORK", "/tmp/raudit-storm")
LOCK = "/run/raudit-live.lock"
KEY = "storm"
RULE = ["-a", "always,exit", "-F", "arch=b64", "-S", "getppid", "-k", KEY]
CLK_TCK = os.sysconf("SC_CLK_TCK")
RSS_TARGET_KB = 4 * 1024


def kernel_hz():
    """CONFIG_HZ: backlog_wait_time(_actual) are in jiffies."""
    for path, opener in (("/proc/config.gz", gzip.open),
                         (f"/boot/config-{os.uname().release}", open)):
        try:
            with opener(path, "rt") as f:
                for line in f:
                    if line.startswith("CONFIG_HZ="):
                        return int(line.split("=")[1]), path
        except OSError:
            pass
    return 250, "assumed (no kernel config found)"


HZ, HZ_SOURCE = kernel_hz()
# name: (storm-gen args, backlog_wait_time in jiffies, description)
SCENARIOS = {
    "sat": ([], 60 * HZ,
            "saturating load, the kernel's default backlog_wait_time (60 s): "
            "a slow daemon slows the audited processes"),
    "sat-nowait": ([], 0,
                   "saturating load, backlog_wait_time 0: the kernel drops what "
                   "the daemon cannot take"),
    "rate20k": (["-r", "20000"], 60 * HZ,
                "load paced to 20,000 events/s in total, default backlog_wait_time"),
    "rate60k": (["-r", "60000"], 60 * HZ,
                "load paced to 60,000 events/s in total, default backlog_wait_time"),
    "large64k": (["-x", "65536"], 60 * HZ,
                 "large events: storm-gen execs itself with one 64 KiB argument in a loop "
                 "(about 135 KB of EXECVE records per event), default backlog_wait_time"),
}
# Scenarios whose events are not getppid calls: their rule and syscall number.
EXEC_SCENARIOS = {"large64k"}
# Run only when asked for (--scenarios): the fan-out's paced load.
ASKED_SCENARIOS = EXEC_SCENARIOS | {"rate60k"}
# The syscall the current scenario audits (auditd's log is counted by it).
CURRENT_SYSCALL = ["110"]


def scenario_rule(scenario, bindir):
    """The one rule a scenario loads: getppid, or execve of storm-gen itself
    (its exe filter keeps other processes' execs out of the count)."""
    if scenario in EXEC_SCENARIOS:
        return ["-a", "always,exit", "-F", "arch=b64", "-S", "execve",
                "-F", f"exe={os.path.realpath(bindir)}/storm-gen", "-k", KEY]
    return RULE


class Skip(Exception):
    """A daemon that cannot run here (e.g. raudit not built yet)."""


def sh(*args, check=True):
    r = subprocess.run(args, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: exit {r.returncode}: {r.stderr.strip()}")
    return r.stdout


def kstatus():
    """auditctl -s (AUDIT_GET) as a dict of ints."""
    st = {}
    for line in sh("auditctl", "-s").splitlines():
        f = line.split()
        if len(f) >= 2 and f[1].lstrip("-").isdigit():
            st[f[0]] = int(f[1])
    return st


def proc_stat(pid):
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()


def alive(pid):
    try:
        return proc_stat(pid)[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


def cpu_s(pid):
    """utime+stime of the whole process (all threads), in seconds."""
    f = proc_stat(pid)
    return (int(f[11]) + int(f[12])) / CLK_TCK


def machine_busy_s():
    """CPU time every CPU has spent not idle since boot (all processes and
    the kernel's own work), in seconds, from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal (guest is in user)
    return (sum(fields[:8]) - fields[3] - fields[4]) / CLK_TCK


def minor_faults(pid):
    """Minor page faults of the whole process so far (all threads)."""
    return int(proc_stat(pid)[7])


def thread_times_s(pid):
    """(utime, stime) per thread name, in seconds; threads of one name are
    summed. stime is the kernel's work for the thread (its syscalls: the
    netlink receive, the file's and the sockets' writes)."""
    out = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                text = f.read()
        except OSError:
            continue
        name = text[text.index("(") + 1:text.rindex(")")]
        f = text.rsplit(")", 1)[1].split()
        user, system = out.get(name, (0, 0))
        out[name] = (user + int(f[11]) / CLK_TCK, system + int(f[12]) / CLK_TCK)
    return out


def vmhwm_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def pids():
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def other_audit_daemons():
    """Audit daemons alive on this host that we did not start."""
    found = []
    for p in pids():
        c = comm(p)
        if c in ("auditd", "go-audit") or (c == "raudit" and " replay" not in cmdline(p)):
            found.append(f"{c} (pid {p})")
    return found


def kauditd_pid():
    for p in pids():
        if comm(p) == "kauditd":
            return p
    return None


def count_lines(path, *fixed):
    """Lines of `path` containing every one of the fixed strings."""
    if not os.path.exists(path):
        return 0
    env = dict(os.environ, LC_ALL="C")
    cmd = ["grep", "-F", "-e", fixed[0], path]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, env=env)
    for s in fixed[1:]:
        p = subprocess.Popen(["grep", "-F", "-e", s], stdin=p.stdout, stdout=subprocess.PIPE, env=env)
    p2 = subprocess.run(["wc", "-l"], stdin=p.stdout, capture_output=True, text=True)
    return int(p2.stdout.strip() or 0)


def terminate(popen, timeout=15):
    """SIGTERM a process we started (by its pid), SIGKILL if it lingers."""
    if popen is None or popen.poll() is not None:
        return
    popen.send_signal(signal.SIGTERM)
    try:
        popen.wait(timeout)
    except subprocess.TimeoutExpired:
        popen.kill()
        popen.wait()


def tail(path, n=400):
    try:
        with open(path, errors="replace") as f:
            return f.read()[-n:].strip()
    except OSError:
        return ""


# ---------------------------------------------------------------- daemons

class NullReader:
    """storm-null: drains the socket and only counts (the kernel's limit)."""

    def __init__(self, bindir, batch, rcvbuf):
        self.name = "null-batch" if batch > 1 else "null"
        self.cmd = [f"{bindir}/storm-null", "-m", str(batch), "-k", KEY]
        if rcvbuf:
            self.cmd += ["-b", str(rcvbuf)]

    def start(self):
        self.out, self.err = f"{WORK}/{self.name}.out", f"{WORK}/{self.name}.stderr"
        self.p = subprocess.Popen(self.cmd, stdout=open(self.out, "w"), stderr=open(self.err, "w"),
                                  start_new_session=True)
        return self.p

    def progress(self):
        return None

    def stop(self):
        terminate(self.p)

    def count(self):
        res = dict(kv.split("=", 1) for kv in open(self.out).read().split())
        if "storm" not in res:
            raise RuntimeError(f"storm-null printed no counts: {tail(self.err)}")
        return int(res["storm"]), {"enobufs": int(res["enobufs"]), "records": int(res["records"])}


class Auditd:
    """Debian's auditd, RAW log format, no plugins, foreground (-n)."""
    name = "auditd"

    def start(self):
        if not os.path.exists("/usr/sbin/auditd") and not shutil.which("auditd"):
            raise Skip("auditd not installed (apt-get install auditd)")
        conf = f"{WORK}/auditd-conf"
        os.makedirs(f"{conf}/plugins.d", exist_ok=True)  # empty: no plugins
        os.makedirs(f"{WORK}/auditd-log", exist_ok=True)  # auditd makes its log dir 0700
        self.log = f"{WORK}/auditd-log/audit.log"
        for f in (self.log, self.log + ".1"):
            if os.path.exists(f):
                os.unlink(f)
        with open(f"{conf}/auditd.conf", "w") as f:
            f.write(f"""local_events = yes
write_logs = yes
log_file = {self.log}
log_format = RAW
flush = INCREMENTAL_ASYNC
freq = 50
max_log_file = 100000
num_logs = 2
max_log_file_action = IGNORE
priority_boost = 0
space_left = 200
space_left_action = IGNORE
admin_space_left = 100
admin_space_left_action = IGNORE
disk_full_action = IGNORE
disk_error_action = IGNORE
q_depth = 65536
overflow_action = IGNORE
plugin_dir = {conf}/plugins.d
end_of_event_timeout = 2
""")
        os.chmod(f"{conf}/auditd.conf", 0o640)
        self.err = f"{WORK}/auditd.stderr"
        # -n: stay in the foreground so the pid we hold is the daemon's;
        # -s nochange: the driver owns the kernel's enabled flag
        self.p = subprocess.Popen(["auditd", "-n", "-s", "nochange", "-c", conf],
                                  stdout=subprocess.DEVNULL, stderr=open(self.err, "w"),
                                  start_new_session=True)
        return self.p

    def progress(self):
        return os.path.getsize(self.log) if os.path.exists(self.log) else 0

    def stop(self):
        terminate(self.p)

    def count(self):
        n = count_lines(self.log, "type=SYSCALL ", f" syscall={CURRENT_SYSCALL[0]} ", f'key="{KEY}"')
        os.unlink(self.log)
        return n, {}


class Raudit:
    """raudit --config FILE with go-audit's file output; the driver loads the
    rule with auditctl, as for every daemon. Events = JSON lines of a SYSCALL
    record with the storm key, as the null readers count them; its network
    receivers (storm-recv) are stopped with it."""
    name = "raudit"

    # Per format: what marks an event's line, its SYSCALL record's, and
    # the storm key's (CONFIG_CHANGE's add_rule/remove_rule name the key
    # too: a storm event is a SYSCALL event with the key, as the null
    # readers and auditd count them).
    MARKS = {"go-audit": ('"messages"', '{"type":1300,', f'key=\\"{KEY}\\"'),
             "ecs": ('"@timestamp"', '"message_type":"syscall"', f'"tags":["{KEY}"]')}

    def __init__(self, binary, bindir, extra_yaml, outputs="file", fmt="go-audit",
                 gelf_compression="gzip"):
        self.binary, self.bindir = binary, bindir
        self.extra_yaml, self.outputs, self.format = extra_yaml, outputs, fmt
        self.gelf_compression = gelf_compression
        if fmt != "go-audit":
            # raudit.format, inside the extra YAML's raudit: section if it has one
            line = f"  format: {fmt}"
            if any(ln.rstrip() == "raudit:" for ln in extra_yaml.splitlines()):
                self.extra_yaml = "\n".join(ln + ("\n" + line if ln.rstrip() == "raudit:" else "")
                                            for ln in extra_yaml.splitlines())
            else:
                self.extra_yaml = f"raudit:\n{line}\n{extra_yaml}"
        self.receivers = None
        self.received = {}

    def start(self):
        if not (os.path.isfile(self.binary) and os.access(self.binary, os.X_OK)):
            raise Skip(f"{self.binary} not found (cargo build --release -p raudit)")
        self.log = f"{WORK}/raudit.log"
        if os.path.exists(self.log):
            os.unlink(self.log)
        conf = f"{WORK}/raudit.yaml"
        # Like go-audit, raudit refuses an empty rule list; `-e 1` only
        # enables auditing and the driver loads the storm rule after start,
        # as it does for the other daemons.
        more = ""
        if self.outputs != "file":
            # Beside the file, received by storm-recv:
            # - all: syslog (unix datagram), GELF (UDP, gzip unless
            #   --raudit-gelf-compression says otherwise), OTLP (HTTP);
            # - all-tls: syslog and GELF over TLS (TCP), OTLP (HTTP);
            # - streams: syslog and GELF over plain TCP (issue 9's three).
            tls = self.outputs == "all-tls"
            self.receivers = Receivers(self.bindir, f"{WORK}/storm-syslog.sock", WORK if tls else None)
            r = self.receivers
            over_tls = f"tls: {{enabled: true, ca_file: {WORK}/ca.pem}}"
            syslog, gelf = {
                "all": (f"network: unixgram, address: {r.syslog_path}",
                        f"network: udp, address: 127.0.0.1:{r.gelf_port}, "
                        f"compression: {{type: {self.gelf_compression}}}"),
                "all-tls": (f"network: tcp, address: '127.0.0.1:{r.tls_port}', {over_tls}",
                            f"network: tcp, address: '127.0.0.1:{r.tls_port}', {over_tls}"),
                "streams": (f"network: tcp, address: '127.0.0.1:{r.tcp_port}'",
                            f"network: tcp, address: '127.0.0.1:{r.tcp_port}'"),
            }[self.outputs]
            more = (f"  syslog: {{enabled: true, {syslog}, attempts: 2}}\n"
                    f"  gelf: {{enabled: true, {gelf}, attempts: 2}}\n")
            if self.outputs != "streams":
                more += (f"  otlp: {{enabled: true, endpoint: "
                         f"'http://127.0.0.1:{r.http_port}/v1/logs', attempts: 2}}\n")
        with open(conf, "w") as f:
            f.write(f"""output:
  file: {{enabled: true, path: {self.log}, mode: 0600, user: root, group: root, attempts: 2}}
{more}rules: ["-e 1"]
{self.extra_yaml}
""")
        self.err = f"{WORK}/raudit.stderr"
        self.p = subprocess.Popen([self.binary, "--config", conf], stdout=open(self.err, "w"),
                                  stderr=subprocess.STDOUT, start_new_session=True)
        return self.p

    def progress(self):
        return os.path.getsize(self.log) if os.path.exists(self.log) else 0

    def stop(self):
        self.size_before_stop = self.progress()
        terminate(self.p)
        # The receivers go with raudit, whether the run succeeded or not:
        # storm-recv is in a session of its own, so nothing else stops it.
        if self.receivers:
            receivers, self.receivers = self.receivers, None
            try:
                self.received = receivers.stop()
            except RuntimeError as e:
                self.received = e

    def count(self):
        event, syscall, storm_key = self.MARKS[self.format]
        n = count_lines(self.log, event)
        storm = count_lines(self.log, event, syscall, storm_key)
        extra = {"exit_code": self.p.returncode, "storm_events": storm, "all_events": n,
                 "bytes_flushed_at_exit": self.progress() - self.size_before_stop,
                 "stderr_tail": tail(self.err, 2000)}
        if isinstance(self.received, RuntimeError):
            raise self.received
        extra.update(self.received)
        os.unlink(self.log)
        return storm, extra


class Receivers:
    """storm-recv (Rust, recvmmsg, counts only): a unix datagram socket
    (syslog), a UDP port on 127.0.0.1 (GELF) and an OTLP/HTTP port (200 to
    every POST, log records counted), for raudit with every output at once;
    near-zero CPU, so the drain measures raudit, not the receiver."""

    def __init__(self, bindir, syslog_path, cert_dir=None):
        self.syslog_path = syslog_path
        tls = ["-t", cert_dir] if cert_dir else []
        self.p = subprocess.Popen([f"{bindir}/storm-recv", "-u", syslog_path, *tls],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  start_new_session=True)
        ports = parse_kv(self.p.stdout.readline())
        if "udp_port" not in ports or "http_port" not in ports:
            terminate(self.p)
            raise RuntimeError(f"storm-recv did not start: {ports} {self.p.stderr.read()[-300:]}")
        self.gelf_port, self.http_port = int(ports["udp_port"]), int(ports["http_port"])
        self.tls_port = int(ports.get("tls_port", 0))
        self.tcp_port = int(ports.get("tcp_port", 0))

    def stop(self):
        time.sleep(0.5)  # what raudit sent last is queued in the sockets
        self.p.send_signal(signal.SIGTERM)
        try:
            out, err = self.p.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.p.kill()
            out, err = self.p.communicate()
        counts = parse_kv(out)
        if "syslog_datagrams" not in counts:
            raise RuntimeError(f"storm-recv printed no counts: {err.strip()[-300:]}")
        return {k: int(v) for k, v in counts.items()}


# ---------------------------------------------------------------- kernel state

def save_state():
    st = kstatus()
    rules = [r for r in sh("auditctl", "-l").splitlines() if r.strip() and r.strip() != "No rules"]
    return {"rules": rules, **{k: st.get(k) for k in
                               ("enabled", "failure", "backlog_limit", "backlog_wait_time", "rate_limit")}}


def restore_state(saved):
    """Put back what save_state() saw. Best effort: report, don't stop."""
    problems = []

    def try_(*args):
        r = subprocess.run(["auditctl", *args], capture_output=True, text=True)
        if r.returncode != 0:
            problems.append(f"auditctl {' '.join(args)}: {r.stderr.strip()}")

    try_("-D")
    for rule in saved["rules"]:
        try_(*shlex.split(rule))
    if saved.get("backlog_limit") is not None:
        try_("-b", str(saved["backlog_limit"]))
    if saved.get("backlog_wait_time") is not None:
        try_("--backlog_wait_time", str(saved["backlog_wait_time"]))
    if saved.get("rate_limit") is not None:
        try_("-r", str(saved["rate_limit"]))
    if saved.get("enabled") in (0, 1):  # never 2
        try_("-e", str(saved["enabled"]))
    return problems


def clear_stale_pid(bindir):
    """After a daemon exits, make sure no dead audit pid stays registered."""
    pid = kstatus().get("pid", 0)
    if pid == 0:
        return
    if alive(pid):
        raise RuntimeError(f"audit pid {pid} ({comm(pid)}) is alive and not ours; stopping")
    # registering makes the kernel probe the dead one and replace it; then unregister
    subprocess.run([f"{bindir}/storm-null", "-x"], capture_output=True)
    if kstatus().get("pid", 0) != 0:
        raise RuntimeError("could not clear a stale audit pid")


def reset_kernel(args, wait_time):
    sh("auditctl", "-D")
    sh("auditctl", "-b", str(args.backlog))
    sh("auditctl", "--backlog_wait_time", str(wait_time))
    sh("auditctl", "-r", "0")
    sh("auditctl", "-e", "1")


# ---------------------------------------------------------------- one run

def parse_kv(text):
    return dict(kv.split("=", 1) for kv in text.split() if "=" in kv)


def run_gen(args, extra, duration):
    """storm-gen in its own session; returns its parsed output and CPU."""
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    pin = None
    if args.pin_generator is not None:
        cpus = {args.pin_generator}
        pin = lambda: os.sched_setaffinity(0, cpus)  # noqa: E731 (inherited by its children)
    p = subprocess.Popen([f"{args.bindir}/storm-gen", "-p", str(args.procs), "-d", str(duration), *extra],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                         preexec_fn=pin)
    try:
        out, err = p.communicate()
    finally:
        terminate(p)  # only if interrupted: its children die with it (PDEATHSIG)
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        raise RuntimeError(f"storm-gen failed ({p.returncode}): {err.strip()}")
    g = parse_kv(out)
    g["cpu_s"] = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    return g


def wait_registered(popen, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        if popen.poll() is not None:
            raise RuntimeError(f"daemon exited with {popen.returncode} before registering")
        if kstatus().get("pid") == popen.pid:
            return
        time.sleep(0.05)
    raise RuntimeError(f"daemon pid {popen.pid} never became the audit pid")


def wait_drained(daemon, pid, t_gen_end, quiet, timeout=120):
    """Poll until the kernel backlog is 0 and the daemon's CPU and output stop
    changing for `quiet` s. Drain end = when the backlog first hit 0 and the
    output (if it has a file) first reached 99.9% of its final size."""
    samples, prev, last_change = [], None, time.time()
    end = time.time() + timeout
    while time.time() < end:
        t = time.time()
        cur = (kstatus().get("backlog", 0), daemon.progress(), cpu_s(pid))
        samples.append((t, *cur))
        if cur != prev:
            last_change, prev = t, cur
        if cur[0] == 0 and t - last_change >= quiet:
            break
        time.sleep(0.1)
    t_backlog0 = next((s[0] for s in samples if s[1] == 0), samples[-1][0])
    t_out = t_gen_end
    final = samples[-1][2]
    if final:
        t_out = next(s[0] for s in samples if s[2] >= 0.999 * final)
    return max(t_backlog0, t_out, t_gen_end)


def one_run(daemon, scenario, args, state):
    gen_args, wait_time, _ = SCENARIOS[scenario]
    reset_kernel(args, wait_time)
    CURRENT_SYSCALL[0] = "59" if scenario in EXEC_SCENARIOS else "110"
    r = {"daemon": daemon.name, "scenario": scenario, "duration": args.duration,
         "backlog_wait_time": wait_time}
    popen = daemon.start()
    state["daemon"] = daemon
    try:
        wait_registered(popen)
        pid = popen.pid
        sh("auditctl", "-D")  # whatever the daemon loaded itself
        sh("auditctl", *scenario_rule(scenario, args.bindir))
        time.sleep(0.5)
        m0, k0, c0, th0 = machine_busy_s(), kstatus(), cpu_s(pid), thread_times_s(pid)
        receivers = getattr(daemon, "receivers", None)
        rc0 = cpu_s(receivers.p.pid) if receivers else 0
        f0 = minor_faults(pid)
        ka0 = cpu_s(args.kauditd) if args.kauditd else 0
        t0 = time.time()
        gen = run_gen(args, gen_args, args.duration)
        t1 = time.time()
        sh("auditctl", "-D")  # no more storm events while draining
        t_drained = wait_drained(daemon, pid, t1, args.quiet)
        k1, c1, th1, m1 = kstatus(), cpu_s(pid), thread_times_s(pid), machine_busy_s()
        # Over k0..k1 like the daemon's, kauditd's and the receivers' CPU.
        r["machine_busy_s"] = round(m1 - m0, 3)
        before = lambda name: th0.get(name, (0, 0))  # noqa: E731
        r["thread_cpu_s"] = {name: round(u + s - sum(before(name)), 3) for name, (u, s) in th1.items()}
        r["thread_sys_s"] = {name: round(s - before(name)[1], 3) for name, (_, s) in th1.items()}
        if receivers:
            # storm-recv shares the machine: its CPU is the receiving end's.
            r["receivers_cpu_s"] = round(cpu_s(receivers.p.pid) - rc0, 3)
        r["minor_faults"] = minor_faults(pid) - f0
        ka1 = cpu_s(args.kauditd) if args.kauditd else 0
        r["peak_rss_kb"] = vmhwm_kb(pid)
        if k1.get("pid") != pid:
            raise RuntimeError(f"daemon lost the audit pid during the run (now {k1.get('pid')})")
    finally:
        daemon.stop()
        state["daemon"] = None
        clear_stale_pid(args.bindir)
    events, extra = daemon.count()
    r.update(extra)
    procs = int(gen["procs"])
    r.update({
        "syscalls": int(gen["syscalls"]), "gen_elapsed_s": float(gen["elapsed_s"]),
        "gen_rate": float(gen["rate"]), "gen_cpu_s": gen["cpu_s"],
        "call_mean_us": float(gen["mean_ns"]) / 1e3, "call_p50_us": float(gen["p50_ns"]) / 1e3,
        "call_p99_us": float(gen["p99_ns"]) / 1e3, "call_p999_us": float(gen["p999_ns"]) / 1e3,
        "call_max_ms": float(gen["max_ns"]) / 1e6, "slow_calls_s": float(gen["slow_s"]),
        "events": events, "missing": int(gen["syscalls"]) - events,
        "lost": k1["lost"] - k0["lost"],
        "backlog_wait_s": (k1.get("backlog_wait_time_actual", 0)
                           - k0.get("backlog_wait_time_actual", 0)) / HZ,
        "drain_s": t_drained - t1, "window_s": t_drained - t0,
        "events_per_s": events / (t_drained - t0),
        "daemon_cpu_s": c1 - c0, "kauditd_cpu_s": ka1 - ka0,
    })
    r["wait_pct"] = 100 * r["backlog_wait_s"] / max(procs * r["gen_elapsed_s"], 1e-9)
    r["cpu_us_per_event"] = 1e6 * r["daemon_cpu_s"] / max(events, 1)
    r["kauditd_us_per_event"] = 1e6 * r["kauditd_cpu_s"] / max(events, 1)
    r["cpu_util"] = r["daemon_cpu_s"] / r["window_s"]
    return r


def baseline(args):
    """The generator with audit enabled but no rule and no daemon: what an
    unaudited call costs here."""
    reset_kernel(args, 0)
    g = run_gen(args, [], min(2.0, args.duration))
    return {"rate": float(g["rate"]), "call_mean_us": float(g["mean_ns"]) / 1e3,
            "call_p50_us": float(g["p50_ns"]) / 1e3, "call_p99_us": float(g["p99_ns"]) / 1e3}


# ---------------------------------------------------------------- report

def med(runs, key):
    vals = [r[key] for r in runs if key in r]
    return statistics.median(vals) if vals else float("nan")


def targets(runs, sc):
    """The raudit row against null-batch's, as the issue states them."""
    ra = [r for r in runs if r["daemon"] == "raudit"]
    nb = [r for r in runs if r["daemon"] == "null-batch"]
    if not ra:
        return []
    if not nb:
        return ["(targets need null-batch in --daemons)", ""]
    re_, ne = med(ra, "events_per_s"), med(nb, "events_per_s")
    # No loss is a promise about every rep: the worst one, not the median
    # (one lossy rep of three would hide behind two clean ones).
    rl, nl = max(r["lost"] for r in ra), max(r["lost"] for r in nb)
    rc, nc = med(ra, "cpu_us_per_event"), med(nb, "cpu_us_per_event")
    rr = max(r["peak_rss_kb"] for r in ra)
    pf = lambda ok: "PASS" if ok else "**FAIL**"  # noqa: E731
    rows = [
        ("drain ≥ 95% of null-batch events/s", f"{re_:,.0f}", f"{ne:,.0f}",
         f"≥ {0.95 * ne:,.0f} ({100 * re_ / ne:.0f}%)", pf(re_ >= 0.95 * ne)),
        ("kernel lost = 0 where null-batch loses none (max over reps)", f"{rl:,.0f}", f"{nl:,.0f}",
         "0" if nl == 0 else "n/a (null-batch loses too)", pf(rl == 0) if nl == 0 else "n/a"),
        ("CPU µs/event ≤ 1.5× null-batch", f"{rc:.2f}", f"{nc:.2f}",
         f"≤ {1.5 * nc:.2f} ({rc / nc:.2f}×)", pf(rc <= 1.5 * nc)),
        ("peak RSS ≤ 4 MiB (max over reps)", f"{rr / 1024:.2f} MiB", "", "≤ 4.00 MiB",
         pf(rr <= RSS_TARGET_KB)),
    ]
    out = [f"Targets ({sc}): raudit vs null-batch", "",
           "| target | raudit | null-batch | limit | result |", "|---|---|---|---|---|"]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return out + [""]


def cpu_budget(runs):
    """Where the machine's CPU went, per event, for each daemon (medians):
    the generator, kauditd, the daemon and the receivers, against what the
    CPUs give at the rate reached. With every CPU busy, a daemon (and its
    receivers) can only go faster by costing less."""
    cpus = os.cpu_count() or 1
    out = ["CPU per event (µs, medians): generator + kauditd + daemon + receivers = total,"
           f" against what {cpus} CPUs give at the rate reached; then the machine's other work"
           " over the same time (every other process, from /proc/stat: above a few tenths of a"
           " µs, another job shared the machine and the run's figures are low):", ""]
    for d in dict.fromkeys(r["daemon"] for r in runs):
        rr = [r for r in runs if r["daemon"] == d]
        gen = statistics.median(1e6 * r["gen_cpu_s"] / max(r["events"], 1) for r in rr)
        kauditd = med(rr, "kauditd_us_per_event")
        daemon = med(rr, "cpu_us_per_event")
        recv = statistics.median(1e6 * r.get("receivers_cpu_s", 0) / max(r["events"], 1) for r in rr)
        total = gen + kauditd + daemon + recv
        given = 1e6 * cpus / max(med(rr, "events_per_s"), 1)
        rest = statistics.median(max(r.get("machine_busy_s", 0) - r["gen_cpu_s"] - r["kauditd_cpu_s"]
                                     - r["daemon_cpu_s"] - r.get("receivers_cpu_s", 0), 0)
                                 * 1e6 / max(r["events"], 1) for r in rr)
        out.append(f"- {d}: {gen:.2f} + {kauditd:.2f} + {daemon:.2f} + {recv:.2f} = {total:.2f}"
                   f" of {given:.2f} ({100 * total / given:.0f}%); other work {rest:.2f}")
    return out + [""]


def exit_stats(stderr):
    """The queue counters of raudit's exit stats line in `stderr`."""
    line = next((l for l in stderr.splitlines() if l.startswith("raudit stats (exit)")), "")
    keys = ("queue_drops", "queue_waits", "queue_waited_seconds")
    found = {k: v for k, _, v in (w.partition("=") for w in line.split()) if k in keys}
    return {k: (float(v) if k.endswith("seconds") else int(v)) for k, v in found.items()
            if v.replace(".", "", 1).isdigit()}


def raudit_breakdown(runs):
    """raudit's CPU per thread (µs per event) and, with every output, what
    each network receiver got (datagrams/s over the run's window)."""
    ra = [r for r in runs if r["daemon"] == "raudit" and "thread_cpu_s" in r]
    if not ra:
        return []
    names = sorted({n for r in ra for n in r["thread_cpu_s"]})

    def per_event(key, n):
        return statistics.median(1e6 * r.get(key, {}).get(n, 0) / max(r["events"], 1) for r in ra)
    per_thread = ", ".join(
        f"{n} {per_event('thread_cpu_s', n):.2f} ({per_event('thread_sys_s', n):.2f})" for n in names)
    out = [f"raudit CPU µs/event by thread (median; in brackets the kernel's part): {per_thread}"]
    if all("receivers_cpu_s" in r for r in ra):
        recv = statistics.median(1e6 * r["receivers_cpu_s"] / max(r["events"], 1) for r in ra)
        gen = statistics.median(1e6 * r["gen_cpu_s"] / max(r["events"], 1) for r in ra)
        out.append(f"storm-recv (the receivers, same machine) CPU µs/event (median): {recv:.2f}; "
                   f"storm-gen {gen:.2f}")
    if all("minor_faults" in r for r in ra):
        faults = statistics.median(r["minor_faults"] / max(r["events"], 1) for r in ra)
        out.append(f"raudit minor page faults/event (median): {faults:.1f}")
    queue = [exit_stats(r.get("stderr_tail", "")) for r in ra]
    if any(queue):
        def rep(i, q):
            waited = q.get("queue_waited_seconds")
            ms = "?" if waited is None else f"{waited * 1000:.0f}"
            return f"rep{i}: {q.get('queue_drops', '?')} dropped, {q.get('queue_waits', '?')} waits ({ms} ms)"
        per_rep = "; ".join(rep(i, q) for i, q in enumerate(queue))
        out.append(f"raudit queue (no free buffer: events dropped, waits for one): {per_rep}")
    for key in ("syslog_datagrams", "stream_syslog_frames", "gelf_datagrams", "stream_gelf_frames",
                "otlp_records"):
        if any(r.get(key) for r in ra):
            rate = statistics.median(r.get(key, 0) / r["window_s"] for r in ra)
            out.append(f"{key.replace('_', ' ')}/s received (median): {rate:,.0f}")
    return out + [""]


def report(results, skipped, meta, args):
    b = meta["baseline"]
    lines = [
        f"# raudit audit storm benchmark ({time.strftime('%Y-%m-%d %H:%M')})", "",
        f"kernel {meta['kernel']}, {meta['cpus']} CPUs, HZ {HZ}, backlog_limit {args.backlog}, "
        f"rule `auditctl {' '.join(RULE)}` (large64k: execve of storm-gen), storm-gen {args.procs} proc(s) × {args.duration:g} s, "
        f"{args.reps} rep(s), medians (events/s: min–max).",
        f"Unaudited baseline (audit on, no rule): {b['rate']:,.0f} calls/s, "
        f"{b['call_mean_us']:.2f} µs/call mean, p99 {b['call_p99_us']:.2f} µs.", ""]
    for sc, (_, wait_time, desc) in SCENARIOS.items():
        runs = [r for r in results if r["scenario"] == sc and "error" not in r]
        errs = [r for r in results if r["scenario"] == sc and "error" in r]
        if not runs and not errs:
            continue
        lines += [f"## {sc}: {desc} (backlog_wait_time {wait_time})", "",
                  "| daemon | events/s | kernel lost (records) | CPU µs/event | peak RSS MiB"
                  " | backlog wait s (% of gen time) | call p99 µs / max ms | kauditd µs/event"
                  " | events written / syscalls |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for d in dict.fromkeys(r["daemon"] for r in runs):
            rr = [r for r in runs if r["daemon"] == d]
            eps = [r["events_per_s"] for r in rr]
            lines.append(
                f"| {d} | {med(rr, 'events_per_s'):,.0f} ({min(eps):,.0f}–{max(eps):,.0f}) "
                f"| {med(rr, 'lost'):,.0f} | {med(rr, 'cpu_us_per_event'):.2f} "
                f"| {med(rr, 'peak_rss_kb') / 1024:.2f} "
                f"| {med(rr, 'backlog_wait_s'):.2f} ({med(rr, 'wait_pct'):.0f}%) "
                f"| {med(rr, 'call_p99_us'):,.1f} / {med(rr, 'call_max_ms'):,.1f} "
                f"| {med(rr, 'kauditd_us_per_event'):.2f} "
                f"| {med(rr, 'events'):,.0f} / {med(rr, 'syscalls'):,.0f} |")
        for r in errs:
            lines.append(f"| {r['daemon']} | error (rep {r['rep']}): {r['error']} |||||||| ")
        lines.append("")
        lines += cpu_budget(runs)
        lines += targets(runs, sc)
        lines += raudit_breakdown(runs)
    if skipped:
        lines += ["Skipped: " + "; ".join(f"{d}: {why}" for d, why in skipped.items()), ""]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- main

def on_signal(*_):
    raise KeyboardInterrupt  # run the cleanup in main()'s finally


def take_lock():
    fd = os.open(LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print(f"waiting for {LOCK} (another live audit test holds it)...", file=sys.stderr, flush=True)
        fcntl.flock(fd, fcntl.LOCK_EX)
    return fd  # held until this process exits


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--daemons", default="null,null-batch,auditd,raudit",
                    help="comma list of null, null-batch, auditd, raudit")
    ap.add_argument("--raudit", default=f"{ROOT}/target/release/raudit", help="raudit binary")
    ap.add_argument("--raudit-yaml", default="", help="extra YAML appended to raudit's config")
    ap.add_argument("--raudit-format", default="go-audit", choices=sorted(Raudit.MARKS),
                    help="raudit.format (ecs: Auditbeat's documents; events counted by @timestamp)")
    ap.add_argument("--raudit-outputs", default="file", choices=["file", "all", "all-tls", "streams"],
                    help="all: syslog (unix datagram), GELF (UDP, gzip) and OTLP (HTTP) beside the file, received by storm-recv; all-tls: syslog and GELF over TLS (TCP) instead; streams: file, syslog and GELF over plain TCP, no OTLP")
    ap.add_argument("--raudit-gelf-compression", default="gzip", choices=["gzip", "zlib", "none"],
                    help="output.gelf.compression.type with --raudit-outputs all/all-tls (level stays 1)")
    ap.add_argument("--scenarios", default=",".join(s for s in SCENARIOS if s not in ASKED_SCENARIOS),
                    help="default: all but large64k (large events) and rate60k (the fan-out's paced load), which run when named")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--duration", type=float, default=8, help="seconds of load per run")
    ap.add_argument("--backlog", type=int, default=8192, help="kernel backlog_limit during runs")
    ap.add_argument("--procs", type=int, default=1, help="storm-gen processes")
    ap.add_argument("--batch", type=int, default=64, help="records per recvmmsg for null-batch")
    ap.add_argument("--null-rcvbuf", type=int, default=0, help="SO_RCVBUFFORCE for the null readers")
    ap.add_argument("--pin-generator", type=int, default=None, metavar="CPU",
                    help="run storm-gen on this CPU only (daemons and kauditd stay free), so runs do not "
                         "depend on which task the scheduler puts beside the generator")
    ap.add_argument("--quiet", type=float, default=2.0, help="s without progress that ends the drain")
    ap.add_argument("--bindir", default=f"{ROOT}/target/release", help="where storm-gen/storm-null are")
    ap.add_argument("--report", default=f"{WORK}/report.md")
    args = ap.parse_args()
    daemons = [d for d in args.daemons.split(",") if d]
    scenarios = [s for s in args.scenarios.split(",") if s]
    makers = {"null": lambda: NullReader(args.bindir, 1, args.null_rcvbuf),
              "null-batch": lambda: NullReader(args.bindir, args.batch, args.null_rcvbuf),
              "auditd": Auditd,
              "raudit": lambda: Raudit(os.path.abspath(args.raudit), args.bindir, args.raudit_yaml,
                                       args.raudit_outputs, args.raudit_format,
                                       args.raudit_gelf_compression)}
    bad = [d for d in daemons if d not in makers] + [s for s in scenarios if s not in SCENARIOS]
    if bad:
        sys.exit(f"unknown daemon/scenario: {', '.join(bad)}")
    if os.geteuid() != 0:
        sys.exit("run as root (sudo benches/storm/run.sh ...)")
    for b in ("storm-gen", "storm-null"):
        if not os.access(f"{args.bindir}/{b}", os.X_OK):
            sys.exit(f"{args.bindir}/{b} missing: build with cargo build --release -p raudit-benches")
    if not shutil.which("auditctl"):
        sys.exit("auditctl missing: apt-get install auditd")
    os.makedirs(WORK, exist_ok=True)
    os.chmod(WORK, 0o755)

    take_lock()
    st0 = kstatus()
    if st0.get("pid", 0) and alive(st0["pid"]):
        sys.exit(f"audit pid {st0['pid']} ({comm(st0['pid'])}) is registered and alive; stop it first")
    others = other_audit_daemons()
    if others:
        sys.exit(f"another audit daemon is alive: {', '.join(others)}; stop it first")
    if st0.get("enabled") == 2:
        sys.exit("kernel audit is locked (enabled 2); cannot benchmark until reboot")
    saved = save_state()
    with open(f"{WORK}/saved-state.json", "w") as f:
        json.dump(saved, f, indent=1)
    args.kauditd = kauditd_pid()
    meta = {"kernel": os.uname().release, "cpus": os.cpu_count(), "hz": HZ, "hz_source": HZ_SOURCE,
            "rule": RULE, "args": {k: v for k, v in vars(args).items()}, "saved_state": saved}

    # explicit SIGINT too: Python leaves it ignored when started in the background
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)
    results, skipped, state = [], {}, {"daemon": None}
    try:
        clear_stale_pid(args.bindir)
        meta["baseline"] = baseline(args)
        print(f"baseline (no rule): {meta['baseline']['rate']:,.0f} calls/s", flush=True)
        for sc in scenarios:
            for rep in range(args.reps):
                for d in daemons:
                    if d in skipped:
                        continue
                    daemon = makers[d]()
                    try:
                        r = one_run(daemon, sc, args, state)
                    except Skip as e:
                        skipped[d] = str(e)
                        print(f"skipping {d}: {e}", flush=True)
                        continue
                    except RuntimeError as e:
                        err = tail(getattr(daemon, "err", ""), 200)
                        msg = f"{e}: {err}" if err else str(e)
                        msg = " ".join(msg.replace("|", "/").split())
                        if "before registering" in str(e):
                            # it cannot start at all: one line in the report, no more tries
                            skipped[d] = msg
                            print(f"skipping {d}: {msg}", flush=True)
                            continue
                        r = {"daemon": d, "scenario": sc, "error": msg}
                        print(f"{sc:10} {d:10} rep{rep} ERROR {e}", flush=True)
                    r["rep"] = rep
                    results.append(r)
                    if "error" not in r:
                        print(f"{sc:10} {d:10} rep{rep} syscalls={r['syscalls']:>9} "
                              f"events={r['events']:>9} lost={r['lost']:>8} "
                              f"ev/s={r['events_per_s']:>8.0f} cpu={r['cpu_us_per_event']:.2f}us/ev "
                              f"rss={r['peak_rss_kb']}kB wait={r['backlog_wait_s']:.2f}s "
                              f"p99={r['call_p99_us']:.1f}us", flush=True)
                    time.sleep(0.5)
    except KeyboardInterrupt:
        print("interrupted: restoring the kernel's audit state", file=sys.stderr)
    finally:
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, signal.SIG_IGN)  # a second Ctrl-C must not skip the restore
        if state["daemon"] is not None:
            state["daemon"].stop()
        problems = []
        try:
            clear_stale_pid(args.bindir)
        except RuntimeError as e:
            problems.append(str(e))
        problems += restore_state(saved)
        after = save_state()
        meta["restored_state"] = after
        if after["rules"] != saved["rules"]:
            problems.append(f"rules differ after restore: {after['rules']} vs {saved['rules']}")
        for p in problems:
            print(f"WARNING: {p}", file=sys.stderr)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        doc = {"meta": meta, "skipped": skipped, "runs": results}
        for path in (f"{WORK}/results-{stamp}.json", f"{WORK}/results.json"):
            with open(path, "w") as f:
                json.dump(doc, f, indent=1)
        if results and "baseline" in meta:
            text = report(results, skipped, meta, args)
            with open(args.report, "w") as f:
                f.write(text)
            print()
            print(text)
        print(f"kernel audit state restored: {json.dumps({k: v for k, v in after.items()})}")
        print(f"report: {args.report}  raw: {WORK}/results-{stamp}.json")


if __name__ == "__main__":
    main()
