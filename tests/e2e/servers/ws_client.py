"""Clients for ws_server.py: BUSY connections each asking for COUNT parts
MS ms apart, and IDLE connections that asked once before. Prints
"started" once every answer has begun, then a JSON line per connection:
the parts it received, the close code and reason, when it closed.

    ws_client.py PORT BUSY IDLE COUNT MS
"""
import asyncio
import json
import sys
import time

import websockets

port, busy, idle, count, ms = (int(x) for x in sys.argv[1:6])
uri = f"ws://127.0.0.1:{port}"


async def session(kind, k, started):
    parts = []
    async with websockets.connect(uri, ping_interval=None) as ws:
        if kind == "idle":
            await ws.send("1 0")
            await ws.recv()
            started.release()
        else:
            await ws.send(f"{count} {ms}")
        try:
            async for message in ws:
                parts.append(message)
                if kind == "busy" and len(parts) == 1:
                    started.release()
        except websockets.ConnectionClosed:
            pass
        return {"kind": kind, "n": k, "parts": len(parts), "code": ws.close_code,
                "reason": ws.close_reason, "at": round(time.monotonic(), 3)}


async def main():
    started = asyncio.Semaphore(0)
    tasks = [asyncio.create_task(session("busy", k, started)) for k in range(busy)]
    tasks += [asyncio.create_task(session("idle", k, started)) for k in range(idle)]
    for _ in range(busy + idle):
        await asyncio.wait_for(started.acquire(), 20)
    print("started", flush=True)
    for result in await asyncio.gather(*tasks):
        print(json.dumps(result), flush=True)


asyncio.run(main())
