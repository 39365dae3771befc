"""Python's ThreadingHTTPServer speaking HTTP/1.1 with keep-alive, no
signal handling of its own. Routes:
  /                 "ok" at once          /slow?ms=N   "ok" after N ms
  ?ms=N on any route waits N ms before answering
  /download?size=N  N bytes (Content-Length; HEAD: headers only)
  /etag             304 when If-None-Match matches
  /chunked?n=N&ms=M N chunks M ms apart, then trailers
  POST /upload      echoes the body's length (Expect: 100-continue honoured)
Prints "ready" once listening."""
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _reply(self, status, body, extra=()):
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path != "/chunked":
            time.sleep(int(query.get("ms", "0")) / 1000)
        if url.path == "/slow":
            self._reply(200, b"ok")
        elif url.path == "/download":
            size = int(query.get("size", "1000000"))
            self.send_response(200)
            self.send_header("Content-Length", str(size))
            self.end_headers()
            if self.command != "HEAD":
                block = bytes(range(256)) * 256
                sent = 0
                while sent < size:
                    part = block[: min(len(block), size - sent)]
                    self.wfile.write(part)
                    sent += len(part)
        elif url.path == "/etag":
            if self.headers.get("If-None-Match") == '"v1"':
                self.send_response(304)
                self.send_header("ETag", '"v1"')
                self.end_headers()
            else:
                self._reply(200, b"fresh", [("ETag", '"v1"')])
        elif url.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Trailer", "X-Checksum")
            self.end_headers()
            for i in range(int(query.get("n", "3"))):
                data = f"chunk {i}\n".encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                time.sleep(int(query.get("ms", "0")) / 1000)
            self.wfile.write(b"0\r\nX-Checksum: 42\r\n\r\n")
        else:
            self._reply(200, b"ok")

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        self._reply(200, f"got {len(body)}".encode())


ThreadingHTTPServer.daemon_threads = True
server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
print("ready", flush=True)
server.serve_forever()
