"""lastcall.h: a token stream that ends early with an end marker when
shutdown starts, and a named cleanup that saves partial work — and the same
program, unchanged, without the library."""
import os
import signal
import socket
import time

from harness import BUILD, free_port

TOKEN_STREAM = os.path.join(BUILD, "demo", "token_stream")


def read_stream(port, n):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(f"GET /stream?n={n} HTTP/1.0\r\n\r\n".encode())
    return s


def read_all(s):
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            return data
        data += chunk


def test_stream_ends_with_a_marker_and_cleanup_saves_progress(servers, tmp_path):
    port = free_port()
    progress = tmp_path / "progress.txt"
    server = servers([TOKEN_STREAM, str(port), str(progress)])
    server.wait_for(r"token_stream: lastcall present")
    server.wait_for(r"token_stream: listening")
    s = read_stream(port, 200)  # 20 s of tokens
    data = b""
    while b"token 4\n" not in data:  # bounded by the socket's timeout
        chunk = s.recv(4096)
        assert chunk, data
        data += chunk
    # Half-way between two tokens: the connection looks idle on the wire
    # (the reply came last, 50 ms ago), yet the program is about to write.
    time.sleep(0.05)
    server.send(signal.SIGTERM)
    data += read_all(s)
    ended = time.monotonic()
    assert data.endswith(b"[end: server shutting down]\n"), data[-80:]
    assert ended - server.signal_times[-1] < 0.5  # within a token or two
    assert server.wait_exit(5) == 0
    sent = data.count(b"token ")
    assert progress.read_text() == f"tokens sent: {sent}\n"
    assert server.has_line(r'cleanup "save-progress" done in')


def test_the_same_program_runs_without_the_library(servers, tmp_path):
    port = free_port()
    server = servers([TOKEN_STREAM, str(port), str(tmp_path / "progress.txt")], lastcall_args=None)
    server.wait_for(r"token_stream: lastcall absent")
    server.wait_for(r"token_stream: listening")
    s = read_stream(port, 5)
    data = read_all(s)
    assert data.count(b"token ") == 5 and b"[end" not in data
    server.send(signal.SIGTERM)
    assert server.wait_exit(5) == -signal.SIGTERM  # its own default: no cleanup
    assert not (tmp_path / "progress.txt").exists()


def test_a_hanging_cleanup_costs_only_its_budget(servers, tmp_path):
    # the progress file is a directory: fopen fails fast; a FIFO would hang
    port = free_port()
    fifo = tmp_path / "progress.fifo"
    os.mkfifo(fifo)  # opening it for writing blocks: a cleanup that hangs
    server = servers([TOKEN_STREAM, str(port), str(fifo)], ["--timeout", "10s"])
    server.wait_for(r"token_stream: listening")
    server.send(signal.SIGTERM)
    assert server.wait_exit(10) == 0
    elapsed = server.exit_time - server.signal_times[-1]
    assert 1.9 < elapsed < 3.0, elapsed  # its 2 s budget, not the 10 s total
    assert server.has_line(r'cleanup "save-progress" still running after its budget of 2s')
