"""node's cluster module in its default mode on Linux (round-robin): the
primary accepts every connection and hands it to a worker over IPC
(SCM_RIGHTS); the workers never listen nor accept, and die when the
primary does. A SIGTERM to the primary alone (`docker stop`, Kubernetes:
the container's PID 1) or to the whole group (systemd's
KillMode=control-group): streams that pause complete, responses in flight
say Connection: close and pooled clients leave without a failed request,
and the primary exits once its workers have drained."""
import os
import signal
import threading
import time

import pytest

from harness import SERVERS, free_port, in_thread
from http1_client import run_pool
from test_http_streams import stream

CLUSTER = os.path.join(SERVERS, "cluster_server.js")
STREAM = "/sse?events=4&gap=1500"  # 4 events 1.5 s apart: across the signal


def start(servers, port, lastcall_args):
    server = servers(["node", CLUSTER, str(port)], lastcall_args=lastcall_args,
                     own_session=True)
    server.wait_for("cluster ready", timeout=20, stream="stdout")
    return server


def signal_cluster(server, to):
    if to == "group":
        server.send_group(signal.SIGTERM)
    else:
        server.send(signal.SIGTERM)


@pytest.mark.parametrize("to", ["primary", "group"])
def test_a_cluster_drains_in_its_workers(servers, to):
    port = free_port()
    server = start(servers, port, ("-t", "20s"))
    streams = [{} for _ in range(2)]
    for into in streams:
        in_thread(stream, port, STREAM, into)
    stop = threading.Event()
    pool = run_pool(port, "/slow?ms=50", 4, stop)
    time.sleep(1.0)  # the streams in their first pause, the pool busy
    assert all(c.requests > 0 for c in pool), "the load never got going"
    signal_cluster(server, to)
    for c in pool:
        c.thread.join(5)
    stop.set()
    # The primary's natural end (0: its workers gone, its loop empty) or
    # node's own re-raise of the SIGTERM handed back to it: whichever
    # comes first once the workers have exited.
    assert server.wait_exit(20) in (0, -signal.SIGTERM), server.stderr_text()
    ends = []
    for into in streams:
        assert "error" not in into, (into, server.stderr_text())
        assert into["response"].body.decode().count("data: token") == 4, into["response"].body
        ends.append(into["end"])
    failures = [f for c in pool for f in c.failures]
    assert not failures, (failures[:5], server.stderr_text())
    assert all(c.left for c in pool), "a pooled client never left"
    assert all(c.last.says_close() for c in pool), [c.last for c in pool]
    # the streams' connections get the keep-alive grace (250 ms) after
    # their end, then the workers exit, then the primary
    latency = server.exit_time - max(ends)
    print(f"\n{to}: exit {latency * 1000:.0f} ms after the last stream ended")
    assert latency < 1.0, f"exit {latency:.3f} s after the last stream ended"
    assert server.has_line(r"SIGTERM: 2 children serve under lastcall \(node \d+, node \d+\)")
    # A worker drains only once the primary hands it nothing more: told
    # by the group's signal first, it serves on until the primary's word.
    awaited = server.stderr_text().count("serving on until the parent")
    assert awaited == (2 if to == "group" else 0), server.stderr_text()
    assert not server.has_line(r"cut:")
    assert "second SIGTERM" not in server.stderr_text()


def test_without_lastcall_the_streams_are_cut(servers):
    """The control: the primary dies of SIGTERM, its workers with it."""
    port = free_port()
    server = start(servers, port, None)
    streams = [{} for _ in range(2)]
    threads = [in_thread(stream, port, STREAM, into) for into in streams]
    time.sleep(1.0)
    signal_cluster(server, "primary")
    assert server.wait_exit(10) == -signal.SIGTERM
    for thread, into in zip(threads, streams):
        thread.join(10)
        assert "error" in into, into
