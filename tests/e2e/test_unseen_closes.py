"""Closes that never go through close(): fclose of an fdopen'd socket,
close_range, closefrom, syscall(SYS_close), and a raw system call no wrapper
sees. Shutdown neither waits for them until a deadline nor loses (or
touches) a live descriptor that took the number."""
import os
import signal
import time

import pytest

from harness import BUILD, Outcome, free_port, http_get, in_thread

CLOSE_SERVER = os.path.join(BUILD, "tests", "servers", "close_server")


@pytest.mark.parametrize("method", ["close", "fclose", "close_range", "closefrom", "syscall", "raw"])
def test_unseen_close_ends_the_drain_promptly(servers, method):
    port = free_port()
    server = servers([CLOSE_SERVER, method, str(port)], ["--timeout", "10s"])
    server.wait_for(r"^ready$", stream="stdout")
    request = Outcome()
    in_thread(http_get, port, "/slow?ms=600", request)
    time.sleep(0.2)
    server.send(signal.SIGTERM)
    assert request.done.wait(5)
    assert request.ok, request
    assert server.wait_exit(5) == 0
    # a wrapper saw it (or, for the raw call, the next 10 ms check did)
    assert server.exit_time - request.done_time < 0.3
    assert server.has_line(r"drained in")


def test_reused_number_after_an_unseen_close_is_left_alone(servers):
    port = free_port()
    server = servers([CLOSE_SERVER, "raw-reuse", str(port)], ["--timeout", "10s"])
    server.wait_for(r"^ready$", stream="stdout")
    first = http_get(port, "/")
    assert first.ok
    _, closed = server.wait_for(r"closed fd", stream="stdout")
    _, pair = server.wait_for(r"pair on fd", stream="stdout")
    assert closed.split()[-1] == pair.split()[-1]  # the number was reused
    server.send(signal.SIGTERM)
    assert server.wait_exit(5) == 0
    assert server.exit_time - server.signal_times[-1] < 0.5  # not waited for
    server.wait_for(r"pair intact", stream="stdout")  # and not shut down
