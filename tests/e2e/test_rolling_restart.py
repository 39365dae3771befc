"""A rolling restart behind a load balancer: haproxy in front of two node
backends under lastcall with --health and --delay, health-checking /ready.
Each backend in turn gets SIGTERM, fails readiness at once, keeps serving
through the delay while haproxy takes it out, drains, exits, and is started
again. Every request of the load client must be answered 200."""
import os
import select
import signal
import socket
import time

from harness import SERVERS, LoadClients, free_port, http_get

NODE_SERVER = os.path.join(SERVERS, "node_server.js")
ROUNDS = 10
CLIENTS = 8


def haproxy_config(path, front, backends):
    servers = "\n".join(
        f"    server {name} 127.0.0.1:{port} check port {health} inter 100ms fall 1 rise 2"
        for name, port, health in backends)
    path.write_text(f"""global
    log stderr format raw local0 info
defaults
    mode http
    log global
    timeout connect 1s
    timeout client 10s
    timeout server 10s
    # strict: a request sent to a backend that refuses is an error, not retried
    retries 0
    option http-server-close
frontend fe
    bind 127.0.0.1:{front}
    default_backend be
backend be
    option httpchk GET /ready
    http-check expect status 200
{servers}
""")


def start_backend(servers, port, health):
    backend = servers(["node", NODE_SERVER, str(port), "handler"],
                      ["--health", f"127.0.0.1:{health}", "--delay", "1s", "--timeout", "10s"],
                      log_level="info")
    backend.wait_for(r"^ready$", stream="stdout")
    return backend


def test_rolling_restart_answers_every_request(servers, tmp_path):
    front = free_port()
    backends = [("a", free_port(), free_port()), ("b", free_port(), free_port())]
    running = {name: start_backend(servers, port, health) for name, port, health in backends}
    config = tmp_path / "haproxy.cfg"
    haproxy_config(config, front, backends)
    # haproxy -Ws tells a service manager when it is ready (sd_notify):
    # we play the manager
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify"))
    proxy = servers(["haproxy", "-Ws", "-db", "-f", str(config)], lastcall_args=None,
                    env={"NOTIFY_SOCKET": str(tmp_path / "notify")})
    for _ in range(10):  # bounded: a few status messages, then READY=1
        assert select.select([notify], [], [], 10)[0], proxy.stderr_text()
        if b"READY=1" in notify.recv(4096):
            break
    else:
        raise AssertionError("haproxy never said READY=1")
    assert http_get(front, "/").ok

    # haproxy is never stopped: a refusal is a failure like any other
    load = LoadClients(front, "/slow?ms=20", CLIENTS, refused_ends=False)

    ups = {name: 0 for name, _, _ in backends}
    for round_ in range(ROUNDS):
        for name, port, health in backends:
            old = running[name]
            old.send(signal.SIGTERM)
            assert old.wait_exit(10) == 0, old.stderr_text()
            ups[name] += 1
            # counted before the new one starts: a fast start may be UP at once
            with proxy._cond:
                seen = sum(1 for _, l in proxy.lines if f"Server be/{name} is UP" in l)
            running[name] = start_backend(servers, port, health)
            # back in rotation only once haproxy says so
            deadline = time.monotonic() + 10
            with proxy._cond:
                while sum(1 for _, l in proxy.lines if f"Server be/{name} is UP" in l) < seen + 1:
                    left = deadline - time.monotonic()
                    assert left > 0, proxy.stderr_text()[-2000:]
                    proxy._cond.wait(left)
    load.stop(30)
    print(f"\nrolling restart: {ROUNDS} rounds, ok={load.ok} failed={len(load.failed)}")
    assert load.failed == [], load.failed[:5]
    assert load.ok > ROUNDS * 50
