"""Python's ForkingMixIn HTTP server: a child process per connection; the
parent closes its copy at once and reaps children in its own loop."""
import http.server
import socketserver
import sys
import time
from urllib.parse import parse_qs, urlparse


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ms = int(parse_qs(urlparse(self.path).query).get("ms", ["0"])[0])
        time.sleep(ms / 1000)
        body = b"forked reply\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Server(socketserver.ForkingMixIn, http.server.HTTPServer):
    pass


Server(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
