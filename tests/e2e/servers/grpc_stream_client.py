"""gRPC client for grpc_stream_server.py: N streams of COUNT messages MS ms
apart in flight on one channel, and an idle channel that made one call
before. Prints "started" once every stream has its first message, then a
JSON line per stream and one for the idle channel's states.

    grpc_stream_client.py PORT STREAMS COUNT MS [noprobe]
"""
import json
import sys
import threading
import time

import grpc

port, streams, count, ms = (int(x) for x in sys.argv[1:5])
# Each channel its own connection (grpc shares them between channels by default).
options = [("grpc.use_local_subchannel_pool", 1)]
if "noprobe" in sys.argv[5:]:
    options.append(("grpc.http2.bdp_probe", 0))
target = f"127.0.0.1:{port}"
busy = grpc.insecure_channel(target, options=options)
idle = grpc.insecure_channel(target, options=options)
call = lambda ch, req: ch.unary_stream("/tokens.Tokens/Stream",
                                       request_serializer=None, response_deserializer=None)(req)

for _ in call(idle, b"1 0"):
    pass
idle_states = []
idle.subscribe(lambda s: idle_states.append((round(time.monotonic(), 3), s.name)))

results = [None] * streams
first = threading.Barrier(streams + 1)


def one(k):
    got, status = [], "OK"
    try:
        for i, msg in enumerate(call(busy, f"{count} {ms}".encode())):
            got.append(msg.decode())
            if i == 0:
                first.wait(10)
    except grpc.RpcError as e:
        status = f"{e.code().name}: {e.details()}"
    results[k] = {"stream": k, "messages": len(got), "status": status, "end": round(time.monotonic(), 3)}


threads = [threading.Thread(target=one, args=(k,)) for k in range(streams)]
for t in threads:
    t.start()
first.wait(10)
print("started", flush=True)
for t in threads:
    t.join(60)
for r in results:
    print(json.dumps(r), flush=True)
time.sleep(0.3)  # the idle channel's state callbacks are delivered from grpc's own thread
print(json.dumps({"idle_states": idle_states}), flush=True)
