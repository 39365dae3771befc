"""HTTP/1.x responses are judged by where they end, not by timing: a
Server-Sent Events stream that pauses between events (an LLM token stream)
is never taken for idle, and the process exits as soon as the last stream
ends. Then every kind of framing across the signal: a large download, HEAD,
304, chunked with trailers, Expect: 100-continue, pipelined requests, a
slow reader whose tiny window cuts lastcall's header write short."""
import hashlib
import os
import signal
import time

import pytest

from harness import SERVERS, free_port, in_thread, wait_listening
from http1_client import Connection

NODE_SSE = os.path.join(SERVERS, "sse_server.js")
PYTHON_HTTP11 = os.path.join(SERVERS, "http11_server.py")


def stream(port, path, into):
    try:
        conn = Connection(port, timeout=20)
        conn.request("GET", path)
        into["response"] = conn.read_response()
        into["end"] = time.monotonic()
        into["eof"] = conn.wait_eof(5)
        conn.close()
    except Exception as exc:  # noqa: BLE001
        into["error"] = repr(exc)


def test_sse_streams_that_pause_complete_and_the_exit_follows_the_last(servers):
    port = free_port()
    server = servers(["node", NODE_SSE, str(port)], lastcall_args=("-t", "20s"))
    wait_listening(server)
    results = [{} for _ in range(3)]
    for i, into in enumerate(results):
        # 4 events 1.5 s apart; the streams end at different times
        in_thread(stream, port, f"/sse?events={4 + i}&gap=1500", into)
    time.sleep(1.0)  # every stream in its first pause
    server.send(signal.SIGTERM)
    server.wait_for(r"SIGTERM: draining 3 connections")
    assert server.wait_exit(20) == -signal.SIGTERM  # node's own way to die of it
    ends = []
    for i, into in enumerate(results):
        assert "error" not in into, into
        r = into["response"]
        assert r.status == 200
        assert r.body.decode().count("data: token") == 4 + i, r.body
        assert into["eof"], "the finished stream's connection was not closed"
        ends.append(into["end"])
    # The streams began before the signal, so their responses could not say
    # Connection: close: each connection gets the keep-alive grace (250 ms)
    # after its stream ends, for a pooled client's next request.
    latency = server.exit_time - max(ends)
    print(f"exit {latency * 1000:.1f} ms after the last stream ended")
    assert 0.2 < latency < 0.4, f"exit {latency:.3f} s after the last stream ended"
    assert server.has_line(r"drained in")
    assert not server.has_line(r"cut:")


@pytest.fixture
def python_server(servers):
    port = free_port()
    server = servers(["/usr/bin/python3", PYTHON_HTTP11, str(port)], lastcall_args=("-t", "20s"))
    wait_listening(server)
    return server, port


def across_the_signal(server, ask, answer, wait=0.3):
    """`ask()` starts requests, the signal comes, `answer()` reads and
    checks them; the server must then close the connection and exit 0."""
    conn = ask()
    time.sleep(wait)
    server.send(signal.SIGTERM)
    server.wait_for(r"SIGTERM: draining")  # lastcall has seen it
    final = answer(conn)
    assert final.says_close(), f"the response after the signal kept the connection: {final}"
    assert conn.wait_eof(2), "the connection was not closed after a response that said close"
    assert server.wait_exit(10) == 0
    assert not server.has_line(r"cut:")


def test_a_download_in_flight_completes_byte_for_byte(python_server):
    server, port = python_server
    size = 8 * 1024 * 1024
    conn = Connection(port, timeout=20, rcvbuf=65536)
    conn.read_delay = 0.002
    conn.request("GET", f"/download?size={size}")
    time.sleep(0.2)
    server.send(signal.SIGTERM)
    r = conn.read_response()
    assert r.status == 200 and len(r.body) == size
    block = bytes(range(256)) * 256
    assert hashlib.sha256(r.body).digest() == hashlib.sha256((block * (size // len(block) + 1))[:size]).digest()
    # began before the signal: no Connection: close, the connection is
    # closed after it ends
    assert conn.wait_eof(2)
    assert server.wait_exit(10) == 0


def test_head_304_and_chunked_with_trailers_across_the_signal(python_server):
    server, port = python_server

    def ask():
        conns = [Connection(port), Connection(port), Connection(port)]
        conns[0].request("GET", "/etag")  # warm: learn the tag
        assert conns[0].read_response().status == 200
        conns[0].request("GET", "/etag?ms=400", headers=['If-None-Match: "v1"'])
        conns[1].request("HEAD", "/download?size=5000&ms=400")
        conns[2].request("GET", "/chunked?n=4&ms=250")
        return conns

    def answer(conns):
        not_modified = conns[0].read_response()
        assert not_modified.status == 304 and not_modified.body == b""
        head = conns[1].read_response(head=True)
        assert head.status == 200 and head.header("content-length") == "5000"
        chunked = conns[2].read_response()
        assert chunked.body == b"".join(f"chunk {i}\n".encode() for i in range(4))
        assert chunked.trailers == {"x-checksum": ["42"]}
        # the 304 and the HEAD answer were written after the signal
        for r, c in ((not_modified, conns[0]), (head, conns[1])):
            assert r.says_close(), r
            assert c.wait_eof(2)
        return chunked  # began before the signal

    conns = ask()
    time.sleep(0.1)
    server.send(signal.SIGTERM)
    chunked = answer(conns)
    assert conns[2].wait_eof(2)
    assert chunked.status == 200
    assert server.wait_exit(10) == 0
    assert not server.has_line(r"cut:")


def test_expect_100_continue_body_sent_after_the_signal(python_server):
    server, port = python_server

    def ask():
        conn = Connection(port)
        conn.send(b"POST /upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                  b"Content-Length: 5000\r\n\r\n")
        assert conn._line().startswith(b"HTTP/1.1 100")  # interim, before the body
        assert conn._line() == b""
        return conn

    def answer(conn):
        conn.send(b"x" * 5000)
        r = conn.read_response()
        assert r.status == 200 and r.body == b"got 5000"
        return r

    across_the_signal(server, ask, answer)


def test_two_pipelined_requests_are_both_answered(python_server):
    server, port = python_server

    def ask():
        conn = Connection(port)
        conn.send(b"GET /slow?ms=400 HTTP/1.1\r\nHost: x\r\n\r\nGET /?second HTTP/1.1\r\nHost: x\r\n\r\n")
        return conn

    def answer(conn):
        first = conn.read_response()
        assert first.status == 200 and first.body == b"ok"
        # the client asked for more: the first answer keeps the connection
        assert not first.says_close(), first
        second = conn.read_response()
        assert second.status == 200 and second.body == b"ok"
        return second

    across_the_signal(server, ask, answer)


def test_a_slow_reader_gets_the_inserted_header_whole(servers):
    """node writes the second pipelined response's head into a full send
    queue: lastcall's Connection: close goes out in pieces, and the bytes
    must still arrive exactly once, in order."""
    port = free_port()
    server = servers(["node", NODE_SSE, str(port)], lastcall_args=("-t", "20s"))
    wait_listening(server)
    size = 4 * 1024 * 1024
    conn = Connection(port, timeout=20, rcvbuf=4096)
    conn.send(f"GET /download?size={size} HTTP/1.1\r\nHost: x\r\n\r\n"
              "GET /?after HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    time.sleep(0.3)  # the send queue fills up with the download
    server.send(signal.SIGTERM)
    conn.read_delay = 0.001
    first = conn.read_response()
    assert first.status == 200 and first.body == b"x" * size
    second = conn.read_response()
    assert second.status == 200 and second.body == b"ok"
    assert second.says_close(), second
    assert conn.wait_eof(2)
    assert server.wait_exit(10) == -signal.SIGTERM
    assert not server.has_line(r"cut:")


def test_a_stream_cut_at_the_deadline_says_where_it_stood(servers, tmp_path):
    """The log's cut line, /status and the report say, for an HTTP
    connection, where its response was."""
    port, health = free_port(), free_port()
    report = tmp_path / "report.json"
    server = servers(["node", NODE_SSE, str(port)],
                     lastcall_args=("-t", "3s", "--cleanup-timeout", "1s",
                                    "--health", f"127.0.0.1:{health}", "--report", str(report)))
    wait_listening(server)
    into = {}
    in_thread(stream, port, "/sse?events=100&gap=300", into)
    time.sleep(1.0)
    status = Connection(health)
    status.request("GET", "/status")
    body = status.read_response().body.decode()
    assert '"protocol": "http/1.x: streaming chunked' in body, body
    server.send(signal.SIGTERM)
    server.wait_exit(10)
    _, cut = server.wait_for(r"cut: ")
    assert "http/1.x: streaming chunked" in cut and "chunks" in cut, cut
    import json
    connections = json.loads(report.read_text())["connections"]
    assert connections and connections[0]["protocol"].startswith("http/1.x: streaming chunked")
