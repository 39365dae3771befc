"""Pooled keep-alive clients under sustained load (a load balancer's or an
SDK's connection pool): 16 connections sending requests back to back for
longer than the drain timeout, SIGTERM in the middle. Every request sent
gets its complete response, every in-flight response carries
Connection: close so the client leaves without racing a close, and the
process exits within a second of the signal. Against node, node's cluster
(2 workers handed each connection by the primary), Python's
ThreadingHTTPServer (HTTP/1.1) and lighttpd, with 50 ms requests and with
instant ones, RUNS times each."""
import os
import signal
import threading
import time

import pytest

from harness import SERVERS, SLOWDOWN, free_port, wait_listening
from http1_client import run_pool

RUNS = int(os.environ.get("LASTCALL_POOL_RUNS", "10"))
CLIENTS = 16
LOAD_BEFORE_SIGNAL = 0.5
# lastcall -t 3s: the drain timeout is 2.4 s; the load would go on 5 s.
LOAD_SECONDS = 5.0


def lighttpd_config(tmp_path, port):
    root = tmp_path / "www"
    root.mkdir(exist_ok=True)
    (root / "index.txt").write_text("ok")
    slow = root / "slow.sh"
    slow.write_text("#!/bin/sh\nsleep 0.05\nprintf 'Content-Type: text/plain\\r\\n\\r\\nok'\n")
    slow.chmod(0o755)
    conf = tmp_path / "lighttpd.conf"
    conf.write_text(
        f'server.document-root = "{root}"\n'
        f"server.port = {port}\n"
        'server.bind = "127.0.0.1"\n'
        'server.modules += ("mod_cgi")\n'
        'cgi.assign = (".sh" => "/bin/sh")\n'
        "server.max-keep-alive-requests = 100000\n"
        "server.max-keep-alive-idle = 60\n"
    )
    return conf


def start(servers, kind, port, tmp_path):
    args = ("-t", "3s")
    if kind == "node":
        server = servers(["node", os.path.join(SERVERS, "sse_server.js"), str(port)],
                         lastcall_args=args)
    elif kind == "node-cluster":
        # the same routes in 2 workers of node's cluster, the primary
        # handing them each connection (test_node_cluster.py)
        server = servers(["node", os.path.join(SERVERS, "cluster_server.js"), str(port)],
                         lastcall_args=args)
        server.wait_for("cluster ready", timeout=20, stream="stdout")
    elif kind == "python":
        server = servers(["/usr/bin/python3", os.path.join(SERVERS, "http11_server.py"), str(port)],
                         lastcall_args=args)
    else:
        server = servers(["lighttpd", "-D", "-f", str(lighttpd_config(tmp_path, port))],
                         lastcall_args=args)
    wait_listening(server)
    return server


PATHS = {
    ("node", "instant"): "/", ("node", "50ms"): "/?ms=50",
    ("node-cluster", "instant"): "/", ("node-cluster", "50ms"): "/?ms=50",
    ("python", "instant"): "/", ("python", "50ms"): "/slow?ms=50",
    ("lighttpd", "instant"): "/index.txt", ("lighttpd", "50ms"): "/slow.sh",
}


@pytest.mark.parametrize("requests", ["instant", "50ms"])
@pytest.mark.parametrize("kind", ["node", "node-cluster", "python", "lighttpd"])
def test_a_keepalive_pool_leaves_cleanly(servers, tmp_path, kind, requests):
    exits = []
    for run in range(RUNS):
        port = free_port()
        server = start(servers, kind, port, tmp_path)
        stop = threading.Event()
        clients = run_pool(port, PATHS[(kind, requests)], CLIENTS, stop)
        time.sleep(LOAD_BEFORE_SIGNAL)
        assert all(c.requests > 0 for c in clients), "the load never got going"
        server.send(signal.SIGTERM)
        signalled = server.signal_times[-1]
        deadline = time.monotonic() + LOAD_SECONDS
        for c in clients:
            c.thread.join(max(0.1, deadline - time.monotonic()))
        stop.set()
        for c in clients:
            c.thread.join(5)
        server.wait_exit(10)
        failures = [f for c in clients for f in c.failures]
        assert not failures, (f"run {run}: {len(failures)} failed requests: {failures[:5]}\n"
                              + "\n".join(server.stderr_text().splitlines()[-60:]))
        assert all(c.left for c in clients), f"run {run}: a client never left"
        assert all(c.last.says_close() for c in clients), \
            f"run {run}: a last response without Connection: close: " + \
            repr([c.last for c in clients if not c.last.says_close()][:3])
        exits.append(server.exit_time - signalled)
        assert exits[-1] < 1.0 * SLOWDOWN, f"run {run}: exit {exits[-1]:.3f} s after the signal"
        assert server.has_line(r"drained in")
    print(f"{kind} {requests}: {RUNS} runs, 0 failed, exit after signal "
          f"{min(exits) * 1000:.0f}-{max(exits) * 1000:.0f} ms")
