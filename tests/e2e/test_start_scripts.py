"""Servers started through a wrapper (issue 17): `sh start.sh`, the
`trap ... wait` idiom, `npm start`, nested scripts and pipelines, each
also as PID 1 of a PID namespace. The orchestrator signals the wrapper;
the wrapper must hold until the server inside has drained, and end with
the status it would have had without lastcall.

Each case records, for the closing figures, when the last byte reached
the client and when the server and the wrapper exited (printed with -s)."""
import json
import os
import re
import select
import signal
import subprocess
import threading
import time

import pytest

from harness import (LAUNCHER, PYTHON, SANITIZER_RUNTIME, SERVERS, Outcome, Server, descendants_of,
                     free_port, http_get, in_thread, processes)

BIG = 12 * 1024 * 1024


def _unshare_works():
    try:
        return subprocess.run(["unshare", "-pf", "--mount-proc", "true"], timeout=10,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


UNSHARE = _unshare_works()
needs_unshare = pytest.mark.skipif(not UNSHARE, reason="unshare -pf needs CAP_SYS_ADMIN")


class ExitWatch:
    """When a process that is not our child exits (a pidfd is readable at
    its exit)."""

    def __init__(self, pid):
        self.pid = pid
        self.time = None
        self.fd = os.pidfd_open(pid)
        self.thread = threading.Thread(target=self._wait, daemon=True)
        self.thread.start()

    def _wait(self):
        select.select([self.fd], [], [], 60)
        self.time = time.monotonic()
        os.close(self.fd)

    def join(self):
        self.thread.join(65)
        return self.time


def server_pid(server, comm):
    """The pid of the process named `comm` below the wrapper (its host pid,
    also inside a PID namespace)."""
    for pid, name, _ in descendants_of(server.pid):
        if name == comm:
            return pid
    raise AssertionError(f"no {comm} below {server.pid}: {descendants_of(server.pid)}")


def write_site(tmp_path):
    (tmp_path / "big.bin").write_bytes(os.urandom(1024) * (BIG // 1024))


def slow_downloads(port, n=2):
    """Downloads read slowly with a small receive buffer, so that the
    server is still writing them seconds after the signal."""
    return [client(http_get, port, "/big.bin", read_size=16384, pace=0.004, rcvbuf=32768,
                   timeout=30) for _ in range(n)]


def downloads_under_way(port):
    """slow_downloads, returned once each has its first bytes."""
    clients = slow_downloads(port)
    for outcome, _ in clients:
        assert outcome.started.wait(10), "a download never began"
    return clients


def client(get, port, path, **kwargs):
    """(outcome, thread) of one request run in a thread."""
    outcome = Outcome()
    return outcome, in_thread(get, port, path, outcome, **kwargs)


def namespace_pid1(argv, tmp_path, lastcall=True, env=None):
    """`argv` as PID 1 of a new PID namespace (a container without init)."""
    env = dict(env or {})
    env.setdefault("PATH", os.environ["PATH"])
    if lastcall:
        env["LASTCALL_LOG"] = "debug"
        if SANITIZER_RUNTIME:
            env["LD_PRELOAD"] = SANITIZER_RUNTIME
        argv = [LAUNCHER, "--", *argv]
    return Server(["unshare", "-pf", "--mount-proc", "--kill-child", *argv],
                  lastcall_args=None, env=env, cwd=tmp_path)


def wrapper_pid(server, as_pid1):
    """The process the orchestrator signals: the launcher's process (it
    execs the wrapper), or, in a namespace, unshare's child."""
    if not as_pid1:
        return server.pid
    return [pid for pid, _, _ in descendants_of(server.pid)][0]


def assert_wrapper_ended_after(server, server_exit):
    """The wrapper saw its server exit before it ended (its own log line
    says so: the order of two threads' wake-ups here is not proof of it),
    and ended at once: within 1 s even on a loaded machine (measured:
    under 15 ms)."""
    assert server_exit is not None, server.stderr_text()
    assert re.search(r"the (child|children) exited [\d.]+s after the signal", server.stderr_text()), \
        server.stderr_text()
    assert abs(server.exit_time - server_exit) < 1.0, server.stderr_text()


def report(case, outcomes, server_exit, wrapper_exit, signal_time):
    last_byte = max(o.done_time for o in outcomes)
    print(f"\n{case}: last byte +{last_byte - signal_time:.3f}s after the signal; "
          f"server exit {server_exit - last_byte:+.3f}s, wrapper exit {wrapper_exit - last_byte:+.3f}s "
          f"relative to the last byte; sizes {[len(o.body) for o in outcomes]}")


def run_download_case(tmp_path, argv, server_comm, expected_status, as_pid1=False, case="",
                      server_log="stderr", lastcall_args=()):
    """The scripts read their port from $PORT; the server's own log goes to
    `server_log` of the wrapper."""
    write_site(tmp_path)
    port = free_port()
    env = {"PORT": str(port)}
    server = (namespace_pid1(argv, tmp_path, env=env) if as_pid1
              else Server(argv, cwd=tmp_path, env=env, lastcall_args=lastcall_args))
    try:
        server.wait_for(r"listening on", timeout=20, stream=server_log)
        target = wrapper_pid(server, as_pid1)
        watch = ExitWatch(server_pid(server, server_comm))
        clients = downloads_under_way(port)
        signal_time = time.monotonic()
        os.kill(target, signal.SIGTERM)
        server.wait_for(r"SIGTERM: forwarded to 1 child \(" + server_comm, timeout=5)
        status = server.wait_exit(timeout=40)
        for _, thread in clients:
            thread.join(30)
        outcomes = [o for o, _ in clients]
        assert all(o.ok and len(o.body) == BIG for o in outcomes), (outcomes, server.stderr_text())
        server_exit = watch.join()
        assert_wrapper_ended_after(server, server_exit)
        assert status == expected_status, (status, server.stderr_text())
        report(case or " ".join(argv), outcomes, server_exit, server.exit_time, signal_time)
        return server
    finally:
        server.stop()


START_SH = "echo starting\n{python} -m http.server $PORT --bind 127.0.0.1\necho after\n"


@pytest.mark.parametrize("as_pid1", [False, pytest.param(True, marks=needs_unshare)],
                         ids=["child", "pid1"])
def test_sh_start_script_with_python_in_the_foreground(tmp_path, as_pid1):
    """`sh start.sh` (dash, which vforks its commands) running python3 -m
    http.server in the foreground: the downloads complete, then sh ends as
    SIGTERM ends it (as PID 1: exit 143 instead of ignoring it)."""
    (tmp_path / "start.sh").write_text(START_SH.format(python=PYTHON))
    report = tmp_path / "report.json"
    server = run_download_case(tmp_path, ["sh", "start.sh"], "python3",
                               143 if as_pid1 else -signal.SIGTERM, as_pid1,
                               case=f"sh start.sh{' as PID 1' if as_pid1 else ''}",
                               lastcall_args=("--report", str(report)))
    assert "after" not in server.stdout_text()  # the script ended with sh, as SIGTERM ends it
    if not as_pid1:
        # The server's report says where its signal came from: its wrapper.
        sent = json.loads(report.read_text())["signal_from"]
        assert sent["command"] == "sh" and sent["parent"] is True and sent["pid"] == server.pid, sent
        assert re.search(rf"SIGTERM: draining \d+ connections? \(deadline 25s; sent by sh {server.pid}\)",
                         server.stderr_text())


def test_nested_bash_scripts(tmp_path):
    """bash → bash → python: each level forwards to the next and holds."""
    (tmp_path / "inner.sh").write_text(START_SH.format(python=PYTHON))
    (tmp_path / "outer.sh").write_text("bash inner.sh\necho outer-after\n")
    server = run_download_case(tmp_path, ["bash", "outer.sh"], "python3", -signal.SIGTERM,
                               case="bash → bash → python")
    assert len(re.findall(r"SIGTERM: forwarded to 1 child", server.stderr_text())) == 2


def test_pipeline_does_not_hang(tmp_path):
    """`sh -c 'server | cat'`: the server is forwarded to and waited for;
    cat, not a server, is neither signalled nor waited past its own exit."""
    run_download_case(tmp_path, ["sh", "-c", f"{PYTHON} -m http.server $PORT --bind 127.0.0.1 2>&1 | cat"],
                      "python3", -signal.SIGTERM, case="sh -c 'python | cat'", server_log="stdout")


TRAP_SH = """trap 'kill -TERM $child' TERM
node {server} $PORT &
child=$!
wait $child
"""


# node_server.js prints "request /slow?ms=N" for each request it starts.
NODE_ENV = {"NODE_LOG_REQUESTS": "1"}


def slow_requests(server, port, n=2, ms=1500):
    """n requests of `ms` each, returned once node has started them all."""
    clients = [client(http_get, port, f"/slow?ms={ms}", timeout=20) for _ in range(n)]
    deadline = time.monotonic() + 10
    with server._cond:
        while len([1 for _, line in server.stdout_lines if line.startswith("request /slow")]) < n:
            left = deadline - time.monotonic()
            assert left > 0, "the requests never reached node:\n" + server.stdout_text()
            server._cond.wait(left)
    return clients


def run_request_case(tmp_path, argv, expected_status, as_pid1=False, case=""):
    """The scripts read their port from $PORT."""
    port = free_port()
    env = dict(NODE_ENV, PORT=str(port))
    server = (namespace_pid1(argv, tmp_path, env=env) if as_pid1
              else Server(argv, cwd=tmp_path, env=env))
    try:
        server.wait_for(r"listening on", timeout=30)
        target = wrapper_pid(server, as_pid1)
        watch = ExitWatch(server_pid(server, "node"))
        clients = slow_requests(server, port)
        signal_time = time.monotonic()
        os.kill(target, signal.SIGTERM)
        status = server.wait_exit(timeout=40)
        for _, thread in clients:
            thread.join(30)
        outcomes = [o for o, _ in clients]
        assert all(o.ok and o.body == b"done 1500\n" for o in outcomes), (outcomes, server.stderr_text())
        server_exit = watch.join()
        assert_wrapper_ended_after(server, server_exit)
        assert server_exit > max(o.done_time for o in outcomes) - 0.05
        assert status == expected_status, (status, server.stderr_text())
        report(case, outcomes, server_exit, server.exit_time, signal_time)
        return server
    finally:
        server.stop()


@pytest.mark.parametrize("shell", ["sh", "bash"])
@pytest.mark.parametrize("as_pid1", [False, pytest.param(True, marks=needs_unshare)],
                         ids=["child", "pid1"])
def test_trap_and_wait_idiom_with_node(tmp_path, shell, as_pid1):
    """`trap 'kill -TERM $child' TERM; node server.js & wait $child`: the
    trap's wait returns at once (POSIX), the script's exit waits for node's
    drain; the shell's status stays 143 (what its trap gave)."""
    (tmp_path / "start.sh").write_text(TRAP_SH.format(server=os.path.join(SERVERS, "node_server.js")))
    server = run_request_case(tmp_path, [shell, "start.sh"], 143, as_pid1,
                              case=f"{shell} trap/wait idiom{' as PID 1' if as_pid1 else ''}")
    assert re.search(r"exit: waiting for 1 child draining \(node \d+\)", server.stderr_text())


def npm_project(tmp_path):
    (tmp_path / "package.json").write_text(
        '{"name": "lastcall-npm-test", "version": "1.0.0", "private": true,\n'
        f' "scripts": {{"start": "node {os.path.join(SERVERS, "node_server.js")} $PORT"}}}}\n')


def npm_plain_status(tmp_path, as_pid1):
    """npm's own status when its script's shell dies of SIGTERM (npm
    version dependent): what the wrapper would have had without lastcall."""
    npm_project(tmp_path)
    env = {"PORT": str(free_port())}
    plain = (namespace_pid1(["npm", "start"], tmp_path, lastcall=False, env=env) if as_pid1
             # its own process group: without lastcall, node outlives the
             # shell SIGTERM ended (the very problem lastcall solves) and is
             # no longer npm's descendant, so stop() ends it with the group
             else Server(["npm", "start"], lastcall_args=None, cwd=tmp_path, env=env,
                         own_session=True))
    try:
        plain.wait_for("ready", timeout=30, stream="stdout")
        os.kill(wrapper_pid(plain, as_pid1), signal.SIGTERM)
        return plain.wait_exit(timeout=20)
    finally:
        plain.stop()


@pytest.mark.parametrize("as_pid1", [False, pytest.param(True, marks=needs_unshare)],
                         ids=["child", "pid1"])
def test_npm_start(tmp_path, as_pid1):
    """`npm start` → sh -c (dash) → node: npm forwards to the shell, the
    shell forwards to node and holds, npm ends when the shell has."""
    expected = npm_plain_status(tmp_path, as_pid1)
    server = run_request_case(tmp_path, ["npm", "start"], expected, as_pid1,
                              case=f"npm start{' as PID 1' if as_pid1 else ''}")
    assert re.search(r"SIGTERM: forwarded to 1 child \(node \d+\)", server.stderr_text())


NODE_PARENT_JS = """const {{ spawn }} = require('child_process');
spawn(process.execPath, ['{server}', process.env.PORT], {{ stdio: 'inherit' }});
"""


def test_a_node_parent_without_a_handler_of_its_own(tmp_path):
    """A node process that starts the server as its child (a launcher
    script, a process manager, the primary of node's cluster) and has no
    SIGTERM handler: node's own one resets itself and calls raise(), a
    tgkill from the process itself. That is the program ending itself, not
    a repeat of the first signal, so it forwards to the server and holds
    until the drain is done, then ends as SIGTERM would. (Taken for a
    repeat, it was swallowed: the parent never forwarded, never ended,
    and the server went on serving keep-alive clients.)"""
    (tmp_path / "parent.js").write_text(
        NODE_PARENT_JS.format(server=os.path.join(SERVERS, "node_server.js")))
    server = run_request_case(tmp_path, ["node", "parent.js"], -signal.SIGTERM,
                              case="node parent without a handler")
    assert re.search(r"SIGTERM: forwarded to 1 child \(node \d+\)", server.stderr_text())


def test_a_wrapper_around_no_server_ends_at_once(tmp_path):
    """`sh -c 'sleep 30; true'` under lastcall: nothing to wait for, so the
    shell dies of SIGTERM at once, as without lastcall."""
    server = Server(["sh", "-c", "sleep 30; true"], cwd=tmp_path)
    try:
        deadline = time.monotonic() + 10
        while not descendants_of(server.pid) and time.monotonic() < deadline:
            time.sleep(0.01)  # sleep(1) has no way to tell us it started
        signal_time = time.monotonic()
        server.send(signal.SIGTERM)
        assert server.wait_exit(timeout=5) == -signal.SIGTERM
        assert server.exit_time - signal_time < 0.5
        assert "forwarded" not in server.stderr_text()
    finally:
        server.stop()


@needs_unshare
def test_pid1_reaps_orphans_while_holding(tmp_path):
    """As PID 1, the wrapper reaps reparented orphans while it holds: a
    background job's child that exits during the drain is not left a
    zombie (dash, blocked in the signal, cannot reap it itself)."""
    write_site(tmp_path)
    port = free_port()
    (tmp_path / "start.sh").write_text(
        f"( sleep 0.8 & )\n{PYTHON} -m http.server {port} --bind 127.0.0.1\n")
    server = namespace_pid1(["sh", "start.sh"], tmp_path)
    try:
        server.wait_for(r"listening on", timeout=20)
        target = wrapper_pid(server, True)
        clients = downloads_under_way(port)
        os.kill(target, signal.SIGTERM)
        server.wait_for(r"SIGTERM: forwarded to 1 child", timeout=5)
        sleeper = [pid for pid, comm, _ in descendants_of(target) if comm == "sleep"]
        assert sleeper, descendants_of(target)
        watch = ExitWatch(sleeper[0])
        assert watch.join() is not None
        # The orphan's exit wakes the init at once; give it 0.5 s to reap.
        deadline = time.monotonic() + 0.5
        while sleeper[0] in processes() and time.monotonic() < deadline:
            time.sleep(0.01)  # a reap signals nobody outside the namespace
        assert sleeper[0] not in processes(), processes().get(sleeper[0])
        assert server.wait_exit(timeout=40) == 143
        for _, thread in clients:
            thread.join(30)  # the last bytes, read after the exit
        assert all(o.ok for o, _ in clients), [o for o, _ in clients]
    finally:
        server.stop()


def start_sh(tmp_path, own_session=False):
    """`sh start.sh` serving the big file with python, under lastcall."""
    write_site(tmp_path)
    port = free_port()
    (tmp_path / "start.sh").write_text(START_SH.format(python=PYTHON))
    return Server(["sh", "start.sh"], cwd=tmp_path, own_session=own_session,
                  env={"PORT": str(port)}), port


def test_group_signal_is_one_shutdown(tmp_path):
    """systemd's KillMode=control-group (or ^C) signals the wrapper and the
    server at once; the wrapper's forward then reaches the server a second
    time. The server drains once: no "second SIGTERM" skipping the drain."""
    server, port = start_sh(tmp_path, own_session=True)
    try:
        server.wait_for(r"listening on", timeout=20)
        clients = downloads_under_way(port)
        server.send_group(signal.SIGTERM)
        assert server.wait_exit(timeout=40) == -signal.SIGTERM
        for _, thread in clients:
            thread.join(30)
        assert all(o.ok and len(o.body) == BIG for o, _ in clients), server.stderr_text()
        assert "second SIGTERM" not in server.stderr_text()
    finally:
        server.stop()


def test_second_signal_reaches_the_server_through_the_wrapper(tmp_path):
    """An operator's second SIGTERM to the wrapper is forwarded: the server
    skips to its exit phase, as if signalled twice itself."""
    server, port = start_sh(tmp_path)
    try:
        server.wait_for(r"listening on", timeout=20)
        downloads_under_way(port)  # they hold the drain while the second signal comes
        server.send(signal.SIGTERM)
        server.wait_for(r"SIGTERM: draining", timeout=5)
        server.send(signal.SIGTERM)
        server.wait_for(r"second SIGTERM: forwarded to 1 child", timeout=5)
        server.wait_for(r"second SIGTERM: skipping to the exit phase", timeout=5)
        assert server.wait_exit(timeout=20) == -signal.SIGTERM
    finally:
        server.stop()
