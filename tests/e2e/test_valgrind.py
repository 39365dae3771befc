"""Valgrind memcheck over a demo server's shutdown under lastcall: the
drain with a request in flight, an idle keep-alive connection closed, the
health endpoint, the report — and a drain deadline that cuts a connection.
No memcheck error (invalid access, uninitialised value, definite leak)."""
import re
import shutil
import signal
import socket

import pytest

from harness import NAIVE_SERVER, SANITIZER_RUNTIME, KeepAliveClient, free_port, http_get

pytestmark = [
    pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed"),
    pytest.mark.skipif(bool(SANITIZER_RUNTIME), reason="a sanitizer build cannot run under valgrind"),
]

VALGRIND = ["valgrind", "-q", "--error-exitcode=99", "--leak-check=full",
            "--errors-for-leak-kinds=definite", "--show-leak-kinds=definite"]


def run_under_valgrind(servers, tmp_path, timeout, request_ms):
    port, health = free_port(), free_port()
    log = tmp_path / "memcheck.log"
    server = servers([*VALGRIND, f"--log-file={log}", NAIVE_SERVER, str(port)],
                     ["--timeout", timeout, "--health", f"127.0.0.1:{health}",
                      "--report", str(tmp_path / "report.json")])
    server.wait_for(r"naive_server: listening", timeout=30)
    assert http_get(health, "/status").status == 200
    idle = KeepAliveClient(port)
    assert idle.request("/")[0] == 200
    idle.watch_eof()
    # connected before the signal: accepted, or served from the backlog
    busy = socket.create_connection(("127.0.0.1", port), timeout=30)
    busy.sendall(f"GET /slow?ms={request_ms} HTTP/1.0\r\n\r\n".encode())
    server.send(signal.SIGTERM)
    code = server.wait_exit(60)
    reply = b""
    try:
        for _ in range(1000):  # bounded; the process is gone, this is what it sent
            chunk = busy.recv(65536)
            if not chunk:
                break
            reply += chunk
    except OSError:
        pass
    busy.close()
    return code, reply, idle, log.read_text()


def memcheck_errors(text):
    return [line for line in text.splitlines() if re.search(r"==\d+== (Invalid|Conditional|Syscall param|"
                                                            r"Mismatched|Source and dest|.* definitely lost)",
                                                            line)]


def test_memcheck_clean_over_a_drained_shutdown(servers, tmp_path):
    code, reply, idle, text = run_under_valgrind(servers, tmp_path, "20s", 1500)
    assert code == 0, text
    assert memcheck_errors(text) == [], text
    assert reply.startswith(b"HTTP/1.0 200") and reply.endswith(b"slow done\n"), reply
    assert idle.eof.wait(5)


def test_memcheck_clean_when_the_drain_deadline_cuts(servers, tmp_path):
    code, reply, idle, text = run_under_valgrind(servers, tmp_path, "4s", 20000)
    assert code == 124, text
    assert memcheck_errors(text) == [], text
    assert (tmp_path / "report.json").exists()
