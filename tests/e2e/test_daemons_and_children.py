"""Programs that daemonize after start, and programs that exec children:
lastcall follows the server to the process that accepts, and stays inert in
the shells and CGI scripts it is inherited into."""
import os
import select
import shutil
import signal
import socket
import time

from harness import (PYTHON, SERVERS, Outcome, connect_refused, free_port, http_get, in_thread,
                     wait_for_file, wait_for_file_line, world_readable_dir)


def wait_pid_exit(pid, timeout):
    """Event-driven wait for a process that is not our child: a pidfd
    becomes readable when it exits."""
    fd = os.pidfd_open(pid)
    try:
        ready, _, _ = select.select([fd], [], [], timeout)
        return bool(ready)
    finally:
        os.close(fd)


def test_double_forking_daemon_drains(servers, tmp_path):
    port = free_port()
    pidfile = str(tmp_path / "daemon.pid")
    log = str(tmp_path / "daemon.log")
    launcher = servers([PYTHON, os.path.join(SERVERS, "daemonizing_server.py"), str(port), pidfile,
                        log])
    assert launcher.wait_exit(10) == 0  # the first process exits at once
    pid = int(wait_for_file(pidfile))
    request = Outcome()
    in_thread(http_get, port, "/slow?ms=800", request)
    time.sleep(0.2)
    os.kill(pid, signal.SIGTERM)
    wait_for_file_line(log, r"listeners closed", timeout=5)
    assert connect_refused(port)
    assert request.done.wait(5)
    assert request.ok and request.body == b"daemon\n", request
    assert wait_pid_exit(pid, 5), "the daemon did not exit"


def test_redis_daemonize_yes_drains(servers, tmp_path):
    port = free_port()
    pidfile = tmp_path / "redis.pid"
    launcher = servers(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                        "--appendonly", "no", "--dir", str(tmp_path), "--daemonize", "yes",
                        "--pidfile", str(pidfile)])
    assert launcher.wait_exit(10) == 0
    pid = int(wait_for_file(str(pidfile)))  # redis writes it after it listens
    client = socket.create_connection(("127.0.0.1", port), timeout=5)
    client.sendall(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nk\r\n$1\r\n1\r\n")
    time.sleep(0.2)
    os.kill(pid, signal.SIGTERM)
    reply = client.recv(100)
    assert reply == b"*-1\r\n"
    assert wait_pid_exit(pid, 5)


def test_cgi_children_run_untouched_and_finish(servers):
    # python's CGI handler drops to user nobody before exec: the scripts
    # must be reachable by it (pytest's own temporary tree is root-only)
    tmp_path = world_readable_dir()
    shutil.copytree(os.path.join(os.path.dirname(__file__), "cgi-bin"), os.path.join(tmp_path, "cgi-bin"))
    port = free_port()
    server = servers([PYTHON, "-m", "http.server", "--cgi", str(port), "--bind", "127.0.0.1"],
                     cwd=tmp_path)
    server.wait_for(r"listening on")
    first = http_get(port, "/cgi-bin/slow.sh")
    assert first.ok and first.body == b"threads=1 preload=yes", (first, server.stderr_text())  # inert in sh

    inflight = Outcome()
    in_thread(http_get, port, "/cgi-bin/slow.sh", inflight)
    time.sleep(0.3)  # the script is running
    server.send(signal.SIGTERM)
    server.wait_for(r"SIGTERM: draining")
    assert inflight.done.wait(5)
    assert inflight.ok and inflight.body == b"threads=1 preload=yes", inflight
    assert server.wait_exit(5) == 0
