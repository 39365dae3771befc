"""A connection the program is handed over a Unix socket (SCM_RIGHTS)
instead of accepting it: counted and drained when it is an inbound one
(on a port something listens on, as node's cluster workers get theirs),
never when it is an outgoing one (a connection to an upstream, handed
over the same way: SPEC, outgoing connections are never touched)."""
import signal
import socket
import time

from harness import PYTHON, SERVERS, Outcome, free_port, http_get, in_thread

HANDOFF = f"{SERVERS}/handoff_server.py"


def test_an_inbound_connection_handed_over_is_drained_an_outgoing_one_is_not(servers):
    upstream = socket.socket()
    upstream.bind(("127.0.0.1", 0))
    upstream.listen(1)
    port = free_port()
    server = servers([PYTHON, HANDOFF, str(port), str(upstream.getsockname()[1])])
    server.wait_for("ready", stream="stdout")
    to_upstream, _ = upstream.accept()
    outcome = Outcome()
    in_thread(http_get, port, "/slow?ms=1000", outcome)
    assert outcome.sent.wait(5)
    time.sleep(0.2)  # the request is read: the server sleeps on it
    server.send(signal.SIGTERM)
    # the handed inbound connection, and not the outgoing one
    server.wait_for(r"SIGTERM: draining 1 connection \(")
    assert server.wait_exit(10) == 0, server.stderr_text()
    assert outcome.done.wait(5) and outcome.ok, (outcome, server.stderr_text())
    # The whole response arrived (ok), so the process was there to write
    # it. Which of two threads, the client's seeing its EOF and the
    # harness's seeing the exit, takes its time first is the scheduler's
    # choice within a millisecond (0.7 ms the wrong way once in CI); an
    # exit that did not wait would come 0.8 s before the response.
    assert outcome.done_time < server.exit_time + 0.05
    assert not server.has_line(r"cut:")
    to_upstream.close()
    upstream.close()
