/* What an ELF object needs to be loaded: PT_INTERP, DT_NEEDED and its
 * DT_RUNPATH/DT_RPATH, read from the file itself (64-bit objects of this
 * machine's byte order). Every offset is checked against the file's size. */
#include <elf.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "error.h"
#include "strv.h"
#include "tool.h"

struct image {
        const unsigned char *data;
        size_t size;
        const Elf64_Phdr *ph;
        size_t n_ph;
};

static bool in_file(const struct image *im, uint64_t off, uint64_t len)
{
        return off <= im->size && len <= im->size - off;
}

/* A virtual address to a file offset, through the PT_LOAD segments. */
static bool vaddr_to_offset(const struct image *im, uint64_t vaddr, uint64_t *off)
{
        for (size_t i = 0; i < im->n_ph; i++) {
                const Elf64_Phdr *p = &im->ph[i];
                if (p->p_type == PT_LOAD && vaddr >= p->p_vaddr && vaddr - p->p_vaddr < p->p_filesz) {
                        *off = p->p_offset + (vaddr - p->p_vaddr);
                        return true;
                }
        }
        return false;
}

static int add_runpath(struct nsl_elf_deps *deps, const char *list, const char *origin)
{
        char *copy = strdup(list), *save = NULL;

        if (!copy)
                return -ENOMEM;
        for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
                char path[PATH_MAX];
                if (!strncmp(dir, "$ORIGIN", 7))
                        snprintf(path, sizeof path, "%s%s", origin, dir + 7);
                else if (!strncmp(dir, "${ORIGIN}", 9))
                        snprintf(path, sizeof path, "%s%s", origin, dir + 9);
                else
                        snprintf(path, sizeof path, "%s", dir);
                if (path[0] == '/' && nsl_strv_push(&deps->runpath, &deps->n_runpath, path) < 0) {
                        free(copy);
                        return -ENOMEM;
                }
        }
        free(copy);
        return 0;
}

static int read_dynamic(const struct image *im, const Elf64_Phdr *dyn, const char *path, struct nsl_elf_deps *deps,
                        nsl_error *error)
{
        const Elf64_Dyn *d;
        size_t n;
        uint64_t strtab = 0, strsz = 0, stroff;
        char origin[PATH_MAX];

        if (!in_file(im, dyn->p_offset, dyn->p_filesz))
                return nsl_fail(error, ENOEXEC, "from-host", path, "PT_DYNAMIC outside the file");
        d = (const Elf64_Dyn *)(im->data + dyn->p_offset);
        n = dyn->p_filesz / sizeof *d;
        for (size_t i = 0; i < n && d[i].d_tag != DT_NULL; i++) {
                if (d[i].d_tag == DT_STRTAB)
                        strtab = d[i].d_un.d_ptr;
                else if (d[i].d_tag == DT_STRSZ)
                        strsz = d[i].d_un.d_val;
        }
        if (!strtab)
                return 0;
        if (!vaddr_to_offset(im, strtab, &stroff) || !in_file(im, stroff, strsz))
                return nsl_fail(error, ENOEXEC, "from-host", path, "string table outside the file");
        snprintf(origin, sizeof origin, "%s", path);
        snprintf(origin, sizeof origin, "%s", dirname(origin));
        for (size_t i = 0; i < n && d[i].d_tag != DT_NULL; i++) {
                const char *s;
                if (d[i].d_tag != DT_NEEDED && d[i].d_tag != DT_RUNPATH && d[i].d_tag != DT_RPATH)
                        continue;
                if (d[i].d_un.d_val >= strsz || !memchr(im->data + stroff + d[i].d_un.d_val, '\0', strsz - d[i].d_un.d_val))
                        return nsl_fail(error, ENOEXEC, "from-host", path, "dynamic string outside its table");
                s = (const char *)im->data + stroff + d[i].d_un.d_val;
                if ((d[i].d_tag == DT_NEEDED ? nsl_strv_push(&deps->needed, &deps->n_needed, s)
                                             : add_runpath(deps, s, origin)) < 0)
                        return nsl_fail(error, ENOMEM, "from-host", path, NULL);
        }
        return 0;
}

static int parse(const struct image *base, const char *path, struct nsl_elf_deps *deps, nsl_error *error)
{
        const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base->data;
        struct image im = *base;

        if (im.size < sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG))
                return -ENOEXEC;
        if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB)
                return nsl_fail(error, ENOEXEC, "from-host", path, "only 64-bit little-endian ELF objects are followed");
        if (eh->e_phentsize != sizeof(Elf64_Phdr) || !in_file(&im, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr)))
                return nsl_fail(error, ENOEXEC, "from-host", path, "program headers outside the file");
        im.ph = (const Elf64_Phdr *)(im.data + eh->e_phoff);
        im.n_ph = eh->e_phnum;
        deps->elf_class = eh->e_ident[EI_CLASS];
        deps->machine = eh->e_machine;
        for (size_t i = 0; i < im.n_ph; i++) {
                const Elf64_Phdr *p = &im.ph[i];
                int r;
                if (p->p_type == PT_INTERP) {
                        if (!in_file(&im, p->p_offset, p->p_filesz) || p->p_filesz == 0 ||
                            p->p_filesz > sizeof deps->interp || im.data[p->p_offset + p->p_filesz - 1] != '\0')
                                return nsl_fail(error, ENOEXEC, "from-host", path, "bad PT_INTERP");
                        memcpy(deps->interp, im.data + p->p_offset, p->p_filesz);
                } else if (p->p_type == PT_DYNAMIC && (r = read_dynamic(&im, p, path, deps, error)) < 0) {
                        return r;
                }
        }
        return 0;
}

int nsl_elf_read_deps(int fd, const char *path, struct nsl_elf_deps *deps, nsl_error *error)
{
        struct stat st;
        struct image im = { 0 };
        void *map;
        int r;

        *deps = (struct nsl_elf_deps){ 0 };
        if (fstat(fd, &st) < 0)
                return nsl_fail(error, errno, "from-host", path, NULL);
        if (!S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof(Elf64_Ehdr))
                return -ENOEXEC;
        map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED)
                return nsl_fail(error, errno, "from-host", path, NULL);
        im.data = map;
        im.size = (size_t)st.st_size;
        r = parse(&im, path, deps, error);
        munmap(map, (size_t)st.st_size);
        if (r < 0)
                nsl_elf_deps_clear(deps);
        return r;
}

void nsl_elf_deps_clear(struct nsl_elf_deps *deps)
{
        nsl_strv_free(deps->needed);
        nsl_strv_free(deps->runpath);
        *deps = (struct nsl_elf_deps){ 0 };
}
