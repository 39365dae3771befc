/* Built with -fvisibility=hidden: only what is marked here is exported
 * (the interposed functions and the lastcall.h API). */
#ifndef LASTCALL_EXPORT_H
#define LASTCALL_EXPORT_H
#define LC_EXPORT __attribute__((visibility("default")))
#endif
