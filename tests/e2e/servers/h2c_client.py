"""HTTP/2 by upgrade (RFC 7540 3.2), as curl --http2 does on http:// URLs:
an HTTP/1.1 request with "Upgrade: h2c", a 101, then both prefaces, and
the answer on stream 1 in HTTP/2 frames. Raw frames (no HPACK needed: the
test reads only DATA), so that every GOAWAY is seen.

    h2c_client.py PORT STREAM_PATH STREAMS IDLE_PATH IDLES

STREAMS connections ask for STREAM_PATH (a token stream) and IDLES for
IDLE_PATH (a small file), then stay open. Prints "started" once every
stream has its first token and every idle connection its whole answer,
then one JSON line per event (times from CLOCK_MONOTONIC):
{"conn": i, "goaway": error, "last": id, "at": t},
{"conn": i, "path": p, "tokens": n, "bytes": n, "end_stream": bool, "at": t},
{"conn": i, "reset": error, "at": t},
{"conn": i, "closed": true, "at": t}."""
import json
import socket
import struct
import sys
import threading
import time

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY = 0x0, 0x1, 0x3, 0x4, 0x6, 0x7
END_STREAM, ACK = 0x1, 0x1

print_lock = threading.Lock()
first_answers = threading.Semaphore(0)


def say(event):
    with print_lock:
        print(json.dumps(event), flush=True)


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def connection(index, port, path, streaming):
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                 "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                 "HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        if not chunk:
            raise SystemExit(f"conn {index}: closed before the 101: {head!r}")
        head += chunk
    if not head.startswith(b"HTTP/1.1 101"):
        raise SystemExit(f"conn {index}: no upgrade: {head!r}")
    sock.sendall(PREFACE + frame(SETTINGS, 0, 0))
    body, told = b"", False
    while True:
        header = read_exact(sock, 9)
        if header is None:
            break
        length = struct.unpack(">I", b"\0" + header[:3])[0]
        kind, flags = header[3], header[4]
        stream = struct.unpack(">I", header[5:9])[0] & 0x7fffffff
        payload = read_exact(sock, length) if length else b""
        if payload is None:
            break
        if kind == SETTINGS and not flags & ACK:
            sock.sendall(frame(SETTINGS, ACK, 0))
        elif kind == PING and not flags & ACK:
            sock.sendall(frame(PING, ACK, 0, payload))
        elif kind == GOAWAY:
            last, error = struct.unpack(">II", payload[:8])
            say({"conn": index, "goaway": error, "last": last & 0x7fffffff, "at": time.monotonic()})
        elif kind == RST_STREAM:
            say({"conn": index, "reset": struct.unpack(">I", payload)[0], "at": time.monotonic()})
        elif kind == DATA and stream == 1:
            body += payload
            ended = bool(flags & END_STREAM)
            if not told and (ended or (streaming and b"token 1" in body)):
                told = True
                first_answers.release()
            if ended:
                say({"conn": index, "path": path, "tokens": body.count(b"token "),
                     "bytes": len(body), "end_stream": True, "at": time.monotonic()})
    if not told:
        first_answers.release()
        say({"conn": index, "path": path, "tokens": body.count(b"token "), "bytes": len(body),
             "end_stream": False, "at": time.monotonic()})
    say({"conn": index, "closed": True, "at": time.monotonic()})


def main():
    port, stream_path, streams = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    idle_path, idles = sys.argv[4], int(sys.argv[5])
    threads = []
    for i in range(streams + idles):
        path = stream_path if i < streams else idle_path
        t = threading.Thread(target=connection, args=(i, port, path, i < streams), daemon=True)
        t.start()
        threads.append(t)
    for _ in threads:
        if not first_answers.acquire(timeout=30):
            raise SystemExit("no first answer within 30 s")
    with print_lock:
        print("started", flush=True)
    for t in threads:
        t.join(timeout=60)


if __name__ == "__main__":
    main()
