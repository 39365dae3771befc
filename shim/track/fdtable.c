/* Connection table (see fdtable.h). */
#include "track/fdtable.h"

#include <stddef.h>
#include <sys/mman.h>

#include "base/export.h"

#define KIND_MASK 0xffULL
#define GEN_ONE 0x100ULL
/* One chunk's mapping: its records (entry and framing state). */
#define CHUNK_BYTES (sizeof(struct lc_fd_record) * LC_FDTABLE_CHUNK)

/* With the serving path's other data: its first chunk pointers follow the
 * real functions' slots on one page (base/hot.ld). */
struct lc_fdtable lc_table LC_HOT_DATA(3);

static struct lc_fd_record *chunk_for(struct lc_fdtable *t, int fd)
{
	if (fd < 0 || fd > LC_FDTABLE_MAX_FD)
		return NULL;
	return atomic_load_explicit(&t->chunks[fd >> LC_FDTABLE_CHUNK_BITS], memory_order_acquire);
}

static struct lc_fd_entry *entry_for(struct lc_fdtable *t, int fd)
{
	struct lc_fd_record *chunk = chunk_for(t, fd);
	return chunk ? &chunk[fd & (LC_FDTABLE_CHUNK - 1)].entry : NULL;
}

/* mmap rather than malloc: we may run inside a program whose allocator is
 * not ours to call from every context, and chunks are never freed. */
static struct lc_fd_entry *entry_alloc(struct lc_fdtable *t, int fd)
{
	struct lc_fd_record *chunk = chunk_for(t, fd);
	if (chunk || fd < 0 || fd > LC_FDTABLE_MAX_FD)
		return chunk ? &chunk[fd & (LC_FDTABLE_CHUNK - 1)].entry : NULL;
	void *mem = mmap(NULL, CHUNK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			 0);
	if (mem == MAP_FAILED)
		return NULL;
	struct lc_fd_record *expected = NULL;
	if (!atomic_compare_exchange_strong(&t->chunks[fd >> LC_FDTABLE_CHUNK_BITS], &expected,
					    (struct lc_fd_record *)mem)) {
		munmap(mem, CHUNK_BYTES); /* another thread installed it first */
		chunk = expected;
	} else {
		chunk = mem;
	}
	return &chunk[fd & (LC_FDTABLE_CHUNK - 1)].entry;
}

/* Moves an entry to a new state. Returns the kind that was replaced.
 *
 * A load and a store, no read-modify-write (this is the hot path of
 * accept and close). Who writes an entry: the program's thread holding
 * that fd number (accept, close, dup: the kernel gives a number to one
 * caller at a time, and close forgets it before the number can be reused),
 * and the drain thread, which drops stale entries with a compare-and-swap
 * that fails once this store lands, and repoints the listeners it stops.
 * A stop racing the program closing that very listener can leave a stale
 * entry, which every reader re-checks against the kernel (fdtable.h); a
 * CAS loop here would not prevent it either, as it always succeeds. */
static enum lc_fd_kind replace(struct lc_fd_entry *e, enum lc_fd_kind kind)
{
	uint64_t old = atomic_load_explicit(&e->state, memory_order_acquire);
	uint64_t next = ((old & ~KIND_MASK) + GEN_ONE) | (uint64_t)kind;
	atomic_store_explicit(&e->state, next, memory_order_release);
	return lc_fd_state_kind(old);
}

LC_CONNECTION bool lc_fdtable_set(struct lc_fdtable *t, int fd, enum lc_fd_kind kind, uint64_t ino,
				  uint32_t since)
{
	struct lc_fd_entry *e = entry_alloc(t, fd);
	if (!e)
		return false;
	/* Fields first, then the state that publishes them. A reader that sees
	 * old fields with the new state re-checks identity against the kernel. */
	atomic_store_explicit(&e->ino, (uint32_t)ino, memory_order_relaxed);
	atomic_store_explicit(&e->since, since, memory_order_relaxed);
	struct lc_h1 *h = lc_fdtable_entry_h1(chunk_for(t, fd), fd);
	if (kind == LC_FD_CONNECTION)
		lc_h1_reset(h);
	else
		lc_h1_untrack(h);
	replace(e, kind);
	int max = atomic_load_explicit(&t->max_fd, memory_order_relaxed);
	while (fd > max &&
	       !atomic_compare_exchange_weak_explicit(&t->max_fd, &max, fd, memory_order_acq_rel,
						      memory_order_relaxed))
		;
	return true;
}

LC_CONNECTION enum lc_fd_kind lc_fdtable_forget(struct lc_fdtable *t, int fd)
{
	struct lc_fd_record *chunk = chunk_for(t, fd);
	if (!chunk)
		return LC_FD_FREE;
	struct lc_fd_entry *e = &chunk[fd & (LC_FDTABLE_CHUNK - 1)].entry;
	if (lc_fd_state_kind(atomic_load_explicit(&e->state, memory_order_relaxed)) == LC_FD_FREE)
		return LC_FD_FREE;
	enum lc_fd_kind was = replace(e, LC_FD_FREE);
	if (was == LC_FD_CONNECTION)
		lc_h1_untrack(lc_fdtable_entry_h1(chunk, fd));
	return was;
}

long lc_fdtable_forget_range(struct lc_fdtable *t, int first, int last)
{
	long forgotten = 0;
	int max = lc_fdtable_max_fd(t);
	if (first < 0)
		first = 0;
	if (last > max)
		last = max;
	for (int fd = first; fd <= last; fd++)
		forgotten += lc_fdtable_forget(t, fd) == LC_FD_CONNECTION;
	return forgotten;
}

enum lc_fd_kind lc_fdtable_copy(struct lc_fdtable *t, int from, int to)
{
	struct lc_fd_snapshot s, before;
	if (from == to)
		return LC_FD_FREE;
	enum lc_fd_kind replaced = lc_fdtable_get(t, to, &before) ? before.kind : LC_FD_FREE;
	if (lc_fdtable_get(t, from, &s) && (s.kind == LC_FD_CONNECTION || s.kind == LC_FD_LISTENER)) {
		lc_fdtable_set(t, to, s.kind, s.ino, s.since);
		/* Two numbers for one connection: the framing seen through each
		 * is half of it. Both are judged without the protocol. */
		struct lc_h1 *a = lc_fdtable_h1(t, from), *b = lc_fdtable_h1(t, to);
		if (a && b) {
			atomic_store(&a->proto, LC_PROTO_LOST);
			atomic_store(&b->proto, LC_PROTO_LOST);
		}
	} else
		lc_fdtable_forget(t, to);
	return replaced;
}

bool lc_fdtable_get(struct lc_fdtable *t, int fd, struct lc_fd_snapshot *out)
{
	struct lc_fd_entry *e = entry_for(t, fd);
	if (!e)
		return false;
	out->state = atomic_load_explicit(&e->state, memory_order_acquire);
	out->kind = lc_fd_state_kind(out->state);
	out->ino = atomic_load_explicit(&e->ino, memory_order_relaxed);
	out->since = atomic_load_explicit(&e->since, memory_order_relaxed);
	return out->kind != LC_FD_FREE;
}

bool lc_fdtable_drop_stale(struct lc_fdtable *t, int fd, const struct lc_fd_snapshot *seen)
{
	struct lc_fd_entry *e = entry_for(t, fd);
	if (!e)
		return false;
	uint64_t expected = seen->state;
	uint64_t next = ((expected & ~KIND_MASK) + GEN_ONE) | LC_FD_FREE;
	if (!atomic_compare_exchange_strong_explicit(&e->state, &expected, next,
						     memory_order_acq_rel, memory_order_acquire))
		return false;
	/* Should the program accept a new connection on this number between
	 * the exchange and this store, that one is left untracked: judged
	 * without its protocol, as before lastcall followed any. Only a
	 * close lastcall never saw opens that window. */
	lc_h1_untrack(lc_fdtable_entry_h1(chunk_for(t, fd), fd));
	return true;
}

void lc_fdtable_adopt_ino(struct lc_fdtable *t, int fd, struct lc_fd_snapshot *seen,
			  uint64_t ino)
{
	struct lc_fd_entry *e = entry_for(t, fd);
	seen->ino = (uint32_t)ino;
	seen->since &= ~LC_FD_PEER_ID;
	if (!e || atomic_load_explicit(&e->state, memory_order_acquire) != seen->state)
		return;
	/* The entry's thread may close and accept this number again between
	 * the check and the stores: the new connection would then carry the
	 * old socket's inode, which its next look finds wrong and drops
	 * (never a socket acted on in another's name). */
	atomic_store_explicit(&e->ino, (uint32_t)ino, memory_order_relaxed);
	atomic_store_explicit(&e->since, seen->since, memory_order_relaxed);
}

void lc_fdtable_reset(struct lc_fdtable *t)
{
	for (int i = 0; i < LC_FDTABLE_CHUNKS; i++) {
		struct lc_fd_record *chunk = atomic_exchange(&t->chunks[i], NULL);
		if (chunk)
			munmap(chunk, CHUNK_BYTES);
	}
	atomic_store(&t->max_fd, -1);
}

long lc_fdtable_live(struct lc_fdtable *t)
{
	long live = 0;
	int max = lc_fdtable_max_fd(t);
	for (int fd = 0; fd <= max; fd++) {
		struct lc_fd_snapshot s;
		live += lc_fdtable_get(t, fd, &s) && s.kind == LC_FD_CONNECTION;
	}
	return live;
}
