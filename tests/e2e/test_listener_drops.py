"""Only real overflows of this process's own listeners hold the stop.
A deferred accept (TCP_DEFER_ACCEPT, apache2's default) drops every
client's bare final ACK by design: that is not a backlog overflow, and
must not keep the listener open for the 2 s patience while new clients
hang. And a process must not wait on counters of sockets it does not
own: an overflow elsewhere in the network namespace holds nobody here."""
import re
import signal
import socket
import threading
import time

from harness import PREFORK_SERVER, Outcome, connect_refused, free_port, http_get, in_thread

PATIENCE = 2.0  # drain.c HALF_OPEN_PATIENCE_NS


def slow_requests(port, n, ms):
    outcomes = [Outcome() for _ in range(n)]
    for outcome in outcomes:
        in_thread(http_get, port, f"/slow?ms={ms}", outcome)
    return outcomes


def finish(server, outcomes):
    assert server.wait_exit(10) == 0, server.stderr_text()
    for outcome in outcomes:
        assert outcome.done.wait(5)
        assert outcome.ok, outcome
    last = max(o.done_time for o in outcomes)
    return server.exit_time - last


def test_deferred_accepts_are_not_overflow(servers):
    port = free_port()
    server = servers([PREFORK_SERVER, str(port), "4"], env={"PREFORK_DEFER_ACCEPT": "1"},
                     own_session=True)
    server.wait_for(r"^ready$", stream="stdout")
    outcomes = slow_requests(port, 3, 800)
    time.sleep(0.3)  # the three requests are in the workers
    server.send(signal.SIGTERM)
    server.wait_for(r"listeners closed")
    began = time.monotonic()
    assert connect_refused(port, timeout=1.0) and time.monotonic() - began < 0.5, \
        "a new client hung"
    after_last = finish(server, outcomes)
    assert not server.has_line(r"overflowed"), server.stderr_text()
    assert after_last < 0.5, f"exit {after_last:.3f} s after the last response"


def overflow_a_listener_of_our_own(stop):
    """A listener of the test's own, backlog 0, never accepting: every
    further handshake overflows it (ListenOverflows in this namespace)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    clients = []
    for _ in range(100):
        if stop.is_set():
            break
        c = socket.socket()
        c.setblocking(False)
        c.connect_ex(("127.0.0.1", port))
        clients.append(c)
        stop.wait(0.03)
    for c in clients:
        c.close()
    listener.close()


def test_no_wait_on_overflows_of_sockets_we_do_not_own(servers):
    port = free_port()
    server = servers([PREFORK_SERVER, str(port), "2"], own_session=True)
    server.wait_for(r"^ready$", stream="stdout")
    outcomes = slow_requests(port, 2, 600)
    stop = threading.Event()
    flood = in_thread(overflow_a_listener_of_our_own, stop)
    time.sleep(0.3)  # the requests are in the workers, the flood going
    server.send(signal.SIGTERM)
    try:
        after_last = finish(server, outcomes)
    finally:
        stop.set()
        flood.join(5)
    assert not server.has_line(r"handshakes overflowed"), server.stderr_text()
    assert after_last < 0.5, f"exit {after_last:.3f} s after the last response"
    drained = [float(m) for m in re.findall(r"drained in ([0-9.]+)s", server.stderr_text())]
    assert len(drained) == 3, server.stderr_text()  # the master and its two workers
    assert max(drained) < PATIENCE - 0.5, server.stderr_text()
