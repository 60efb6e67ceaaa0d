"""tap.py: the TAP output of every Python test: numbered results, the details of a failure as
"# " comments, the plan at the end. tests/run_suites.py reads it.

    sys.dont_write_bytecode = True   # no __pycache__ in the tree
    sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
    import tap
    tap.result(condition, "what", detail)
    sys.exit(tap.plan())
"""
import sys

tests = 0
failures = 0


def note(text):
    """TEXT's lines as TAP comments."""
    for line in str(text).rstrip("\n").splitlines():
        print("# " + line)
    sys.stdout.flush()


def result(ok, what, detail=""):
    """One result; under a failure, DETAIL as comments. Returns OK."""
    global tests, failures
    tests += 1
    print("%s %d - %s" % ("ok" if ok else "not ok", tests, what))
    if not ok:
        failures += 1
        if detail:
            note(detail)
    sys.stdout.flush()
    return ok


def plan():
    """Prints the plan ("1..N"); returns the exit status: 1 when any result failed."""
    print("1..%d" % tests)
    sys.stdout.flush()
    return 1 if failures else 0
