/* ELF inspection for the launcher (see elfcheck.h). */
#include "launcher/elfcheck.h"

#include <elf.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int read_at(int fd, void *buf, size_t len, off_t off)
{
	return pread(fd, buf, len, off) == (ssize_t)len ? 0 : -1;
}

/* Go binaries carry a .go.buildinfo section (Go 1.13+). */
static int has_go_section(int fd, const Elf64_Ehdr *eh)
{
	Elf64_Shdr strtab;
	if (eh->e_shnum == 0 || eh->e_shstrndx >= eh->e_shnum ||
	    read_at(fd, &strtab, sizeof strtab,
		    (off_t)(eh->e_shoff + (Elf64_Off)eh->e_shstrndx * eh->e_shentsize)) < 0)
		return 0;
	for (unsigned i = 0; i < eh->e_shnum && i < 4096; i++) {
		Elf64_Shdr sh;
		char name[16];
		if (read_at(fd, &sh, sizeof sh, (off_t)(eh->e_shoff + (Elf64_Off)i * eh->e_shentsize)) <
		    0)
			return 0;
		if (read_at(fd, name, sizeof name, (off_t)(strtab.sh_offset + sh.sh_name)) < 0)
			continue;
		if (strncmp(name, ".go.buildinfo", sizeof name) == 0)
			return 1;
	}
	return 0;
}

enum lc_program_kind lc_program_kind(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return LC_PROGRAM_UNREADABLE;
	unsigned char head[4];
	Elf64_Ehdr eh;
	enum lc_program_kind kind = LC_PROGRAM_NOT_ELF;
	if (read_at(fd, head, 2, 0) == 0 && head[0] == '#' && head[1] == '!') {
		kind = LC_PROGRAM_SCRIPT;
	} else if (read_at(fd, &eh, sizeof eh, 0) == 0 && memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 &&
		   eh.e_ident[EI_CLASS] == ELFCLASS64) {
		kind = LC_PROGRAM_STATIC;
		for (unsigned i = 0; i < eh.e_phnum && i < 256; i++) {
			Elf64_Phdr ph;
			if (read_at(fd, &ph, sizeof ph,
				    (off_t)(eh.e_phoff + (Elf64_Off)i * eh.e_phentsize)) < 0)
				break;
			if (ph.p_type == PT_INTERP)
				kind = LC_PROGRAM_DYNAMIC;
		}
		if (has_go_section(fd, &eh))
			kind = LC_PROGRAM_GO;
	} else if (read_at(fd, head, 4, 0) == 0 && memcmp(head, ELFMAG, SELFMAG) == 0) {
		kind = LC_PROGRAM_DYNAMIC; /* 32-bit ELF: not inspected further */
	}
	close(fd);
	return kind;
}
