"""A server that hands its connections to itself over a Unix socket pair
(SCM_RIGHTS), as node's cluster primary hands them to its workers: each
accepted connection is sent, the accepted copy closed, and the request is
served on the copy received. At start it also connects to an upstream
(argv[2]) and passes that outgoing connection the same way, keeping it
open: lastcall must count the first kind and never the second.

    handoff_server.py PORT UPSTREAM_PORT

GET /slow?ms=N answers "done" after N ms, with Connection: close."""
import socket
import sys
import time

port, upstream_port = int(sys.argv[1]), int(sys.argv[2])
sender, receiver = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)


def hand_over(sock):
    socket.send_fds(sender, [b"x"], [sock.fileno()])
    sock.close()
    _, fds, _, _ = socket.recv_fds(receiver, 1, 1)
    return socket.socket(fileno=fds[0])


upstream = hand_over(socket.create_connection(("127.0.0.1", upstream_port)))
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", port))
listener.listen(16)
print("ready", flush=True)
while True:
    conn, _ = listener.accept()
    conn = hand_over(conn)
    request = b""
    while b"\r\n\r\n" not in request:
        chunk = conn.recv(4096)
        if not chunk:
            break
        request += chunk
    ms = int(request.split(b"ms=", 1)[1].split()[0]) if b"ms=" in request else 0
    time.sleep(ms / 1000)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\ndone\n")
    conn.close()
