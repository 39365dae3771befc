"""Prefork: the master binds and listens, workers share the listener and
accept; the master forwards SIGTERM to its workers. In-flight requests in
workers complete, nobody sees an accept error, the backlog is not reset,
and no process is left behind."""
import os
import signal
import time

import pytest

from harness import PREFORK_SERVER, LoadClients, Outcome, free_port, http_get, in_thread

WORKERS = 8
CLIENTS = 16


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
    load = LoadClients(port, "/slow?ms=5", CLIENTS, timeout=5, until=time.monotonic() + 20,
                       max_requests=2000)
    time.sleep(0.5)

    if who == "master":
        server.send(signal.SIGTERM)
    else:
        server.send_group(signal.SIGTERM)
    load.join(30)
    assert server.wait_exit(15) == 0
    print(f"\nprefork ({who}): ok={load.ok} refused={load.refused} failed={len(load.failed)}")
    for outcome in long_requests:
        assert outcome.done.wait(5)
        assert outcome.ok, outcome
    assert load.failed == [], server.stderr_text()[-3000:]
    assert load.ok > 50 and load.refused == CLIENTS
    assert not server.has_line(r"accept error", stream="stdout"), \
        [line for _, line in server.stdout_lines if "accept error" in line] + \
        [server.stderr_text()[-3000:]]
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
