/* Connection checks during the drain (see connections.h). */
#include "track/connections.h"
#include "track/fdtable.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "base/addr.h"
#include "base/log.h"
#include "base/real.h"
#include "judge/idle.h"
#include "kernel/fdscan.h"
#include "track/children.h"

/* What the previous scan saw per fd: the byte counters that decide ties
 * (idle.h). Drain-thread only; mmap'd, grown by whole pages. */
struct history_slot {
	uint64_t ino;
	struct lc_conn_history h;
	bool shut;
};
static struct history_slot *history;
static size_t history_len;

static struct history_slot *history_for(int fd, uint64_t ino)
{
	if ((size_t)fd >= history_len) {
		size_t want = ((size_t)fd + 1024) & ~(size_t)1023;
		void *mem = mmap(NULL, want * sizeof *history, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (mem == MAP_FAILED)
			return NULL;
		if (history) {
			memcpy(mem, history, history_len * sizeof *history);
			munmap(history, history_len * sizeof *history);
		}
		history = mem;
		history_len = want;
	}
	struct history_slot *slot = &history[fd];
	if (slot->ino != ino) {
		memset(slot, 0, sizeof *slot);
		slot->ino = ino;
	}
	return slot;
}

/* The coarse clock of the accept hook, for ages. */
static int64_t coarse_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Is fd still the socket the table recorded? Drops the entry if not. */
static bool still_ours(struct lc_fdtable *t, int fd, struct lc_fd_snapshot *seen)
{
	struct stat st;
	if (!lc_fdtable_get(t, fd, seen) || seen->kind != LC_FD_CONNECTION)
		return false;
	if (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) && (uint64_t)st.st_ino == seen->ino)
		return true;
	lc_fdtable_drop_stale(t, fd, seen); /* closed behind our back */
	return false;
}

/* Shuts the connection down through a private duplicate whose identity is
 * checked first: the program may close fd and reuse the number at any
 * moment, and shutting down someone else's socket would be a disaster. */
static bool shut_down(int fd, uint64_t ino, bool only_if_idle)
{
	int dup = lc_real_fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (dup < 0)
		return false;
	struct stat st;
	bool ok = fstat(dup, &st) == 0 && (uint64_t)st.st_ino == ino;
	if (ok && only_if_idle) {
		struct lc_conn_probe p;
		/* A request may have arrived since the scan looked. */
		ok = lc_probe_connection(dup, &p) == 0 && p.unread == 0 && p.unsent == 0;
	}
	if (ok)
		shutdown(dup, SHUT_RDWR);
	lc_real_close(dup);
	return ok;
}

void lc_connections_scan(struct lc_fdtable *t, int64_t now_ns, bool close_idle,
			 struct lc_scan *out)
{
	(void)now_ns;
	memset(out, 0, sizeof *out);
	int64_t now = coarse_now();
	int max = lc_fdtable_max_fd(t);
	int reading[256], readers = -1; /* read lazily: only Unix sockets need it */
	for (int fd = 0; fd <= max; fd++) {
		struct lc_fd_snapshot seen;
		if (!still_ours(t, fd, &seen))
			continue;
		out->open++;
		struct history_slot *slot = history_for(fd, seen.ino);
		if (slot && slot->shut)
			continue; /* waiting for the program to close it */
		struct lc_conn_probe probe;
		if (lc_probe_connection(fd, &probe) < 0)
			continue;
		if (!probe.tcp) {
			if (readers < 0)
				readers = lc_threads_reading(reading, 256);
			for (int i = 0; i < readers && i < 256; i++) {
				struct lc_fd_snapshot other;
				if (reading[i] == fd)
					probe.reader_waiting = true;
				else if (lc_fdtable_get(t, reading[i], &other) &&
					 other.kind == LC_FD_CONNECTION)
					probe.readers_elsewhere = true;
			}
		}
		int64_t age = now - seen.accepted_ns;
		enum lc_activity activity = lc_classify(&probe, slot ? &slot->h : NULL, age, lc_reply_quiet_ms());
		if (activity == LC_IDLE && lc_children_hold(seen.ino))
			activity = LC_BUSY;
		if (slot) {
			slot->h.seen = true;
			slot->h.bytes_received = probe.bytes_received;
			slot->h.bytes_sent = probe.bytes_sent;
		}
		if (activity == LC_BUSY) {
			out->busy++;
			if ((!probe.tcp || probe.bytes_received == 0) &&
			    age < LC_FIRST_REQUEST_GRACE_NS) {
				int64_t ends = now_ns + (LC_FIRST_REQUEST_GRACE_NS - age);
				if (!out->next_change_ns || ends < out->next_change_ns)
					out->next_change_ns = ends;
			}
			continue;
		}
		if (close_idle && shut_down(fd, seen.ino, true)) {
			if (slot)
				slot->shut = true;
			out->closed_idle++;
			if (lc_log_enabled(LC_LOG_DEBUG)) {
				char peer[LC_ADDR_TEXT];
				struct lc_line line;
				lc_line_start(&line);
				lc_line_str(&line, "closed idle connection fd ");
				lc_line_int(&line, fd);
				lc_line_str(&line, " from ");
				lc_line_str(&line, lc_peer_text(fd, peer));
				lc_line_emit(&line, LC_LOG_DEBUG);
			}
		} else {
			out->busy++;
		}
	}
}

long lc_connections_cut(struct lc_fdtable *t, bool cut, bool from_watchdog,
			struct lc_conn_view *seen_out, int max)
{
	long count = 0;
	int64_t now = coarse_now();
	int max_fd = lc_fdtable_max_fd(t);
	for (int fd = 0; fd <= max_fd; fd++) {
		struct lc_fd_snapshot seen;
		if (!still_ours(t, fd, &seen))
			continue;
		struct lc_conn_probe probe;
		struct lc_line line;
		memset(&probe, 0, sizeof probe);
		lc_probe_connection(fd, &probe);
		struct history_slot *slot = from_watchdog ? NULL : history_for(fd, seen.ino);
		enum lc_activity activity =
			lc_classify(&probe, slot ? &slot->h : NULL, now - seen.accepted_ns,
				    lc_reply_quiet_ms());
		struct lc_conn_view v = {.fd = fd, .age_ns = now - seen.accepted_ns,
					 .busy = activity == LC_BUSY, .unread = probe.unread,
					 .unsent = probe.unsent, .local_port = lc_local_port(fd)};
		lc_peer_text(fd, v.peer);
		lc_local_text(fd, v.local);
		if (count < max)
			seen_out[count] = v;
		count++;
		lc_line_start(&line);
		lc_line_str(&line, cut ? "cut: " : "open: ");
		lc_line_str(&line, v.peer);
		lc_line_str(&line, " -> port ");
		lc_line_uint(&line, v.local_port);
		lc_line_str(&line, " fd ");
		lc_line_int(&line, fd);
		lc_line_str(&line, v.busy ? " busy" : " idle");
		lc_line_str(&line, " age ");
		lc_line_duration(&line, v.age_ns);
		lc_line_str(&line, " unread ");
		lc_line_uint(&line, v.unread);
		lc_line_str(&line, " unsent ");
		lc_line_uint(&line, v.unsent);
		lc_line_emit(&line, LC_LOG_WARN);
		if (cut)
			shut_down(fd, seen.ino, false);
	}
	return count;
}
