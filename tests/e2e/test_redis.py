"""redis-server: an idle client is closed at once, an in-flight BLPOP gets
its nil reply when its timeout ends, then redis runs its own shutdown."""
import signal
import socket
import time

from harness import free_port, in_thread, wait_listening


class RedisClient:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)

    def command(self, *args):
        payload = f"*{len(args)}\r\n" + "".join(f"${len(a)}\r\n{a}\r\n" for a in args)
        self.sock.sendall(payload.encode())

    def read_reply(self):
        data = b""
        while b"\r\n" not in data:
            chunk = self.sock.recv(4096)
            if not chunk:
                return None  # EOF
            data += chunk
        return data


def test_idle_client_closed_blpop_gets_nil_then_redis_exits_zero(servers, tmp_path):
    port = free_port()
    server = servers(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                      "--save", "", "--appendonly", "no", "--dir", str(tmp_path)])
    wait_listening(server)

    idle = RedisClient(port)
    idle.command("PING")
    assert idle.read_reply() == b"+PONG\r\n"
    idle_eof = {}

    def watch_idle():
        idle_eof["reply"] = idle.read_reply()
        idle_eof["time"] = time.monotonic()
    idle_watch = in_thread(watch_idle)

    blocked = RedisClient(port)
    blocked.command("BLPOP", "k", "2")
    reply = {}
    sent = time.monotonic()

    def wait_reply():
        reply["data"] = blocked.read_reply()
        reply["time"] = time.monotonic()
    blpop_thread = in_thread(wait_reply)
    server.wait_for(r"listening on")
    time.sleep(0.2)  # the BLPOP reaches redis

    server.send(signal.SIGTERM)
    signalled = server.signal_times[-1]
    server.wait_for(r"SIGTERM: draining 2 connections")
    idle_watch.join(2)
    assert idle_eof.get("reply", b"x") is None, "idle client was not closed"
    assert idle_eof["time"] - signalled < 0.5

    blpop_thread.join(5)
    assert reply["data"] == b"*-1\r\n", reply
    assert 1.9 < reply["time"] - sent < 3.0  # answered when its own timeout ended
    assert server.wait_exit(5) == 0
    assert server.has_line(r"exit: handing SIGTERM to the program's handler")
    assert "Received SIGTERM" in server.stdout_text()
