"""32 concurrent clients, a new connection per request, SIGTERM mid-load:
every request is either answered in full or refused after the stop. No
resets, no truncated replies, no timeouts."""
import os
import signal
import threading
import time

import pytest

from harness import NAIVE_SERVER, PYTHON, free_port, http_get, wait_listening

CLIENTS = 32
MAX_REQUESTS_PER_CLIENT = 2000  # bounds each loop
BODY = 20000


def client_loop(port, path, stats, lock, stop_by):
    for _ in range(MAX_REQUESTS_PER_CLIENT):
        if time.monotonic() > stop_by:
            break
        outcome = http_get(port, path, timeout=5)
        with lock:
            if outcome.error == "refused":
                stats["refused"] += 1
                return
            if outcome.ok and len(outcome.body) == BODY:
                stats["ok"] += 1
                if stats["signalled"]:
                    stats["ok_after_signal"] += 1
            else:
                stats["failed"].append(repr(outcome))


@pytest.mark.parametrize("kind", ["naive", "python"])
def test_no_request_fails_under_load_during_shutdown(servers, tmp_path, kind):
    port = free_port()
    if kind == "naive":
        server = servers([NAIVE_SERVER, str(port)])
        path = f"/bytes?n={BODY}"
    else:
        (tmp_path / "f").write_bytes(os.urandom(BODY))
        server = servers([PYTHON, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                         cwd=tmp_path)
        path = "/f"
    wait_listening(server)
    stats = {"ok": 0, "refused": 0, "failed": [], "ok_after_signal": 0, "signalled": False}
    lock = threading.Lock()
    stop_by = time.monotonic() + 20
    threads = [threading.Thread(target=client_loop, args=(port, path, stats, lock, stop_by))
               for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)  # load runs for a second before the signal
    with lock:
        stats["signalled"] = True
    server.send(signal.SIGTERM)
    for thread in threads:
        thread.join(30)
    assert server.wait_exit(10) == 0
    print(f"\n{kind}: ok={stats['ok']} (after signal {stats['ok_after_signal']}) "
          f"refused={stats['refused']} failed={len(stats['failed'])}")
    assert stats["failed"] == [], server.stderr_text()[-3000:]
    assert stats["ok"] > 100
    assert stats["refused"] == CLIENTS  # every client ended on a refusal
