#!/usr/bin/env python3
"""Link-level check of shim/base/hot.ld: the data every read and write of
a connection loads sits on one page of liblastcall.so.

    tests/hot_data.py LIBRARY

Reads the library's symbol table (`nm`) and fails, naming the symbols,
unless the hot real-function slots, the closing flag and the descriptor
table's first chunk pointer share one 4 KiB page. A TLB miss per page
touched after a system call is what the group saves (doc/performance.md);
a new slot, or a linker that ignores the script, would split it silently.
"""
import subprocess
import sys

PAGE = 4096


def main():
    library = sys.argv[1]
    out = subprocess.run(["nm", library], check=True, capture_output=True, text=True).stdout
    addresses = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3:
            addresses[parts[2]] = int(parts[0], 16)
    hot = {name: a for name, a in addresses.items()
           if name.startswith("lc_real_") and name.endswith("_slot")}
    for name in ("lc_closing_flag", "lc_table"):
        if name not in addresses:
            sys.exit(f"hot_data: {name} not in {library}")
        hot[name] = addresses[name]
    if len(hot) < 10:
        sys.exit(f"hot_data: only {len(hot)} hot symbols in {library}")
    pages = {a // PAGE for a in hot.values()}
    if len(pages) != 1:
        spread = ", ".join(f"{n} page {a // PAGE}" for n, a in sorted(hot.items(), key=lambda x: x[1]))
        sys.exit(f"hot_data: the serving path's data spans {len(pages)} pages: {spread}")
    print(f"hot_data: {len(hot)} symbols on page {pages.pop()} of {library}")


if __name__ == "__main__":
    main()
