#!/usr/bin/python3
"""vip_slots_check.py PIN_DIR: whether the LB's live vip_slots half says what vips says.

Reads the pinned maps with bpftool (JSON, formatted through BTF). Prints one line,
"live=HALF keys=N", when vip_address_filter names a live half (1 or 2), that half holds
exactly the exact (address, protocol, port) keys of vips, each with the vip_index vips gives
it, and vip_infos holds each of those VIPs' vip_info; else the problems, one per line, and
exits 1.
"""
import json
import subprocess
import sys



def dump(pins, name, *lookup):
    command = ["bpftool", "-j", "map", "lookup" if lookup else "dump", "pinned",
               "%s/%s" % (pins, name)] + list(lookup)
    return json.loads(subprocess.run(command, check=True, stdout=subprocess.PIPE).stdout)


def key_of(key):
    return (tuple(key["address"]["words"]), key["port"], key["protocol"])


def main(pins):
    problems = []
    live = dump(pins, "vip_address_filter", "key", "0", "0", "0", "0")["formatted"]["value"]["slots"]
    if live not in (1, 2):
        print("vip_address_filter.slots = %s: no live half" % live)
        return 1
    wanted = {}
    infos_wanted = {}
    for entry in dump(pins, "vips"):
        key, value = entry["formatted"]["key"], entry["formatted"]["value"]
        if key["port"] and key["protocol"]:
            wanted[key_of(key)] = value["vip_index"]
            infos_wanted[value["vip_index"]] = value
    found = {}
    slots = dump(pins, "vip_slots")  # an array: every entry
    half = len(slots) // 2  # L3DSR_VIP_SLOTS: the map is two halves
    for entry in slots:
        index, slot = entry["formatted"]["key"], entry["formatted"]["value"]
        if (index >= half) == (live == 2) and slot["key"]["protocol"]:
            found[key_of(slot["key"])] = slot["vip_index"]
    if found != wanted:
        problems.append("live half %d holds %s; vips has %s" % (live, found, wanted))
    infos = {e["formatted"]["key"]: e["formatted"]["value"] for e in dump(pins, "vip_infos")}
    for index, value in infos_wanted.items():
        if infos.get(index) != value:
            problems.append("vip_infos[%d] = %s; vips says %s" % (index, infos.get(index), value))
    if problems:
        print("\n".join(problems))
        return 1
    print("live=%d keys=%d" % (live, len(found)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
