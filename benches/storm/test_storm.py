#!/usr/bin/env python3
"""Tests of the storm driver's own bookkeeping, without the kernel: every
function that would run auditctl or read the kernel's audit status is
replaced by a stub that fails the test if called unexpectedly, so these
never touch the audit subsystem. Run: python3 benches/storm/test_storm.py
(tests/tests/storm_driver.rs runs it under cargo test)."""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import types
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import storm  # noqa: E402


def no_kernel(*args, **_):
    raise AssertionError(f"the test reached the kernel: {args}")


class FakeReceivers:
    """Stands in for storm-recv: a process of our own that we can watch."""
    started = []

    def __init__(self, bindir, syslog_path, cert_dir=None):
        self.p = subprocess.Popen(["sleep", "60"], start_new_session=True)
        FakeReceivers.started.append(self.p)
        self.syslog_path = syslog_path
        self.gelf_port = self.http_port = self.tls_port = self.tcp_port = 9

    def stop(self):
        self.p.terminate()
        self.p.wait()
        return {"syslog_datagrams": 7}


class StormDriver(unittest.TestCase):
    def setUp(self):
        self.saved = {n: getattr(storm, n) for n in
                      ("WORK", "sh", "kstatus", "reset_kernel", "clear_stale_pid", "Receivers")}
        storm.WORK = tempfile.mkdtemp(prefix="storm-test-")
        storm.sh = no_kernel
        storm.kstatus = lambda: {"pid": 0}
        storm.reset_kernel = lambda args, wait_time: None
        storm.clear_stale_pid = lambda bindir: None
        storm.Receivers = FakeReceivers
        FakeReceivers.started = []
        self.args = types.SimpleNamespace(backlog=8192, bindir="/nonexistent", quiet=0.1,
                                          duration=1, procs=1, pin_generator=None, kauditd=None)

    def tearDown(self):
        for p in FakeReceivers.started:
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(storm.WORK, ignore_errors=True)
        for n, v in self.saved.items():
            setattr(storm, n, v)

    def test_a_failed_raudit_run_stops_its_receivers(self):
        """raudit exits before registering (a bad config, say): the run
        fails, and the storm-recv started for its network outputs must not
        be left running (it is in a session of its own: Ctrl-C does not
        reach it, and nothing else ever stops it)."""
        daemon = storm.Raudit("/bin/false", "/nonexistent", "", outputs="streams")
        with self.assertRaises(RuntimeError):
            storm.one_run(daemon, "sat", self.args, {"daemon": None})
        self.assertEqual(len(FakeReceivers.started), 1)
        time.sleep(0.1)
        left = [p.pid for p in FakeReceivers.started if p.poll() is None]
        self.assertEqual(left, [], "storm-recv left running after the run failed")

    def test_raudit_counts_storm_events_only(self):
        """The events column is storm events, as the null readers and
        auditd count them: raudit's own lines for other events (the
        driver's auditctl -D and -a, while raudit is the audit pid) are not
        storm events."""
        daemon = storm.Raudit("/bin/true", "/nonexistent", "")
        daemon.log = f"{storm.WORK}/raudit.log"
        daemon.err = f"{storm.WORK}/raudit.stderr"
        open(daemon.err, "w").close()
        with open(daemon.log, "w") as f:
            storm_line = '{"sequence":%d,"messages":[{"type":1300,"data":"arch=c000003e syscall=110 key=\\"storm\\""}]}\n'
            f.write(storm_line % 1)
            f.write('{"sequence":2,"messages":[{"type":1305,"data":"op=remove_rule key=\\"storm\\" list=4 res=1"}]}\n')
            f.write('{"sequence":3,"messages":[{"type":1305,"data":"audit_enabled=1 old=1 res=1"}]}\n')
            f.write(storm_line % 4)
        daemon.p = subprocess.Popen(["true"])
        daemon.p.wait()
        daemon.stop()
        events, extra = daemon.count()
        self.assertEqual(events, 2, "raudit's events are its storm events")
        self.assertEqual(extra["storm_events"], 2)

    def test_a_lossy_rep_fails_the_no_loss_target(self):
        """'kernel lost = 0' is a promise about every rep: one rep of three
        that lost records fails it (a median of the reps hides it), as the
        peak RSS target takes the worst rep."""
        def rep(daemon, lost):
            return {"daemon": daemon, "events_per_s": 150_000.0, "lost": lost,
                    "cpu_us_per_event": 3.0, "peak_rss_kb": 3000}
        runs = [rep("null-batch", 0)] * 3 + [rep("raudit", 0), rep("raudit", 5000), rep("raudit", 0)]
        row = next(r for r in storm.targets(runs, "sat") if r.startswith("| kernel lost"))
        self.assertIn("**FAIL**", row, row)
        self.assertIn("5,000", row, row)

    def test_the_queue_counters_come_from_the_exit_stats_line(self):
        """A rep that dropped events for want of a free buffer says so, with
        its waits, read from raudit's exit stats (not the periodic lines)."""
        tail = ("raudit stats: records=9 queue_drops=1 queue_waits=1 queue_waited_seconds=0.005\n"
                "raudit stats (exit): records=10 queue_drops=2486 queue_waits=3 "
                "queue_waited_seconds=0.120 lost_buffers=0\n")
        self.assertEqual(storm.exit_stats(tail),
                         {"queue_drops": 2486, "queue_waits": 3, "queue_waited_seconds": 0.12})
        self.assertEqual(storm.exit_stats("raudit: no stats"), {})
        run = {"daemon": "raudit", "thread_cpu_s": {}, "thread_sys_s": {}, "events": 10,
               "stderr_tail": tail}
        line = next(l for l in storm.raudit_breakdown([run]) if l.startswith("raudit queue"))
        self.assertIn("rep0: 2486 dropped, 3 waits (120 ms)", line)


if __name__ == "__main__":
    unittest.main()
