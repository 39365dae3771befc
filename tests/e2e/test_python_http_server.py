"""python3 -m http.server (ThreadingHTTPServer) knows nothing about graceful
shutdown: SIGTERM kills it mid-download. Under lastcall downloads finish."""
import hashlib
import os
import signal
import time

import pytest

from harness import PYTHON, Outcome, connect_refused, free_port, http_get, in_thread, wait_listening

# Far more than loopback socket buffers hold (several MB), so the server is
# still writing when SIGTERM arrives.
SIZE = 16 * 1024 * 1024


@pytest.fixture
def docroot(tmp_path):
    data = os.urandom(SIZE)
    (tmp_path / "big.bin").write_bytes(data)
    return tmp_path, hashlib.sha256(data).hexdigest()


def start_downloads(port, count, pace):
    outcomes = [Outcome() for _ in range(count)]
    for outcome in outcomes:
        # 64 KiB reads, paced, through a 64 KiB window: 2-3 s for the file
        in_thread(http_get, port, "/big.bin", outcome, 65536, pace, rcvbuf=32768)
    for outcome in outcomes:
        assert outcome.started.wait(10), "download did not start"
    return outcomes


def test_slow_downloads_complete_after_sigterm_and_new_connects_are_refused(servers, docroot):
    root, digest = docroot
    port = free_port()
    server = servers([PYTHON, "-m", "http.server", str(port), "--bind", "127.0.0.1"], cwd=root)
    wait_listening(server)
    downloads = start_downloads(port, 3, pace=0.008)

    server.send(signal.SIGTERM)
    server.wait_for(r"SIGTERM: draining 3 connections")
    closed_at, _ = server.wait_for(r"listeners closed \(1")
    before = time.monotonic()
    assert connect_refused(port), "a new connection after the stop was not refused"
    assert time.monotonic() - before < 0.5, "refusal was not immediate"
    assert all(d.done.wait(20) for d in downloads)

    for d in downloads:
        assert d.ok, d
        assert hashlib.sha256(d.body).hexdigest() == digest
        assert d.done_time > closed_at, "download should still have been running at the stop"
    assert server.wait_exit(10) == 0
    drained_at, _ = server.wait_for(r"drained in")
    exit_phase_at, _ = server.wait_for(r"exit: calling exit\(0\) for SIGTERM")
    assert exit_phase_at - drained_at < 0.05
    assert server.exit_time - drained_at < 0.5


def test_sigint_mid_download_completes_and_exits_zero(servers, docroot):
    root, digest = docroot
    port = free_port()
    server = servers([PYTHON, "-m", "http.server", str(port), "--bind", "127.0.0.1"], cwd=root)
    wait_listening(server)
    (download,) = start_downloads(port, 1, pace=0.008)

    server.send(signal.SIGINT)
    server.wait_for(r"SIGINT: draining 1 connection")
    assert download.done.wait(20)
    assert download.ok, download
    assert hashlib.sha256(download.body).hexdigest() == digest
    # Python's own path: KeyboardInterrupt, its message, exit status 0.
    assert server.wait_exit(10) == 0
    assert "Keyboard interrupt received, exiting." in server.stdout_text() + server.stderr_text()
    assert server.has_line(r"exit: handing SIGINT to the program's handler")


def test_without_lastcall_sigterm_cuts_the_download(servers, docroot):
    """The control: what the demo fixes. Plain SIGTERM kills the server and
    the client gets a truncated file."""
    root, _ = docroot
    port = free_port()
    server = servers([PYTHON, "-u", "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                     cwd=root, lastcall_args=None)
    server.wait_for(r"Serving HTTP", stream="stdout")
    (download,) = start_downloads(port, 1, pace=0.008)
    server.send(signal.SIGTERM)
    assert server.wait_exit(10) == -signal.SIGTERM
    assert download.done.wait(10)
    assert not download.ok and download.error in ("truncated", "reset")
