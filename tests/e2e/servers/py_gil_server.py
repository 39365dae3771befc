"""A ThreadingHTTPServer whose handler runs a regular expression that
backtracks for hours: the regex engine is C code that never releases the
GIL, so no other thread can run Python. Prints "stuck" first.
    python3 py_gil_server.py PORT"""
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        print("stuck", flush=True)
        re.match(r"(a+)+$", "a" * 48 + "b")


ThreadingHTTPServer.daemon_threads = True
server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
print("ready", flush=True)
server.serve_forever()
