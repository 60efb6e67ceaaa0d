#!/usr/bin/python3
"""metrics_check.py: reads l3dsrd's statistics file with Prometheus' own text parser.

    metrics_check.py parse FILE DOCS                 format, HELP/TYPE, labels, documentation
    metrics_check.py compare FILE BEFORE AFTER       counters against `l3dsrctl -j stats`
    metrics_check.py value FILE NAME LABEL=VALUE...  prints one sample's value

parse: FILE must parse (prometheus_client.parser, the parser of the Python client library);
every family has a HELP text and a type, a name starting with l3dsr_, an interface label on
every sample; every family name appears in DOCS (docs/metrics.md).
compare: BEFORE and AFTER are `l3dsrctl -j stats` outputs taken before and after FILE was
written (by a load balancer or a backend); every counter of FILE that l3dsrctl also shows lies
between the two, and equals them when they are equal. Each check prints one TAP line
(tests/lib/tap.py), the plan at the end.
Exit status 1 when any check failed.
"""
import json
import os
import re
import sys

from prometheus_client.parser import text_string_to_metric_families

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from tap import plan, result as check  # noqa: E402 (tests/lib/tap.py, through the path above)


def families(path):
    with open(path) as file:
        return list(text_string_to_metric_families(file.read()))


def samples(path):
    """{(sample name, frozenset of labels): value}"""
    out = {}
    for family in families(path):
        for sample in family.samples:
            out[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return out


def parse(path, docs_path):
    try:
        parsed = families(path)
    except Exception as error:  # the parser raises ValueError and others on bad input
        check(False, "%s parses with prometheus_client" % path, error)
        return
    check(len(parsed) > 0, "%s parses with prometheus_client: %d families" % (path, len(parsed)))
    with open(docs_path) as file:
        docs = file.read()
    with open(path) as file:
        text = file.read()
    for family in parsed:
        # The parser strips _total from a counter family's name; the samples keep it.
        name = family.name + ("_total" if family.type == "counter" else "")
        problems = []
        if not name.startswith("l3dsr_"):
            problems.append("not named l3dsr_*")
        if not family.documentation:
            problems.append("no HELP text")
        if family.type not in ("counter", "gauge") or re.search(
                r"^# TYPE %s %s$" % (re.escape(name), family.type), text, re.M) is None:
            problems.append("no TYPE line of counter or gauge")
        if not all(sample.labels.get("interface") for sample in family.samples):
            problems.append("a sample without an interface label")
        if "`%s`" % name not in docs:
            problems.append("not in %s" % docs_path)
        check(not problems, "%s (%s): l3dsr_ name, HELP, TYPE, interface label, documented"
              % (name, family.type), "\n".join(problems))


def compare(path, before_path, after_path):
    with open(before_path) as file:
        before = json.load(file)[0]
    with open(after_path) as file:
        after = json.load(file)[0]
    metrics = samples(path)
    interface = after["interface"]

    def between(what, sample, low, high):
        value = metrics.get(sample)
        check(value is not None and low <= value <= high,
              "%s: %s within l3dsrctl's [%d, %d]" % (what, value, low, high),
              "sample %s %s" % (sample[0], sorted(sample[1])))

    count = 0
    for name, counter in after["counters"].items():
        events = {"icmp_error": "l3dsr_icmp_errors_total",
                  "flow_insert_skipped": "l3dsr_flow_inserts_skipped_total",
                  "fib_lookup": "l3dsr_fib_lookups_total"}
        if name in events:
            metric = events[name]
            between("%s packets" % name, (metric, frozenset({("interface", interface)})),
                    before["counters"][name]["packets"], counter["packets"])
            count += 1
            continue
        for unit in ("packets", "bytes"):
            labels = frozenset({("interface", interface), ("verdict", name)})
            between("verdict %s %s" % (name, unit), ("l3dsr_%s_total" % unit, labels),
                    before["counters"][name][unit], counter[unit])
            count += 1
    old_vips = {v["name"]: v for v in before["vips"]}
    for vip in after["vips"]:
        old = old_vips[vip["name"]]
        for unit in ("packets", "bytes"):
            labels = frozenset({("interface", interface), ("vip", vip["name"])})
            between("vip %s %s" % (vip["name"], unit), ("l3dsr_vip_%s_total" % unit, labels),
                    old[unit], vip[unit])
            count += 1
        # A backend's VIPs have no backends of their own.
        old_backends = {b["address"]: b for b in old.get("backends", [])}
        for backend in vip.get("backends", []):
            for unit in ("packets", "bytes"):
                labels = frozenset({("interface", interface), ("vip", vip["name"]),
                                    ("backend", backend["address"])})
                between("vip %s backend %s %s" % (vip["name"], backend["address"], unit),
                        ("l3dsr_backend_%s_total" % unit, labels),
                        old_backends[backend["address"]][unit], backend[unit])
                count += 1
    check(count > 0, "%d counters compared with l3dsrctl -j stats" % count)


def value(path, name, label_arguments):
    labels = frozenset(tuple(argument.split("=", 1)) for argument in label_arguments)
    for (sample_name, sample_labels), sample_value in samples(path).items():
        if sample_name == name and labels <= sample_labels:
            print(repr(sample_value) if sample_value != int(sample_value) else int(sample_value))
            return
    print("absent")


def main():
    command, arguments = sys.argv[1], sys.argv[2:]
    if command == "parse":
        parse(*arguments)
    elif command == "compare":
        compare(*arguments)
    elif command == "value":
        value(arguments[0], arguments[1], arguments[2:])
        return 0
    else:
        sys.exit("unknown command %s" % command)
    return plan()


if __name__ == "__main__":
    sys.exit(main())
