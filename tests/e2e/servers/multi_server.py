"""A server on several listeners at once: an epoll loop accepts (nonblocking
listeners), a thread per connection serves HTTP/1.1 keep-alive with
blocking reads. GET /slow?ms=N answers after N ms.

  multi_server.py ENDPOINT...
    tcp:127.0.0.1:8080   tcp:[::1]:8080   unix:/path/sock
    fd:3 (an inherited listening socket)   reuseport:127.0.0.1:8080
"""
import os
import selectors
import socket
import sys
import threading
import time


def listener_for(spec):
    kind, _, rest = spec.partition(":")
    if kind == "fd":
        return socket.socket(fileno=int(rest))
    if kind == "unix":
        s = socket.socket(socket.AF_UNIX)
        s.bind(rest)
    else:
        host, _, port = rest.rpartition(":")
        host = host.strip("[]")
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        s = socket.socket(family)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if kind == "reuseport":
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        s.bind((host, int(port)))
    s.listen(128)
    return s


def serve(conn):
    conn.setblocking(True)
    buf = b""
    with conn:
        while True:
            while b"\r\n\r\n" not in buf:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                buf += chunk
            head, _, buf = buf.partition(b"\r\n\r\n")
            line = head.split(b"\r\n")[0].decode()
            if "ms=" in line:
                time.sleep(int(line.split("ms=")[1].split()[0]) / 1000)
            body = f"{os.getpid()}\n".encode()
            close = "HTTP/1.0" in line or b"connection: close" in head.lower()
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s"
                         % (len(body), b"Connection: close\r\n" if close else b"", body))
            if close:
                return


selector = selectors.DefaultSelector()
for spec in sys.argv[1:]:
    listener = listener_for(spec)
    listener.setblocking(False)
    selector.register(listener, selectors.EVENT_READ)
print("ready", flush=True)
while True:
    for key, _ in selector.select():
        try:
            conn, _ = key.fileobj.accept()
        except BlockingIOError:
            continue
        threading.Thread(target=serve, args=(conn,), daemon=True).start()
