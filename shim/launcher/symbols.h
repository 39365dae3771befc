/* Names for code addresses of another process, from the ELF symbol tables
 * of its modules (see symbols.c). Part of the launcher, never the library. */
#ifndef LASTCALL_SYMBOLS_H
#define LASTCALL_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>

struct lc_symbol {
	uint64_t value; /* the ELF's own address (st_value) */
	uint64_t size;	/* st_size: the function's extent */
	const char *name;
};

/* The symbol whose extent [value, value + size) holds `addr`, in `syms`
 * sorted by value; NULL when none does -- never the nearest symbol before
 * an address it does not cover (a static function in a module that keeps
 * only its exported symbols would take its neighbour's name). */
const struct lc_symbol *lc_symbol_covering(const struct lc_symbol *syms, size_t n, uint64_t addr);

/* Sorts a table for lc_symbol_covering. */
void lc_symbols_sort(struct lc_symbol *syms, size_t n);

/* A frame's text for address `ip` of the process whose /proc/PID/maps was
 * loaded: "name+0xOFF (module)" when a symbol of the module covers it,
 * else "module+0xOFF" with OFF the ELF address in the module (what
 * `addr2line -e module 0xOFF` takes), else "0xIP". `caller`: a return
 * address (looked up one byte back: a call that ends a function returns
 * past it). */
void lc_frame_text(uint64_t ip, int caller, char *out, size_t size);

/* Reads /proc/PID/maps (once, before lc_frame_text). */
void lc_symbols_load_maps(int pid);

#endif
