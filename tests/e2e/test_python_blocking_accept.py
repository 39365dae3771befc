"""The main thread of a Python server blocks in accept(). After the drain,
the handed-back SIGINT must interrupt that accept so Python raises
KeyboardInterrupt there — not leave it blocked, and not feed it an error."""
import os
import signal
import time

from harness import PYTHON, SERVERS, Outcome, connect_refused, free_port, http_get, in_thread, wait_listening


def test_handed_back_sigint_reaches_keyboardinterrupt_in_blocked_accept(servers):
    port = free_port()
    server = servers([PYTHON, os.path.join(SERVERS, "blocking_accept.py"), str(port)])
    wait_listening(server)
    inflight = Outcome()
    in_thread(http_get, port, "/", inflight)
    time.sleep(0.2)  # the request is being served

    server.send(signal.SIGINT)
    server.wait_for(r"listeners closed")
    assert connect_refused(port)
    assert inflight.done.wait(5)
    assert inflight.ok, inflight
    assert server.wait_exit(5) == 0
    assert server.exit_time - inflight.done_time < 0.5
    assert "KeyboardInterrupt in accept: exiting" in server.stdout_text()
    assert "Error" not in server.stderr_text()  # no accept error surfaced
