"""A plain Python TCP server using python/lastcall.py: registers three
cleanups (one raises, one outlives its budget, the last writes MARKER),
and a thread that waits with wait_shutdown_blocking() and writes
MARKER.woke. Answers each connection with "ok" and closes it. No signal
handling of its own.
    python3 py_cleanups.py PORT MARKER"""
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                                "python"))
import lastcall  # noqa: E402

PORT, MARKER = int(sys.argv[1]), sys.argv[2]


def write(path, text):
    with open(path, "a") as f:
        f.write(f"{time.monotonic():.3f} {text}\n")


def raises():
    raise ValueError("the cache is gone")


def outlives_its_budget():
    write(MARKER, "slow started")
    time.sleep(5)
    write(MARKER, "slow ended")  # never: the process is gone by then


def last():
    write(MARKER, "last ran")


assert lastcall.register_cleanup("raises", raises, budget_s=1)
assert lastcall.register_cleanup("slow", outlives_its_budget, budget_s=0.3)
assert lastcall.register_cleanup("last", last, budget_s=1)


def waiter():
    if lastcall.wait_shutdown_blocking():
        write(MARKER + ".woke", f"woke, shutting_down={lastcall.shutting_down()}")


threading.Thread(target=waiter, daemon=True).start()
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", PORT))
listener.listen(16)
print("ready", flush=True)
while True:
    conn, _ = listener.accept()
    conn.sendall(b"ok")
    conn.close()
