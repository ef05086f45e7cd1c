#!/bin/bash
# raudit's idle peak resident memory, the figure the storm's "peak RSS"
# column is dominated by (the peak is set at start-up): starts BINARY as the
# audit daemon with the default config and one file output, waits, prints
# VmHWM (and the resident set by mapping with -v), stops it. Repeats RUNS
# times. Holds /run/raudit-live.lock throughout; puts back the kernel's
# enabled flag, backlog settings and rules as it found them; stops only the
# raudit it started.
#   sudo benches/storm/peak-rss.sh [-v] [-n RUNS] [BINARY (default target/release/raudit)]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
verbose=0 runs=3
while getopts "vn:" o; do
	case $o in
	v) verbose=1 ;;
	n) runs=$OPTARG ;;
	*) echo "usage: $0 [-v] [-n RUNS] [BINARY]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
binary=$(realpath "${1:-$here/../../target/release/raudit}")
work=$(mktemp -d /tmp/raudit-peak-rss.XXXXXX)

exec 9>/run/raudit-live.lock
flock 9
status() { auditctl -s | awk -v k="$1" '$1 == k { print $2 }'; }
pid_now=$(status pid)
if [ "$pid_now" != 0 ] && kill -0 "$pid_now" 2>/dev/null; then
	echo "audit pid $pid_now is registered and alive: not starting raudit" >&2
	exit 1
fi
enabled=$(status enabled)
if [ "$enabled" = 2 ]; then
	echo "audit is locked (enabled 2): not starting raudit" >&2
	exit 1
fi
backlog=$(status backlog_limit) wait_time=$(status backlog_wait_time)
auditctl -l >"$work/rules"
daemon=
restore() {
	set +e
	if [ -n "$daemon" ] && kill -0 "$daemon" 2>/dev/null; then
		kill -TERM "$daemon"
		wait "$daemon" || true
	fi
	auditctl -D >/dev/null
	grep -v '^No rules' "$work/rules" | while read -r rule; do
		# shellcheck disable=SC2086 # a rule is auditctl's words
		auditctl $rule >/dev/null || echo "could not restore rule: $rule" >&2
	done
	auditctl -e "$enabled" -b "$backlog" --backlog_wait_time "$wait_time" >/dev/null
	rm -rf "$work"
}
trap restore EXIT

cat >"$work/raudit.yaml" <<EOF
output:
  file: {enabled: true, path: $work/raudit.log, mode: 0600, user: root, group: root}
rules: ["-e 1"]
raudit:
  state_file: $work/state
EOF
for run in $(seq "$runs"); do
	"$binary" --config "$work/raudit.yaml" >"$work/stderr" 2>&1 &
	daemon=$!
	sleep 2
	kill -0 "$daemon" || { cat "$work/stderr" >&2; exit 1; }
	echo "run $run: $(grep -E '^(VmHWM|VmRSS)' /proc/$daemon/status | tr -s ' \t' ' ' | tr '\n' ' ')"
	if [ "$verbose" = 1 ]; then
		awk '/^[0-9a-f]+-/ { name = $6 " " $2 } /^Rss:/ { if ($2 > 0) print "   ", $2, "kB", name }' \
			"/proc/$daemon/smaps" | sort -n -r | head -12
	fi
	kill -TERM "$daemon"
	wait "$daemon" || true
	daemon=
done
