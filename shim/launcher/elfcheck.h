/* Can LD_PRELOAD reach this program? The launcher warns when it cannot:
 * static binaries and Go programs make no libc calls to interpose. */
#ifndef LASTCALL_ELFCHECK_H
#define LASTCALL_ELFCHECK_H

enum lc_program_kind {
	LC_PROGRAM_DYNAMIC,  /* an ELF with an interpreter: fine */
	LC_PROGRAM_SCRIPT,   /* #! script: fine if its interpreter is dynamic */
	LC_PROGRAM_STATIC,   /* an ELF without PT_INTERP */
	LC_PROGRAM_GO,	     /* a Go binary (its own syscalls, even if dynamic) */
	LC_PROGRAM_NOT_ELF,  /* something else */
	LC_PROGRAM_UNREADABLE,
};

enum lc_program_kind lc_program_kind(const char *path);

#endif
