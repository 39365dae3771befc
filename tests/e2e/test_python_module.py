"""python/lastcall.py, the Python face of lastcall.h.

The demo that is the reason for it (demo/fastapi_stream.py, FastAPI under
uvicorn): a 60 s token stream stopped with `lastcall -t 5s` ends with its
own `event: interrupted` in a complete chunked response, its partial
answer saved, the two cleanups run in order before the lifespan shutdown,
exit 0 with nothing cut. Cleanups that raise or outlive their budget do
not stop the next; the module without the library does nothing."""
import os
import signal
import socket
import subprocess
import threading
import time

from harness import PYTHON, ROOT, SERVERS, free_port, in_thread, wait_for_file, wait_listening
from http1_client import Connection

DEMO = os.path.join(ROOT, "demo", "fastapi_stream.py")
MODULE_DIR = os.path.join(ROOT, "python")


def stream_until_token(port, into, seen_first):
    """A 60 s answer (60 tokens, 1 s apart); `seen_first` is set once
    the first token arrived, then the whole response is read."""
    try:
        conn = Connection(port, timeout=30)
        conn.request("GET", "/answer?tokens=60&gap_ms=1000")
        while b"token0 " not in conn.buf:
            conn._more()
        seen_first.set()
        into["response"] = conn.read_response()
        into["eof"] = conn.wait_eof(5)
        into["end"] = time.monotonic()
        conn.close()
    except Exception as exc:  # noqa: BLE001
        into["error"] = repr(exc)
        seen_first.set()


def events(path):
    """events.log as (time, what) pairs."""
    out = []
    with open(path) as f:
        for line in f:
            at, _, what = line.strip().partition(" ")
            out.append((float(at), what))
    return out


def test_a_long_stream_ends_with_its_own_last_event(servers, tmp_path):
    port = free_port()
    server = servers([PYTHON, DEMO, str(port), str(tmp_path)], lastcall_args=("-t", "5s"))
    wait_listening(server)
    results = [{}, {}]
    seen = [threading.Event(), threading.Event()]
    threads = [in_thread(stream_until_token, port, into, ev) for into, ev in zip(results, seen)]
    for ev in seen:
        assert ev.wait(10), "no first token"
    signalled = time.monotonic()
    server.send(signal.SIGTERM)
    assert server.wait_exit(10) == 0, server.stderr_text()
    exited = time.monotonic()
    for t in threads:
        t.join(10)
    for r in results:
        assert "error" not in r, f"a stream was cut: {r['error']}\n{server.stderr_text()}"
        body = r["response"].body.decode()
        # a complete chunked response (read_response parsed its last chunk)
        assert body.rstrip().endswith("tokens sent"), body[-200:]
        assert "event: interrupted" in body
        assert "event: done" not in body
        assert r["eof"], "the connection stayed open after the response"
        sent = body.count("data: token")
        assert 1 <= sent < 60
        assert f"data: {sent} tokens sent" in body
    saved = sorted(p for p in os.listdir(tmp_path) if p.startswith("answer-"))
    assert len(saved) == 2
    for name in saved:
        words = (tmp_path / name).read_text().split()
        assert words and words == [f"token{i}" for i in range(len(words))]
    wait_for_file(str(tmp_path / "events.log"))
    log = events(str(tmp_path / "events.log"))
    whats = [w for _, w in log]
    order = [w for w in whats if not w.startswith("answer")]
    assert order == ["cleanup: upstream pool closed", "cleanup: log flushed",
                     "lifespan shutdown"], whats
    interrupted = max(t for t, w in log if w.startswith("answer"))
    pool_closed = next(t for t, w in log if w == "cleanup: upstream pool closed")
    assert interrupted <= pool_closed
    assert server.has_line(r"drained in")
    assert server.has_line(r'cleanup "close-upstream-pool" done')
    assert server.has_line(r'cleanup "flush-event-log" done')
    assert not server.has_line(r"cut:")
    # the streams ended at the signal, not at a token or the deadline
    assert exited - signalled < 2.0, f"exit {exited - signalled:.3f} s after the signal"
    print("events: " + "; ".join(f"{t - signalled:+.3f}s {w}" for t, w in log))
    print("last events: " + repr(results[0]["response"].body.decode()[-80:]))


def test_cleanups_that_raise_or_overrun_do_not_stop_the_next(servers, tmp_path):
    port = free_port()
    marker = str(tmp_path / "marker")
    server = servers([PYTHON, os.path.join(SERVERS, "py_cleanups.py"), str(port), marker],
                     lastcall_args=("-t", "5s"))
    wait_listening(server)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        assert s.recv(16) == b"ok"
    server.send(signal.SIGTERM)
    assert server.wait_exit(10) == 0, server.stderr_text()
    text = open(marker).read()
    assert "slow started" in text and "last ran" in text and "slow ended" not in text, text
    assert server.has_line(r'cleanup "raises" raised ValueError: the cache is gone at .*py_cleanups.py:\d+')
    assert server.has_line(r'cleanup "slow" still running after its budget of 0.3s')
    assert server.has_line(r'cleanup "last" done')
    woke = open(marker + ".woke").read()
    assert "woke, shutting_down=True" in woke


def test_without_the_library_the_module_does_nothing():
    script = f"""
import asyncio, sys, time
sys.path.insert(0, {MODULE_DIR!r})
import lastcall
assert lastcall.available() is False
assert lastcall.shutting_down() is False
assert lastcall.register_cleanup("x", lambda: None, 1) is False
assert lastcall.shutdown_fd() == -1
began = time.monotonic()
assert lastcall.wait_shutdown_blocking(0.2) is False
assert time.monotonic() - began >= 0.19
async def main():
    try:
        await asyncio.wait_for(lastcall.wait_shutdown(), 0.3)
    except asyncio.TimeoutError:
        return "never completed"
    return "completed"
print(asyncio.run(main()))
"""
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    out = subprocess.run([PYTHON, "-c", script], env=env, capture_output=True, text=True,
                         timeout=20)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "never completed"
