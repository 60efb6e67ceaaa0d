# tap.sh: the checks of the install and packaging tests (sourced; needs $root and $tmp), on
# tests/lib/tap.sh's output.
# shellcheck source=tests/lib/tap.sh
. "$root/tests/lib/tap.sh"

# check WHAT COMMAND...: one TAP line for COMMAND; its output, and what on_check_failure (if
# the test defines it) adds, go under a failure. The command runs in this shell, not a
# subshell, so what it records (PIDs, cgroups) stays.
check() {
	local what=$1
	shift
	if "$@" >"$tmp/check.out" 2>&1; then
		tap_ok "$what"
		return 0
	fi
	tap_fail "$what" "$(tail -n 40 "$tmp/check.out")"
	if declare -F on_check_failure >/dev/null; then
		tap_note "$(on_check_failure 2>&1)"
	fi
	return 1
}

# require WHAT COMMAND...: a check the rest depends on; stops the test when it fails.
require() {
	check "$@" && return 0
	echo "Bail out! $1 failed"
	exit 1
}

# same_lines WHAT EXPECTED ACTUAL: the two line sets are equal; prints the difference if not.
same_lines() {
	if diff -u <(printf '%s\n' "$2" | sort) <(printf '%s\n' "$3" | sort); then
		return 0
	fi
	echo "$1: the lines marked + are there but not expected, - expected but missing"
	return 1
}
