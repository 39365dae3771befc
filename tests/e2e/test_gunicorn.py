"""gunicorn (2 sync workers): the master owns the listener, the workers
accept on it. While another listener in the same network namespace
overflows, no process here may wait the overflow patience for it: the
workers own no listener, the master's queue never filled. Requests in
flight complete and gunicorn exits right after the last one. Its log
holds no line its own stop lacks."""
import re
import signal
import threading
import time

from harness import SERVERS, free_port, in_thread
from test_listener_drops import finish, overflow_a_listener_of_our_own, slow_requests


def start(servers, port, under):
    server = servers(["gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "--chdir", SERVERS,
                      "wsgi_app:app"], lastcall_args=() if under else None, own_session=True)
    deadline = time.monotonic() + 15
    with server._cond:  # both workers booted (woken by each new line)
        while sum("Booting worker" in line for _, line in server.lines) < 2:
            left = deadline - time.monotonic()
            assert left > 0, server.stderr_text()
            server._cond.wait(left)
    return server


def test_gunicorn_waits_for_no_overflow_elsewhere(servers):
    port = free_port()
    server = start(servers, port, True)
    outcomes = slow_requests(port, 2, 600)
    stop = threading.Event()
    flood = in_thread(overflow_a_listener_of_our_own, stop)
    time.sleep(0.3)  # the requests are in the workers, the flood going
    server.send(signal.SIGTERM)
    try:
        after = finish(server, outcomes)
    finally:
        stop.set()
        flood.join(5)
    print(f"\ngunicorn: exit {after * 1000:+.0f} ms from the last response")
    assert not server.has_line(r"handshakes overflowed"), server.stderr_text()
    drained = [float(m) for m in re.findall(r"drained in ([0-9.]+)s", server.stderr_text())]
    assert drained and max(drained) < 1.5, server.stderr_text()
    # gunicorn's own stop: its sync workers retry their 1 s select after
    # the handler (PEP 475), so they leave up to a second later, with or
    # without lastcall (test below); the overflow patience added 2 s more.
    assert after < 1.2, server.stderr_text()


def test_gunicorn_alone_for_comparison(servers):
    port = free_port()
    server = start(servers, port, False)
    outcomes = slow_requests(port, 2, 600)
    time.sleep(0.3)  # the requests are in the workers
    server.send(signal.SIGTERM)
    after = finish(server, outcomes)
    print(f"\ngunicorn alone: exit {after * 1000:+.0f} ms from the last response")
    assert after < 1.2
