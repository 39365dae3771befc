/* Layer tell/: what lastcall tells the operator. The shutdown report
 * (this file), built from what track/ returned and the counts in base/;
 * the health endpoint (health, health_request). May call: base/,
 * kernel/, judge/, track/.
 *
 * The shutdown report (SPEC "Shutdown report", --report PATH): what
 * happened, the connections a deadline found open, and every thread's
 * stack at that moment. Written without malloc or locks a wedged thread
 * may hold: static buffers, raw system calls. */
#ifndef LASTCALL_REPORT_H
#define LASTCALL_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "track/connections.h"

enum lc_report_time { LC_T_SIGNAL, LC_T_LISTENERS_CLOSED, LC_T_DRAINED, LC_T_EXIT, LC_T_COUNT };


bool lc_report_wanted(void);
void lc_report_mark(enum lc_report_time which);
/* The process that sent the first signal (0: none), named now, while it
 * is alive: a wrapper's forward, an orchestrator's kill. */
void lc_report_note_sender(pid_t pid);
/* Connections still open, recorded between begin and end by one thread
 * at a time (the scan itself may come before begin); begin waits `wait_ns` at most (-1: as long as it takes) and
 * returns false if it could not. */
bool lc_report_recording_begin(int64_t wait_ns);
void lc_report_recording_end(void);
void lc_report_recording_forget_in_child(void);
int lc_report_connection_count(void);
/* The connections a deadline found open (at most LC_REPORT_MAX_CONNECTIONS
 * are listed), replacing any recorded before. */
#define LC_REPORT_MAX_CONNECTIONS 1000
void lc_report_set_connections(const struct lc_conn_view *seen, long n);
/* Every thread's stack, through the helper process; at most budget_ns. */
void lc_report_capture_threads(int64_t budget_ns);
/* outcome: "drained", "drain_timeout", "exit_timeout" or "interrupted". */
void lc_report_write(const char *outcome);
/* The same, by the thread about to end the process: no later write. */
void lc_report_write_final(const char *outcome);

#endif
