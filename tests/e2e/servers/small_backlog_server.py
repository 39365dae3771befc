"""Python's own single-threaded HTTPServer with the listen backlog an old
service asks for (argv[2], 1 by default): one request at a time, the rest
wait in a queue the kernel keeps very short.

GET /hold: says "holding" on stderr, then answers only once the client
sends a line more (the server is busy until the test lets it go).
Any other GET: a short 200."""
import http.server
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/hold":
            print("holding", file=sys.stderr, flush=True)
            self.rfile.readline()
        body = b"served " + self.path.encode() + b"\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass


class Server(http.server.HTTPServer):
    request_queue_size = int(sys.argv[2]) if len(sys.argv) > 2 else 1


if __name__ == "__main__":
    Server(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
