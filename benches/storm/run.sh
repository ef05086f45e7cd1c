#!/bin/bash
# raudit's audit storm benchmark: build storm-gen/storm-null/storm-recv, then run the
# driver as root. All options go to storm.py (see --help), e.g.
#   sudo benches/storm/run.sh --daemons null,null-batch,auditd,raudit --reps 3 --duration 8
# Report: stdout and --report FILE (default /tmp/raudit-storm/report.md);
# raw runs: /tmp/raudit-storm/results-*.json.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
build=(build --release --quiet -p raudit-benches --bin storm-gen --bin storm-null --bin storm-recv)

# Build as the user who called sudo (their toolchain, their target/ files);
# as plain root, with root's cargo. STORM_NO_BUILD=1 uses what is there.
if [ "${STORM_NO_BUILD:-0}" != 1 ]; then
	if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
		sudo -u "$SUDO_USER" -H bash -lc 'cd "$1" && shift && "${CARGO:-cargo}" "$@"' \
			build "$root" "${build[@]}"
	else
		cargo_bin=$(command -v cargo || echo "$HOME/.cargo/bin/cargo")
		(cd "$root" && "$cargo_bin" "${build[@]}")
	fi
fi
exec python3 "$here/storm.py" --bindir "$target/release" --raudit "$target/release/raudit" "$@"
