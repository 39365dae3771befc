"""A WebSocket server (Debian's python3-websockets, asyncio) that answers
each message "N MS" with N text frames MS ms apart, like an agent's
answer with pauses. No signal handling of its own, unless "graceful" is
the second argument: then SIGTERM makes it finish the answers under way
and close every connection with 1001 itself (websockets' own shutdown).

    ws_server.py PORT [graceful]
"""
import asyncio
import signal
import sys

import websockets

answering = set()


async def handler(ws, path=None):
    async for message in ws:
        count, ms = (int(x) for x in message.split())
        task = asyncio.current_task()
        answering.add(task)
        try:
            for i in range(count):
                if i:
                    await asyncio.sleep(ms / 1000)
                await ws.send(f"part {i + 1}")
        finally:
            answering.discard(task)


async def main():
    port = int(sys.argv[1])
    graceful = len(sys.argv) > 2 and sys.argv[2] == "graceful"
    stop = asyncio.get_running_loop().create_future()
    if graceful:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
    async with websockets.serve(handler, "127.0.0.1", port) as server:
        print("ready", flush=True)
        await stop
        # websockets' own shutdown closes every connection with 1001 at
        # once; a graceful server first lets the answers under way end.
        while answering:
            await asyncio.sleep(0.05)
        server.close()
        await server.wait_closed()
    print("stopped", flush=True)


asyncio.run(main())
