#!/bin/bash
# Regenerates daemon/link/hot-text.ld, the order of raudit's code (see
# hot_text.py). Runs the release binary as the audit daemon under callgrind
# with the storm's getppid rule, after a first short run so it starts as a
# restart, idle for 10 s, then under 20,000 events/s from storm-gen for
# 10 s, and writes which functions each stage ran; three configurations,
# in the order their steady states are placed: the default config's one
# file output; the file with syslog and GELF over TCP and OTLP (to
# storm-recv); the file in the ECS shape. Rerun it when functions of the
# steady state are renamed or added (daemon/tests/text_order.rs fails when
# many are), then rebuild and commit the script with the change.
# Holds /run/raudit-live.lock throughout; puts the kernel back as it found
# it; stops only the processes it started.
#   sudo benches/profile/hot-text.sh      (after cargo build --release --workspace)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$here/../..
binary=$root/target/release/raudit
gen=$root/target/release/storm-gen
recv=$root/target/release/storm-recv
for f in "$binary" "$gen" "$recv"; do
	[ -x "$f" ] || { echo "$f missing: cargo build --release --workspace first" >&2; exit 1; }
done
work=$(mktemp -d /tmp/raudit-hot-text.XXXXXX)
# shellcheck source=benches/storm/live-daemon.sh
. "$root/benches/storm/live-daemon.sh"
receivers=
stop_receivers() { [ -z "$receivers" ] || kill "$receivers" 2>/dev/null || true; }
trap 'stop_receivers; restore' EXIT

# The receivers of the fan-out profile: their first line says their ports.
"$recv" -u "$work/syslog.sock" >"$work/ports" 2>"$work/recv.stderr" &
receivers=$!
for _ in $(seq 50); do [ -s "$work/ports" ] && break; sleep 0.1; done
port() { grep -o "$1=[0-9]*" "$work/ports" | cut -d= -f2; }
[ -n "$(port tcp_port)" ] || { echo "storm-recv did not start" >&2; cat "$work/recv.stderr" >&2; exit 1; }

# profile NAME FORMAT EXTRA_OUTPUTS: one configuration's callgrind files as
# $work/NAME-cg*.
profile() {
	local name=$1 format=$2 outputs=$3 config=$work/$1.yaml
	cat >"$config" <<-YAML
	output:
	  file: {enabled: true, path: $work/$name.log, mode: 0600, user: root, group: root}
	$outputs
	rules: ["-e 1", "-a always,exit -F arch=b64 -S getppid -k storm"]
	raudit:
	  format: $format
	  state_file: $work/$name.state
	YAML
	"$binary" --config "$config" >"$work/stderr" 2>&1 &
	daemon=$!
	sleep 1
	"$gen" -p 1 -d 1 -r 1000 >/dev/null
	sleep 1
	kill -TERM "$daemon"
	wait "$daemon" || true
	daemon=
	[ -s "$work/$name.state" ] || { echo "$name: the first run left no state file" >&2; cat "$work/stderr" >&2; exit 1; }
	valgrind --tool=callgrind --demangle=no --separate-threads=yes \
		--dump-after='*release_startup_memory*' --callgrind-out-file="$work/$name-cg" \
		"$binary" --config "$config" >"$work/stderr" 2>&1 &
	daemon=$!
	sleep 10
	kill -0 "$daemon" || { cat "$work/stderr" >&2; exit 1; }
	"$gen" -p 1 -d 10 -r 20000 >/dev/null
	sleep 2
	kill -TERM "$daemon"
	wait "$daemon" || true
	daemon=
	grep -q 'missed across the restart' "$work/stderr" ||
		{ echo "$name: the profiled run did not start as a restart" >&2; cat "$work/stderr" >&2; exit 1; }
	echo "$name: $(grep -o 'events=[0-9]*' "$work/stderr" | head -1)"
}

auditctl -b 8192 >/dev/null
profile default go-audit ""
tcp="network: tcp, address: '127.0.0.1:$(port tcp_port)'"
profile fanout go-audit "  syslog: {enabled: true, $tcp}
  gelf: {enabled: true, $tcp}
  otlp: {enabled: true, endpoint: 'http://127.0.0.1:$(port http_port)/v1/logs'}"
profile ecs ecs ""
python3 "$here/hot_text.py" "$binary" "$work/default-cg" "$work/fanout-cg" "$work/ecs-cg" \
	>"$root/daemon/link/hot-text.ld"
echo "wrote daemon/link/hot-text.ld ($(grep -c '\*(' "$root/daemon/link/hot-text.ld") patterns)"
