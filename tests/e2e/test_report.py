"""When shutdown hangs, lastcall says why: the stuck connections in the log
and the report, and every thread's stack (SPEC "Shutdown report")."""
import json
import os
import re
import signal
import socket
import stat
import subprocess
import time


from harness import BUILD, NAIVE_SERVER, PYTHON, SERVERS, free_port, wait_listening


def load_report(path):
    mode = os.stat(path).st_mode
    assert stat.S_IMODE(mode) == 0o600
    with open(path) as f:
        return json.load(f)


def assert_stacks(report, expect_symbol):
    threads = report["threads"]
    assert threads, "no thread stacks in the report"
    for thread in threads:
        assert thread["tid"] > 0 and isinstance(thread["name"], str)
        assert thread["frames"], thread
    frames = [f for t in threads for f in t["frames"]]
    # symbol names with offsets, and the module each frame is in
    assert any("+0x" in f and "(" in f for f in frames), frames[:10]
    assert any(expect_symbol in f for f in frames), frames
    names = {t["name"] for t in threads}
    assert {"lastcall-drain", "lastcall-watch"} <= names


def test_stuck_client_in_python_http_server(servers, tmp_path):
    port = free_port()
    report = tmp_path / "report.json"
    server = servers([PYTHON, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                     ["--timeout", "3s", "--cleanup-timeout", "1s", "--report", str(report)],
                     cwd=tmp_path, log_level="debug")
    wait_listening(server)
    stuck = socket.create_connection(("127.0.0.1", port), timeout=10)
    stuck.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Half: ")  # an incomplete request
    client_port = stuck.getsockname()[1]
    time.sleep(0.3)
    server.send(signal.SIGTERM)
    code = server.wait_exit(10)
    elapsed = server.exit_time - server.signal_times[-1]
    assert code == 124
    assert 1.8 < elapsed < 3.5, elapsed
    assert server.has_line(rf"cut: 127\.0\.0\.1:{client_port} -> port {port} fd \d+ busy age")

    r = load_report(report)
    assert r["outcome"] == "drain_timeout"
    assert r["pid"] == server.pid and r["signal"] == "SIGTERM" and r["lastcall"] == "0.1.0"
    assert set(r["times"]) == {"signal", "listeners_closed", "exit"}  # never drained
    assert r["times"]["signal"] < r["times"]["listeners_closed"] < r["times"]["exit"]
    assert r["counts"]["cut_at_deadline"] == 1
    (conn,) = r["connections"]
    assert conn["peer"] == f"127.0.0.1:{client_port}" and conn["local"] == f"127.0.0.1:{port}"
    assert conn["state"] == "busy" and conn["age_s"] >= 2.0
    assert_stacks(r, "(python3")
    stuck.close()


def test_c_server_stuck_in_its_atexit_handler(servers, tmp_path):
    port = free_port()
    report = tmp_path / "report.json"
    server = servers([NAIVE_SERVER, str(port), str(tmp_path / "marker")],
                     ["--timeout", "3s", "--report", str(report)],
                     env={"NAIVE_HANG_AT_EXIT": "1"}, log_level="info")
    server.wait_for(r"naive_server: listening")
    server.send(signal.SIGTERM)
    assert server.wait_exit(10) == 124
    elapsed = server.exit_time - server.signal_times[-1]
    assert 2.9 < elapsed < 3.6, elapsed
    r = load_report(report)
    assert r["outcome"] == "exit_timeout"
    assert set(r["times"]) == {"signal", "listeners_closed", "drained", "exit"}
    # the thread that called exit() is in the program's atexit handler
    assert_stacks(r, "write_marker")
    assert any("pause" in f for t in r["threads"] for f in t["frames"])


def test_node_server_with_a_stuck_request(servers, tmp_path):
    port = free_port()
    report = tmp_path / "report.json"
    server = servers(["node", os.path.join(SERVERS, "node_server.js"), str(port)],
                     ["--timeout", "3s", "--cleanup-timeout", "1s", "--report", str(report)])
    wait_listening(server)
    stuck = socket.create_connection(("127.0.0.1", port), timeout=10)
    stuck.sendall(b"GET /slow?ms=60000 HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.3)
    server.send(signal.SIGTERM)
    server.wait_exit(10)
    elapsed = server.exit_time - server.signal_times[-1]
    assert 1.8 < elapsed < 3.5, elapsed
    r = load_report(report)
    assert r["outcome"] == "drain_timeout"
    (conn,) = r["connections"]
    assert conn["peer"] == f"127.0.0.1:{stuck.getsockname()[1]}" and conn["state"] == "busy"
    assert_stacks(r, "(node")
    stuck.close()


def test_report_never_follows_a_symbolic_link(servers, tmp_path):
    port = free_port()
    target = tmp_path / "precious"
    target.write_text("keep me\n")
    link = tmp_path / "report.json"
    link.symlink_to(target)
    server = servers([NAIVE_SERVER, str(port)], ["--report", str(link)])
    server.wait_for(r"naive_server: listening")
    server.send(signal.SIGTERM)
    assert server.wait_exit(10) == 0
    assert target.read_text() == "keep me\n"
    assert not link.is_symlink()
    assert load_report(link)["outcome"] == "drained"


STUCK_STATIC = os.path.join(BUILD, "tests", "servers", "stuck_static_server")


def stuck_report(servers, tmp_path, binary):
    port = free_port()
    report = tmp_path / "report.json"
    server = servers([binary, str(port)],
                     ["--timeout", "3s", "--cleanup-timeout", "1s", "--report", str(report)])
    wait_listening(server)
    stuck = socket.create_connection(("127.0.0.1", port), timeout=10)
    stuck.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    server.wait_for(r"stuck", stream="stdout")  # the handler read it and is stuck
    server.send(signal.SIGTERM)
    server.wait_exit(10)
    stuck.close()
    r = load_report(report)
    assert r["outcome"] == "drain_timeout"
    return r


def handler_frames(report, module):
    """The frames of the thread stuck in the handler (the one with pause)."""
    (frames,) = [t["frames"] for t in report["threads"]
                 if t["frames"] and any("pause" in f for f in t["frames"][:3])
                 and any(module in f for f in t["frames"])]
    return frames


def test_a_frame_no_symbol_covers_is_module_plus_offset(servers, tmp_path):
    """The stripped server keeps only exported symbols: the static
    function's frame must not take its exported neighbour's name, and its
    module+offset must lead addr2line (on the unstripped copy) to it."""
    stripped = STUCK_STATIC + ".stripped"
    frames = handler_frames(stuck_report(servers, tmp_path, stripped), "stuck_static_server")
    assert not any("exported_neighbour" in f for f in frames), frames
    at = [re.fullmatch(r"stuck_static_server\.stripped\+0x([0-9a-f]+)", f) for f in frames]
    offsets = [m.group(1) for m in at if m]
    assert offsets, frames
    named = subprocess.run(["addr2line", "-f", "-e", STUCK_STATIC, "0x" + offsets[0]],
                           capture_output=True, text=True, check=True).stdout.split("\n")[0]
    assert named == "compute_forever", (named, frames)


def test_frames_are_named_where_a_symbol_covers_them(servers, tmp_path):
    frames = handler_frames(stuck_report(servers, tmp_path, STUCK_STATIC), "stuck_static_server")
    assert any(re.fullmatch(r"compute_forever\+0x[0-9a-f]+ \(stuck_static_server\)", f)
               for f in frames), frames
    assert any(re.fullmatch(r"pause\+0x[0-9a-f]+ \(libc\.so\.6\)", f) for f in frames), frames
