"""FastAPI under uvicorn whose async endpoint is stuck awaiting a named
coroutine (an embeddings call that never answers). Prints "stuck" when
a request is inside it.
    python3 fastapi_stuck.py PORT"""
import asyncio
import sys

import uvicorn
from fastapi import FastAPI

app = FastAPI()


async def slow_embeddings(text):
    print("stuck", flush=True)
    await asyncio.sleep(60)  # AWAIT_LINE
    return [0.0]


@app.get("/embed")
async def embed(q: str = "x"):
    return {"vector": await slow_embeddings(q)}


print("ready", flush=True)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
