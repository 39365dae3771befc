/* Built with -fvisibility=hidden: only what is marked here is exported
 * (the interposed functions and the lastcall.h API). */
#ifndef LASTCALL_EXPORT_H
#define LASTCALL_EXPORT_H
#define LC_EXPORT __attribute__((visibility("default")))

/* The code a keep-alive request runs (the I/O wrappers, the connection
 * path, the HTTP/1.x tracker), kept together on as few pages as it fits
 * (3, against 6 when it was spread over its files). Why pages matter:
 * right after a system call, each page of code or data touched costs a
 * TLB miss, about 4 ns on the project's VM (doc/performance.md). */
#define LC_SERVING __attribute__((section(".text.hot.lastcall_serving")))

/* The data every read and write of a connection loads: the real
 * functions' slots, the closing flag and the descriptor table's chunk
 * pointers. shim/base/hot.ld puts these sections together, in the order
 * of `rank`, on one page (the table's first chunk pointers follow the
 * slots), where they were spread over four. Zero-initialised only: the
 * group is .bss. */
#define LC_HOT_DATA(rank) __attribute__((section(".bss.lastcall_hot." #rank)))
#endif
