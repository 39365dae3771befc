/* Built with -fvisibility=hidden: only what is marked here is exported
 * (the interposed functions and the lastcall.h API). */
#ifndef LASTCALL_EXPORT_H
#define LASTCALL_EXPORT_H
#define LC_EXPORT __attribute__((visibility("default")))

/* The code a keep-alive request runs (the I/O wrappers, the connection
 * path, the HTTP/1.x tracker's whole heads), kept together on as few
 * pages as it fits. Why pages matter: right after a system call, each
 * page of code or data touched costs a TLB miss, about 4 ns on the
 * project's VM (doc/performance.md). LC_SERVING_CORE is what a server
 * that reads and writes with read() and write() runs: shim/base/hot.ld
 * puts it first, from a page boundary, on one page (tests/hot_pages.py
 * checks it); the code a new connection runs (accept, epoll_ctl, close,
 * the table's entry) and the other wrappers (recv, send, writev, ...)
 * follow. */
#define LC_SERVING_CORE __attribute__((section(".text.hot.lastcall_serving.1")))
#define LC_SERVING __attribute__((section(".text.hot.lastcall_serving.2")))

/* The data every read and write of a connection loads: the real
 * functions' slots, the closing flag and the descriptor table's chunk
 * pointers. shim/base/hot.ld puts these sections together, in the order
 * of `rank`, on one page (the table's first chunk pointers follow the
 * slots), where they were spread over four. Zero-initialised only: the
 * group is .bss. */
#define LC_HOT_DATA(rank) __attribute__((section(".bss.lastcall_hot." #rank)))
#endif
