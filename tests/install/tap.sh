# tap.sh: TAP helpers shared by the install and packaging tests (sourced; needs $tmp).
test_number=0

# check WHAT COMMAND...: one TAP line for COMMAND; its output, and what on_check_failure (if
# the test defines it) adds, go under a failure. The command runs in this shell, not a
# subshell, so what it records (PIDs, cgroups) stays.
check() {
	local what=$1
	shift
	test_number=$((test_number + 1))
	if "$@" >"$tmp/check.out" 2>&1; then
		echo "ok $test_number - $what"
		return 0
	fi
	echo "not ok $test_number - $what"
	tail -n 40 "$tmp/check.out" | sed 's/^/#   /'
	if declare -F on_check_failure >/dev/null; then
		on_check_failure 2>&1 | sed 's/^/#   /'
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
