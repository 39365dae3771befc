"""The hand-back wakes the program's wait. A handler that only sets a
flag, tested at the top of an event loop, must not find the loop between
its test and its wait: lastcall hands the signal back right when the
program closes its last connection, and used to land there, so the loop
slept its whole wait timeout (lighttpd: 1 s late in 17 of 62 stops).
20 stops each: a C loop with a 5 s epoll_wait, and lighttpd."""
import os
import signal
import socket

from harness import BUILD, Outcome, free_port, http_get, in_thread

FLAG_LOOP = os.path.join(BUILD, "tests", "servers", "flag_loop_server")
RUNS = 20
WAIT_S = 5.0  # the flag loop's epoll_wait timeout


def test_a_flag_setting_handler_is_not_left_asleep(servers):
    lags = []
    for run in range(RUNS):
        port = free_port()
        server = servers([FLAG_LOOP, str(port)], log_level="info")
        server.wait_for(r"^ready$", stream="stdout")
        client = socket.create_connection(("127.0.0.1", port), timeout=10)
        client.sendall(b"GET /?ms=200 HTTP/1.0\r\n\r\n")
        server.wait_for(r"^accepted$", stream="stdout")
        server.send(signal.SIGTERM)
        reply = b""
        while chunk := client.recv(4096):
            reply += chunk
        client.close()
        assert reply.endswith(b"ok\n"), reply
        assert server.wait_exit(10) == 0
        _, closed = server.wait_for(r"^closed ", stream="stdout")
        _, exiting = server.wait_for(r"^exiting ", stream="stdout")
        _, stamp, how = exiting.split()
        lags.append(float(stamp) - float(closed.split()[1]))
        # The property itself: the signal found the loop in its wait and
        # ended it. Landing before the wait, it sleeps its 5 s timeout.
        assert how == "interrupted", f"run {run}: its wait {how}, {lags[-1]:.3f} s after its last close"
        assert lags[-1] < WAIT_S / 10, f"run {run}: exited {lags[-1] * 1000:.1f} ms after its last close"
    # How soon: 2 ms of the loop's own housekeeping, then the hand-back's
    # look at the main thread (every 0.25 ms). One run in a few hundred is
    # a few ms later when another process takes a core (measured with a
    # busy loop beside it: up to 4.2 ms), hence the median.
    lags.sort()
    assert lags[RUNS // 2] < 0.005, f"median exit {lags[RUNS // 2] * 1000:.1f} ms after the last close"
    print(f"\nflag loop: exit {min(lags) * 1000:.1f}-{max(lags) * 1000:.1f} ms after the last "
          f"close (median {lags[RUNS // 2] * 1000:.1f}), every wait interrupted, {RUNS} of {RUNS}")


def test_lighttpd_exits_right_after_its_last_download(servers, tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    (root / "file.bin").write_bytes(os.urandom(2 * 1024 * 1024))
    lags = []
    for run in range(RUNS):
        port = free_port()
        conf = tmp_path / f"lighttpd-{run}.conf"
        conf.write_text(f'server.document-root = "{root}"\nserver.port = {port}\n'
                        'server.bind = "127.0.0.1"\nserver.max-keep-alive-requests = 0\n')
        server = servers(["lighttpd", "-D", "-f", str(conf)], log_level="info")
        server.wait_for(r"server started")
        downloads = [Outcome() for _ in range(2)]
        for outcome in downloads:
            in_thread(http_get, port, "/file.bin", outcome, 65536, 0.008, rcvbuf=32768)
        for outcome in downloads:
            assert outcome.started.wait(10)
        server.send(signal.SIGTERM)
        for outcome in downloads:
            assert outcome.done.wait(20)
            assert outcome.ok, outcome
        assert server.wait_exit(10) == 0
        lags.append(server.exit_time - max(o.done_time for o in downloads))
        assert lags[-1] < 0.05, f"run {run}: exit {lags[-1] * 1000:.0f} ms after the last download"
    print(f"\nlighttpd: exit {min(lags) * 1000:.0f}-{max(lags) * 1000:.0f} ms after the last "
          f"download, {RUNS} of {RUNS}")
