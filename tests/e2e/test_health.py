"""The health endpoint and the pre-drain delay (SPEC "Health endpoint",
step 2): readiness fails at the signal while the program keeps serving for
the delay; bad requests never disturb the program."""
import json
import signal
import socket
import subprocess
import time

from harness import NAIVE_SERVER, PREFORK_SERVER, Outcome, connect_refused, free_port, http_get, in_thread


def get(port, path, timeout=2):
    outcome = http_get(port, path, timeout=timeout)
    return outcome.status, outcome.body


def raw(port, data, timeout=5):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        if data:
            s.sendall(data)
        reply = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                return reply
            reply += chunk


def start(servers, delay="1s", timeout="10s"):
    port, health = free_port(), free_port()
    server = servers([NAIVE_SERVER, str(port)],
                     ["--health", f"127.0.0.1:{health}", "--delay", delay, "--timeout", timeout])
    server.wait_for(r"naive_server: listening")
    return server, port, health


def test_ready_fails_at_the_signal_and_the_delay_keeps_serving(servers):
    server, port, health = start(servers, delay="1s")
    assert get(health, "/ready") == (200, b"ready\n")
    assert get(health, "/live") == (200, b"live\n")
    server.send(signal.SIGTERM)
    signalled = server.signal_times[-1]
    status = None
    for _ in range(100):  # bounded: 503 must come within 100 ms
        status, _ = get(health, "/ready")
        if status == 503 or time.monotonic() - signalled > 0.1:
            break
    assert status == 503
    assert time.monotonic() - signalled < 0.15
    # the delay: still serving new connections, readiness failing
    assert http_get(port, "/").ok
    assert get(health, "/live")[0] == 200
    server.wait_for(r"listeners closed")
    assert time.monotonic() - signalled >= 0.95
    assert connect_refused(port)
    assert server.wait_exit(5) == 0


def test_status_lists_in_flight_connections(servers):
    server, port, health = start(servers, delay="0")
    inflight = Outcome()
    in_thread(http_get, port, "/slow?ms=1500", inflight)
    time.sleep(0.3)
    status, body = get(health, "/status")
    s = json.loads(body)
    assert status == 200 and s["phase"] == "serving" and s["since_signal_s"] is None
    assert s["listeners"] == [f"127.0.0.1:{port}"]  # its own socket is not one
    (conn,) = s["connections"]
    assert conn["local_port"] == port and conn["state"] == "busy" and conn["age_s"] >= 0.2
    server.send(signal.SIGTERM)
    time.sleep(0.2)
    s = json.loads(get(health, "/status")[1])
    assert s["phase"] == "draining" and s["since_signal_s"] > 0.1 and s["deadline_s"] == 10.0
    assert len(s["connections"]) == 1
    assert inflight.done.wait(5) and inflight.ok
    assert server.wait_exit(5) == 0


def test_bad_requests_get_4xx_and_the_program_keeps_serving(servers):
    server, port, health = start(servers)
    assert raw(health, b"garbage\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    assert raw(health, b"POST /ready HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    assert raw(health, b"GET /ready FTP/9\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    assert raw(health, b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    assert raw(health, b"\x00\xff" * 100 + b"\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    assert get(health, "/nope")[0] == 404
    assert raw(health, b"HEAD /ready HTTP/1.0\r\n\r\n").endswith(b"\r\n\r\n")  # no body
    started = time.monotonic()
    slow = socket.create_connection(("127.0.0.1", health), timeout=5)
    slow.sendall(b"GET /ready HTTP/1.1\r\n")  # ...and nothing more
    # a slow client does not hold up probes
    assert get(health, "/ready") == (200, b"ready\n")
    assert slow.recv(4096).startswith(b"HTTP/1.1 408 ")
    assert 1.8 < time.monotonic() - started < 3.0
    slow.close()
    assert http_get(port, "/").ok and server.proc.poll() is None
    server.send(signal.SIGTERM)
    assert server.wait_exit(5) == 0


def test_served_only_by_the_started_process(servers):
    port, health = free_port(), free_port()
    server = servers([PREFORK_SERVER, str(port), "2"], ["--health", f"127.0.0.1:{health}"],
                     own_session=True)
    server.wait_for(r"^ready$", stream="stdout")
    holders = subprocess.run(["ss", "-Hltnp", f"sport = :{health}"], capture_output=True,
                             text=True).stdout
    pids = {int(p) for p in __import__("re").findall(r"pid=(\d+)", holders)}
    assert pids == {server.pid}, holders  # not the forked workers
    assert get(health, "/ready")[0] == 200
    server.send(signal.SIGTERM)
    assert server.wait_exit(10) == 0


LISTENS_WHEN_TOLD = """
import signal, socket, sys
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
print("starting", flush=True)
signal.sigwait({signal.SIGUSR1})  # a slow start, as long as the test wants
listener = socket.create_server(("127.0.0.1", int(sys.argv[1])))
print("listening", flush=True)
signal.sigwait({signal.SIGTERM})
"""


def test_ready_only_once_the_program_listens(servers):
    port, health = free_port(), free_port()
    server = servers(["/usr/bin/python3", "-c", LISTENS_WHEN_TOLD, str(port)],
                     ["--health", f"127.0.0.1:{health}"])
    server.wait_for(r"^starting$", stream="stdout")
    # a load balancer must not route here yet: nothing would accept
    assert get(health, "/ready") == (503, b"not listening yet\n")
    assert get(health, "/live") == (200, b"live\n")
    server.send(signal.SIGUSR1)
    server.wait_for(r"^listening$", stream="stdout")
    assert get(health, "/ready") == (200, b"ready\n")
    server.send(signal.SIGTERM)
    assert server.wait_exit(10) == 0
