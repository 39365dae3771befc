#!/usr/bin/env python3
"""Link-level layer check: which object defines each symbol another object
leaves undefined (`nm`), folded into folders.

    tests/layers.py BUILD_DIR LAYER...

BUILD_DIR holds one folder of objects per layer (build/lib/base/*.o, ...);
LAYER... is the order from the bottom up (the Makefile's LAYERS). Prints
each folder with the folders whose symbols it uses, and fails when an
object uses a folder above its own, or when objects inside one folder use
each other in a circle. Includes are not counted: a header can declare
what another file defines, and that is how a circle hides.
"""
import collections
import os
import subprocess
import sys


def symbols(obj):
    """(defined, undefined) global symbol names of one object."""
    out = subprocess.run(["nm", obj], check=True, capture_output=True, text=True).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "U":
            undefined.add(parts[1])
        elif len(parts) == 3 and parts[1] in "TDBRVWCGS" and parts[1].isupper():
            defined.add(parts[2])
    return defined, undefined


def find_cycle(nodes, edges):
    """One cycle in a directed graph as a list of nodes, or None."""
    colour = {n: 0 for n in nodes}  # 0 new, 1 on the path, 2 done
    path = []

    def visit(n):
        colour[n] = 1
        path.append(n)
        for m in sorted(edges.get(n, ())):
            if colour.get(m) == 1:
                return path[path.index(m):] + [m]
            if colour.get(m) == 0:
                found = visit(m)
                if found:
                    return found
        path.pop()
        colour[n] = 2
        return None

    for n in sorted(nodes):
        if colour[n] == 0:
            found = visit(n)
            if found:
                return found
    return None


def main():
    build, layers = sys.argv[1], sys.argv[2:]
    rank = {layer: i for i, layer in enumerate(layers)}
    objects = {}  # "folder/name" -> (defined, undefined)
    for layer in layers:
        folder = os.path.join(build, layer)
        for name in sorted(os.listdir(folder)):
            if name.endswith(".o"):
                objects[f"{layer}/{name[:-2]}"] = symbols(os.path.join(folder, name))
    owner = {}
    for obj, (defined, _) in objects.items():
        for sym in defined:
            owner[sym] = obj

    uses = collections.defaultdict(lambda: collections.defaultdict(set))
    for obj, (_, undefined) in objects.items():
        for sym in undefined:
            if sym in owner and owner[sym] != obj:
                uses[obj][owner[sym]].add(sym)

    problems = []
    folder_uses = collections.defaultdict(set)
    for obj, targets in uses.items():
        folder = obj.split("/")[0]
        for target, syms in targets.items():
            tfolder = target.split("/")[0]
            if tfolder == folder:
                continue
            folder_uses[folder].add(tfolder)
            if rank[tfolder] > rank[folder]:
                problems.append(f"upward: {obj} uses {target} ({', '.join(sorted(syms))})")

    print(f"layers, bottom up ({len(objects)} objects; folder -> folders whose symbols it uses):")
    for layer in layers:
        below = sorted(folder_uses[layer], key=rank.get)
        print(f"  {layer:8} -> {', '.join(below) if below else '(nothing)'}")

    cycle = find_cycle(set(layers), folder_uses)
    if cycle:
        problems.append("folder cycle: " + " -> ".join(cycle))
    for layer in layers:
        inside = [o for o in objects if o.startswith(layer + "/")]
        edges = {o: {t for t in uses[o] if t.startswith(layer + "/")} for o in inside}
        cycle = find_cycle(set(inside), edges)
        if cycle:
            steps = []
            for a, b in zip(cycle, cycle[1:]):
                steps.append(f"{a} -({', '.join(sorted(uses[a][b])[:3])})-> {b}")
            problems.append("object cycle: " + "; ".join(steps))

    for p in problems:
        print("LAYERS FAILED: " + p)
    if problems:
        return 1
    print("layers: no cycle, every use runs downward")
    return 0


if __name__ == "__main__":
    sys.exit(main())
