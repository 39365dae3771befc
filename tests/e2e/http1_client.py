"""A raw HTTP/1.1 client for the framing tests: it reads every response to
its exact end (Content-Length, chunked with trailers, no body for HEAD,
1xx, 204, 304), keeps what the server said about the connection, and a
pool of such clients sends requests back to back the way a load balancer's
keep-alive pool does."""
import socket
import threading
import time


class Response:
    def __init__(self, status, headers, body, trailers):
        self.status = status
        self.headers = headers  # lower-case name -> list of values
        self.body = body
        self.trailers = trailers

    def header(self, name):
        values = self.headers.get(name.lower(), [])
        return ", ".join(values) if values else None

    def says_close(self):
        value = self.header("connection") or ""
        return any(t.strip().lower() == "close" for t in value.split(","))

    def __repr__(self):
        return f"<Response {self.status} {self.headers} {len(self.body)} bytes>"


class Connection:
    def __init__(self, port, timeout=10, rcvbuf=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect(("127.0.0.1", port))
        self.buf = b""
        self.read_delay = 0.0

    def send(self, data):
        self.sock.sendall(data)

    def request(self, method, path, headers=(), body=b""):
        lines = [f"{method} {path} HTTP/1.1", "Host: x", *headers]
        if body:
            lines.append(f"Content-Length: {len(body)}")
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode() + body)

    def _more(self, size=65536):
        if self.read_delay:
            time.sleep(self.read_delay)
        data = self.sock.recv(size)
        if not data:
            raise ConnectionError("server closed the connection mid-response")
        self.buf += data

    def _line(self):
        while b"\r\n" not in self.buf:
            self._more()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exactly(self, n):
        while len(self.buf) < n:
            self._more(min(65536, max(4096, n - len(self.buf))))
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def _fields(self):
        fields = {}
        while True:
            line = self._line()
            if not line:
                return fields
            name, _, value = line.decode("latin-1").partition(":")
            fields.setdefault(name.strip().lower(), []).append(value.strip())

    def read_response(self, head=False, keep_body=True):
        """The next response, interim ones (1xx) skipped."""
        while True:
            status_line = self._line().decode("latin-1")
            status = int(status_line.split(" ", 2)[1])
            headers = self._fields()
            if 100 <= status < 200 and status != 101:
                continue
            break
        body, trailers = b"", {}
        if head or status in (204, 304):
            pass
        elif "chunked" in ",".join(headers.get("transfer-encoding", [])).lower():
            while True:
                size = int(self._line().split(b";")[0], 16)
                if size == 0:
                    trailers = self._fields()
                    break
                data = self._exactly(size)
                if keep_body:
                    body += data
                assert self._line() == b""
        elif "content-length" in headers:
            length = int(headers["content-length"][0])
            while length > 0:
                data = self._exactly(min(length, 1 << 20))
                length -= len(data)
                if keep_body:
                    body += data
        else:
            while True:
                try:
                    self._more()
                except ConnectionError:
                    break
            body, self.buf = self.buf, b""
        return Response(status, headers, body, trailers)

    def wait_eof(self, timeout):
        """True when the server closes the connection within `timeout`."""
        self.sock.settimeout(timeout)
        try:
            while True:
                if not self.sock.recv(65536):
                    return True
        except socket.timeout:
            return False
        except OSError:
            return True

    def close(self):
        self.sock.close()


class PoolClient:
    """One connection of a pool: requests back to back until `stop`, a
    reconnection after each Connection: close, and gone once the server
    refuses new connections. A request sent that gets no complete
    response is a failure."""

    def __init__(self, port, path, stop):
        self.port, self.path, self.stop = port, path, stop
        self.requests = 0
        self.failures = []
        self.last = None  # the last response received
        self.left = False
        self.first = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        conn = None
        while not self.stop.is_set():
            if conn is None:
                try:
                    conn = Connection(self.port, timeout=5)
                except OSError:
                    self.left = True  # refused: the server stopped listening
                    return
            try:
                conn.request("GET", self.path)
                response = conn.read_response()
            except (OSError, ConnectionError, ValueError, AssertionError) as exc:
                self.failures.append(repr(exc))
                conn.close()
                conn = None
                continue
            self.requests += 1
            self.last = response
            self.first.set()
            if response.says_close():
                conn.close()
                conn = None
        if conn is not None:
            conn.close()


def run_pool(port, path, clients, stop):
    """Connects the clients one after another, as a pool warms up: a burst
    of connects would overflow a small backlog (Python's is 5), and an
    overflowed listener is kept 2 s at the stop (doc/compatibility.md)."""
    pool = []
    for _ in range(clients):
        pool.append(PoolClient(port, path, stop))
        pool[-1].first.wait(5)
    return pool
