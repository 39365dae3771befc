"""FastAPI under uvicorn, streaming tokens with pauses (an AI-agent
backend): uvicorn drains its streams itself on SIGTERM, and runs the app's
lifespan shutdown after them. Under lastcall it must do no worse: every
stream completes, the lifespan shutdown runs after the last one ends."""
import os
import signal
import time

import pytest

from harness import SERVERS, free_port, in_thread, wait_for_file
from http1_client import Connection

APP = os.path.join(SERVERS, "fastapi_app.py")


def stream(port, into):
    try:
        conn = Connection(port, timeout=20)
        conn.request("GET", "/tokens?n=4&gap_ms=1200")
        into["response"] = conn.read_response()
        into["end"] = time.monotonic()
        conn.close()
    except Exception as exc:  # noqa: BLE001
        into["error"] = repr(exc)


@pytest.mark.parametrize("under_lastcall", [True, False], ids=["lastcall", "uvicorn-alone"])
def test_token_streams_complete_before_the_lifespan_shutdown(servers, tmp_path, under_lastcall):
    port = free_port()
    marker = str(tmp_path / "lifespan-shutdown")
    server = servers(["/usr/bin/python3", APP, str(port), marker],
                     lastcall_args=("-t", "20s") if under_lastcall else None)
    server.wait_for(r"Uvicorn running on")
    results = [{} for _ in range(3)]
    for into in results:
        in_thread(stream, port, into)
    time.sleep(1.0)  # all three in a pause between tokens
    server.send(signal.SIGTERM)
    assert server.wait_exit(20) == 0
    cut = [r for r in results if "error" in r or r["response"].body.count(b"data: token") != 4]
    assert not cut, f"{len(cut)} of 3 streams cut: {cut}"
    shutdown_ran = float(wait_for_file(marker))
    assert shutdown_ran >= max(r["end"] for r in results) - 0.01, \
        "the lifespan shutdown ran before the streams ended"
    if under_lastcall:
        assert server.has_line(r"drained in")
        assert not server.has_line(r"cut:")
