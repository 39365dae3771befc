"""A Python server whose main thread blocks in socket.accept(); each
connection is served by a thread. Ctrl-C (SIGINT) is its only way out:
KeyboardInterrupt, a message, exit 0."""
import socket
import sys
import threading
import time

port = int(sys.argv[1])
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", port))
listener.listen(16)


def serve(conn):
    with conn:
        conn.recv(4096)
        time.sleep(0.8)
        conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nslow\n")


try:
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()
except KeyboardInterrupt:
    print("KeyboardInterrupt in accept: exiting", flush=True)
    sys.exit(0)
