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

from harness import SERVERS, Outcome, free_port, http_get, in_thread
from test_listener_drops import overflow_a_listener_of_our_own


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
    outcomes = [Outcome() for _ in range(2)]
    for outcome in outcomes:
        in_thread(http_get, port, "/slow?ms=600", outcome)
    stop = threading.Event()
    flood = in_thread(overflow_a_listener_of_our_own, stop)
    time.sleep(0.3)  # the requests are in the workers, the flood going
    server.send(signal.SIGTERM)
    try:
        for outcome in outcomes:
            assert outcome.done.wait(10)
            assert outcome.ok, outcome
        assert server.wait_exit(15) == 0, server.stderr_text()
    finally:
        stop.set()
        flood.join(5)
    after = server.exit_time - max(o.done_time for o in outcomes)
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
    outcomes = [Outcome() for _ in range(2)]
    for outcome in outcomes:
        in_thread(http_get, port, "/slow?ms=600", outcome)
    time.sleep(0.3)  # the requests are in the workers
    server.send(signal.SIGTERM)
    for outcome in outcomes:
        assert outcome.done.wait(10)
        assert outcome.ok, outcome
    assert server.wait_exit(15) == 0
    after = server.exit_time - max(o.done_time for o in outcomes)
    print(f"\ngunicorn alone: exit {after * 1000:+.0f} ms from the last response")
    assert after < 1.2
