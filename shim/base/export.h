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
 * puts it first, from a page boundary, on one page. LC_CONNECTION is what
 * a new connection runs besides (accept, epoll_ctl, close, the table's
 * entry, pthread_create for a server with a thread per connection): on
 * the next page, whole, so that each of those calls touches one page of
 * lastcall's code where it touched two (tests/hot_pages.py checks both).
 * The other wrappers (recv, send, writev, ...) follow (LC_SERVING). */
#define LC_SERVING_CORE __attribute__((section(".text.hot.lastcall_serving.1")))
#define LC_CONNECTION __attribute__((section(".text.hot.lastcall_serving.2")))
#define LC_SERVING __attribute__((section(".text.hot.lastcall_serving.3")))

/* The data every read and write of a connection loads: the real
 * functions' slots, the closing flag and the descriptor table's chunk
 * pointers. shim/base/hot.ld puts these sections together, in the order
 * of `rank`, on one page (the table's first chunk pointers follow the
 * slots), where they were spread over four. Zero-initialised only: the
 * group is .bss. */
#define LC_HOT_DATA(rank) __attribute__((section(".bss.lastcall_hot." #rank)))
#endif
