"""HTTP/2 in the clear (issue 18): open streams hold the drain however long
they pause, a connection with none is closed at once, and every client is
told with a GOAWAY (last-stream-id 2^31-1, NO_ERROR) between the
program's frames. Stock libraries: node's http2 module (h2c), Debian's
python3-grpcio (server-streaming with pauses, with and without the
client's bandwidth probe), and gRPC's own graceful stop, which must pass
under lastcall as it does alone; lighttpd's HTTP/2 by upgrade ("Upgrade:
h2c", as curl --http2 asks for it) with a CGI token stream."""
import json
import os
import signal
import subprocess
import time

import pytest

from harness import PYTHON, SERVERS, Server, free_port

H2C_CLIENT = os.path.join(SERVERS, "h2c_client.py")

GRPC_SERVER = os.path.join(SERVERS, "grpc_stream_server.py")
GRPC_CLIENT = os.path.join(SERVERS, "grpc_stream_client.py")
MAX_STREAM_ID = 2**31 - 1


def have_grpc():
    return subprocess.run([PYTHON, "-c", "import grpc"], stderr=subprocess.DEVNULL).returncode == 0


needs_grpc = pytest.mark.skipif(not have_grpc(), reason="python3-grpcio not installed")


class Client:
    """A client process whose stdout lines are collected as they come."""

    def __init__(self, argv):
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True)
        self.lines = []

    def wait_started(self, timeout=20):
        deadline = time.monotonic() + timeout
        for line in self.proc.stdout:  # blocks until the client prints
            self.lines.append(line.rstrip("\n"))
            if line.startswith("started"):
                return
            assert time.monotonic() < deadline, self.lines
        raise AssertionError(f"client ended before its streams started: {self.lines}")

    def finish(self, timeout=40):
        rest, _ = self.proc.communicate(timeout=timeout)
        self.lines += rest.splitlines()
        return [json.loads(line) for line in self.lines if line.startswith("{")]


def test_node_h2c_streams_complete_and_clients_get_goaway(tmp_path):
    """node http2 (h2c): 2 streams pausing 700 ms between chunks on one
    session, an idle session: both streams complete, the idle session gets
    GOAWAY(NO_ERROR, 2^31-1) and a close at once, the busy one a GOAWAY
    with its next chunk; node exits once the last stream has ended."""
    port = free_port()
    server = Server(["node", os.path.join(SERVERS, "h2_server.js"), str(port)])
    try:
        server.wait_for(r"listening on")
        client = Client(["node", os.path.join(SERVERS, "h2_client.js"), str(port), "2", "5", "700"])
        client.wait_started()
        signal_time = time.monotonic()
        server.send(signal.SIGTERM)
        events = client.finish()
        server.wait_exit(timeout=20)
        streams = [e for e in events if "stream" in e]
        assert [s.get("tokens") for s in streams] == [5, 5], (events, server.stderr_text())
        for session in ("idle", "busy"):
            # lastcall's first (NO_ERROR, every stream still answered);
            # node may send its own after it, never with a higher last id
            received = [e for e in events if e.get("session") == session and "goaway" in e]
            assert received and received[0]["goaway"] == 0 and received[0]["last"] == MAX_STREAM_ID, events
            assert all(g["last"] <= MAX_STREAM_ID for g in received), events
        closed = {e["session"]: e["at"] for e in events if e.get("closed")}
        # the idle session ends long before the streams (they pause 700 ms)
        assert closed["idle"] < min(s["at"] for s in streams) - 0.3, events
        assert server.has_line(r"closed finished connection .*\(h2: no open stream, GOAWAY sent\)"), \
            server.stderr_text()
        assert server.has_line(r"drained in"), server.stderr_text()
        assert server.exit_time - signal_time > 2.0  # not before the streams' 4 pauses
        print(f"\nnode h2c: streams end +{max(s['at'] for s in streams) - min(s['at'] for s in streams):.3f}s apart; "
              f"exit {server.exit_time - signal_time:.3f}s after the signal")
    finally:
        server.stop()


def grpc_case(tmp_path, probe=True, graceful=False, lastcall=True):
    """3 server streams of 5 messages 700 ms apart in flight at SIGTERM, and
    an idle channel. Returns (events, server, seconds from signal to exit)."""
    port = free_port()
    argv = [PYTHON, GRPC_SERVER, str(port)] + (["graceful"] if graceful else [])
    server = Server(argv, lastcall_args=() if lastcall else None)
    try:
        server.wait_for(r"^ready$", stream="stdout", timeout=20)
        client = Client([PYTHON, GRPC_CLIENT, str(port), "3", "5", "700"] + ([] if probe else ["noprobe"]))
        client.wait_started()
        signal_time = time.monotonic()
        server.send(signal.SIGTERM)
        events = client.finish()
        status = server.wait_exit(timeout=30)
        return events, server, status, server.exit_time - signal_time
    finally:
        server.stop()


def check_grpc(events, server, status, took):
    streams = [e for e in events if "stream" in e]
    assert len(streams) == 3, (events, server.stderr_text())
    for s in streams:
        assert s["status"] == "OK" and s["messages"] == 5, (events, server.stderr_text())
    states = [name for _, name in next(e["idle_states"] for e in events if "idle_states" in e)]
    # the idle channel was told to go (GOAWAY, then the close): it leaves READY
    assert states[0] == "READY" and len(states) > 1 and states[-1] != "READY", (states, server.stderr_text())
    assert took > 2.0, server.stderr_text()  # after the streams' remaining pauses, not before


@needs_grpc
@pytest.mark.parametrize("probe", [True, False], ids=["probe", "noprobe"])
def test_grpc_server_streams_complete(tmp_path, probe):
    """python3-grpcio, no signal handling of its own: every stream ends OK
    with all its messages, the idle channel leaves READY at once, and the
    process exits (0, lastcall's exit for the default action) after the
    last stream — with the client's bandwidth-probe PINGs (the server's
    bytes come last after each message) and without them (the client's
    WINDOW_UPDATEs come last): neither decides anything now."""
    events, server, status, took = grpc_case(tmp_path, probe=probe)
    check_grpc(events, server, status, took)
    assert status == 0, server.stderr_text()
    assert server.has_line(r"drained in"), server.stderr_text()
    assert not server.has_line(r"cut"), server.stderr_text()
    # (whether the drain or the program's next write carried the GOAWAY to
    # the idle channel varies with grpc's own timers: the client's state
    # is what counts, checked above)
    print(f"\ngrpc ({'probe' if probe else 'no probe'}): exit {took:.3f}s after the signal")


@needs_grpc
@pytest.mark.parametrize("lastcall", [False, True], ids=["alone", "lastcall"])
def test_grpc_graceful_stop_passes_under_lastcall_as_alone(tmp_path, lastcall):
    """A server that calls server.stop(grace) on SIGTERM: alone it finishes
    the streams itself; under lastcall the streams are drained first and
    its own stop then finds nothing left — the same for every client."""
    events, server, status, took = grpc_case(tmp_path, graceful=True, lastcall=lastcall)
    check_grpc(events, server, status, took)
    assert "stopped" in server.stdout_text(), server.stdout_text()
    print(f"\ngrpc stop(grace) {'under lastcall' if lastcall else 'alone'}: exit {took:.3f}s after the signal, status {status}")


TOKENS_CGI = """#!/bin/sh
printf 'Content-Type: text/plain\\r\\n\\r\\n'
for i in 1 2 3 4 5; do echo "token $i"; sleep 0.7; done
"""


def test_lighttpd_h2c_upgrade_streams_complete_and_clients_get_goaway(tmp_path):
    """lighttpd, HTTP/2 by upgrade (a 101 to h2c, then the answer on
    stream 1): 2 CGI token streams pausing 700 ms between tokens, and an
    idle upgraded connection. Both streams complete; every connection gets
    GOAWAY(NO_ERROR, 2^31-1) from lastcall, the idle one with its close at
    once; lighttpd (whose own SIGTERM is immediate) exits after the last
    token. Before this, the upgraded connections were judged from the
    kernel's view: the streams were cut in their first pause."""
    www = tmp_path / "www"
    www.mkdir()
    (www / "tokens.sh").write_text(TOKENS_CGI)
    (www / "small.txt").write_text("hello\n")
    port = free_port()
    conf = tmp_path / "lighttpd.conf"
    # lighttpd hands its CGI children LD_PRELOAD but not ASAN_OPTIONS: under
    # make sanitize, the script's shell would refuse to start (the ASan
    # runtime is not first in its list), and every stream be a 500
    asan = os.environ.get("ASAN_OPTIONS")
    setenv = (f'server.modules += ("mod_setenv")\nsetenv.add-environment = ("ASAN_OPTIONS" => "{asan}")\n'
              if asan else "")
    conf.write_text(f'server.document-root = "{www}"\nserver.port = {port}\n'
                    'server.bind = "127.0.0.1"\nserver.modules += ("mod_cgi")\n'
                    'cgi.assign = (".sh" => "/bin/sh")\nserver.stream-response-body = 2\n' + setenv)
    server = Server(["lighttpd", "-D", "-f", str(conf)])
    try:
        server.wait_for(r"server started")
        client = Client([PYTHON, H2C_CLIENT, str(port), "/tokens.sh", "2", "/small.txt", "1"])
        client.wait_started()
        signal_time = time.monotonic()
        server.send(signal.SIGTERM)
        events = client.finish()
        server.wait_exit(timeout=20)
        streams = [e for e in events if e.get("path") == "/tokens.sh"]
        assert sorted((s["conn"], s["tokens"], s["end_stream"]) for s in streams) == \
            [(0, 5, True), (1, 5, True)], (events, server.stderr_text())
        assert not [e for e in events if "reset" in e], events
        for conn in (0, 1, 2):
            goaways = [e for e in events if e.get("conn") == conn and "goaway" in e]
            # lastcall's first: NO_ERROR, every stream it has still answered
            assert goaways and goaways[0]["goaway"] == 0 and goaways[0]["last"] == MAX_STREAM_ID, \
                (conn, events, server.stderr_text())
            assert goaways[0]["at"] > signal_time, events
        for s in streams:  # told before its stream ended, which it then did
            first = next(e for e in events if e.get("conn") == s["conn"] and "goaway" in e)
            assert first["at"] < s["at"], events
        closed = {e["conn"]: e["at"] for e in events if e.get("closed")}
        last_token = max(s["at"] for s in streams)
        assert closed[2] - signal_time < 0.5, (events, server.stderr_text())  # the idle one at once
        assert last_token - signal_time > 1.4, events  # after the pauses, not cut in one
        assert server.exit_time - last_token < 0.5, (events, server.stderr_text())
        assert server.has_line(r"closed finished connection .*\(h2: no open stream, GOAWAY sent\)"), \
            server.stderr_text()
        assert server.has_line(r"drained in"), server.stderr_text()
        # lighttpd forked CGI children: its listener must still go quietly
        # (a shutdown() polls as HUP on lighttpd's epoll until the last
        # reference goes, and lighttpd logs each one)
        storm = [line for _, line in server.lines if "strange event" in line]
        assert not storm, f"{len(storm)} lines like {storm[0]!r}"
        lag = max(closed[s["conn"]] - s["at"] for s in streams)
        print(f"\nlighttpd h2c: streams' connections closed within {lag * 1000:.1f} ms of their "
              f"END_STREAM; idle closed +{closed[2] - signal_time:.3f}s, last token "
              f"+{last_token - signal_time:.3f}s, exit +{server.exit_time - signal_time:.3f}s after the signal")
    finally:
        server.stop()
