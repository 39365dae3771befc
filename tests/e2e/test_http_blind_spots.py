"""Bytes that pass the wrappers by (stdio on an fdopen'ed socket writes
through glibc's internal __write) leave the framing tracker behind. The
kernel's own byte counts show it, and the connection is judged without the
protocol: never held busy until the deadline because lastcall missed
bytes."""
import os
import signal
import time

from harness import BUILD, free_port, wait_listening
from http1_client import Connection

STDIO_SERVER = os.path.join(BUILD, "tests", "servers", "stdio_server")


def test_responses_written_through_stdio_do_not_hold_the_drain(servers):
    port = free_port()
    server = servers([STDIO_SERVER, str(port)], lastcall_args=("-t", "10s"))
    wait_listening(server)
    conns = [Connection(port) for _ in range(3)]
    for conn in conns:
        for _ in range(2):
            conn.request("GET", "/")
            r = conn.read_response()
            assert r.status == 200 and r.body == b"ok"
    time.sleep(0.1)  # idle keep-alive connections, their replies long sent
    server.send(signal.SIGTERM)
    signalled = server.signal_times[-1]
    for conn in conns:
        assert conn.wait_eof(3), "an idle connection was held"
    assert server.wait_exit(10) == 0
    took = server.exit_time - signalled
    assert took < 1.0, f"exit {took:.3f} s after the signal (drain deadline 8 s)"
    assert server.has_line(r"drained in")
    assert server.has_line(r"bytes passed the wrappers by")
    assert not server.has_line(r"cut:")
