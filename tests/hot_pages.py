#!/usr/bin/env python3
"""Link-level check of shim/base/hot.ld: what every keep-alive request
of a read()/write() server runs and loads sits on two pages of
liblastcall.so, one of code and one of data, and what a new connection
runs besides on one more page of code.

    tests/hot_pages.py LIBRARY

Reads the library's symbol table (`nm`) and fails, naming the symbols,
unless the serving core (LC_SERVING_CORE in shim/base/export.h) lies on
one 4 KiB page, the connection path (LC_CONNECTION: accept, epoll_ctl,
close, pthread_create and the table's entry) on one other, and the hot
real-function slots, the closing flag, the
phase and the running process (loaded by every accept), the signalfd
count (by every close), the flag of the program's first thread (by every
pthread_create) and the descriptor table's first chunk pointer on
another. A TLB miss per page touched after a system call is what this
saves (doc/performance.md); a function grown past the page, a new slot,
or a linker that ignores the script would split them silently.
"""
import subprocess
import sys

PAGE = 4096


# What a keep-alive request of a read()/write() server runs (make bench,
# step footprint): the wrappers, the connection path, whole heads.
CORE = ["read", "write", "lc_conn_read", "lc_conn_write", "lc_h1_read", "lc_h1_wrote_more"]
# Static helpers of the same path: checked where the compiler kept them
# apart, and part of their caller where it inlined them.
HELPERS = ["request_at_once", "response_at_once", "fields_at_once", "head_done",
           "message_done", "response_start", "lc_h1_target_ok",
           # lastcall's own system calls (x86_64, shim/base/real.c) and the
           # event loop's wait
           "own_read", "own_write", "own_epoll_wait", "epoll_wait"]


# What a new connection runs besides (make bench, step footprint,
# connection per request): the wrappers and what they call.
CONNECTION = ["accept", "accept4", "epoll_ctl", "close", "__close", "pthread_create",
              "lc_accept", "lc_epoll_ctl", "lc_close", "lc_fdtable_set", "lc_fdtable_forget",
              "lc_h1_reset", "lc_real_epoll_ctl", "lc_real_pthread_create",
              "lc_real_program_threads"]
# Its static helpers, where the compiler kept them apart.
CONNECTION_HELPERS = ["track_accepted", "close_recorded", "own_close", "own_accept",
                      "own_accept4"]


def one_page(library, addresses, ends, what, names, helpers):
    """The page all of `names` (and of `helpers` the compiler kept apart)
    lie on; exits naming them if they are not on one."""
    missing = [n for n in names if n not in addresses]
    if missing:
        sys.exit(f"hot_pages: {', '.join(missing)} not in {library} (renamed?)")
    found = names + [n for n in helpers if n in addresses]
    pages = {a // PAGE for n in found for a in (addresses[n], ends[n])}
    if len(pages) != 1:
        spread = ", ".join(f"{n} {addresses[n]:#x}-{ends[n]:#x}" for n in found)
        sys.exit(f"hot_pages: the {what} spans {len(pages)} pages: {spread}")
    page = pages.pop()
    print(f"hot_pages: {what} ({len(found)} functions) on page {page}")
    return page


def check_code(library, addresses, ends):
    core = one_page(library, addresses, ends, "serving core", CORE, HELPERS)
    path = one_page(library, addresses, ends, "connection path", CONNECTION,
                    CONNECTION_HELPERS)
    if path == core:
        sys.exit(f"hot_pages: the connection path shares the serving core's page {core}")


def main():
    library = sys.argv[1]
    out = subprocess.run(["nm", "-S", library], check=True, capture_output=True,
                         text=True).stdout
    addresses, ends = {}, {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4:
            addresses[parts[3]] = int(parts[0], 16)
            ends[parts[3]] = int(parts[0], 16) + max(int(parts[1], 16) - 1, 0)
    check_code(library, addresses, ends)
    hot = {name: a for name, a in addresses.items()
           if name.startswith("lc_real_") and name.endswith("_slot")}
    for name in ("lc_closing_flag", "lc_current_phase", "lc_running_pid", "lc_signalfds_used",
                 "program_threads", "lc_table"):
        if name not in addresses:
            sys.exit(f"hot_pages: {name} not in {library}")
        hot[name] = addresses[name]
    if len(hot) < 10:
        sys.exit(f"hot_pages: only {len(hot)} hot symbols in {library}")
    pages = {a // PAGE for a in hot.values()}
    if len(pages) != 1:
        spread = ", ".join(f"{n} page {a // PAGE}" for n, a in sorted(hot.items(), key=lambda x: x[1]))
        sys.exit(f"hot_pages: the serving path's data spans {len(pages)} pages: {spread}")
    print(f"hot_pages: {len(hot)} symbols on page {pages.pop()} of {library}")


if __name__ == "__main__":
    main()
