"""At a hang, lastcall says where a Python program is stuck in Python's
words: each thread's traceback in the report ("python": file, line,
function, most recent call first), and the log names each thread's
innermost Python frame."""
import json
import os
import signal
import socket

from harness import PYTHON, SERVERS, free_port, wait_listening

STUCK = os.path.join(SERVERS, "py_stuck_server.py")


def line_of(path, marker):
    with open(path) as f:
        for number, text in enumerate(f, 1):
            if marker in text:
                return number
    raise AssertionError(marker)


def test_a_threaded_server_stuck_in_a_named_function(servers, tmp_path):
    port = free_port()
    report = tmp_path / "report.json"
    server = servers([PYTHON, STUCK, str(port)],
                     ["-t", "3s", "--cleanup-timeout", "1s", "--report", str(report)])
    wait_listening(server)
    stuck = socket.create_connection(("127.0.0.1", port), timeout=10)
    stuck.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    server.wait_for(r"^stuck$", stream="stdout")
    server.send(signal.SIGTERM)
    assert server.wait_exit(10) == 124
    stuck.close()
    fetch_line = line_of(STUCK, "FETCH_LINE")
    with open(report) as f:
        r = json.load(f)
    with_python = [t for t in r["threads"] if t.get("python")]
    handler = [t for t in with_python if t["python"][0]["function"] == "fetch_embeddings"]
    assert len(handler) == 1, [(t["tid"], t.get("python", [])[:2]) for t in r["threads"]]
    (thread,) = handler
    innermost = thread["python"][0]
    assert innermost["file"] == STUCK and innermost["line"] == fetch_line, innermost
    # most recent call first: the handler's do_GET called it
    assert [f["function"] for f in thread["python"][:2]] == ["fetch_embeddings", "do_GET"]
    # the C frames stay, the thread is the one the kernel calls by that tid
    assert thread["frames"] and thread["tid"] > 0
    # the main thread waits in serve_forever's selector
    main = [t for t in with_python if t["tid"] == server.pid]
    assert main and any(f["function"] == "serve_forever" for f in main[0]["python"]), main
    assert server.has_line(
        rf"thread {thread['tid']} stuck in fetch_embeddings \(py_stuck_server\.py:{fetch_line}\)")


def stuck_run(servers, tmp_path, argv, path="/"):
    port = free_port()
    report = tmp_path / "report.json"
    server = servers([*argv, str(port)],
                     ["-t", "3s", "--cleanup-timeout", "1s", "--report", str(report)])
    wait_listening(server)
    stuck = socket.create_connection(("127.0.0.1", port), timeout=10)
    stuck.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    server.wait_for(r"^stuck$", stream="stdout")
    server.send(signal.SIGTERM)
    code = server.wait_exit(10)
    stuck.close()
    with open(report) as f:
        return server, code, json.load(f)


def test_an_async_endpoint_stuck_in_await(servers, tmp_path):
    app = os.path.join(SERVERS, "fastapi_stuck.py")
    server, code, r = stuck_run(servers, tmp_path, [PYTHON, app], "/embed?q=hi")
    assert code == 124
    await_line = line_of(app, "AWAIT_LINE")
    stuck = [t for t in r["tasks"]
             if any(f["function"] == "slow_embeddings" for f in t["frames"])]
    assert len(stuck) == 1, r["tasks"]
    (task,) = stuck
    assert task["name"].startswith("Task-")
    frames = task["frames"]  # most recent call first: asyncio.sleep, then ours
    mine = next(f for f in frames if f["function"] == "slow_embeddings")
    assert mine["file"] == app and mine["line"] == await_line, frames
    assert frames.index(mine) < next(i for i, f in enumerate(frames) if f["function"] == "embed")
    assert server.has_line(
        rf"task {task['name']} stuck in slow_embeddings \(fastapi_stuck\.py:{await_line}\)")
    # the event loop's thread waits in epoll: its Python frames say so
    main = [t for t in r["threads"] if t["tid"] == server.pid][0]
    assert main.get("python"), main


def test_a_thread_holding_the_gil_in_c_code(servers, tmp_path):
    app = os.path.join(SERVERS, "py_gil_server.py")
    server, code, r = stuck_run(servers, tmp_path, [PYTHON, app])
    assert code == 124
    took = server.exit_time - server.signal_times[-1]
    assert took < 3.3, f"exit {took:.3f} s after the signal, past the 3 s total deadline"
    assert "GIL was not available" in r["tasks_unavailable"]
    assert "tasks" not in r
    # the tracebacks need no GIL: re.match, called by the handler
    assert any([f["function"] for f in t.get("python", [])[:2]] == ["match", "do_GET"]
               for t in r["threads"]), [t.get("python", [])[:2] for t in r["threads"]]
    assert server.has_line(r"python: no asyncio tasks: the GIL was not available")
