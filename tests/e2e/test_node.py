"""A plain node HTTP server with keep-alive: idle connections must not hold
shutdown hostage, in-flight requests must finish, and a SIGTERM handler of
the program's own runs after the drain."""
import os
import signal
import time

from harness import SERVERS, KeepAliveClient, Outcome, free_port, in_thread, wait_listening

NODE_SERVER = os.path.join(SERVERS, "node_server.js")


def keepalive_request(port, path, outcome):
    try:
        client = KeepAliveClient(port)
        outcome.started.set()
        outcome.status, outcome.body = client.request(path)
        client.close()
    except Exception as exc:  # noqa: BLE001
        outcome.error = repr(exc)
    outcome.done_time = time.monotonic()
    outcome.done.set()


def test_idle_keepalive_closed_at_once_inflight_completes_prompt_exit(servers):
    port = free_port()
    server = servers(["node", NODE_SERVER, str(port)])
    wait_listening(server)

    idle = [KeepAliveClient(port) for _ in range(3)]
    for client in idle:
        assert client.request("/")[0] == 200
    for client in idle:
        client.watch_eof()
    inflight = Outcome()
    in_thread(keepalive_request, port, "/slow?ms=1500", inflight)
    assert inflight.started.wait(5)
    server.wait_for(r"listening on")  # already there; keeps the order readable
    time.sleep(0.1)  # let the slow request reach node before the signal

    server.send(signal.SIGTERM)
    signalled = server.signal_times[-1]
    server.wait_for(r"SIGTERM: draining 4 connections")
    for client in idle:
        assert client.eof.wait(2), "idle keep-alive connection was not closed"
        assert client.eof_time - signalled < 0.5, "idle connection closed too late"
    assert inflight.done.wait(5)
    assert inflight.error is None and inflight.status == 200, inflight
    assert inflight.body == b"done 1500\n"
    # node's own path for SIGTERM without a JS handler: it dies of the signal
    assert server.wait_exit(5) == -signal.SIGTERM
    assert server.exit_time - inflight.done_time < 0.5
    assert server.has_line(r"exit: handing SIGTERM to the program's handler")


def test_node_sigterm_handler_runs_after_the_drain(servers):
    port = free_port()
    server = servers(["node", NODE_SERVER, str(port), "handler"])
    wait_listening(server)
    inflight = [Outcome() for _ in range(2)]
    for outcome in inflight:
        in_thread(keepalive_request, port, "/slow?ms=1000", outcome)
    for outcome in inflight:
        assert outcome.started.wait(5)
    time.sleep(0.1)  # let the requests reach node before the signal

    server.send(signal.SIGTERM)
    handler_at, line = server.wait_for(r"handler ran", stream="stdout")
    assert line == "handler ran: in flight 0"
    for outcome in inflight:
        assert outcome.done.wait(1)
        assert outcome.status == 200 and outcome.error is None, outcome
        assert outcome.done_time < handler_at
    assert server.wait_exit(5) == 0
    assert handler_at - server.signal_times[-1] > 0.8  # it waited for the requests
