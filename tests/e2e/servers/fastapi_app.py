"""FastAPI under uvicorn (Debian's python3-fastapi and python3-uvicorn):
/tokens streams N tokens with pauses, the shape of an LLM answer. The
lifespan's shutdown writes the time it ran to MARKER, so a test can check
that it ran after the streams ended. uvicorn handles SIGTERM itself: it
stops accepting, waits for the streams, then runs the lifespan shutdown.
    python3 fastapi_app.py PORT MARKER"""
import asyncio
import sys
import time

import uvicorn
from fastapi import FastAPI
from fastapi.responses import StreamingResponse

PORT, MARKER = int(sys.argv[1]), sys.argv[2]


app = FastAPI()


@app.on_event("shutdown")  # the lifespan shutdown of FastAPI 0.92
async def lifespan_shutdown():
    with open(MARKER, "w") as f:
        f.write(f"{time.monotonic()}\n")


@app.get("/tokens")
async def tokens(n: int = 4, gap_ms: int = 1200):
    async def generate():
        for i in range(n):
            yield f"data: token {i}\n\n"
            if i + 1 < n:
                await asyncio.sleep(gap_ms / 1000)

    return StreamingResponse(generate(), media_type="text/event-stream")


print("ready", flush=True)
uvicorn.run(app, host="127.0.0.1", port=PORT, log_level="info", access_log=False)
