#!/usr/bin/python3
"""Draws build/bench/shutdown.png from build/bench/results.json (written by
bench/run.py): shutdown time against in-flight connections, with lastcall,
without it, and the slowest request (the physical limit).

matplotlib is only for this picture; nothing else in lastcall needs it."""
import json
import os

import matplotlib

matplotlib.use("Agg")  # no display on a build machine
import matplotlib.pyplot as plt  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "build", "bench")


def main():
    with open(os.path.join(OUT, "results.json")) as f:
        points = json.load(f)["shutdown_plot"]
    if not points:
        raise SystemExit("plot: results.json has no shutdown figures (run bench/run.py first)")
    n = [p["connections"] for p in points]
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    ax.plot(n, [p["slowest_ms"] for p in points], "k--", label="slowest in-flight request")
    ax.plot(n, [p["shutdown_ms"] for p in points], "o-", color="tab:green",
            label="with lastcall: every request answered")
    ax.plot(n, [p["without_ms"] for p in points], "s-", color="tab:red",
            label="without: SIGTERM kills at once")
    for p in points:
        ax.annotate(f"{p['lost_without']:.0f} lost", (p["connections"], p["without_ms"]),
                    textcoords="offset points", xytext=(0, 8), ha="center", color="tab:red",
                    fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("requests in flight at SIGTERM")
    ax.set_ylabel("SIGTERM to exit (ms)")
    ax.set_title("Shutdown time against in-flight connections (hold_server, 2 s requests)")
    ax.legend(loc="center right", fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    path = os.path.join(OUT, "shutdown.png")
    fig.savefig(path)
    print(f"plot: {path}")


if __name__ == "__main__":
    main()
