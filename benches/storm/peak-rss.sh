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

# shellcheck source=benches/storm/live-daemon.sh
. "$here/live-daemon.sh"

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
