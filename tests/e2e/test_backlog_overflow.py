"""A backlog too small for its load (python's HTTPServer asks for 5, old
services for less) drops final ACKs. A client that was answered with a SYN
cookie then leaves no trace on the server at all: no SYN_RECV socket, no
queue entry. It believes it is connected, has sent its request, and lands
only when its own retransmission finds room. Closing the listener before
that resets it. lastcall keeps a listener that dropped handshakes open (its
backlog raised) for clients like this one."""
import os
import socket
import struct
import time

import pytest

from harness import PYTHON, SERVERS, Server, free_port, wait_listening

SMALL_BACKLOG_SERVER = os.path.join(SERVERS, "small_backlog_server.py")
PATIENCE = 2.0  # drain.c HALF_OPEN_PATIENCE_NS


def syncookies_enabled():
    try:
        with open("/proc/sys/net/ipv4/tcp_syncookies") as f:
            return f.read().strip() != "0"
    except OSError:
        return False


def delayed_ack_client(port):
    """A client in delayed-ACK mode: connect() returns on the SYN-ACK while
    its final ACK waits (up to 200 ms) to ride on its first data. Until
    then the server holds only a request socket, or nothing (a cookie)."""
    s = socket.socket()
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 0)
    s.connect(("127.0.0.1", port))
    return s


def server_side_ports(port):
    """Remote ports of every socket the kernel holds for local `port`
    (established, queued, and SYN_RECV request sockets alike)."""
    ports = set()
    with open("/proc/net/tcp") as f:
        next(f)
        for row in f:
            local, remote = row.split()[1:3]
            if int(local.split(":")[1], 16) == port:
                ports.add(int(remote.split(":")[1], 16))
    return ports


def read_reply(sock):
    sock.settimeout(10)
    data = b""
    try:
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                return data
            data += chunk
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}".encode()


@pytest.mark.skipif(not syncookies_enabled(), reason="needs net.ipv4.tcp_syncookies")
def test_a_client_dropped_without_a_trace_is_served(servers):
    port = free_port()
    server = servers([PYTHON, SMALL_BACKLOG_SERVER, str(port), "1"])
    wait_listening(server)

    # The server is busy: one request at a time, this one held open.
    busy = socket.create_connection(("127.0.0.1", port))
    busy.sendall(b"GET /hold HTTP/1.0\r\n\r\n")
    server.wait_for("^holding$")
    # Request sockets fill the SYN queue (its limit is the backlog), so the
    # next handshake gets a SYN cookie: the server keeps nothing for it.
    holders = [delayed_ack_client(port) for _ in range(3)]
    invisible = delayed_ack_client(port)
    for holder in holders:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        holder.close()  # a reset frees their request sockets
    queued = []
    for name in ("first", "second"):
        client = socket.create_connection(("127.0.0.1", port))
        client.sendall(f"GET /{name} HTTP/1.0\r\n\r\n".encode())
        queued.append(client)
    # The accept queue is full now: this request (and the final ACK it
    # carries) is dropped. The client retransmits it on its own timer, its
    # first try (a tail loss probe) about 200 ms from now.
    invisible.sendall(b"GET /invisible HTTP/1.0\r\n\r\n")
    signalled = time.monotonic()
    assert invisible.getsockname()[1] not in server_side_ports(port), \
        "the scenario needs a client the server holds nothing for"

    server.send(15)
    busy.sendall(b"go\n")  # the server is free again: it serves its queue

    replies = {name: read_reply(sock) for name, sock in
               (("hold", busy), ("first", queued[0]), ("second", queued[1]),
                ("invisible", invisible))}
    for name, reply in replies.items():
        assert reply.startswith(b"HTTP/1.0 200"), (name, reply, server.stderr_text())
        assert reply.endswith(f"served /{name}\n".encode()), (name, reply)
    assert server.wait_exit(10) == 0
    server.wait_for(rf"127\.0\.0\.1:{port} overflowed its backlog of 1 \(\d+ segments? dropped\): "
                    r"keeping it 2s for clients that retransmit")
    # The listener was held for the patience, and not much longer.
    assert server.exit_time - signalled < PATIENCE + 1.5, server.stderr_text()
