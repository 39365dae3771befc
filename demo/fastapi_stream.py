"""An LLM-style token stream that ends on time when the service is stopped,
with lastcall's Python module (python/lastcall.py).

    lastcall -t 5s -- python3 demo/fastapi_stream.py 8000 /tmp/answers
    curl -N http://127.0.0.1:8000/answer   # then: kill -TERM <pid>

Each token races the shutdown: at SIGTERM the answer ends with a last
event ("event: interrupted") in a complete chunked response, not a cut,
and the partial answer is saved to DIR/answer-<n>.txt. After the drain,
lastcall runs the two cleanups in order (close the upstream pool, flush
the log), then hands SIGTERM back to uvicorn, which runs the lifespan
shutdown. Every step is written to DIR/events.log with its time.

    python3 demo/fastapi_stream.py PORT DIR"""
import asyncio
import itertools
import os
import sys
import time

import uvicorn
from fastapi import FastAPI
from fastapi.responses import StreamingResponse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import lastcall  # noqa: E402

PORT, DIR = int(sys.argv[1]), sys.argv[2]
os.makedirs(DIR, exist_ok=True)
answer_numbers = itertools.count(1)
event_log = []


def note(what):
    """An event for DIR/events.log, kept in memory until the log is flushed."""
    event_log.append(f"{time.monotonic():.3f} {what}")


def flush_event_log():
    with open(os.path.join(DIR, "events.log"), "a") as f:
        f.write("\n".join(event_log) + "\n")
    event_log.clear()


class UpstreamPool:
    """Stands for the HTTP client pool a real agent keeps to its model
    provider: something that must be closed before the process ends."""

    def __init__(self):
        self.open = True

    def close(self):
        self.open = False
        note("cleanup: upstream pool closed")


async def model_tokens(count, gap_s):
    for i in range(count):
        await asyncio.sleep(gap_s)
        yield f"token{i} "


pool = UpstreamPool()
lastcall.register_cleanup("close-upstream-pool", pool.close, budget_s=2)
lastcall.register_cleanup("flush-event-log", lambda: (note("cleanup: log flushed"),
                                                      flush_event_log()), budget_s=2)
app = FastAPI()


@app.on_event("shutdown")
async def lifespan_shutdown():
    note("lifespan shutdown")
    flush_event_log()


@app.get("/answer")
async def answer(tokens: int = 60, gap_ms: int = 1000):
    number = next(answer_numbers)

    async def generate():
        # Each token races the shutdown: a model pausing seconds (a tool
        # call, reasoning) is not waited for once the service is stopping.
        shutdown = asyncio.ensure_future(lastcall.wait_shutdown())
        source = model_tokens(tokens, gap_ms / 1000).__aiter__()
        words = []
        try:
            while True:
                next_token = asyncio.ensure_future(source.__anext__())
                await asyncio.wait({next_token, shutdown},
                                   return_when=asyncio.FIRST_COMPLETED)
                if shutdown.done():
                    next_token.cancel()
                    break
                try:
                    token = next_token.result()
                except StopAsyncIteration:
                    break
                words.append(token)
                yield f"data: {token}\n\n"
            if shutdown.done():
                with open(os.path.join(DIR, f"answer-{number}.txt"), "w") as f:
                    f.write("".join(words))
                note(f"answer {number} interrupted after {len(words)} tokens, saved")
                yield f"event: interrupted\ndata: {len(words)} tokens sent\n\n"
            else:
                yield "event: done\ndata: \n\n"
        finally:
            shutdown.cancel()

    return StreamingResponse(generate(), media_type="text/event-stream")


print("ready", flush=True)
uvicorn.run(app, host="127.0.0.1", port=PORT, log_level="warning", access_log=False)
