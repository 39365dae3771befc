"""A naive blocking C server with no signal handling: under lastcall its
in-flight requests finish, and its atexit handler and buffered stdout
survive SIGTERM (the default action would have lost both)."""
import signal
import time

import pytest

from harness import NAIVE_SERVER, Outcome, free_port, http_get, in_thread


def start(servers, tmp_path, lastcall_args=()):
    port = free_port()
    marker = tmp_path / "atexit.txt"
    server = servers([NAIVE_SERVER, str(port), str(marker)], lastcall_args=lastcall_args)
    server.wait_for(r"naive_server: listening")
    return server, port, marker


def slow_requests(port, count, ms):
    outcomes = [Outcome() for _ in range(count)]
    for outcome in outcomes:
        in_thread(http_get, port, f"/slow?ms={ms}", outcome)
    return outcomes


@pytest.mark.parametrize("under_lastcall", [True, False], ids=["lastcall", "plain"])
def test_atexit_marker_and_buffered_stdout_survive_sigterm(servers, tmp_path, under_lastcall):
    server, port, marker = start(servers, tmp_path, () if under_lastcall else None)
    for _ in range(3):
        assert http_get(port, "/").ok
    inflight = slow_requests(port, 2, 800)
    time.sleep(0.2)  # the requests reach the server

    server.send(signal.SIGTERM)
    code = server.wait_exit(10)
    for outcome in inflight:
        outcome.done.wait(5)
    if not under_lastcall:
        # the control: killed mid-request, atexit and stdout lost
        assert code == -signal.SIGTERM
        assert not marker.exists()
        assert "served" not in server.stdout_text()
        assert not any(o.ok for o in inflight)
        return
    assert code == 0, server.stderr_text()
    assert all(o.ok for o in inflight), inflight
    assert marker.read_text() == "atexit ran after 5 requests\n"
    assert server.stdout_text().count("served") == 5
    assert server.has_line(r"exit: calling exit\(0\) for SIGTERM \(default action\)")


def test_drain_timeout_cuts_a_stuck_request_and_exits_124(servers, tmp_path):
    server, port, marker = start(servers, tmp_path,
                                 ["--timeout", "3s", "--cleanup-timeout", "1s"])
    (stuck,) = slow_requests(port, 1, 20000)
    time.sleep(0.2)
    server.send(signal.SIGTERM)
    code = server.wait_exit(10)
    elapsed = server.exit_time - server.signal_times[-1]
    assert code == 124
    assert 1.9 < elapsed < 2.6, elapsed  # drain deadline: 3s - 1s
    assert server.has_line(r"cut: 127\.0\.0\.1:\d+ -> port %d fd \d+ busy" % port)
    assert server.has_line(r"drain timeout: cut 1 connection")
    assert marker.exists()  # exit() still ran the program's atexit
    stuck.done.wait(5)
    assert not stuck.ok


def test_second_signal_skips_to_exit_third_ends_now(servers, tmp_path):
    server, port, marker = start(servers, tmp_path)
    slow_requests(port, 1, 20000)
    time.sleep(0.2)
    server.send(signal.SIGTERM)
    server.wait_for(r"SIGTERM: draining 1 connection")
    server.send(signal.SIGTERM)
    assert server.wait_exit(5) == 124  # a connection was cut short
    assert server.exit_time - server.signal_times[-1] < 0.5
    assert server.has_line(r"second SIGTERM: skipping to the exit phase")
    assert marker.exists()


def test_third_signal_ends_a_process_stuck_in_its_exit_path(servers, tmp_path):
    port = free_port()
    marker = tmp_path / "atexit.txt"
    server = servers([NAIVE_SERVER, str(port), str(marker)], env={"NAIVE_HANG_AT_EXIT": "1"})
    server.wait_for(r"naive_server: listening")
    server.send(signal.SIGTERM)
    server.wait_for(r"exit: calling exit\(0\)")
    server.send(signal.SIGTERM)
    server.wait_for(r"second SIGTERM")
    assert server.exited.wait(0.3) is False  # still stuck in atexit
    server.send(signal.SIGTERM)
    assert server.wait_exit(2) == 128 + signal.SIGTERM
    assert server.exit_time - server.signal_times[-1] < 0.5
    assert server.has_line(r"third SIGTERM: exiting now")


def test_total_deadline_ends_a_process_stuck_in_its_exit_path(servers, tmp_path):
    port = free_port()
    marker = tmp_path / "atexit.txt"
    server = servers([NAIVE_SERVER, str(port), str(marker)], ["--timeout", "2s"],
                     env={"NAIVE_HANG_AT_EXIT": "1"})
    server.wait_for(r"naive_server: listening")
    server.send(signal.SIGTERM)
    assert server.wait_exit(5) == 124
    elapsed = server.exit_time - server.signal_times[-1]
    assert 1.95 < elapsed < 2.5, elapsed
    assert marker.exists()
    assert server.has_line(r"timeout: the total deadline passed, exiting with 124")


def test_exit_waits_until_replies_have_left_the_send_queue(servers, tmp_path):
    """The server writes the whole reply and closes while megabytes still sit
    in its send queue. The exit phase must wait until the client has them:
    on a host the kernel would finish the job, in a container whose network
    goes away with the process it would not."""
    server, port, _ = start(servers, tmp_path)
    download = Outcome()
    in_thread(http_get, port, "/bytes?n=16000000", download, 65536, 0.01, rcvbuf=32768)
    assert download.started.wait(5)
    server.send(signal.SIGTERM)
    assert server.wait_exit(20) == 0
    assert download.done.wait(5)
    assert download.ok and len(download.body) == 16000000, download
    # the process was still there when the client read its last bytes
    assert server.exit_time >= download.done_time - 0.05
    drained_at, _ = server.wait_for(r"drained in")
    closed_at, _ = server.wait_for(r"listeners closed")
    assert drained_at - closed_at > 0.3
