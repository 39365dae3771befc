"""Prefork: the master binds and listens, workers share the listener and
accept; the master forwards SIGTERM to its workers. In-flight requests in
workers complete, nobody sees an accept error, the backlog is not reset,
and no process is left behind."""
import os
import signal
import threading
import time

import pytest

from harness import PREFORK_SERVER, Outcome, free_port, http_get, in_thread, wait_listening

WORKERS = 8
CLIENTS = 16


def load(port, stats, lock, stop_by):
    for _ in range(2000):  # bounded
        if time.monotonic() > stop_by:
            return
        outcome = http_get(port, "/slow?ms=5", timeout=5)
        with lock:
            if outcome.error == "refused":
                stats["refused"] += 1
                return
            if outcome.ok:
                stats["ok"] += 1
            else:
                stats["failed"].append(repr(outcome))


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie still answers kill(0): read its state
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.parametrize("who", ["master", "group"])
def test_prefork_shutdown_loses_nothing_and_leaves_no_process(servers, who):
    port = free_port()
    server = servers([PREFORK_SERVER, str(port), str(WORKERS)], own_session=True)
    server.wait_for(r"^ready$", stream="stdout")
    workers = [int(line.split()[1]) for _, line in server.stdout_lines if line.startswith("worker ")]
    assert len(workers) == WORKERS

    long_requests = [Outcome() for _ in range(3)]
    for outcome in long_requests:
        in_thread(http_get, port, "/slow?ms=1000", outcome)
    stats = {"ok": 0, "refused": 0, "failed": []}
    lock = threading.Lock()
    stop_by = time.monotonic() + 20
    clients = [threading.Thread(target=load, args=(port, stats, lock, stop_by)) for _ in range(CLIENTS)]
    for client in clients:
        client.start()
    time.sleep(0.5)

    if who == "master":
        server.send(signal.SIGTERM)
    else:
        server.send_group(signal.SIGTERM)
    for client in clients:
        client.join(30)
    assert server.wait_exit(15) == 0
    print(f"\nprefork ({who}): ok={stats['ok']} refused={stats['refused']} failed={len(stats['failed'])}")
    for outcome in long_requests:
        assert outcome.done.wait(5)
        assert outcome.ok, outcome
    assert stats["failed"] == [], server.stderr_text()[-3000:]
    assert stats["ok"] > 50 and stats["refused"] == CLIENTS
    assert not server.has_line(r"accept error", stream="stdout")
    assert server.has_line(r"master: all workers exited", stream="stdout")
    assert not any(alive(pid) for pid in workers)


def test_master_stops_the_listener_and_workers_step_out(servers):
    port = free_port()
    server = servers([PREFORK_SERVER, str(port), "2"], own_session=True)
    server.wait_for(r"^ready$", stream="stdout")
    request = Outcome()
    in_thread(http_get, port, "/slow?ms=600", request)
    time.sleep(0.2)
    server.send_group(signal.SIGTERM)
    assert server.wait_exit(10) == 0
    assert request.ok, request
    master = server.pid
    # the owner closed it for everyone; each worker only stepped out
    assert server.has_line(rf"lastcall\[{master}\]: listeners closed \(1: 127\.0\.0\.1:{port}\)")
    stepped = [line for _, line in server.lines if "stepped out of 1 shared" in line]
    assert len(stepped) == 2, server.stderr_text()
