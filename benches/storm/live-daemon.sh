# Sourced by the scripts that start raudit as the audit daemon by hand
# (peak-rss.sh, ../profile/hot-text.sh): takes /run/raudit-live.lock for the
# rest of the script, refuses to start when another audit daemon is
# registered or the kernel's rules are locked, and on exit stops the daemon
# whose pid is in $daemon (only that one) and puts back the kernel's rules,
# enabled flag and backlog settings as it found them, then removes $work.
# Needs: $work, a directory of the caller's.
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
