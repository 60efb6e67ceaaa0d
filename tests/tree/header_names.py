#!/usr/bin/python3
"""header_names.py: no two headers in bpf/, src/ and tests/ share a file name, and no file of
the tree names a file outside it (a design note kept beside the repository, say).

With -I. alone an include names the file it opens; two headers of one name would still make
"#include "x.h"" mean different files to different readers. Prints TAP, one line per check.
"""
import os
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import tap  # noqa: E402


def headers(root):
    found = {}
    for top in ("bpf", "src", "tests"):
        for directory, _, files in os.walk(os.path.join(root, top)):
            for name in files:
                if name.endswith(".h"):
                    found.setdefault(name, []).append(
                        os.path.relpath(os.path.join(directory, name), root))
    return found


def main():
    root = sys.argv[1]
    found = headers(root)
    shared = {name: paths for name, paths in found.items() if len(paths) > 1}
    tap.result(not shared, "every header name in bpf/, src/ and tests/ is unique (%d headers)"
               % len(found), "\n".join("%s: %s" % (name, " ".join(paths))
                                       for name, paths in shared.items()))
    # Files outside the tree that earlier comments cited: the shared design notes.
    outside = ("DESIGN.md", "BENCHMARKING.md", "STYLE.md", "../shared/")
    listed = subprocess.run(["git", "-c", "safe.directory=*", "-C", root, "grep", "-n", "-F"] +
                            [arg for word in outside for arg in ("-e", word)] +
                            ["--", ".", ":!tests/tree/header_names.py"],
                            capture_output=True, text=True)
    if listed.returncode > 1:
        tap.result(False, "the tree names no file outside it", listed.stderr)
    else:
        lines = listed.stdout.splitlines()
        tap.result(not lines, "the tree names no file outside it (%s)" % ", ".join(outside),
                   "\n".join(lines[:20]))
    return tap.plan()


if __name__ == "__main__":
    sys.exit(main())
