"""End-to-end harness: run real servers under lastcall, talk to them over
real sockets on 127.0.0.1, and record what each client saw.

Waiting is event-driven: a reader thread collects the server's stderr and
wakes waiters when a line arrives; clients set events as they progress.
Every wait has a bound. Only processes started here are signalled, by pid.
"""
import atexit
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# `make sanitize` runs this suite against a sanitizer build (build/asan,
# build/tsan). A sanitized library must have its runtime loaded ahead of
# libc, so that runtime is preloaded too: the launcher puts the library in
# front of it, and ASAN_OPTIONS' verify_asan_link_order=0 accepts that order.
BUILD = os.path.abspath(os.environ.get("LASTCALL_TEST_BUILD") or os.path.join(ROOT, "build"))
SANITIZER_RUNTIME = os.environ.get("LASTCALL_TEST_RUNTIME", "")
UNDER_TSAN = "tsan" in os.path.basename(SANITIZER_RUNTIME)
# make sanitize runs some suites under ThreadSanitizer, which slows every
# call: upper time bounds stretch by this factor there (1 otherwise).
SLOWDOWN = float(os.environ.get("LASTCALL_TEST_SLOWDOWN", "1"))
LAUNCHER = os.path.join(BUILD, "lastcall")
LIBRARY = os.path.join(BUILD, "liblastcall.so")
NAIVE_SERVER = os.path.join(BUILD, "demo", "naive_server")
PREFORK_SERVER = os.path.join(BUILD, "tests", "servers", "prefork_server")
SERVERS = os.path.join(ROOT, "tests", "e2e", "servers")
SIGNAL_SERVER = os.path.join(BUILD, "tests", "servers", "signal_server")
PYTHON = "/usr/bin/python3"


def preload_by_hand():
    """LD_PRELOAD for loading the library without the launcher."""
    return f"{LIBRARY} {SANITIZER_RUNTIME}".strip()


def world_readable_dir():
    """A fresh directory that a server's unprivileged workers can read
    (nginx's and apache's www-data, python's CGI user nobody): in the
    system's temporary directory, because pytest's own tree and a clone
    made with `mktemp -d` are root-only (0700) above it. Removed at exit."""
    path = tempfile.mkdtemp(prefix="lastcall-test-")
    os.chmod(path, 0o755)
    atexit.register(shutil.rmtree, path, True)
    return path


def free_port():
    """A port the kernel just handed out, released for the server to take."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _default_signals():
    # A test runner started in the background may have SIGINT ignored, and
    # an ignored signal stays ignored across exec: give the server the
    # dispositions a service manager would.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)


def _limit_descriptors(nofile):
    """A preexec function: RLIMIT_NOFILE set to `nofile`, a number (soft and
    hard) or a (soft, hard) pair."""
    limits = nofile if isinstance(nofile, tuple) else (nofile, nofile)

    def preexec():
        _default_signals()
        resource.setrlimit(resource.RLIMIT_NOFILE, limits)
    return preexec


def processes():
    """{pid: (ppid, comm, state)} of every process, from /proc/PID/stat
    (the kernel's task/TID/children list needs CONFIG_PROC_CHILDREN, which
    not every kernel has)."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        found[int(entry)] = (int(fields[1]), comm, fields[0])
    return found


def descendants_of(root):
    """[(pid, comm, state)] of the processes below `root`, parents first."""
    table = processes()
    out, queue = [], [root]
    while queue:
        parent = queue.pop(0)
        for pid, (ppid, comm, state) in table.items():
            if ppid == parent:
                out.append((pid, comm, state))
                queue.append(pid)
    return out


class Server:
    """A process under test. `lastcall_args=None` runs it without lastcall."""

    def __init__(self, argv, lastcall_args=(), env=None, cwd=None, log_level="debug",
                 own_session=False, pass_fds=(), nofile=None):
        self.argv = list(argv)
        full_env = dict(os.environ)
        full_env.pop("LD_PRELOAD", None)
        for key in list(full_env):
            if key.startswith("LASTCALL_"):
                del full_env[key]
        if env:
            full_env.update(env)
        if lastcall_args is not None:
            if SANITIZER_RUNTIME:
                full_env["LD_PRELOAD"] = SANITIZER_RUNTIME
            full_env["LASTCALL_LOG"] = log_level
            self.argv = [LAUNCHER, *lastcall_args, "--", *self.argv]
        self.lines = []
        self.stdout_lines = []
        self._cond = threading.Condition()
        self.proc = subprocess.Popen(
            self.argv,
            env=full_env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=_limit_descriptors(nofile) if nofile else _default_signals,
            start_new_session=own_session,  # its own process group, for killpg
            pass_fds=pass_fds,
        )
        self.pid = self.proc.pid
        self.own_session = own_session
        self.signal_times = []
        self._readers = [
            threading.Thread(target=self._read, args=(self.proc.stderr, self.lines), daemon=True),
            threading.Thread(target=self._read, args=(self.proc.stdout, self.stdout_lines), daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        self.exit_time = None
        self.exited = threading.Event()
        threading.Thread(target=self._wait_process, daemon=True).start()

    def _wait_process(self):
        self.proc.wait()
        self.exit_time = time.monotonic()
        self.exited.set()

    def _read(self, stream, into):
        for raw in iter(stream.readline, b""):
            line = raw.decode(errors="replace").rstrip("\n")
            with self._cond:
                into.append((time.monotonic(), line))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_for(self, pattern, timeout=10, stream="stderr"):
        """Blocks until a line matching `pattern` appears; returns (time, line)."""
        regex = re.compile(pattern)
        lines = self.lines if stream == "stderr" else self.stdout_lines
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for when, line in lines:
                    if regex.search(line):
                        return when, line
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not any(r.is_alive() for r in self._readers)):
                    raise AssertionError(
                        f"no line matching {pattern!r} within {timeout}s; {stream} was:\n"
                        + "\n".join(l for _, l in lines))
                self._cond.wait(left)

    def has_line(self, pattern, stream="stderr"):
        regex = re.compile(pattern)
        with self._cond:
            lines = self.lines if stream == "stderr" else self.stdout_lines
            return any(regex.search(line) for _, line in lines)

    def stderr_text(self):
        with self._cond:
            return "\n".join(line for _, line in self.lines)

    def stdout_text(self):
        with self._cond:
            return "\n".join(line for _, line in self.stdout_lines)

    def send(self, sig):
        self.signal_times.append(time.monotonic())
        os.kill(self.pid, sig)

    def send_group(self, sig):
        """To the whole process group, as systemd's KillMode=control-group
        or a terminal's Ctrl-C do (needs own_session=True)."""
        self.signal_times.append(time.monotonic())
        os.killpg(self.pid, sig)

    def wait_exit(self, timeout=30):
        if not self.exited.wait(timeout):
            raise AssertionError(f"process {self.pid} still running after {timeout}s:\n"
                                 + self.stderr_text())
        code = self.proc.returncode
        for reader in self._readers:
            reader.join(timeout=5)
        return code

    def descendants(self):
        """Pids of the processes this server started (workers, children)."""
        return [pid for pid, _, _ in descendants_of(self.pid)]

    def stop(self):
        """Cleanup after a test: end the process if it is still running,
        and whatever it started (a failed test must not leave workers)."""
        for pid in self.descendants():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        if self.own_session:
            # A child whose parent has exited is no longer its descendant,
            # but it is still in the group the test created for the server.
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        for reader in self._readers:
            reader.join(timeout=5)


def wait_for_file(path, timeout=10):
    """Returns the contents of `path` once it exists and is not empty."""
    return _wait_for_contents(path, lambda text: text.strip(), timeout).strip()


def wait_for_file_line(path, pattern, timeout=10):
    """Returns the first line of `path` matching `pattern`, once written."""
    regex = re.compile(pattern)

    def matching(text):
        return next((line for line in text.splitlines() if regex.search(line)), None)
    return _wait_for_contents(path, matching, timeout)


def _wait_for_contents(path, accept, timeout):
    """Waits until `accept(contents of path)` is true, returns its value: an
    inotify watch on the directory wakes us when the file is created,
    renamed into place or written."""
    import ctypes
    import select
    libc = ctypes.CDLL(None, use_errno=True)
    IN_MODIFY, IN_CREATE, IN_MOVED_TO, IN_CLOSE_WRITE = 0x2, 0x100, 0x80, 0x8
    fd = libc.inotify_init1(os.O_CLOEXEC | os.O_NONBLOCK)
    assert fd >= 0
    try:
        directory, name = os.path.split(path)
        mask = IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE
        assert libc.inotify_add_watch(fd, directory.encode(), mask) >= 0
        deadline = time.monotonic() + timeout
        text = ""
        while True:
            if os.path.exists(path):  # also covers a file made before the watch
                with open(path) as f:
                    text = f.read()
                found = accept(text)
                if found:
                    return found
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{path} never had what was waited for; it held:\n{text}")
            if select.select([fd], [], [], left)[0]:
                try:
                    os.read(fd, 65536)
                except BlockingIOError:
                    pass
    finally:
        os.close(fd)


def wait_listening(server, timeout=10):
    """lastcall's debug trace logs each listener the program creates."""
    return server.wait_for(r"listening on", timeout)


class Outcome:
    """What one client saw."""

    def __init__(self):
        self.status = None
        self.body = b""
        self.error = None  # refused, reset, timeout, truncated, eof
        self.sent = threading.Event()  # connected, request written
        self.started = threading.Event()  # first response byte received
        self.done = threading.Event()
        self.done_time = None
        self.eof_time = None

    @property
    def ok(self):
        return self.error is None and self.status == 200

    def __repr__(self):
        return f"Outcome(status={self.status}, bytes={len(self.body)}, error={self.error})"


def _classify(exc):
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, (ConnectionResetError, BrokenPipeError)):
        return "reset"
    if isinstance(exc, socket.timeout):
        return "timeout"
    return f"error:{exc!r}"


def _split_response(data):
    """(status, headers, body) of a reply read to EOF. From a bytearray
    (http_get's) the body is cut out in place: a copy of a 16 MB reply is
    fresh pages, about 80 ms of page faults on the project's VM with the
    GIL held, which stalled the other clients' reads and moved their
    done_time past the server's exit."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        head, body = bytes(data), b""
    elif isinstance(data, bytearray):
        head = bytes(data[:end])
        del data[:end + 4]
        body = data
    else:
        head, body = data[:end], data[end + 4:]
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1]) if lines and len(lines[0].split()) > 1 else None
    headers = {}
    for line in lines[1:]:
        key, _, value = line.partition(b":")
        headers[key.strip().lower()] = value.strip()
    return status, headers, body


def http_get(port, path, outcome=None, read_size=65536, pace=0.0, timeout=15, host="127.0.0.1",
             rcvbuf=None):
    """One request on its own connection, read to EOF (HTTP/1.0 style).
    `pace` seconds between reads makes a slow download; a small `rcvbuf`
    keeps the server from queueing the whole reply in loopback buffers
    (several MB) and closing early. Fills `outcome`."""
    outcome = outcome or Outcome()
    # A bytearray grows in place; `bytes += chunk` copied the whole reply
    # at every read, megabytes of fresh pages each time on a VM where a
    # page fault costs tens of microseconds, and held the GIL meanwhile.
    data = bytearray()
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            if rcvbuf:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            s.connect((host, port))
            s.sendall(f"GET {path} HTTP/1.0\r\nHost: x\r\n\r\n".encode())
            outcome.sent.set()
            while True:
                chunk = s.recv(read_size)
                if not chunk:
                    break
                data += chunk
                outcome.started.set()
                if pace:
                    time.sleep(pace)  # pacing a slow client, not waiting for an event
    except Exception as exc:  # noqa: BLE001 - every failure is an outcome
        outcome.error = _classify(exc)
    # When the client had its last byte (or its error): the tests compare
    # it with the server's exit, so it is taken before the reply is parsed.
    outcome.done_time = time.monotonic()
    if data:
        outcome.status, headers, outcome.body = _split_response(data)
        length = headers.get(b"content-length")
        if outcome.error is None and length is not None and len(outcome.body) != int(length):
            outcome.error = "truncated"
    elif outcome.error is None:
        outcome.error = "eof"
    outcome.done.set()
    return outcome


def in_thread(fn, *args, **kwargs):
    thread = threading.Thread(target=fn, args=args, kwargs=kwargs, daemon=True)
    thread.start()
    return thread


class LoadClients:
    """`n` client threads, each requesting `path` on a new connection per
    request until stopped, past `until` (time.monotonic()) or after
    `max_requests`. A refused connection ends that client and is counted
    as refused when `refused_ends` (a stopped listener, as promised), as a
    failure otherwise. Counts `ok`, `refused` and `failed` (reprs)."""

    def __init__(self, port, path, n, timeout=10, until=None, refused_ends=True,
                 max_requests=100000):
        self.ok, self.refused, self.failed = 0, 0, []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._args = (port, path, timeout, until, refused_ends, max_requests)
        self._threads = [threading.Thread(target=self._client) for _ in range(n)]
        for thread in self._threads:
            thread.start()

    def _client(self):
        port, path, timeout, until, refused_ends, max_requests = self._args
        for _ in range(max_requests):  # bounded
            if self._stop.is_set() or (until is not None and time.monotonic() > until):
                return
            outcome = http_get(port, path, timeout=timeout)
            with self._lock:
                if outcome.ok:
                    self.ok += 1
                elif outcome.error == "refused" and refused_ends:
                    self.refused += 1
                    return
                else:
                    self.failed.append(repr(outcome))

    def join(self, timeout=30):
        """Waits for every client to end by itself (refused, or `until`)."""
        for thread in self._threads:
            thread.join(timeout)

    def stop(self, timeout=30):
        self._stop.set()
        self.join(timeout)


class KeepAliveClient:
    """An HTTP/1.1 keep-alive connection: request, read the reply by
    Content-Length, then sit idle. `watch_eof()` records when the server
    closes it."""

    def __init__(self, port, timeout=15):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.eof = threading.Event()
        self.eof_time = None

    def request(self, path):
        self.sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed before the reply")
            data += chunk
        status, headers, body = _split_response(data)
        length = int(headers.get(b"content-length", b"0"))
        while len(body) < length:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("reply truncated")
            body += chunk
        return status, body

    def watch_eof(self):
        def watch():
            try:
                while self.sock.recv(65536):
                    pass
            except OSError:
                pass
            self.eof_time = time.monotonic()
            self.eof.set()
        return in_thread(watch)

    def close(self):
        self.sock.close()


def connect_refused(port, timeout=2.0):
    """True if a new connection is refused (not left hanging, not accepted)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return False
    except ConnectionRefusedError:
        return True
