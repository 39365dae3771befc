"""python http.server plus a thread that writes lines to stderr without
pause: lastcall's own lines must stay whole among them."""
import http.server
import sys
import threading


def chatter():
    line = ("chatter " + "x" * 200 + "\n")
    for _ in range(2_000_000):  # bounded
        sys.stderr.write(line)


threading.Thread(target=chatter, daemon=True).start()
http.server.test(HandlerClass=http.server.SimpleHTTPRequestHandler,
                 ServerClass=http.server.ThreadingHTTPServer, port=int(sys.argv[1]), bind="127.0.0.1")
