/* Frame names from the ELF symbol tables (see symbols.h).
 *
 * libunwind's unw_get_proc_name names an address after the nearest symbol
 * below it, whatever that symbol's size: Debian's python3.11 keeps only
 * its exported symbols, so a static function's frame came out under an
 * exported neighbour (the main thread's poll shown as
 * _PyLong_UnsignedShort_Converter+0xe2). Here a name is given only when
 * the symbol's extent covers the address; otherwise the module and the
 * offset, which addr2line resolves with the debug symbols. .symtab is
 * read when the module has one, else .dynsym. */
#include "launcher/symbols.h"

#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int by_value(const void *a, const void *b)
{
	const struct lc_symbol *x = a, *y = b;
	return x->value < y->value ? -1 : x->value > y->value;
}

void lc_symbols_sort(struct lc_symbol *syms, size_t n)
{
	qsort(syms, n, sizeof *syms, by_value);
}

/* Aliases share an address, and a symbol may sit inside another (a local
 * label with a size): the candidates are the few just below addr. */
#define LOOK_BACK 16

const struct lc_symbol *lc_symbol_covering(const struct lc_symbol *syms, size_t n, uint64_t addr)
{
	size_t lo = 0, hi = n; /* first index whose value > addr */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (syms[mid].value <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo, looked = 0; i > 0 && looked < LOOK_BACK; i--, looked++) {
		const struct lc_symbol *s = &syms[i - 1];
		if (addr - s->value < s->size)
			return s;
	}
	return NULL;
}

/* --- modules --- */

struct module {
	char path[400];
	char name[64];
	uint64_t bias; /* load address minus the ELF's addresses */
	int loaded;    /* 0: not yet, 1: symbols read, -1: unreadable */
	struct lc_symbol *syms;
	size_t count;
	char *strings; /* the names, copied out of the file */
};

struct mapping {
	uint64_t start, end, offset;
	int module;
};

#define MAX_MODULES 512
#define MAX_MAPPINGS 4096
static struct module modules[MAX_MODULES];
static int module_count;
static struct mapping maps[MAX_MAPPINGS];
static int map_count;

static int module_for(const char *path)
{
	for (int i = 0; i < module_count; i++)
		if (strcmp(modules[i].path, path) == 0)
			return i;
	if (module_count == MAX_MODULES)
		return -1;
	struct module *m = &modules[module_count];
	memset(m, 0, sizeof *m);
	snprintf(m->path, sizeof m->path, "%s", path);
	const char *base = strrchr(path, '/');
	snprintf(m->name, sizeof m->name, "%s", base ? base + 1 : path);
	return module_count++;
}

void lc_symbols_load_maps(int pid)
{
	char path[64], line[600];
	snprintf(path, sizeof path, "/proc/%d/maps", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	while (map_count < MAX_MAPPINGS && fgets(line, sizeof line, f)) {
		struct mapping *m = &maps[map_count];
		unsigned long start, end, offset;
		char file[400] = "";
		if (sscanf(line, "%lx-%lx %*s %lx %*s %*s %399s", &start, &end, &offset, file) < 3)
			continue;
		*m = (struct mapping){.start = start, .end = end, .offset = offset, .module = -1};
		if (file[0]) {
			m->module = module_for(file);
			/* [vdso], [heap]...: named, without a file to read */
			if (m->module >= 0 && file[0] != '/')
				modules[m->module].loaded = -1;
		}
		map_count++;
	}
	fclose(f);
}

/* The module's lowest mapping, and the ELF's first PT_LOAD address: the
 * bias between the ELF's addresses and the process's. */
static void read_module(int index)
{
	struct module *m = &modules[index];
	m->loaded = -1;
	int fd = open(m->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	struct stat st;
	void *file = MAP_FAILED;
	if (fstat(fd, &st) == 0 && (size_t)st.st_size >= sizeof(Elf64_Ehdr))
		file = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (file == MAP_FAILED)
		return;
	size_t size = (size_t)st.st_size;
	const unsigned char *bytes = file;
	const Elf64_Ehdr *eh = file;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > size ||
	    eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > size)
		goto done;

	uint64_t first_load = UINT64_MAX, lowest_start = UINT64_MAX;
	const Elf64_Phdr *ph = (const void *)(bytes + eh->e_phoff);
	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && ph[i].p_offset == 0)
			first_load = ph[i].p_vaddr & ~(uint64_t)0xfff;
	for (int i = 0; i < map_count; i++)
		if (maps[i].module == index && maps[i].offset == 0 && maps[i].start < lowest_start)
			lowest_start = maps[i].start;
	if (first_load == UINT64_MAX || lowest_start == UINT64_MAX)
		goto done;
	m->bias = lowest_start - first_load;

	const Elf64_Shdr *sh = (const void *)(bytes + eh->e_shoff);
	const Elf64_Shdr *table = NULL;
	for (int i = 0; i < eh->e_shnum && !table; i++)
		if (sh[i].sh_type == SHT_SYMTAB)
			table = &sh[i];
	for (int i = 0; i < eh->e_shnum && !table; i++)
		if (sh[i].sh_type == SHT_DYNSYM)
			table = &sh[i];
	if (table && (table->sh_link >= eh->e_shnum || table->sh_offset + table->sh_size > size))
		table = NULL;
	if (!table)
		goto done;
	const Elf64_Shdr *strtab = &sh[table->sh_link];
	if (strtab->sh_offset + strtab->sh_size > size)
		goto done;
	const Elf64_Sym *sym = (const void *)(bytes + table->sh_offset);
	size_t n = table->sh_size / sizeof *sym;
	m->syms = calloc(n ? n : 1, sizeof *m->syms);
	m->strings = malloc(strtab->sh_size + 1);
	if (!m->syms || !m->strings)
		goto done;
	memcpy(m->strings, bytes + strtab->sh_offset, strtab->sh_size);
	m->strings[strtab->sh_size] = '\0';
	for (size_t i = 0; i < n; i++) {
		int type = ELF64_ST_TYPE(sym[i].st_info);
		if ((type != STT_FUNC && type != STT_GNU_IFUNC) || sym[i].st_shndx == SHN_UNDEF ||
		    sym[i].st_size == 0 || sym[i].st_name >= strtab->sh_size)
			continue;
		m->syms[m->count++] = (struct lc_symbol){
			.value = sym[i].st_value, .size = sym[i].st_size,
			.name = m->strings + sym[i].st_name};
	}
	lc_symbols_sort(m->syms, m->count);
	m->loaded = 1;
done:
	munmap(file, size);
}

void lc_frame_text(uint64_t ip, int caller, char *out, size_t size)
{
	uint64_t look = caller && ip > 0 ? ip - 1 : ip;
	const struct mapping *at = NULL;
	for (int i = 0; i < map_count && !at; i++)
		if (look >= maps[i].start && look < maps[i].end)
			at = &maps[i];
	if (!at || at->module < 0) {
		snprintf(out, size, "0x%llx", (unsigned long long)ip);
		return;
	}
	struct module *m = &modules[at->module];
	if (m->loaded == 0)
		read_module(at->module);
	if (m->loaded < 0) {
		snprintf(out, size, "0x%llx (%s)", (unsigned long long)ip, m->name);
		return;
	}
	uint64_t elf_addr = ip - m->bias;
	const struct lc_symbol *s = lc_symbol_covering(m->syms, m->count, look - m->bias);
	if (s)
		snprintf(out, size, "%s+0x%llx (%s)", s->name,
			 (unsigned long long)(elf_addr - s->value), m->name);
	else
		snprintf(out, size, "%s+0x%llx", m->name, (unsigned long long)elf_addr);
}
