"""Fork per connection (Python's ForkingMixIn): the parent's own table is
empty right after each fork, so it must wait for the children that hold its
connections before its exit phase — and leave reaping to the program."""
import os
import signal
import time

from harness import PYTHON, SERVERS, Outcome, connect_refused, free_port, http_get, in_thread, wait_listening


def test_parent_waits_for_children_answering_its_connections(servers):
    port = free_port()
    server = servers([PYTHON, os.path.join(SERVERS, "forking_server.py"), str(port)])
    wait_listening(server)
    requests = [Outcome() for _ in range(3)]
    for outcome in requests:
        in_thread(http_get, port, "/slow?ms=1200", outcome)
    time.sleep(0.3)  # three children are answering

    server.send(signal.SIGTERM)
    server.wait_for(r"SIGTERM: draining 0 connections and 3 children holding connections")
    server.wait_for(r"listeners closed")
    assert connect_refused(port)
    for outcome in requests:
        assert outcome.done.wait(5)
        assert outcome.ok and outcome.body == b"forked reply\n", outcome
    assert server.wait_exit(5) == 0
    last = max(o.done_time for o in requests)
    assert server.exit_time - last < 0.5
    drained_at, _ = server.wait_for(r"drained in")
    assert drained_at > server.signal_times[-1] + 0.8  # it did wait for them
