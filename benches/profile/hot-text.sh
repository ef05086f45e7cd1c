#!/bin/bash
# Regenerates daemon/link/hot-text.ld, the order of raudit's code (see
# hot_text.py): runs the release binary as the audit daemon under callgrind
# with the default config's one file output and the storm's getppid rule
# (after a first run, so it starts as a restart), idle for 10 s, then under 20,000 events/s from storm-gen for 10 s, and
# writes which functions each stage ran. Rerun it when functions of the
# steady state are renamed or added (the idle and storm peak RSS of
# benches/storm/peak-rss.sh and the storm say when it has gone stale), then
# rebuild and commit the script with the change.
# Holds /run/raudit-live.lock throughout; puts the kernel back as it found
# it; stops only the daemon it started.
#   sudo benches/profile/hot-text.sh      (after cargo build --release)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$here/../..
binary=$root/target/release/raudit
gen=$root/target/release/storm-gen
for f in "$binary" "$gen"; do
	[ -x "$f" ] || { echo "$f missing: cargo build --release --workspace first" >&2; exit 1; }
done
work=$(mktemp -d /tmp/raudit-hot-text.XXXXXX)
# shellcheck source=benches/storm/live-daemon.sh
. "$root/benches/storm/live-daemon.sh"

cat >"$work/raudit.yaml" <<YAML
output:
  file: {enabled: true, path: $work/raudit.log, mode: 0600, user: root, group: root}
rules: ["-e 1", "-a always,exit -F arch=b64 -S getppid -k storm"]
raudit:
  state_file: $work/state
YAML
auditctl -b 8192 >/dev/null
# A first, short run writes events and leaves the state file, so the
# profiled run also goes through a restart's first event (the gap said on
# stderr and as a record to the outputs), as a restarted daemon does.
"$binary" --config "$work/raudit.yaml" >"$work/stderr" 2>&1 &
daemon=$!
sleep 1
"$gen" -p 1 -d 1 -r 1000 >/dev/null
sleep 1
kill -TERM "$daemon"
wait "$daemon" || true
[ -s "$work/state" ] || { echo "the first run left no state file" >&2; cat "$work/stderr" >&2; exit 1; }
valgrind --tool=callgrind --demangle=no --separate-threads=yes \
	--dump-after='*release_startup_memory*' --callgrind-out-file="$work/cg" \
	"$binary" --config "$work/raudit.yaml" >"$work/stderr" 2>&1 &
daemon=$!
sleep 10
kill -0 "$daemon" || { cat "$work/stderr" >&2; exit 1; }
"$gen" -p 1 -d 10 -r 20000 >/dev/null
sleep 2
kill -TERM "$daemon"
wait "$daemon" || true
daemon=
grep -q 'missed across the restart' "$work/stderr" ||
	{ echo "the profiled run did not start as a restart" >&2; cat "$work/stderr" >&2; exit 1; }
grep -o 'events=[0-9]*' "$work/stderr" | head -1
python3 "$here/hot_text.py" "$work/cg" "$binary" >"$root/daemon/link/hot-text.ld"
echo "wrote daemon/link/hot-text.ld ($(grep -c '\*(' "$root/daemon/link/hot-text.ld") patterns)"
