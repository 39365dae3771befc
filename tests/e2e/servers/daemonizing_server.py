"""Binds and listens, then daemonizes the classic way (fork, setsid, fork):
the grandchild serves, the first two processes exit. Writes its pid to
the file given, and its stderr (lastcall's log) to the log file given.
/slow?ms=N answers after N ms; a thread per connection."""
import os
import socket
import sys
import threading
import time

port, pidfile, logfile = int(sys.argv[1]), sys.argv[2], sys.argv[3]
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", port))
listener.listen(64)

if os.fork():
    os._exit(0)
os.setsid()
if os.fork():
    os._exit(0)
devnull = os.open(os.devnull, os.O_RDWR)
for fd in (0, 1):  # as daemons do: the launcher's pipes are not ours
    os.dup2(devnull, fd)
os.dup2(os.open(logfile, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), 2)
with open(pidfile + ".tmp", "w") as f:
    f.write(str(os.getpid()))
os.rename(pidfile + ".tmp", pidfile)


def serve(conn):
    with conn:
        request = conn.recv(4096).decode(errors="replace")
        if "ms=" in request:
            time.sleep(int(request.split("ms=")[1].split()[0]) / 1000)
        conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 7\r\n\r\ndaemon\n")


while True:
    conn, _ = listener.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
