"""No trace in the program's own logs: at a shutdown under lastcall, a
stock server's stderr and stdout hold no line its plain stop with the
same signal lacks (apache2: tests/e2e/test_apache.py) -- lastcall's own "lastcall[PID]:" lines apart, and
numbers (times, PIDs, ports) aside. lighttpd logged "fdevent event_del
failed on fd 3: No such file or directory" at every stop under lastcall:
the stand-in put over its stopped listener has no epoll registration."""
import os
import re
import signal
import socket

import pytest

from harness import PYTHON, SERVERS, Outcome, free_port, http_get
from test_stock_servers import nginx_setup


def lighttpd(tmp_path, port):
    root = tmp_path / "www"
    root.mkdir(exist_ok=True)
    (root / "index.txt").write_text("ok")
    conf = tmp_path / "lighttpd.conf"
    conf.write_text(f'server.document-root = "{root}"\nserver.port = {port}\n'
                    'server.bind = "127.0.0.1"\n')
    return ["lighttpd", "-D", "-f", str(conf)], "/index.txt", ("stderr", r"server started")


def nginx(tmp_path, port):
    conf, _ = nginx_setup(port)
    return ["nginx", "-c", conf, "-e", "stderr"], "/big.bin", ("stderr", r"start worker process")


def redis(tmp_path, port):
    return ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", str(tmp_path)], None, \
        ("stdout", r"Ready to accept connections")


def memcached(tmp_path, port):
    return ["memcached", "-l", "127.0.0.1", "-p", str(port), "-U", "0", "-u", "root", "-vv"], \
        None, ("stderr", r"server listening")


def node(tmp_path, port):
    return ["node", os.path.join(SERVERS, "node_server.js"), str(port)], "/", ("stdout", "^ready")


def python(tmp_path, port):
    return [PYTHON, "-u", "-m", "http.server", str(port), "--bind", "127.0.0.1"], "/", \
        ("stdout", r"Serving HTTP on")


def gunicorn(tmp_path, port):
    return ["gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "--chdir", SERVERS,
            "wsgi_app:app"], "/", ("stderr", r"Booting worker")


SERVER_KINDS = {"lighttpd": lighttpd, "nginx": nginx, "redis": redis, "memcached": memcached,
                "node": node, "python": python, "gunicorn": gunicorn}


def program_lines(server):
    """The program's own lines, numbers made alike."""
    lines = server.stderr_text().splitlines() + server.stdout_text().splitlines()
    return {re.sub(r"\d+", "N", line).rstrip() for line in lines
            if line.strip() and not line.startswith("lastcall[")}


def one_stop(servers, tmp_path, kind, under_lastcall):
    port = free_port()
    argv, path, (stream, ready) = SERVER_KINDS[kind](tmp_path, port)
    server = servers(argv, lastcall_args=() if under_lastcall else None, log_level="info",
                     own_session=True)
    server.wait_for(ready, stream=stream)
    if path:  # one request served, as in production
        outcome = Outcome()
        http_get(port, path, outcome)
        assert outcome.status == 200, outcome
    else:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
            c.sendall(b"PING\r\n" if kind == "redis" else b"version\r\n")
            assert c.recv(100)
    server.send(signal.SIGTERM)
    server.wait_exit(20)
    return program_lines(server)


@pytest.mark.parametrize("kind", sorted(SERVER_KINDS))
def test_the_programs_log_holds_nothing_its_own_stop_lacks(servers, tmp_path, kind):
    (tmp_path / "plain").mkdir()
    (tmp_path / "lastcall").mkdir()
    plain = one_stop(servers, tmp_path / "plain", kind, False)
    under = one_stop(servers, tmp_path / "lastcall", kind, True)
    extra = sorted(under - plain)
    assert not extra, f"{kind} under lastcall logged lines its own stop does not:\n" + \
        "\n".join(extra)
