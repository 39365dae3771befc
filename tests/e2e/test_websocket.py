"""WebSocket (issue 18), with Debian's python3-websockets: answers under
way complete however long they pause, every client is sent away with
Close 1001 ("going away") — an idle one within the quiet time, a busy one
at the drain deadline too, never a bare FIN (which a browser reports as
1006) — and the library's own graceful shutdown passes under lastcall as
it does alone."""
import json
import re
import os
import signal
import subprocess
import time

import pytest

from harness import PYTHON, SERVERS, Server, free_port

WS_SERVER = os.path.join(SERVERS, "ws_server.py")
WS_CLIENT = os.path.join(SERVERS, "ws_client.py")


def have_websockets():
    return subprocess.run([PYTHON, "-c", "import websockets"], stderr=subprocess.DEVNULL).returncode == 0


pytestmark = pytest.mark.skipif(not have_websockets(), reason="python3-websockets not installed")


def run(busy, idle, count, ms, lastcall_args=(), graceful=False, lastcall=True):
    """busy clients each asking for `count` parts `ms` apart and idle ones,
    SIGTERM once every answer has begun. Returns (results, server,
    signal time, exit status)."""
    port = free_port()
    argv = [PYTHON, WS_SERVER, str(port)] + (["graceful"] if graceful else [])
    server = Server(argv, lastcall_args=lastcall_args if lastcall else None)
    try:
        server.wait_for(r"^ready$", stream="stdout", timeout=20)
        client = subprocess.Popen([PYTHON, WS_CLIENT, str(port), str(busy), str(idle), str(count), str(ms)],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        first = client.stdout.readline()  # blocks until the answers have begun
        assert first.startswith("started"), first + client.stdout.read()
        signal_time = time.monotonic()
        server.send(signal.SIGTERM)
        rest, _ = client.communicate(timeout=60)
        status = server.wait_exit(timeout=40)
        results = [json.loads(line) for line in rest.splitlines() if line.startswith("{")]
        assert len(results) == busy + idle, rest
        return results, server, signal_time, status
    finally:
        server.stop()


def test_answers_complete_and_every_client_gets_1001(tmp_path):
    """2 clients mid-answer (5 parts 1 s apart), 1 idle, --ws-quiet 2s:
    both answers complete; all three get Close 1001; the idle one within
    the quiet time of its last frame, the busy ones within it of their
    answers' end; exit 0 once they have gone."""
    report = tmp_path / "report.json"
    results, server, signal_time, status = run(2, 1, 5, 1000,
                                               lastcall_args=("--ws-quiet", "2s", "--report", str(report)))
    busy = [r for r in results if r["kind"] == "busy"]
    idle = [r for r in results if r["kind"] == "idle"]
    assert all(r["parts"] == 5 for r in busy), (results, server.stderr_text())
    assert all(r["code"] == 1001 for r in results), (results, server.stderr_text())
    # The idle client's last frame came before the signal: it goes within
    # the quiet time of the signal, long before the answers end.
    assert idle[0]["at"] - signal_time < 2.0 + 0.5, (results, signal_time)
    last_part = max(r["at"] for r in busy)
    assert idle[0]["at"] < last_part - 1.0, results
    assert status == 0 and server.has_line(r"drained in"), server.stderr_text()
    assert server.exit_time - last_part < 1.0, (results, server.exit_time)
    assert not server.has_line(r"cut"), server.stderr_text()
    # Closed on a guess (the quiet time), counted apart from a protocol's end.
    counts = json.loads(report.read_text())["counts"]
    assert counts["closed_after_quiet"] == 3 and counts["cut_at_deadline"] == 0, counts
    assert json.loads(report.read_text())["outcome"] == "drained"
    # The log says why each was told to go, and after how long a quiet.
    quiet = [float(m.group(1)) for m in (re.search(r"going away: Close 1001 to fd \d+ from 127\.0\.0\.1:\d+ "
                                                    r"\(websocket: quiet (\d+\.\d) s, Close 1001 sent",
                                                    line) for _, line in server.lines) if m]
    closes = [line for _, line in server.lines if "closed" in line or "Close" in line]
    assert len(quiet) == 3 and all(2.0 <= q < 3.0 for q in quiet), (quiet, closes)
    print(f"\nwebsocket: idle client closed (1001) +{idle[0]['at'] - signal_time:.3f}s, answers' last "
          f"close +{last_part - signal_time:.3f}s, exit +{server.exit_time - signal_time:.3f}s after the signal")


def test_a_busy_websocket_at_the_deadline_hears_1001():
    """An answer longer than the drain: cut at the deadline, with Close
    1001 between two of its frames, not a bare FIN (1006)."""
    results, server, signal_time, status = run(1, 0, 30, 500, lastcall_args=("-t", "4s"))
    assert results[0]["code"] == 1001 and 0 < results[0]["parts"] < 30, (results, server.stderr_text())
    assert server.has_line(r"cut"), server.stderr_text()
    assert status == 124, server.stderr_text()


@pytest.mark.parametrize("lastcall", [False, True], ids=["alone", "lastcall"])
def test_graceful_websocket_server_passes_under_lastcall_as_alone(lastcall):
    """A server that finishes its answers then closes with 1001 itself:
    the same for every client alone and under lastcall."""
    results, server, signal_time, status = run(2, 1, 4, 700, lastcall_args=("--ws-quiet", "1s"),
                                               graceful=True, lastcall=lastcall)
    busy = [r for r in results if r["kind"] == "busy"]
    assert all(r["parts"] == 4 for r in busy), (results, server.stderr_text())
    assert all(r["code"] == 1001 for r in results), (results, server.stderr_text())
    assert "stopped" in server.stdout_text() and status == 0, (server.stdout_text(), server.stderr_text())
    print(f"\nwebsocket graceful server {'under lastcall' if lastcall else 'alone'}: exit "
          f"+{server.exit_time - signal_time:.3f}s after the signal")
