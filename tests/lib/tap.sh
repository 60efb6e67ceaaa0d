# tap.sh: the TAP output of every shell test (sourced, by bash or dash): numbered results, the
# details of a failure as "# " comments, the plan at the end. tests/run_suites.py reads it.
TAP_TESTS=0
TAP_FAILURES=0

# tap_note TEXT...: TEXT's lines as TAP comments.
tap_note() {
	printf '%s\n' "$*" | sed 's/^/# /'
}

# tap_ok WHAT: a passed check.
tap_ok() {
	TAP_TESTS=$((TAP_TESTS + 1))
	echo "ok $TAP_TESTS - $1"
}

# tap_fail WHAT [DETAIL...]: a failed check; each DETAIL's lines follow as comments.
tap_fail() {
	TAP_TESTS=$((TAP_TESTS + 1))
	TAP_FAILURES=$((TAP_FAILURES + 1))
	echo "not ok $TAP_TESTS - $1"
	shift
	local detail
	for detail in "$@"; do
		tap_note "$detail"
	done
}

# tap_check WHAT COMMAND...: ok when COMMAND (run in a subshell) exits 0; else its output and
# the command line are the failure's detail.
tap_check() {
	local what=$1 out
	shift
	if out=$("$@" 2>&1); then
		tap_ok "$what"
	else
		tap_fail "$what" "command: $*" "$out"
	fi
}

# tap_plan: prints the plan ("1..N"); returns 1 when any check failed.
tap_plan() {
	echo "1..$TAP_TESTS"
	[ "$TAP_FAILURES" -eq 0 ]
}
