"""A ThreadingHTTPServer whose handler gets stuck in a named function
(an embeddings call that never returns), the seed of the Python
traceback case. Prints "stuck" when a handler is inside it.
    python3 py_stuck_server.py PORT"""
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def fetch_embeddings():
    print("stuck", flush=True)
    time.sleep(60)  # FETCH_LINE


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        fetch_embeddings()
        self.send_response(200)
        self.end_headers()


ThreadingHTTPServer.daemon_threads = True
server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
print("ready", flush=True)
server.serve_forever()
