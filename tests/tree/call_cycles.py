#!/usr/bin/python3
"""call_cycles.py: no two source files of src/ call each other, directly or round a loop.

A file-level call cycle means neither file can be read, tested or linked without the other
(issue 11: config.c <-> config_keys.c was one). The graph comes from the built objects: object
A uses object B when nm shows a symbol undefined in A and defined in B (a function called, a
table or callback taken by address). Its strongly connected components of more than one
object are the cycles. The first test proves the check on two objects made to call each other.

Usage: call_cycles.py [ROOT] (default: the repository holding this file); needs make's objects
in ROOT/build/src/. Prints TAP.
"""
import collections
import os
import subprocess
import sys
import tempfile


def symbols(obj):
    """(defined, undefined) external symbols of OBJ."""
    defined, undefined = set(), set()
    output = subprocess.run(["nm", obj], capture_output=True, text=True, check=True).stdout
    for line in output.splitlines():
        fields = line.split()
        if len(fields) == 2 and fields[0] == "U":
            undefined.add(fields[1])
        elif len(fields) == 3 and fields[1] in "TDRBVW":
            defined.add(fields[2])
    return defined, undefined


def call_graph(objects):
    """{object: {object it uses: [symbols]}} over OBJECTS."""
    defined_in, uses = {}, {}
    for obj in objects:
        defined, uses[obj] = symbols(obj)
        for symbol in defined:
            defined_in.setdefault(symbol, set()).add(obj)
    graph = {obj: collections.defaultdict(list) for obj in objects}
    for obj in objects:
        for symbol in sorted(uses[obj]):
            for target in defined_in.get(symbol, ()):
                if target != obj:
                    graph[obj][target].append(symbol)
    return graph


def cycles(graph):
    """The strongly connected components of more than one node (Tarjan, iterative)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            target = next(edges, None)
            if target is not None:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(graph[target])))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def describe(graph, component, root):
    lines = []
    for obj in component:
        for target, names in sorted(graph[obj].items()):
            if target in component:
                lines.append("#   %s -> %s: %s" % (os.path.relpath(obj, root),
                                                   os.path.relpath(target, root),
                                                   ", ".join(names)))
    return lines


def self_test():
    """Whether the check finds the cycle of two objects that call each other, and only it."""
    sources = {
        "ping.c": "int pong(int n);\nint ping(int n);\n"
                  "int ping(int n) { return n ? pong(n - 1) : 0; }\n",
        "pong.c": "int ping(int n);\nint pong(int n);\nint pong(int n) { return ping(n); }\n",
        "leaf.c": "int ping(int n);\nint leaf(void);\nint leaf(void) { return ping(1); }\n",
    }
    with tempfile.TemporaryDirectory() as directory:
        objects = []
        for name, text in sources.items():
            source = os.path.join(directory, name)
            with open(source, "w") as file:
                file.write(text)
            objects.append(source[:-2] + ".o")
            subprocess.run(["cc", "-c", "-o", objects[-1], source], check=True)
        found = cycles(call_graph(objects))
        return [[os.path.basename(obj) for obj in component] for component in found]


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    found = self_test()
    print("%s 1 - the check finds two objects that call each other: %s" %
          ("ok" if found == [["ping.o", "pong.o"]] else "not ok", found))
    # The objects of today's sources only: a stale object of a removed file is no cycle.
    objects, missing = [], []
    for directory, _, files in sorted(os.walk(os.path.join(root, "src"))):
        for name in sorted(files):
            if name.endswith(".c"):
                source = os.path.relpath(os.path.join(directory, name), root)
                obj = os.path.join(root, "build", source[:-2] + ".o")
                (objects if os.path.exists(obj) else missing).append(obj)
    if missing:
        print("not ok 2 - every source of src/ is built (missing: %s)" %
              ", ".join(os.path.relpath(obj, root) for obj in missing))
    else:
        print("ok 2 - every source of src/ is built (%d objects)" % len(objects))
    graph = call_graph(objects)
    found = cycles(graph)
    print("%s 3 - no call cycle between the source files of src/ (%d found)" %
          ("ok" if not found else "not ok", len(found)))
    for component in found:
        print("# cycle: " + " ".join(os.path.relpath(obj, root) for obj in component))
        print("\n".join(describe(graph, component, root)))
    print("1..3")
    return 0


if __name__ == "__main__":
    sys.exit(main())
