/* Layer track/: what the program has. The descriptor table (this file),
 * listeners (found, stopped), connections (scanned, idle ones shut down,
 * the rest cut at a deadline), forked children holding connections, and
 * replies still leaving after a close. Scans return what they saw; they
 * never write the report. May call: base/, kernel/, judge/.
 *
 * The connection table: what lastcall knows about each file descriptor.
 *
 * A cache, not the truth: the program can close a descriptor behind our
 * back (fclose, close_range, raw syscalls, other libraries), so each entry
 * keeps the socket's identity (its inode number from fstat) and whoever
 * trusts an entry re-checks it against the kernel first (lc_fd_same_ino).
 *
 * Lock-free and O(1): indexed by fd in chunks of 1024 entries allocated on
 * first use (outside the hot path of close: only accept can allocate). Each
 * entry's state word carries a generation, so a stale entry is dropped with
 * a compare-and-swap that fails if the fd was reused meanwhile. */
#ifndef LASTCALL_FDTABLE_H
#define LASTCALL_FDTABLE_H

#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "proto/http1.h"

#define LC_FDTABLE_CHUNK_BITS 10
#define LC_FDTABLE_CHUNK (1 << LC_FDTABLE_CHUNK_BITS)
#define LC_FDTABLE_CHUNKS 4096 /* fds below 4,194,304 are tracked */
#define LC_FDTABLE_MAX_FD (LC_FDTABLE_CHUNK * LC_FDTABLE_CHUNKS - 1)

enum lc_fd_kind {
	LC_FD_FREE = 0,
	LC_FD_CONNECTION = 1,       /* returned by accept */
	LC_FD_STOPPED_LISTENER = 2, /* a listener lastcall stopped */
	LC_FD_LISTENER = 3,	    /* listen() was called on it by `owner` */
};

/* 16 bytes: at 10,000 connections the table is most of lastcall's memory
 * (make bench, memory; doc/performance.md). */
struct lc_fd_entry {
	_Atomic uint64_t state; /* generation << 8 | kind */
	/* The socket's inode number. sockfs numbers its inodes with
	 * get_next_ino(), an unsigned int: 32 bits hold it whole. Compared
	 * through lc_fd_same_ino, which would still tell sockets apart by
	 * their low 32 bits should a kernel ever number them wider. On a TCP
	 * connection fresh from accept, a hash of its peer's address
	 * instead (LC_FD_PEER_ID). */
	_Atomic uint32_t ino;
	/* Connections: when accepted, in ticks (LC_FD_TICK_SHIFT) of the
	 * coarse monotonic clock, modulo 2^31, and LC_FD_PEER_ID; listeners:
	 * the owner's pid. */
	_Atomic uint32_t since;
};

/* A descriptor's record: its entry and, beside it, its connection
 * framing state (proto/http1.h): one 64-byte cache line, aligned, so that
 * threads serving neighbouring descriptors never write the same line, and
 * an accept, a close, a read or a write touches one line and one page of
 * the table. A chunk is one mapping of LC_FDTABLE_CHUNK records. */
struct lc_fd_record {
	_Alignas(64) struct lc_fd_entry entry;
	struct lc_h1 h1;
};

_Static_assert(sizeof(struct lc_fd_record) == 64,
	       "a descriptor's record is one cache line (doc/performance.md: RSS at 10,000 "
	       "connections)");

static inline struct lc_h1 *lc_fdtable_entry_h1(struct lc_fd_record *chunk, int fd)
{
	return &chunk[fd & (LC_FDTABLE_CHUNK - 1)].h1;
}

struct lc_fdtable {
	_Atomic(struct lc_fd_record *) chunks[LC_FDTABLE_CHUNKS];
	_Atomic int max_fd;
};

struct lc_fd_snapshot {
	uint64_t state;
	enum lc_fd_kind kind;
	uint64_t ino;
	uint32_t since; /* see struct lc_fd_entry */
};

/* A tick of a connection's accept time: 2^22 ns, 4.19 ms. The coarse
 * clock it comes from moves in steps of 1 to 4 ms (the kernel's HZ), ages
 * are reported to a tenth of a second and the first-request grace is 2 s;
 * ticks are kept modulo 2^31 (the top bit is LC_FD_PEER_ID) and an age
 * wraps round after 2^30 ticks, 52 days (below). */
#define LC_FD_TICK_SHIFT 22

/* In a connection's `since`: its `ino` is not yet the socket's inode but
 * lc_fd_peer_id of the peer's address, which accept itself returned. An
 * fstat at every accept was a system call of about 1.4 us on the
 * project's VM, 2 % of a connection of a thread-per-connection server
 * (make bench, thread_server); the identity is only needed once lastcall
 * acts on the connection or looks for it in a child. The first look that
 * needs it checks the peer against getpeername and puts the inode in its
 * place (lc_connection_identify, track/connections.h). */
#define LC_FD_PEER_ID 0x80000000u

static inline uint32_t lc_fd_ticks(int64_t ns)
{
	return (uint32_t)((uint64_t)ns >> LC_FD_TICK_SHIFT) & ~LC_FD_PEER_ID;
}

/* How long ago a connection was accepted, as of `now_ns` (the coarse
 * clock), to within a tick. A connection accepted after `now_ns` (the
 * drain read its clock, then the program accepted) is 0 old, as new as a
 * connection gets, not 2^31 ticks: the difference is signed (31 bits). */
static inline int64_t lc_fd_age_ns(const struct lc_fd_snapshot *s, int64_t now_ns)
{
	uint32_t ticks = (lc_fd_ticks(now_ns) - s->since) & ~LC_FD_PEER_ID;
	if (ticks & (LC_FD_PEER_ID >> 1))
		return 0; /* negative */
	return (int64_t)ticks << LC_FD_TICK_SHIFT;
}

/* A peer's address as a connection's provisional identity: a hash of an
 * IPv4 or IPv6 address and port, or false for any other address (a Unix
 * socket's client is most often unnamed: every one alike) or one cut short
 * by a buffer too small. Two connected sockets at one descriptor number
 * in turn, one accepted and one the program made some other way, would
 * have to share a peer's address and port to be taken for each other. */
static inline bool lc_fd_peer_id(const void *addr, socklen_t len, uint32_t *id)
{
	const unsigned char *p = addr;
	sa_family_t family;
	uint16_t port;
	uint64_t x, y;
	if (len < sizeof family)
		return false;
	memcpy(&family, p, sizeof family);
	memcpy(&port, p + offsetof(struct sockaddr_in, sin_port), sizeof port);
	if (family == AF_INET && len == sizeof(struct sockaddr_in)) {
		uint32_t ip;
		memcpy(&ip, p + offsetof(struct sockaddr_in, sin_addr), sizeof ip);
		x = (uint64_t)ip << 16 | port;
	} else if (family == AF_INET6 && len == sizeof(struct sockaddr_in6)) {
		memcpy(&x, p + offsetof(struct sockaddr_in6, sin6_addr), sizeof x);
		memcpy(&y, p + offsetof(struct sockaddr_in6, sin6_addr) + sizeof x, sizeof y);
		x ^= (y ^ port) * 0x9e3779b97f4a7c15ULL;
	} else {
		return false;
	}
	x *= 0xff51afd7ed558ccdULL;
	*id = (uint32_t)(x >> 32) ^ (uint32_t)x;
	return true;
}

/* Is `st_ino` (from fstat) the socket the entry recorded? */
static inline bool lc_fd_same_ino(uint64_t recorded, uint64_t st_ino)
{
	return recorded == (uint32_t)st_ino;
}

static inline enum lc_fd_kind lc_fd_state_kind(uint64_t state)
{
	return (enum lc_fd_kind)(state & 0xff);
}

/* The process's table. The functions below take a table so that unit
 * tests can use their own. */
extern struct lc_fdtable lc_table;

/* Records `fd` as a connection (or a stopped listener) with its identity.
 * Returns false only if the fd is out of range or memory ran out. */
bool lc_fdtable_set(struct lc_fdtable *t, int fd, enum lc_fd_kind kind, uint64_t ino,
		    uint32_t since);

/* The program closed `fd`: forgets it. Returns the kind it had. O(1). */
enum lc_fd_kind lc_fdtable_forget(struct lc_fdtable *t, int fd);

/* Forgets every entry in [first, last] (close_range, closefrom). Returns
 * how many connections were forgotten. */
long lc_fdtable_forget_range(struct lc_fdtable *t, int first, int last);

/* `to` became an alias of `from` (dup, dup2, dup3, F_DUPFD): the
 * connection stays open until every alias is closed. Returns the kind
 * `to` had before (dup2 and dup3 silently close their target). */
enum lc_fd_kind lc_fdtable_copy(struct lc_fdtable *t, int from, int to);

/* The kind recorded for `fd`. Inline, for the hot path of close: nearly
 * every close in a program is of a descriptor with no entry, and this
 * answers that with two loads and no call. */
static inline enum lc_fd_kind lc_fdtable_kind(struct lc_fdtable *t, int fd)
{
	if (fd < 0 || fd > LC_FDTABLE_MAX_FD)
		return LC_FD_FREE;
	struct lc_fd_record *chunk =
		atomic_load_explicit(&t->chunks[fd >> LC_FDTABLE_CHUNK_BITS], memory_order_acquire);
	if (!chunk)
		return LC_FD_FREE;
	return lc_fd_state_kind(atomic_load_explicit(&chunk[fd & (LC_FDTABLE_CHUNK - 1)].entry.state,
						     memory_order_acquire));
}

/* The protocol state of a connection's entry, for the hooks of the
 * program's reads and writes: NULL unless `fd` is recorded as a
 * connection. Decided by the state's own protocol byte, which every
 * change of the entry's kind keeps in step (LC_PROTO_NONE unless a
 * connection): one load, of the line the tracker then writes. The
 * entry may be stale (a close lastcall did not see): whoever changes the
 * program's bytes on its word checks the socket's identity first. */
static inline struct lc_h1 *lc_fdtable_h1(struct lc_fdtable *t, int fd)
{
	if (fd < 0 || fd > LC_FDTABLE_MAX_FD)
		return NULL;
	struct lc_fd_record *chunk =
		atomic_load_explicit(&t->chunks[fd >> LC_FDTABLE_CHUNK_BITS], memory_order_acquire);
	if (!chunk)
		return NULL;
	struct lc_h1 *h = lc_fdtable_entry_h1(chunk, fd);
	if (atomic_load_explicit(&h->proto, memory_order_acquire) == LC_PROTO_NONE)
		return NULL;
	return h;
}

/* Reads an entry. Returns false when fd has no entry. */
bool lc_fdtable_get(struct lc_fdtable *t, int fd, struct lc_fd_snapshot *out);

/* Drops the entry only if it is still exactly what `seen` described
 * (same generation): the kernel said it is stale. */
bool lc_fdtable_drop_stale(struct lc_fdtable *t, int fd, const struct lc_fd_snapshot *seen);

/* The kernel confirmed that the connection `seen` describes, whose
 * identity was its peer's (LC_FD_PEER_ID), is the socket with inode `ino`:
 * records that in `seen` and, if the entry is still what `seen` read, in
 * the entry. */
void lc_fdtable_adopt_ino(struct lc_fdtable *t, int fd, struct lc_fd_snapshot *seen,
			  uint64_t ino);

/* Entries of kind LC_FD_CONNECTION: a walk up to the highest fd, for fork
 * and the tests. Not a counter: one shared counter written by every
 * accept and close would bounce its cache line between the program's
 * threads on the hot path. */
long lc_fdtable_live(struct lc_fdtable *t);

static inline int lc_fdtable_max_fd(struct lc_fdtable *t)
{
	return atomic_load_explicit(&t->max_fd, memory_order_acquire);
}

/* Unit tests and fork children start from a clean table. */
void lc_fdtable_reset(struct lc_fdtable *t);

#endif
