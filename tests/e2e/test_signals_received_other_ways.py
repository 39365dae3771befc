"""Programs that block SIGTERM and read it through signalfd or sigwait get
it after the drain; SA_RESETHAND, SA_SIGINFO and SA_RESTART are honoured;
the program sees its own handlers."""
import signal
import time

import pytest

from harness import SIGNAL_SERVER, Outcome, connect_refused, free_port, http_get, in_thread


def start(servers, mode, lastcall_args=()):
    port = free_port()
    server = servers([SIGNAL_SERVER, mode, str(port)], lastcall_args=lastcall_args)
    server.wait_for(r"^ready$", stream="stdout")
    return server, port


def inflight(port, count=2, ms=800):
    outcomes = [Outcome() for _ in range(count)]
    for outcome in outcomes:
        in_thread(http_get, port, f"/slow?ms={ms}", outcome)
    time.sleep(0.2)  # the requests reach the server
    return outcomes


@pytest.mark.parametrize("mode", ["signalfd", "late-mask", "sigwait"])
def test_signal_read_by_the_program_arrives_after_the_drain(servers, mode):
    server, port = start(servers, mode)
    requests = inflight(port)
    server.send(signal.SIGTERM)
    server.wait_for(r"SIGTERM: draining 2 connections")
    server.wait_for(r"listeners closed")
    assert connect_refused(port)
    _, line = server.wait_for(r"got signal 15", stream="stdout")
    assert line.endswith("got signal 15 with 0 in flight")  # only after the drain
    for outcome in requests:
        assert outcome.done.wait(1)
        assert outcome.ok, outcome
    assert server.wait_exit(5) == 0
    assert server.has_line(r"handing SIGTERM to the program's signalfd/sigwait")
    assert not server.has_line(r"accept error", stream="stdout")


def test_resethand_siginfo_handler_runs_once_with_the_original_siginfo(servers):
    server, port = start(servers, "resethand")
    assert server.has_line(r"installed: on_term_info", stream="stdout")  # its own view
    requests = inflight(port, 1)
    server.send(signal.SIGTERM)
    _, line = server.wait_for(r"handler ran", stream="stdout")
    # SI_USER (0): sent by kill() from the test, as the program would have seen
    assert line == "handler ran 1 time(s), si_code 0, now: default"
    assert requests[0].done.wait(2)
    assert requests[0].ok, requests[0]
    assert server.wait_exit(5) == 0


def test_restart_handler_never_turns_into_an_accept_error(servers):
    server, port = start(servers, "restart", ["--timeout", "2s"])
    requests = inflight(port, 1)
    server.send(signal.SIGTERM)
    server.wait_for(r"handler ran", stream="stdout")
    assert requests[0].done.wait(2) and requests[0].ok
    # the program ignores the signal after counting it: the deadline ends it
    assert server.wait_exit(5) == 124
    assert not server.has_line(r"accept error", stream="stdout")
