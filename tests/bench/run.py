#!/usr/bin/python3
"""run.py: runs `make bench` (issue 7) and prints one table; writes the JSON beside it.

Makes a network namespace with a veth pair (documentation addresses only, a route to the
backends through a permanent neighbour so that bpf_fib_lookup succeeds), runs the harness
build/bench/l3dsr-bench in it pinned to one CPU (cost, scale, rate, flood), then the end-to-end
part in the namespace topology (tests/bench/e2e.sh), and removes everything it made, also on
failure. --check runs the harness's self-check (TAP) instead, for make check.
"""
import argparse
import datetime
import json
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HARNESS = os.path.join(ROOT, "build", "bench", "l3dsr-bench")
VERDICTS = {0: "ABORTED", 1: "DROP", 2: "PASS", 3: "TX", 4: "REDIRECT"}

# The stateless nftables equivalent of the LB (rate part): the same VIP and two backends.
NFT_RULESET = """table ip l3bench {
	chain prerouting {
		type filter hook prerouting priority raw; policy accept;
		ip daddr 192.0.2.10 tcp dport 80 notrack ip daddr set jhash ip saddr . tcp sport mod 2 map { 0 : 198.51.100.11, 1 : 198.51.100.12 }
	}
}
"""


def run(command, **kwargs):
    return subprocess.run(command, check=True, **kwargs)


class Namespace:
    """A netns with the veth pair GENERATOR <-> LB and the routes the LB's fib lookups need."""

    def __init__(self):
        tag = "%d%02x" % (os.getpid() % 100000, random.randrange(256))
        self.name = "l3b" + tag
        self.generator = "l3b%sg" % tag
        self.lb = "l3b%sl" % tag
        self.nft = False

    def ip(self, *args):
        run(["ip", "-n", self.name] + list(args))

    def up(self):
        run(["ip", "netns", "add", self.name])
        self.ip("link", "add", self.generator, "type", "veth", "peer", "name", self.lb)
        for link in ("lo", self.generator, self.lb):
            self.ip("link", "set", link, "up")
        self.ip("addr", "add", "203.0.113.1/24", "dev", self.lb)
        self.ip("addr", "add", "2001:db8:ffff::1/64", "dev", self.lb, "nodad")
        for gateway in ("203.0.113.2", "2001:db8:ffff::2"):
            self.ip("neigh", "add", gateway, "lladdr", "02:00:00:00:00:02", "dev", self.lb,
                    "nud", "permanent")
        self.ip("route", "add", "198.51.100.0/24", "via", "203.0.113.2", "dev", self.lb)
        self.ip("-6", "route", "add", "2001:db8:b::/48", "via", "2001:db8:ffff::2",
                "dev", self.lb)
        # The kernel-stack comparison of the rate part forwards back out of the same veth.
        # bpf_fib_lookup answers only where forwarding is on; the generator's side stays
        # silent (no IPv6 autoconf chatter reaching the LB's counters).
        for key, value in (("net.ipv4.ip_forward", "1"),
                           ("net.ipv6.conf.all.forwarding", "1"),
                           ("net.ipv6.conf.%s.disable_ipv6" % self.generator, "1"),
                           ("net.ipv4.conf.all.send_redirects", "0"),
                           ("net.ipv4.conf.%s.send_redirects" % self.lb, "0"),
                           ("net.ipv4.conf.all.rp_filter", "0"),
                           ("net.ipv4.conf.%s.rp_filter" % self.lb, "0")):
            run(["ip", "netns", "exec", self.name, "sysctl", "-q", "-w", "%s=%s" % (key, value)])
        if shutil.which("nft"):
            run(["ip", "netns", "exec", self.name, "nft", "-f", "-"], input=NFT_RULESET,
                text=True)
            self.nft = True

    def down(self):
        subprocess.run(["ip", "netns", "del", self.name], stderr=subprocess.DEVNULL)


def harness(namespace, mode, options, extra):
    command = ["ip", "netns", "exec", namespace.name, HARNESS, mode,
               "--interface", namespace.lb, "--generator-interface", namespace.generator,
               "--lb", options.lb,
               "--backend", os.path.join(ROOT, "bpf", "backend.bpf.o"),
               "--bench-dir", os.path.join(ROOT, "build", "bench"),
               "--cpu", str(options.cpu)] + extra
    print("# " + " ".join(command[4:]), file=sys.stderr, flush=True)
    proc = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # The daemon's next-hop code logs one info line ("<6>") per backend address it resolves:
    # thousands in the scale part. Warnings and errors are shown.
    hidden = 0
    for line in proc.stderr.splitlines():
        if line.startswith("<6>"):
            hidden += 1
        else:
            print(line, file=sys.stderr)
    if hidden:
        print("# (%d info lines of next_hops_fill not shown)" % hidden, file=sys.stderr)
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, command)
    return json.loads(proc.stdout)


def median(values):
    return statistics.median(values) if values else float("nan")


def derive_cases(measurements):
    """Net cost (minus the wrapper twin, round by round) and medians of every case."""
    cases = {case["name"]: case for case in measurements["cases"]}
    for case in cases.values():
        case["median_ns"] = median(case["ns"])
        twin = cases.get(case["calibration"]) if case["calibration"] else None
        case["net_ns"] = [a - b for a, b in zip(case["ns"], twin["ns"])] if twin else case["ns"]
        case["median_net_ns"] = median(case["net_ns"])
        case["verdicts_ok"] = all(v == case["expect_verdict"] for v in case["verdicts"])
    return cases


def round_ratio(numerator, denominator, key="net_ns"):
    return median([a / b for a, b in zip(numerator[key], denominator[key]) if b > 0])


# Issue 13's targets ("What it must reach"). Each ratio: name, numerator case, denominator case,
# compared on (net ns behind the wrapper, or gross for what runs directly), the target (None: no
# target, shown for comparison). Cost ratios must be at most the target.
RATIOS = [
    ("LB established v4 / reference v4", "lb_tcp4_established", "reference_tcp4", "net_ns", 0.5),
    ("LB established v6 / reference v6", "lb_tcp6_established", "reference_tcp6", "net_ns", 0.5),
    ("LB established v4, FIB fallback / reference v4", "lb_tcp4_established_fib",
     "reference_tcp4", "net_ns", None),
    ("LB established v6, FIB fallback / reference v6", "lb_tcp6_established_fib",
     "reference_tcp6", "net_ns", None),
    ("LB established v4, changed slot / reference v4", "lb_tcp4_established_changed",
     "reference_tcp4", "net_ns", 0.5),
    ("LB SYN v4, unchanged slot / reference v4", "lb_tcp4_syn", "reference_tcp4", "net_ns", 0.6),
    ("LB SYN v6, unchanged slot / reference v6", "lb_tcp6_syn", "reference_tcp6", "net_ns", 0.6),
    ("LB SYN v4, changed, table full / reference v4", "lb_tcp4_syn_changed", "reference_tcp4",
     "net_ns", 0.6),
    ("LB SYN v6, changed, table full / reference v6", "lb_tcp6_syn_changed", "reference_tcp6",
     "net_ns", 0.6),
    ("LB SYN v4, changed, over limit / reference v4", "lb_tcp4_syn_changed_over_limit",
     "reference_tcp4", "net_ns", 0.6),
    ("LB established v4, flow-hash mix64 / reference v4", "lb_tcp4_established_mix64",
     "reference_tcp4", "net_ns", None),
    ("LB established v6, flow-hash mix64 / reference v6", "lb_tcp6_established_mix64",
     "reference_tcp6", "net_ns", None),
    ("LB SYN v4, unchanged, flow-hash mix64 / reference v4", "lb_tcp4_syn_mix64",
     "reference_tcp4", "net_ns", None),
    ("LB established v4: mix64 / lookup3", "lb_tcp4_established_mix64", "lb_tcp4_established",
     "net_ns", None),
    ("LB established v6: mix64 / lookup3", "lb_tcp6_established_mix64", "lb_tcp6_established",
     "net_ns", None),
    ("LB SYN v4, unchanged: mix64 / lookup3", "lb_tcp4_syn_mix64", "lb_tcp4_syn", "net_ns",
     None),
    ("LB non-VIP v4 / XDP_PASS", "lb_non_vip4", "xdp_pass", "ns", 1.3),
    ("LB non-VIP v6 / XDP_PASS", "lb_non_vip6", "xdp_pass", "ns", 1.3),
]

COST_ROWS = [
    ("xdp_pass", "XDP_PASS program (run directly)"),
    ("lb_non_vip4", "LB, non-VIP v4 pass-through (run directly)"),
    ("lb_non_vip6", "LB, non-VIP v6 pass-through (run directly)"),
    ("reference_tcp4", "reference, v4 TCP"),
    ("reference_tcp6", "reference, v6 TCP"),
    ("lb_tcp4_established", "LB, v4 TCP established, unchanged slot"),
    ("lb_tcp6_established", "LB, v6 TCP established, unchanged slot"),
    ("lb_tcp4_established_fib", "LB, v4 TCP established, unchanged, FIB"),
    ("lb_tcp6_established_fib", "LB, v6 TCP established, unchanged, FIB"),
    ("lb_udp4_established", "LB, v4 UDP established, unchanged slot"),
    ("lb_tcp4_established_changed", "LB, v4 TCP established, changed (flow hit)"),
    ("lb_tcp4_established_mix64", "LB, v4 TCP established, unchanged, mix64"),
    ("lb_tcp6_established_mix64", "LB, v6 TCP established, unchanged, mix64"),
    ("lb_tcp4_syn", "LB, v4 SYN new flow, unchanged (no state)"),
    ("lb_tcp6_syn", "LB, v6 SYN new flow, unchanged (no state)"),
    ("lb_tcp4_syn_mix64", "LB, v4 SYN new flow, unchanged, mix64"),
    ("lb_tcp4_syn_changed", "LB, v4 SYN new flow, changed (insert, full)"),
    ("lb_tcp6_syn_changed", "LB, v6 SYN new flow, changed (insert, full)"),
    ("lb_tcp4_syn_changed_over_limit", "LB, v4 SYN, changed, over insert limit"),
    ("backend_tcp4_restore", "backend, v4 restore"),
    ("backend_tcp6_restore", "backend, v6 restore"),
]


def target_entry(name, value, target, at_most=True):
    """One line of the targets table: met when VALUE is on the right side of TARGET."""
    met = None
    if target is not None and value == value:  # NaN: not met
        met = value <= target if at_most else value >= target
    elif target is not None:
        met = False
    return {"name": name, "ratio": value, "target": target, "at_most": at_most, "met": met}


def print_targets(entries, out, header="ratio (median of per-round ratios)"):
    print("\n%-62s %9s %9s" % (header, "measured", "target"), file=out)
    for entry in entries:
        if entry["target"] is None:
            target, verdict = "-", ""
        else:
            target = "%s %.2f" % ("<=" if entry["at_most"] else ">=", entry["target"])
            verdict = "met" if entry["met"] else "MISSED"
        print("%-62s %9.2f %9s %s" % (entry["name"], entry["ratio"], target, verdict),
              file=out)


def print_cost(result, out):
    cases = derive_cases(result["measurements"])
    result["derived"] = {name: {"median_ns": c["median_ns"], "median_net_ns": c["median_net_ns"],
                                "verdicts_ok": c["verdicts_ok"]} for name, c in cases.items()}
    m = result["measurements"]
    print("\n## 1. Per-packet cost (bpf_prog_test_run_opts, repeat %d, median of %d interleaved "
          "rounds)" % (m["repeat"], m["rounds"]), file=out)
    print("%-48s %10s %10s  %-8s %10s" % ("case", "net ns", "gross ns", "verdict", "fib/run"),
          file=out)
    for name, label in COST_ROWS:
        case = cases.get(name)
        if not case:
            continue
        net = "%.1f" % case["median_net_ns"] if case["calibration"] else "-"
        verdict = VERDICTS.get(case["verdicts"][-1], "?")
        if not case["verdicts_ok"]:
            verdict += " (expected %s!)" % VERDICTS.get(case["expect_verdict"])
        fib = "-"
        counters = case.get("lb_counters")
        if counters and verdict == "TX":
            runs = m["repeat"] * m["rounds"]
            fib = "%.2f" % (counters.get("fib_lookup", 0) / runs)
        print("%-48s %10s %10.1f  %-8s %10s" % (label, net, case["median_ns"], verdict, fib),
              file=out)
    print("net = minus the wrapper's own cost (restore + tail call to XDP_PASS, same frame, "
          "same round); fib/run = the LB's fib_lookup counter per run (0: next-hop cache)",
          file=out)
    print("unchanged / changed: the packet's ring slot did not / did change owner (every slot of "
          "that LB's rings); FIB: next_hops empty. next_hops live: %s" % json.dumps(
              result.get("next_hops_live")), file=out)
    ratios = []
    for label, numerator, denominator, key, target in RATIOS:
        if numerator in cases and denominator in cases:
            value = round_ratio(cases[numerator], cases[denominator], key)
            ratios.append(target_entry(label, value, target))
    result["ratios"] = ratios
    print_targets(ratios, out)


def print_scale(result, out):
    cases = derive_cases(result["measurements"])
    m = result["measurements"]
    print("\n## 2. Scale (IPv6 VIPs, Maglev M = 65537, next_hops filled; repeat %d, median of %d "
          "interleaved rounds)" % (m["repeat"], m["rounds"]), file=out)
    print("%-16s %5s %9s %8s %9s %11s %11s %9s" % (
        "config", "VIPs", "backends", "slots", "flows", "estab. ns", "cycling ns", "maps MiB"),
        file=out)
    result["derived"] = {}
    for config in result["configs"]:
        row = {}
        for kind in ("established", "cycling"):
            case = cases.get("%s.%s" % (config["name"], kind))
            row[kind] = case["median_net_ns"] if case else None
            if case and not case["verdicts_ok"]:
                row[kind + "_verdict_wrong"] = True
        result["derived"][config["name"]] = row
        cell = lambda v: "%11.1f" % v if v is not None else "%11s" % "-"
        print("%-16s %5d %9d %8s %9d %s %s %9.1f" % (
            config["name"], config["vips"], config["backends_per_vip"],
            "changed" if config.get("changed") else "same", config["flows_present"],
            cell(row["established"]), cell(row["cycling"]),
            config["memory"]["total"] / 2**20), file=out)
    print("net ns; established: one flow again and again; cycling: a different flow every run "
          "(65536 over the ring's slots; with remembered flows, each of them in turn: a cold "
          "entry); maps = memlock of every map incl. the rings and the flow table (%d entries "
          "unless more flows), as bpftool map show reports it" %
          result["configs"][0]["flow_table_size"], file=out)
    result["ratios"] = scale_targets(result)
    print_targets(result["ratios"], out, "scale")


def scale_targets(result):
    """Issue 13: flat within 10 % (slowest / fastest), and one VIP's maps at the defaults."""
    derived, configs = result["derived"], result["configs"]
    stable = [c["name"] for c in configs if not c.get("changed")]
    entries = []
    for kind in ("established", "cycling"):
        values = [derived[n][kind] for n in stable if derived[n].get(kind) is not None]
        if values:
            entries.append(target_entry("%s, 1..%d VIPs, 2..%d backends: slowest / fastest" % (
                kind, max(c["vips"] for c in configs),
                max(c["backends_per_vip"] for c in configs)),
                max(values) / min(values) if min(values) > 0 else float("nan"), 1.1))
    flows = [c for c in configs if c["flows"]]
    changed = [c for c in configs if c.get("changed") and not c["flows"]]
    if flows and changed:
        many, one = derived[flows[0]["name"]], derived[changed[0]["name"]]
        if many.get("established") and one.get("established"):
            entries.append(target_entry("established, changed slot: %d remembered flows / 1" %
                                        flows[0]["flows_present"],
                                        many["established"] / one["established"], 1.1))
        if many.get("cycling") and one.get("established"):
            entries.append(target_entry("each run another of %d remembered flows / 1 flow" %
                                        flows[0]["flows_present"],
                                        many["cycling"] / one["established"], None))
    first = configs[0]
    if first["vips"] == 1 and not first["flows"]:
        entries.append(target_entry("maps of one VIP at the defaults, MiB (issue: 119.0 before)",
                                    first["memory"]["total"] / 2**20, 119.0))
    return entries


def print_rate(result, out):
    print("\n## 3. Forwarding rate on a veth (live frames, %d-byte TCP frames, one flow, %d "
          "frames per run, median of %d rounds, generator and programs on one CPU)" % (
              result["frame_length"], result["frames"], result["rounds"]), file=out)
    print("%-24s %10s %14s %12s" % ("program on the LB veth", "Mpps", "generated Mpps",
                                     "fib lookups"), file=out)
    targets = {}
    for target in result["targets"]:
        target["median_mpps"] = median(target["mpps"])
        target["median_generated_mpps"] = median(target["generated_mpps"])
        targets[target["name"]] = target
        fib = target.get("fib_lookups")
        print("%-24s %10.2f %14.2f %12s" % (target["name"], target["median_mpps"],
                                             target["median_generated_mpps"],
                                             "-" if fib is None else fib), file=out)
    print("Mpps = frames back at the generator's veth (counted by an XDP sink) per second; "
          "lb: next_hops filled, lb_fib: empty", file=out)
    entries = []
    for label, numerator, denominator, target in (
            ("rate: LB / reference", "lb", "reference", 1.2),
            ("rate: LB / MAC-swap", "lb", "xdp_tx_mac_swap", 0.85),
            ("rate: LB, FIB fallback / reference", "lb_fib", "reference", None)):
        if numerator in targets and denominator in targets:
            value = median([a / b for a, b in zip(targets[numerator]["mpps"],
                                                  targets[denominator]["mpps"]) if b > 0])
            entries.append(target_entry(label, value, target, at_most=False))
    result["ratios"] = entries
    print_targets(entries, out)


def print_flood(result, out):
    print("\n## SYN flood against the flow table (random sources, one CPU)", file=out)
    print("%-7s %-8s %-7s %10s %8s %8s %9s %10s %12s %11s" % (
        "slots", "limit", "flows", "SYNs", "ns/SYN", "net ns", "ref. net", "skipped",
        "established", "flows after"), file=out)
    entries = []
    for run_ in result["runs"]:
        limit = run_["flow_inserts_per_second"] or "none"
        net = run_["syn_ns"] - run_["wrapper_ns"]
        reference = run_["reference_ns"] - run_["reference_wrapper_ns"]
        slots = "changed" if run_.get("changed", True) else "same"
        print("%-7s %-8s %-7s %10d %8.1f %8.1f %9.1f %10d %6d/%-5d %11d" % (
            slots, limit, "active" if run_["established_active"] else "idle", run_["syns"],
            run_["syn_ns"], net, reference, run_["inserts_skipped"],
            run_["established_present_after"], run_["established"],
            run_["flows_in_table_after"]), file=out)
        entries.append(target_entry("flood SYN / reference v4: %s slots, limit %s, %s" % (
            slots, limit, "active" if run_["established_active"] else "idle"),
            net / reference if reference > 0 else float("nan"),
            0.6 if run_["flow_inserts_per_second"] else None))
    print("limit = flow_inserts_per_second (per CPU; the default is auto); established = flows "
          "in the table before the flood still there after it (changed slots; on unchanged "
          "slots no flow is remembered); active: each sends a packet per 65536 SYNs; net = minus "
          "the wrapper, measured after each chunk like the reference (ref. net)", file=out)
    result["ratios"] = entries
    print_targets(entries, out, "ratio (net ns per SYN / the reference's, same seconds)")


def machine():
    model = ""
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"nproc": os.cpu_count(), "cpu_model": model, "kernel": platform.release(),
            "date": datetime.datetime.now().isoformat(timespec="seconds"),
            "load_average_at_start": os.getloadavg()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=os.path.join(ROOT, "build", "bench", "results.json"))
    parser.add_argument("--cpu", type=int, default=(os.cpu_count() or 1) - 1)
    parser.add_argument("--parts", default="cost,scale,rate,flood,e2e")
    parser.add_argument("--repeat", type=int, default=1000000)
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--lb", default=os.path.join(ROOT, "bpf", "lb.bpf.o"),
                        help="the LB object to measure (to compare two builds, run each in turn)")
    parser.add_argument("--frames", type=int, default=5000000)
    parser.add_argument("--smoke", action="store_true",
                        help="tiny counts: only that it all runs (make check)")
    parser.add_argument("--profile", metavar="CASE",
                        help="profile one cost case (e.g. lb_tcp4_established) instead")
    parser.add_argument("--check", action="store_true",
                        help="the harness's self-check (TAP), instead of measuring")
    options = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run.py: needs root (network namespaces, XDP)")
    namespace = Namespace()
    # Tear down on SIGTERM/SIGINT too: the finally below runs on SystemExit.
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: sys.exit(1))
    results = {"machine": machine(), "command": " ".join(sys.argv), "parts": {}}
    try:
        namespace.up()
        if options.profile:
            return profile(namespace, options)
        if options.check:
            command = ["ip", "netns", "exec", namespace.name, HARNESS, "check",
                       "--interface", namespace.lb, "--generator-interface", namespace.generator,
                       "--lb", os.path.join(ROOT, "bpf", "lb.bpf.o"),
                       "--backend", os.path.join(ROOT, "bpf", "backend.bpf.o"),
                       "--bench-dir", os.path.join(ROOT, "build", "bench"),
                       "--cpu", str(options.cpu), "--repeat", str(min(options.repeat, 1000))]
            return subprocess.run(command).returncode
        parts = options.parts.split(",")
        common = ["--repeat", str(options.repeat), "--rounds", str(options.rounds)]
        if options.smoke:
            common = ["--repeat", "1000", "--rounds", "2"]
        out = sys.stdout
        print("# l3dsr benchmarks: %(nproc)d CPUs (%(cpu_model)s), kernel %(kernel)s, "
              "%(date)s" % results["machine"], file=out)
        print("# pinned to CPU %d; every figure a median, ratios from the same rounds"
              % options.cpu, file=out)
        if "cost" in parts:
            results["parts"]["cost"] = harness(namespace, "cost", options, common)
            print_cost(results["parts"]["cost"], out)
        if "scale" in parts:
            extra = common[:]
            if options.smoke:
                extra += ["--scale-vips", "10", "--scale-backends", "10",
                          "--scale-flows", "1024"]
            results["parts"]["scale"] = harness(namespace, "scale", options, extra)
            print_scale(results["parts"]["scale"], out)
        if "rate" in parts:
            extra = ["--rounds", str(2 if options.smoke else options.rounds),
                     "--frames", str(10000 if options.smoke else options.frames)]
            if namespace.nft:
                extra.append("--nft")
            results["parts"]["rate"] = harness(namespace, "rate", options, extra)
            print_rate(results["parts"]["rate"], out)
        if "flood" in parts:
            extra = ["--seconds", "0.2" if options.smoke else "3"]
            results["parts"]["flood"] = harness(namespace, "flood", options, extra)
            print_flood(results["parts"]["flood"], out)
    finally:
        namespace.down()
    if "e2e" in parts:
        e2e = os.path.join(ROOT, "tests", "bench", "e2e.sh")
        if os.access(e2e, os.X_OK):
            with tempfile.TemporaryDirectory(prefix="l3dsr-bench-e2e.") as directory:
                output = os.path.join(directory, "e2e.json")
                command = [e2e, "--output", output] + (["--smoke"] if options.smoke else [])
                print("# " + " ".join(command), file=sys.stderr, flush=True)
                # Its log goes to stderr; its JSON to the file.
                subprocess.run(command, check=True, stdout=sys.stderr)
                with open(output) as file:
                    results["parts"]["e2e"] = json.load(file)
            print_e2e(results["parts"]["e2e"], sys.stdout)
    summary = [entry for part in ("cost", "scale", "rate", "flood")
               for entry in results["parts"].get(part, {}).get("ratios", [])
               if entry["target"] is not None]
    if summary:
        print("\n## Issue 13's targets, all in this run", file=sys.stdout)
        print_targets(summary, sys.stdout, "target")
        results["targets"] = summary
    os.makedirs(os.path.dirname(os.path.abspath(options.output)), exist_ok=True)
    with open(options.output, "w") as output:
        json.dump(results, output, indent=1)
    print("\nJSON: %s" % os.path.relpath(options.output), file=sys.stdout)
    return 0


def print_e2e(result, out):
    print("\n## 4. End to end in the namespace topology (one backend; %d s per run, median of "
          "%d interleaved rounds)" % (result["seconds"], result["rounds"]), file=out)
    print("%-16s %14s %14s %16s" % ("path", "iperf3 Gbit/s", "wrk req/s", "wrk min..max"),
          file=out)
    paths = result["paths"]
    for name, path in paths.items():
        gbps = [v / 1e9 for v in path["iperf3_bits_per_second"] if v is not None]
        rps = [v for v in path["wrk_requests_per_second"] if v is not None]
        path["median_gbps"] = median(gbps)
        path["median_rps"] = median(rps)
        print("%-16s %14.2f %14.0f %16s" % (name, path["median_gbps"], path["median_rps"],
                                             "%.0f..%.0f" % (min(rps), max(rps)) if rps else "-"),
              file=out)
    ratios = []
    for label, other, target in (("l3dsr / no LB", "no_lb", 0.9),
                                 ("l3dsr / nftables", "nftables", 1.0),
                                 ("l3dsr / same hops, LB routing", "lb_hop_routing", None)):
        if other not in paths:
            continue
        for metric, key in (("throughput", "median_gbps"), ("requests", "median_rps")):
            value = paths["l3dsr"][key] / paths[other][key] if paths[other][key] else float("nan")
            ratios.append({"name": "%s %s" % (label, metric), "ratio": value, "target": target,
                           "met": None if target is None else value >= target})
    result["ratios"] = ratios
    for ratio in ratios:
        if ratio["target"] is None:
            print("%-42s %6.2f  (control)" % (ratio["name"], ratio["ratio"]), file=out)
            continue
        print("%-42s %6.2f  >= %.1f %s" % (ratio["name"], ratio["ratio"], ratio["target"],
                                          "met" if ratio["met"] else "MISSED"), file=out)


def profile(namespace, options):
    """Runs one cost case for a while and profiles it: bpftool prog profile, then perf."""
    command = ["ip", "netns", "exec", namespace.name, HARNESS, "spin", "--case", options.profile,
               "--seconds", "14", "--interface", namespace.lb,
               "--lb", options.lb,
               "--backend", os.path.join(ROOT, "bpf", "backend.bpf.o"),
               "--bench-dir", os.path.join(ROOT, "build", "bench"), "--cpu", str(options.cpu)]
    spin = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        started = json.loads(spin.stdout.readline())
        print("# %s: program id %d, on CPU %d" % (started["case"], started["program_id"],
                                                  options.cpu), flush=True)
        # Debian's bpftool may lack "prog profile" (built without skeletons); perf does the rest.
        subprocess.run(["bpftool", "prog", "profile", "id", str(started["program_id"]),
                        "duration", "4", "cycles", "instructions", "llc_misses"])
        print("# perf record -p (the harness only), by symbol")
        with tempfile.TemporaryDirectory(prefix="l3dsr-perf.") as directory:
            data = os.path.join(directory, "perf.data")
            # Only this process: neighbours share the CPU. ip netns exec execs the harness.
            subprocess.run(["perf", "record", "-q", "-p", str(spin.pid), "-o", data, "--",
                            "sleep", "4"], stderr=subprocess.DEVNULL)
            report = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children",
                                     "--sort", "symbol", "--percent-limit", "1"],
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                    text=True).stdout
            print("\n".join(" ".join(line.split()[:3]) for line in report.splitlines()
                            if line.strip() and not line.startswith("#")))
        # Whether the time is instructions or stalls: the counters of the same process.
        print("# perf stat -p (the harness only)", flush=True)
        subprocess.run(["perf", "stat", "-e", "instructions,cycles,branch-misses,"
                        "L1-dcache-load-misses", "-p", str(spin.pid), "--", "sleep", "3"])
    finally:
        spin.terminate()
        spin.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
