#!/usr/bin/python3
"""run_suites.py: runs the test suites of make check and prints one summary line.

Every executable in tests/suites/ is a suite. A suite prints TAP ("ok N - what",
"not ok N - what", "# comment") on stdout; its stderr is kept for the failure report.
A suite that exits non-zero, or reports no result at all, counts as one failure more: a
suite that tests nothing is a defect, not a pass.

Output, in the manner of xdp-tools' test runner: one "[suite] what  PASS|FAIL|SKIPPED" line per
result, the failing suite's output indented under its first failure, and at the end
"N passed, M failed" (", K skipped" when any were).

    run_suites.py [--tier unit] [SUITE...]

With no SUITE, every suite of tests/suites/ runs; --tier unit keeps those whose header has the
line "# tier: unit" (make check-unit): they need no root, no network namespace and no package
installation, and take seconds.
"""
import os
import re
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULT = re.compile(r"^(not ok|ok)\b\s*\d*\s*-?\s*(.*)$")
SKIP = re.compile(r"#\s*SKIP\b", re.IGNORECASE)
TIER = re.compile(r"^#\s*tier:\s*(\S+)", re.MULTILINE)
SUITE_TIMEOUT = int(os.environ.get("L3DSR_SUITE_TIMEOUT", "900"))


def indent(text):
    return "".join("    " + line + "\n" for line in text.rstrip("\n").splitlines())


def run_suite(path):
    name = os.path.basename(path)
    started = time.monotonic()
    env = dict(os.environ, L3DSR_ROOT=ROOT, CMOCKA_MESSAGE_OUTPUT="TAP")
    # Each suite gets its own process group so that a timeout ends the suite's children too
    # (its trap then has nothing left running that could hold its namespaces).
    proc = subprocess.Popen([path], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, errors="replace", start_new_session=True)
    try:
        output, _ = proc.communicate(timeout=SUITE_TIMEOUT)
        code = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            output, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            output, _ = proc.communicate()
        output += "\n(timed out after %d s)\n" % SUITE_TIMEOUT
        code = -1
    passed = failed = skipped = 0
    reported = False
    for line in output.splitlines():
        match = RESULT.match(line.strip())
        if not match:
            continue
        verdict, what = match.group(1), match.group(2).strip()
        if verdict == "ok" and SKIP.search(what):
            skipped += 1
            print("[%s] %s  SKIPPED" % (name, what))
        elif verdict == "ok":
            passed += 1
            print("[%s] %s  PASS" % (name, what))
        else:
            failed += 1
            print("[%s] %s  FAIL" % (name, what))
            if not reported:
                sys.stdout.write(indent(output))
                reported = True
    if code != 0 and failed == 0:
        failed += 1
        print("[%s] exited with status %d  FAIL" % (name, code))
        sys.stdout.write(indent(output))
    elif passed + failed + skipped == 0:
        failed += 1
        print("[%s] reported no result  FAIL" % name)
        sys.stdout.write(indent(output))
    print("[%s] %.1f s" % (name, time.monotonic() - started))
    sys.stdout.flush()
    return passed, failed, skipped


def tier(path):
    """The tier a suite's header names ("# tier: unit"), or None: the header is its first lines."""
    with open(path, errors="replace") as file:
        match = TIER.search(file.read(2048))
    return match.group(1) if match else None


def main(argv):
    wanted = None
    if argv[:1] == ["--tier"] and len(argv) >= 2:
        wanted, argv = argv[1], argv[2:]
    if argv:
        suites = [os.path.abspath(p) for p in argv]
    else:
        directory = os.path.join(ROOT, "tests", "suites")
        suites = sorted(os.path.join(directory, f) for f in os.listdir(directory)
                        if os.access(os.path.join(directory, f), os.X_OK)
                        and not f.startswith("."))
    if wanted:
        suites = [suite for suite in suites if tier(suite) == wanted]
    totals = [0, 0, 0]
    for suite in suites:
        for i, count in enumerate(run_suite(suite)):
            totals[i] += count
    summary = "%d passed, %d failed" % (totals[0], totals[1])
    if totals[2]:
        summary += ", %d skipped" % totals[2]
    print(summary)
    return 1 if totals[1] or not suites else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
