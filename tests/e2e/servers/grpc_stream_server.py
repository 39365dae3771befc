"""A gRPC server (Debian's python3-grpcio) with one server-streaming RPC,
/tokens.Tokens/Stream: a request "N MS" is answered with N messages MS ms
apart, like an LLM token stream with pauses. No protobuf: the messages
are raw bytes. `server.start(); server.wait_for_termination()` and no
signal handling of its own, unless "graceful" is the second argument:
then SIGTERM calls server.stop(grace), gRPC's own graceful stop.

    grpc_stream_server.py PORT [graceful]
"""
import signal
import sys
import time
from concurrent import futures

import grpc


def stream(request, context):
    count, ms = (int(x) for x in request.decode().split())
    for i in range(count):
        if i:
            time.sleep(ms / 1000)
        yield f"token {i + 1}".encode()


def main():
    port = int(sys.argv[1])
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    handler = grpc.method_handlers_generic_handler("tokens.Tokens", {
        "Stream": grpc.unary_stream_rpc_method_handler(stream),
    })
    server.add_generic_rpc_handlers((handler,))
    server.add_insecure_port(f"127.0.0.1:{port}")
    if len(sys.argv) > 2 and sys.argv[2] == "graceful":
        signal.signal(signal.SIGTERM, lambda *_: server.stop(10))
    server.start()
    print("ready", flush=True)
    server.wait_for_termination()
    print("stopped", flush=True)


main()
