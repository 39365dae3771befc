"""lighttpd: its own SIGTERM is an immediate stop that cuts downloads.
Under lastcall they complete first."""
import hashlib
import os
import signal

import pytest

from harness import Outcome, connect_refused, free_port, http_get, in_thread

SIZE = 16 * 1024 * 1024


def lighttpd_config(tmp_path, port):
    root = tmp_path / "www"
    root.mkdir()
    data = os.urandom(SIZE)
    (root / "big.bin").write_bytes(data)
    conf = tmp_path / "lighttpd.conf"
    conf.write_text(
        f'server.document-root = "{root}"\n'
        f"server.port = {port}\n"
        'server.bind = "127.0.0.1"\n'
        'server.max-keep-alive-requests = 0\n'
    )
    return conf, hashlib.sha256(data).hexdigest()


def start_downloads(port, count):
    outcomes = [Outcome() for _ in range(count)]
    for outcome in outcomes:
        in_thread(http_get, port, "/big.bin", outcome, 65536, 0.008, rcvbuf=32768)
    for outcome in outcomes:
        assert outcome.started.wait(10)
    return outcomes


@pytest.mark.parametrize("under_lastcall", [True, False], ids=["lastcall", "plain"])
def test_lighttpd_downloads_complete_under_lastcall(servers, tmp_path, under_lastcall):
    port = free_port()
    conf, digest = lighttpd_config(tmp_path, port)
    server = servers(["lighttpd", "-D", "-f", str(conf)],
                     lastcall_args=() if under_lastcall else None)
    server.wait_for(r"server started")  # lighttpd's own line on stderr
    downloads = start_downloads(port, 3)

    server.send(signal.SIGTERM)
    if not under_lastcall:
        server.wait_exit(10)
        assert all(d.done.wait(10) for d in downloads)
        assert not any(d.ok for d in downloads), "control: plain SIGTERM should cut downloads"
        return

    server.wait_for(r"listeners closed")
    assert connect_refused(port)
    assert all(d.done.wait(20) for d in downloads)
    for d in downloads:
        assert d.ok, d
        assert hashlib.sha256(d.body).hexdigest() == digest
    assert server.wait_exit(10) == 0
    assert server.has_line(r"exit: handing SIGTERM to the program's handler")
