"""Every kind of listener: IPv4, IPv6 and Unix-domain in one process,
listeners inherited from a parent (socket activation or not), and
SO_REUSEPORT groups shared by separate processes."""
import os
import signal
import socket
import threading
import time

from harness import PYTHON, SERVERS, Outcome, free_port, in_thread

MULTI = os.path.join(SERVERS, "multi_server.py")


def request(sock, path):
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0].split(b":")[1])
    while len(body) < length:
        body += sock.recv(4096)
    return body


def connect(endpoint):
    family, address = endpoint
    sock = socket.socket(family)
    sock.settimeout(10)
    sock.connect(address)
    return sock


def refused(endpoint):
    try:
        connect(endpoint).close()
        return False
    except ConnectionRefusedError:
        return True


def inflight(endpoint, ms):
    outcome = Outcome()

    def run():
        try:
            sock = connect(endpoint)
            outcome.started.set()
            outcome.body = request(sock, f"/slow?ms={ms}")
            outcome.status = 200
            sock.close()
        except Exception as exc:  # noqa: BLE001
            outcome.error = repr(exc)
        outcome.done_time = time.monotonic()
        outcome.done.set()
    in_thread(run)
    return outcome


def idle_client(endpoint):
    sock = connect(endpoint)
    request(sock, "/")
    eof = {}

    def watch():
        try:
            while sock.recv(4096):
                pass
        except OSError:
            pass
        eof["time"] = time.monotonic()
    thread = in_thread(watch)
    return thread, eof


def test_ipv4_ipv6_and_unix_listeners_drain_together(servers, tmp_path):
    p4, p6 = free_port(), free_port()
    path = str(tmp_path / "app.sock")
    endpoints = [(socket.AF_INET, ("127.0.0.1", p4)), (socket.AF_INET6, ("::1", p6)),
                 (socket.AF_UNIX, path)]
    server = servers([PYTHON, MULTI, f"tcp:127.0.0.1:{p4}", f"tcp:[::1]:{p6}", f"unix:{path}"])
    server.wait_for(r"^ready$", stream="stdout")
    idle = [idle_client(e) for e in endpoints]
    busy = [inflight(e, 800) for e in endpoints]
    for outcome in busy:
        assert outcome.started.wait(5)
    time.sleep(0.2)

    server.send(signal.SIGTERM)
    signalled = server.signal_times[-1]
    server.wait_for(r"SIGTERM: draining 6 connections")
    server.wait_for(r"listeners closed \(3")
    for endpoint in endpoints:
        assert refused(endpoint), endpoint
    for thread, eof in idle:
        thread.join(2)
        assert eof["time"] - signalled < 0.5  # idle ones closed at once, Unix too
    for outcome in busy:
        assert outcome.done.wait(5)
        assert outcome.error is None and outcome.body == f"{server.pid}\n".encode(), outcome
    assert server.wait_exit(5) == 0


def test_socket_activated_listener_is_left_to_the_manager(servers):
    """systemd keeps the socket and queues connections for the next start:
    the process stops accepting, the socket keeps listening."""
    manager = socket.socket()
    manager.bind(("127.0.0.1", 0))
    manager.listen(16)
    port = manager.getsockname()[1]
    # (systemd passes it as fd 3; lastcall goes by LISTEN_FDS, not the number)
    fd = manager.fileno()
    server = servers([PYTHON, MULTI, f"fd:{fd}"], env={"LISTEN_FDS": "1"}, pass_fds=(fd,))
    server.wait_for(r"^ready$", stream="stdout")
    busy = inflight((socket.AF_INET, ("127.0.0.1", port)), 600)
    assert busy.started.wait(5)
    time.sleep(0.2)
    server.send(signal.SIGTERM)
    server.wait_for(r"stepped out of 1 shared")
    assert busy.done.wait(5) and busy.error is None, busy
    assert server.wait_exit(5) == 0
    # the next instance finds the connection queued, not refused
    late = socket.create_connection(("127.0.0.1", port), timeout=5)
    manager.settimeout(5)
    conn, _ = manager.accept()
    conn.close()
    late.close()
    manager.close()


def test_inherited_listener_without_a_manager_is_stopped(servers):
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(16)
    port = holder.getsockname()[1]
    fd = holder.fileno()
    server = servers([PYTHON, MULTI, f"fd:{fd}"], pass_fds=(fd,))
    holder.close()  # the parent lets go: the server is the only holder
    server.wait_for(r"^ready$", stream="stdout")
    busy = inflight((socket.AF_INET, ("127.0.0.1", port)), 600)
    assert busy.started.wait(5)
    time.sleep(0.2)
    server.send(signal.SIGTERM)
    server.wait_for(r"listeners closed \(1")
    assert refused((socket.AF_INET, ("127.0.0.1", port)))
    assert busy.done.wait(5) and busy.error is None, busy
    assert server.wait_exit(5) == 0


def test_reuseport_group_keeps_serving_while_one_member_leaves(servers):
    port = free_port()
    a = servers([PYTHON, MULTI, f"reuseport:127.0.0.1:{port}"])
    b = servers([PYTHON, MULTI, f"reuseport:127.0.0.1:{port}"])
    a.wait_for(r"^ready$", stream="stdout")
    b.wait_for(r"^ready$", stream="stdout")
    stats = {"a": 0, "b": 0, "failed": []}
    lock = threading.Lock()
    stop = threading.Event()

    def client():
        for _ in range(3000):  # bounded
            if stop.is_set():
                return
            try:
                sock = connect((socket.AF_INET, ("127.0.0.1", port)))
                sock.settimeout(5)
                pid = int(request(sock, "/slow?ms=5"))
                sock.close()
                with lock:
                    stats["a" if pid == a.pid else "b"] += 1
            except Exception as exc:  # noqa: BLE001
                with lock:
                    stats["failed"].append(repr(exc))
    clients = [threading.Thread(target=client) for _ in range(8)]
    for thread in clients:
        thread.start()
    time.sleep(0.5)
    a.send(signal.SIGTERM)
    assert a.wait_exit(10) == 0
    served_by_a = stats["a"]
    time.sleep(1.5)  # b alone for a while, including SYNs a dropped (retransmitted)
    stop.set()
    for thread in clients:
        thread.join(10)
    print(f"\nreuseport: a={served_by_a} b={stats['b']} failed={len(stats['failed'])}")
    assert stats["failed"] == []
    assert served_by_a > 10 and stats["b"] > 10
    assert stats["a"] == served_by_a  # nothing reached a after it left
