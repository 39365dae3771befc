"""What one keep-alive request costs in the machine's own units, counted
rather than timed: instructions, and pages touched between two system
calls. On the project's VM each system call empties the TLB (PTI without
PCID), so every page touched after one is a TLB miss, about 4 ns (make
bench, step "after"); the timed rows cannot resolve a few of those, these
counts can, and they are the same in every run.

hold_server runs under valgrind's lackey (--trace-mem=yes), which logs
every instruction and data access with its address. A system call is an
instruction whose bytes in libc, or in liblastcall.so (its own system
calls, base/real.c), are `syscall` (0f 05). Each stretch
between two of them counts its distinct 4 KiB pages; the sum over the
stretches is the run's page touches. One run serves FEW requests on one
keep-alive connection (or each on a connection of its own, with
Connection: close), another MANY; the difference divided by MANY - FEW
is one request, with start-up and exit cancelled out.

Under valgrind clock_gettime has no vDSO and is a system call: the
counts include the clock reads (hold_server's 3 a request; lastcall's 1
a connection, its timestamp at accept), which outside valgrind cost no
system call and touch the vDSO's page instead."""
import os
import signal
import socket
import subprocess
import sys

FEW, MANY = 20, 80
REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: bench\r\n\r\n"
CLOSING = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"


def syscall_sites(trace, maps, library):
    """Addresses of the `syscall` instructions the trace executed in libc
    and in the library."""
    found = set()
    executed = {a for a, size in trace_instructions(trace) if size == 2}
    for path in {m[3] for m in maps
                 if os.path.basename(m[3]).startswith("libc.so") or m[3] == library}:
        mapped = [m for m in maps if m[3] == path]
        with open(path, "rb") as f:
            for addr in executed:
                for start, end, offset, _ in mapped:
                    if start <= addr < end:
                        f.seek(addr - start + offset)
                        if f.read(2) == b"\x0f\x05":
                            found.add(addr)
    return found


def trace_instructions(trace):
    with open(trace) as f:
        for line in f:
            if line.startswith("I"):
                addr, size = line[1:].strip().split(",")
                yield int(addr, 16), int(size)


def count(trace, maps, library):
    """(instructions, page touches, instructions in the library, system
    calls) of a trace."""
    syscalls = syscall_sites(trace, maps, library)
    lib = [(s, e) for s, e, _, path in maps if library and path == library]
    instructions = touches = in_library = calls = 0
    pages = set()
    with open(trace) as f:
        for line in f:
            if line.startswith("=="):
                continue
            kind = line[:2]
            try:
                addr = int(line[2:].split(",")[0], 16)
            except ValueError:
                continue
            pages.add(addr >> 12)
            if kind == "I ":
                instructions += 1
                if any(s <= addr < e for s, e in lib):
                    in_library += 1
                if addr in syscalls:
                    calls += 1
                    touches += len(pages)
                    pages = set()
    return instructions, touches + len(pages), in_library, calls


def run(hold_server, env, requests, trace, port, read_hello, library, per_connection):
    proc = subprocess.Popen(["valgrind", "--tool=lackey", "--trace-mem=yes",
                             f"--log-file={trace}", hold_server, str(port)],
                            env=env, stdout=subprocess.PIPE, text=True)
    try:
        if proc.stdout.readline().strip() != "ready":
            raise RuntimeError("footprint: hold_server did not start under valgrind")
        maps = []
        with open(f"/proc/{proc.pid}/maps") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 6:
                    start, end = (int(x, 16) for x in parts[0].split("-"))
                    maps.append((start, end, int(parts[2], 16), parts[5]))
        if per_connection:
            for _ in range(requests):
                with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
                    s.sendall(CLOSING)
                    read_hello(s, "footprint")
                    s.recv(1)  # the server's close
        else:
            with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
                for _ in range(requests):
                    s.sendall(REQUEST)
                    read_hello(s, "footprint")
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    return count(trace, maps, library)


def per_request(hold_server, env, trace, port_for, read_hello, library=None,
                per_connection=False):
    """(instructions, page touches, library instructions, system calls)
    per request; read_hello(socket, what) reads one reply to GET /."""
    few = run(hold_server, env, FEW, trace, port_for(), read_hello, library, per_connection)
    many = run(hold_server, env, MANY, trace, port_for(), read_hello, library, per_connection)
    os.unlink(trace)
    return tuple((b - a) / (MANY - FEW) for a, b in zip(few, many))


if __name__ == "__main__":
    sys.exit("footprint: used by bench/run.py (make bench, step footprint)")
