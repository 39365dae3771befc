"""The README's security review, checked: setuid programs are out of
lastcall's reach and the launcher says so; the health endpoint holds out
against clients that connect and say nothing; an oversized request is
refused without touching the program."""
import os
import shutil
import signal
import socket
import time

import pytest

from harness import NAIVE_SERVER, free_port, http_get


def read_to_end(sock, limit=1 << 20, reset_ends=False):
    """Everything the peer sends until it closes: TCP keeps no message
    boundaries, so one recv() may hold part of a reply. With reset_ends,
    a reset ends the stream too (what arrived before it is kept)."""
    data = b""
    while len(data) < limit:  # bounded
        try:
            chunk = sock.recv(4096)
        except ConnectionResetError:
            if reset_ends:
                return data
            raise
        if not chunk:
            return data
        data += chunk
    raise AssertionError(f"peer sent over {limit} bytes without closing")


@pytest.mark.skipif(os.geteuid() != 0, reason="making a setuid file owned by another user needs root")
def test_setuid_program_is_warned_about_and_runs_without_lastcall(servers, tmp_path):
    os.chmod(tmp_path, 0o755)
    program = tmp_path / "naive_server_setuid"
    shutil.copy(NAIVE_SERVER, program)
    os.chown(program, 65534, 65534)  # nobody: the exec changes the user
    os.chmod(program, 0o4755)
    port = free_port()
    server = servers([str(program), str(port)])
    server.wait_for(r"naive_server: listening")
    assert server.has_line(r"is setuid: the loader ignores LD_PRELOAD for it")
    assert not server.has_line(r"^lastcall\[")  # the library never loaded
    assert http_get(port, "/").ok
    server.send(signal.SIGTERM)
    assert server.wait_exit(5) == -signal.SIGTERM  # the program's own default, no drain


def test_health_endpoint_outlasts_clients_that_say_nothing(servers):
    port, health = free_port(), free_port()
    server = servers([NAIVE_SERVER, str(port)], ["--health", f"127.0.0.1:{health}"])
    server.wait_for(r"naive_server: listening")
    # more silent connections than the endpoint has slots (32)
    silent = [socket.create_connection(("127.0.0.1", health), timeout=5) for _ in range(40)]
    try:
        started = time.monotonic()
        # the endpoint is full: a probe now is closed at once, not queued
        assert http_get(health, "/live", timeout=3).status is None
        # each silent client gets 408 and end-of-stream after 2 s; its slot
        # is free once it closes (one that never does is dropped 2 s later)
        reply = read_to_end(silent[0])
        assert reply.startswith(b"HTTP/1.1 408"), reply
        assert reply.endswith(b"\r\n\r\nrequest timeout\n"), reply
        assert 1.9 < time.monotonic() - started < 3.0
        silent[0].close()
        assert http_get(health, "/live", timeout=3).status == 200
        assert http_get(port, "/").ok  # the program never noticed
    finally:
        for s in silent:
            s.close()
    server.send(signal.SIGTERM)
    assert server.wait_exit(10) == 0


def test_oversized_health_request_is_refused(servers):
    port, health = free_port(), free_port()
    server = servers([NAIVE_SERVER, str(port)], ["--health", f"127.0.0.1:{health}"])
    server.wait_for(r"naive_server: listening")
    with socket.create_connection(("127.0.0.1", health), timeout=5) as s:
        try:
            s.sendall(b"GET /" + b"a" * 100000 + b" HTTP/1.1\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused while we were still sending
        reply = read_to_end(s, reset_ends=True)
    assert reply.startswith(b"HTTP/1.1 400") or reply.startswith(b"HTTP/1.0 400"), reply[:100]
    assert http_get(port, "/").ok
    server.send(signal.SIGTERM)
    assert server.wait_exit(10) == 0
