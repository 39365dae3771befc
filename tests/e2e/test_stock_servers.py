"""More stock servers for the compatibility matrix: nginx (master and
workers; its own graceful mode, SIGQUIT, for comparison) and memcached."""
import hashlib
import os
import signal
import socket
import time

import pytest

from harness import (Outcome, connect_refused, free_port, http_get, in_thread,
                     world_readable_dir)

SIZE = 16 * 1024 * 1024


def nginx_setup(port):
    # nginx's workers run as nobody: everything they read must be reachable
    root = world_readable_dir()
    www = os.path.join(root, "www")
    os.mkdir(www)
    os.chmod(www, 0o755)
    data = os.urandom(SIZE)
    with open(os.path.join(www, "big.bin"), "wb") as f:
        f.write(data)
    os.chmod(os.path.join(www, "big.bin"), 0o644)
    conf = os.path.join(root, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""daemon off;
master_process on;
worker_processes 2;
pid {root}/nginx.pid;
error_log stderr notice;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {root}/tmp;
    server {{ listen 127.0.0.1:{port}; root {www}; }}
}}
""")
    return conf, hashlib.sha256(data).hexdigest()


def downloads(port, count=3):
    outcomes = [Outcome() for _ in range(count)]
    for outcome in outcomes:
        in_thread(http_get, port, "/big.bin", outcome, 65536, 0.008, rcvbuf=32768)
    for outcome in outcomes:
        assert outcome.started.wait(10)
    return outcomes


@pytest.mark.parametrize("mode", ["lastcall-TERM", "plain-TERM", "plain-QUIT"])
def test_nginx_downloads(servers, mode):
    port = free_port()
    conf, digest = nginx_setup(port)
    under = mode.startswith("lastcall")
    server = servers(["nginx", "-c", conf, "-e", "stderr"], lastcall_args=() if under else None)
    server.wait_for(r"start worker process")
    got = downloads(port)
    server.send(signal.SIGQUIT if mode.endswith("QUIT") else signal.SIGTERM)
    if under:
        server.wait_for(r"listeners closed \(1")
        assert connect_refused(port)
    for outcome in got:
        assert outcome.done.wait(30)
    code = server.wait_exit(20)
    if mode == "plain-TERM":
        assert not any(o.ok for o in got), "control: nginx's fast shutdown cuts downloads"
        return
    for outcome in got:
        assert outcome.ok, (outcome, "\n".join(l for l in server.stderr_text().splitlines() if " fd " not in l and "active:" not in l)[-3000:])
        assert hashlib.sha256(outcome.body).hexdigest() == digest
    assert code == 0
    # The workers closed the downloads with their last megabytes still in
    # the kernel's send queues: under lastcall the exit waits for them to
    # be delivered (a container's network goes with the process). nginx's
    # own graceful mode exits a second before the last byte.
    last_byte = max(o.done_time for o in got)
    print(f"\nnginx {mode}: exit {(server.exit_time - last_byte) * 1000:+.0f} ms from the last byte")
    assert not under or server.exit_time >= last_byte - 0.05, \
        f"exited {(last_byte - server.exit_time) * 1000:.0f} ms before the last byte was delivered"


def test_memcached_idle_closed_big_reply_delivered(servers):
    port = free_port()
    server = servers(["memcached", "-l", "127.0.0.1", "-p", str(port), "-U", "0", "-u", "root",
                      "-I", "8m", "-m", "64"])
    server.wait_for(r"listening on")
    value = os.urandom(4 * 1024 * 1024)
    setter = socket.create_connection(("127.0.0.1", port), timeout=10)
    setter.sendall(b"set big 0 0 %d\r\n%s\r\n" % (len(value), value))
    assert setter.recv(100) == b"STORED\r\n"  # setter is now an idle client

    reader = socket.socket()
    reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32768)
    reader.settimeout(10)
    reader.connect(("127.0.0.1", port))
    reader.sendall(b"get big\r\n")
    first = reader.recv(65536)  # the reply is on its way; read it slowly
    time.sleep(0.1)
    server.send(signal.SIGTERM)
    signalled = server.signal_times[-1]
    assert setter.recv(100) == b""  # idle client closed...
    assert time.monotonic() - signalled < 0.5  # ...at once
    data = first
    while not data.endswith(b"END\r\n"):
        chunk = reader.recv(65536)
        assert chunk, "reply cut short"
        data += chunk
        time.sleep(0.005)
    assert value in data
    assert server.wait_exit(10) == 0
