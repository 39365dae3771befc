#!/usr/bin/env python3
"""make demo: the same naive server, stopped with plain SIGTERM and then
under lastcall, while a few slow clients are being served. Prints what each
client saw. Everything runs on 127.0.0.1 and stops by itself."""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVER = os.path.join(ROOT, "build", "demo", "naive_server")
LAUNCHER = os.path.join(ROOT, "build", "lastcall")

CLIENTS = [
    ("checkout (1.5 s request)", "/slow?ms=1500"),
    ("report (2.5 s request)", "/slow?ms=2500"),
    ("download (16 MB)", "/bytes?n=16000000"),
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_line(stream, needle, timeout=10):
    """Reads the server's stderr until it says it is listening."""
    deadline = time.monotonic() + timeout
    lines = []
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            break
        lines.append(line.decode(errors="replace"))
        if needle in lines[-1]:
            return lines
    raise SystemExit("demo: the server did not start:\n" + "".join(lines))


def client(port, path, result, started):
    data = bytearray()  # appended in place: b"" += would copy 16 MB a thousand times
    try:
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
            s.settimeout(20)
            s.connect(("127.0.0.1", port))
            s.sendall(f"GET {path} HTTP/1.0\r\n\r\n".encode())
            started.set()
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
                if path.startswith("/bytes"):
                    time.sleep(0.003)  # a slow reader
    except OSError as exc:
        result["error"] = exc.__class__.__name__
    head, _, body = data.partition(b"\r\n\r\n")
    length = None
    for line in head.split(b"\r\n")[1:]:
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    if "error" in result:
        result["seen"] = f"{result['error']} after {len(body):,} bytes"
    elif length is None:
        result["seen"] = "connection closed, no reply"
    elif len(body) < length:
        result["seen"] = f"TRUNCATED: {len(body):,} of {length:,} bytes"
    else:
        result["seen"] = f"200 OK, complete ({len(body):,} bytes)"


def run(label, under_lastcall, workdir):
    port = free_port()
    marker = os.path.join(workdir, f"atexit-{label}.txt")
    argv = [SERVER, str(port), marker]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LASTCALL_") and k != "LD_PRELOAD"}
    if under_lastcall:
        argv = [LAUNCHER, "--timeout", "10s", "--", *argv]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_for_line(proc.stderr, "listening")
    log = []
    reader = threading.Thread(target=lambda: log.extend(
        l.decode(errors="replace") for l in iter(proc.stderr.readline, b"")), daemon=True)
    reader.start()

    results = [{} for _ in CLIENTS]
    threads = []
    for (name, path), result in zip(CLIENTS, results):
        started = threading.Event()
        thread = threading.Thread(target=client, args=(port, path, result, started), daemon=True)
        thread.start()
        started.wait(5)
        threads.append(thread)
    time.sleep(0.5)  # the requests are in progress
    sent = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=30)
    took = time.monotonic() - sent
    for thread in threads:
        thread.join(30)
    reader.join(5)
    return results, code, took, os.path.exists(marker), log


def main():
    for path in (SERVER, LAUNCHER):
        if not os.path.exists(path):
            sys.exit(f"demo: {path} is missing; run make first")
    with tempfile.TemporaryDirectory() as workdir:
        plain = run("plain", False, workdir)
        lastcall = run("lastcall", True, workdir)

    width = max(len(name) for name, _ in CLIENTS) + 2
    print("\nA naive server (thread per connection, no signal handling) gets SIGTERM")
    print("while three clients are being served.\n")
    print(f"{'client':<{width}}{'plain SIGTERM':<42}{'lastcall -- naive_server'}")
    print(f"{'-' * (width - 2):<{width}}{'-' * 40:<42}{'-' * 36}")
    for i, (name, _) in enumerate(CLIENTS):
        print(f"{name:<{width}}{plain[0][i]['seen']:<42}{lastcall[0][i]['seen']}")
    print()
    for label, (results, code, took, marker, _) in (("plain SIGTERM", plain), ("lastcall", lastcall)):
        status = f"killed by signal {-code}" if code < 0 else f"exit status {code}"
        print(f"{label:<15} process: {status} after {took:.2f}s; atexit handler "
              f"{'ran' if marker else 'never ran'}")
    print("\nWhat lastcall logged:")
    for line in lastcall[4]:
        print("  " + line.rstrip())
    ok = all(r["seen"].startswith("200 OK") for r in lastcall[0])
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
