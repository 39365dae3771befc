"""Logs: one line per phase on stderr with lastcall[PID], never cut by the
program's own output; LASTCALL_LOG levels; the debug trace shows what the
library saw at start, so an operator can tell why a server does not drain."""
import os
import signal
import socket
import time

from harness import PYTHON, SERVERS, SIGNAL_SERVER, free_port, wait_listening


def test_phase_lines_at_info_and_nothing_at_error(servers):
    port = free_port()
    server = servers([PYTHON, "-m", "http.server", str(port), "--bind", "127.0.0.1"], log_level="info")
    time.sleep(0.5)
    server.send(signal.SIGTERM)
    assert server.wait_exit(5) == 0
    ours = [line for _, line in server.lines if line.startswith("lastcall[")]
    prefix = f"lastcall[{server.pid}]: "
    assert [l[len(prefix):].split(":")[0].split(" ")[0] for l in ours] == \
        ["SIGTERM", "listeners", "drained", "exit"], ours
    quiet = servers([PYTHON, "-m", "http.server", str(free_port()), "--bind", "127.0.0.1"],
                    log_level="error")
    time.sleep(0.5)
    quiet.send(signal.SIGTERM)
    assert quiet.wait_exit(5) == 0
    assert not quiet.has_line(r"^lastcall\[")


def test_lines_stay_whole_among_the_programs_output(servers):
    port = free_port()
    server = servers([PYTHON, os.path.join(SERVERS, "chatty_server.py"), str(port)], log_level="debug")
    wait_listening(server)
    server.send(signal.SIGTERM)
    assert server.wait_exit(10) == 0
    chatter = "chatter " + "x" * 200
    for _, line in server.lines:
        if "lastcall[" in line:
            assert line.startswith("lastcall["), line  # nothing glued in front
        else:
            assert line == chatter or not line.startswith("chatter") or line == chatter, line
    assert server.has_line(r"^lastcall\[\d+\]: drained in")


def test_debug_trace_shows_listeners_handlers_and_signalfd(servers):
    port = free_port()
    server = servers([SIGNAL_SERVER, "late-mask", str(port)], log_level="debug")
    server.wait_for(r"^ready$", stream="stdout")
    pid = server.pid
    # stderr is read by its own thread: "ready" on stdout can be seen before
    # trace lines written earlier, so wait for each (bounded)
    server.wait_for(rf"lastcall\[{pid}\]: active: listener 127\.0\.0\.1:{port} \(fd \d+\)", 5)
    server.wait_for(r"active: SIGTERM: default action", 5)
    server.wait_for(r"the program reads SIGTERM through a signalfd: it gets it after the drain", 5)
    server.send(signal.SIGTERM)
    assert server.wait_exit(5) == 0


def test_debug_trace_shows_inherited_listeners(servers):
    manager = socket.socket()
    manager.bind(("127.0.0.1", 0))
    manager.listen(4)
    port = manager.getsockname()[1]
    fd = manager.fileno()
    server = servers([PYTHON, os.path.join(SERVERS, "multi_server.py"), f"fd:{fd}"],
                     env={"LISTEN_FDS": "1"}, pass_fds=(fd,), log_level="debug")
    server.wait_for(r"^ready$", stream="stdout")
    server.wait_for(rf"active: listener 127\.0\.0\.1:{port} \(fd {fd}, socket activation\)", 5)
    server.send(signal.SIGTERM)
    assert server.wait_exit(5) == 0
    manager.close()
