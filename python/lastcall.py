"""lastcall from Python: end long streams on time, save partial output,
run ordered cleanups.

Under ``lastcall -- python3 app.py`` (liblastcall.so preloaded) this module
reaches the library's lastcall.h API through ctypes; without the library
it imports all the same and does nothing: ``shutting_down()`` is False,
``register_cleanup()`` returns False and ``wait_shutdown()`` never
completes. Standard library only.

    import lastcall

    async def answer():
        shutdown = asyncio.ensure_future(lastcall.wait_shutdown())
        async for token in model():
            if shutdown.done():
                yield "event: interrupted\\ndata: \\n\\n"
                break
            yield f"data: {token}\\n\\n"

    lastcall.register_cleanup("close-pool", pool.close, budget_s=2)

The shutdown is the first shutdown signal lastcall noticed (SIGTERM by
default), during ``--delay`` too. Cleanups run after the drain, in
registration order, each within its budget, before the signal is handed
back to the program (so before uvicorn's or gunicorn's own shutdown and
the lifespan's shutdown handlers).
"""
import asyncio
import ctypes
import os
import select
import sys
import threading
import time
import traceback
import weakref

__all__ = ["available", "shutting_down", "register_cleanup", "wait_shutdown",
           "wait_shutdown_blocking", "shutdown_fd"]


def _library_functions():
    """The lastcall.h functions, or None when liblastcall.so is not loaded."""
    try:
        process = ctypes.CDLL(None)
        started = process.lastcall_shutdown_started
        add = process.lastcall_cleanup_add
    except (OSError, AttributeError):
        return None
    started.restype = ctypes.c_int
    started.argtypes = []
    add.restype = ctypes.c_int
    add.argtypes = [ctypes.c_char_p, _CLEANUP_FN, ctypes.c_void_p, ctypes.c_uint]
    fd = getattr(process, "lastcall_shutdown_fd", None)
    if fd is not None:
        fd.restype = ctypes.c_int
        fd.argtypes = []
    return started, add, fd


# void (*)(void *): called by lastcall's cleanup thread; ctypes takes the
# GIL for it.
_CLEANUP_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
_lib = _library_functions()
# ctypes callbacks must outlive the C side's pointer to them.
_kept_callbacks = []


def available():
    """True when liblastcall.so is loaded into this process."""
    return _lib is not None


def shutting_down():
    """True from the first shutdown signal on (during --delay too)."""
    return bool(_lib and _lib[0]())


def shutdown_fd():
    """A descriptor that becomes readable at the first shutdown signal and
    stays readable; -1 without the library. Poll it; never read or close
    it. A forked child gets its own under the same number."""
    if not _lib or _lib[2] is None:
        return -1
    return _lib[2]()


def _log(message):
    """One line in lastcall's log (stderr, lastcall's prefix)."""
    line = f"lastcall[{os.getpid()}]: {message}\n".encode("utf-8", "replace")
    try:
        os.write(2, line)
    except OSError:
        pass


def register_cleanup(name, fn, budget_s):
    """Runs ``fn()`` in lastcall's exit phase: after the drain, in
    registration order with the C cleanups, within ``budget_s`` seconds
    (the total deadline still applies), before the program's own exit
    path. An exception in ``fn`` is written to lastcall's log and does not
    stop the cleanups after it; one that outlives its budget is left
    running and the next starts. Returns True if registered, False
    without the library or when its table (32 cleanups) is full."""
    if not _lib:
        return False
    if not callable(fn):
        raise TypeError("register_cleanup: fn must be callable")
    budget_ms = max(0, int(budget_s * 1000))

    def run(_arg):
        try:
            fn()
        except BaseException as error:  # noqa: BLE001 - the next cleanup must run
            where = traceback.extract_tb(error.__traceback__)[-1:]
            at = f" at {where[0].filename}:{where[0].lineno}" if where else ""
            _log(f'cleanup "{name}" raised {type(error).__name__}: {error}{at}')

    callback = _CLEANUP_FN(run)
    if _lib[1](str(name).encode("utf-8", "replace"), callback, None, budget_ms) != 0:
        return False
    _kept_callbacks.append(callback)
    return True


def wait_shutdown_blocking(timeout=None):
    """Blocks until the first shutdown signal (True) or until ``timeout``
    seconds have passed (False). Without the library: sleeps the timeout
    and returns False (forever if ``timeout`` is None)."""
    fd = shutdown_fd()
    if fd < 0:
        if shutting_down():
            return True
        if timeout is None:
            threading.Event().wait()
        else:
            time.sleep(timeout)
        return False
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        left = None if deadline is None else max(0, deadline - time.monotonic())
        if poller.poll(None if left is None else left * 1000):
            return True
        if left == 0:
            return False


# One future per event loop: add_reader keeps one callback per descriptor,
# so the waiters of a loop share it.
_loop_futures = weakref.WeakKeyDictionary()


def _loop_future(loop, fd):
    future = _loop_futures.get(loop)
    if future is not None:
        return future
    future = loop.create_future()
    _loop_futures[loop] = future

    def ready():
        loop.remove_reader(fd)
        if not future.done():
            future.set_result(None)

    loop.add_reader(fd, ready)
    return future


async def wait_shutdown():
    """Completes at the first shutdown signal; event-driven (the loop
    watches lastcall's shutdown descriptor, no polling). Many tasks may
    wait at once; cancelling one waiter leaves the others waiting.
    Without the library it never completes."""
    loop = asyncio.get_running_loop()
    fd = shutdown_fd()
    if fd < 0:
        if shutting_down():
            return
        await loop.create_future()  # never completes
    await asyncio.shield(_loop_future(loop, fd))


if __name__ == "__main__":
    print(f"lastcall loaded: {available()}, shutting down: {shutting_down()}",
          file=sys.stderr)
