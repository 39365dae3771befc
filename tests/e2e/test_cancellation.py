"""pthread_cancel under lastcall. Until a program creates a thread or
cancels one, lastcall makes its cancellable system calls itself, without
glibc's threaded path (shim/base/real.c); every cancellation the program
makes must still land where it lands without lastcall: a thread that
cancels itself at its next read, a thread blocked in recv by another."""
import os

import pytest

from harness import BUILD, free_port

CANCEL_SERVER = os.path.join(BUILD, "tests", "servers", "cancel_server")


@pytest.mark.parametrize("mode, outcome", [("self", "cancelled at read"),
                                           ("pthread", "joined: cancelled"),
                                           ("thrd", "joined: cancelled")])
def test_cancellation_reaches_the_call_it_always_reached(servers, mode, outcome):
    server = servers([CANCEL_SERVER, mode, str(free_port())], [])
    server.wait_for(r"^ready$", stream="stdout")
    # without the change back to glibc's functions the blocked thread is
    # never cancelled and the join hangs; the self-cancelled read returns
    assert server.wait_exit(5) == 0
    assert server.has_line(rf"^{outcome}$", stream="stdout"), server.stdout_lines


@pytest.mark.parametrize("mode, calls", [("none", "made by lastcall \\(the program has no threads\\)"),
                                         ("early", "through the C library")])
def test_debug_trace_says_who_makes_the_calls(servers, mode, calls):
    server = servers([CANCEL_SERVER, mode, str(free_port())], [], log_level="debug")
    server.wait_for(r"^ready$", stream="stdout")
    assert server.wait_exit(5) == 0
    server.wait_for(rf"lastcall\[\d+\]: active: reads, writes, accept, close and epoll_wait {calls}$", 5)
