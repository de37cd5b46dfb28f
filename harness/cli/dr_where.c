/* dr_where.c: return addresses to driver source lines.
 *
 * elfutils' libdwfl reads this process's own DWARF (driver code is built with
 * -g in every preset: DR_DRIVER_FLAGS) through /proc/self/maps, so PIE and
 * shared objects need no bias arithmetic here; Debian's libdw is well kept,
 * where a hand-written DWARF line-table reader would not be (issue 16).
 * Results are cached per address: a report symbolises each call site once. */
#include "dr_where.h"

#include "dr/dr_engine.h" /* dr_text_esc */

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef DR_SOURCE_DIR
#define DR_SOURCE_DIR ""
#endif
#ifndef DR_DRIVER_ROOT
#define DR_DRIVER_ROOT DR_SOURCE_DIR
#endif

static Dwfl *dwfl;
static bool dwfl_tried;

static Dwfl *session(void)
{
    static const Dwfl_Callbacks cb = {
        .find_elf = dwfl_linux_proc_find_elf,
        .find_debuginfo = dwfl_standard_find_debuginfo,
    };
    if (dwfl_tried)
        return dwfl;
    dwfl_tried = true;
    dwfl = dwfl_begin(&cb);
    if (dwfl && (dwfl_linux_proc_report(dwfl, getpid()) != 0 || dwfl_report_end(dwfl, NULL, NULL) != 0)) {
        dwfl_end(dwfl);
        dwfl = NULL;
    }
    return dwfl;
}

/* ---- the cache: one entry per return address ------------------------------------------ */

typedef struct {
    uintptr_t pc;
    bool driver;
    dr_srcloc loc;
} entry;

enum { CACHE = 4096 };
static entry *cache;

/* File and function names, each kept once for the life of the process. */
typedef struct name {
    struct name *next;
    char text[];
} name;
static name *names;

static const char *intern(const char *s)
{
    for (name *n = names; n; n = n->next)
        if (strcmp(n->text, s) == 0)
            return n->text;
    size_t len = strlen(s);
    name *n = malloc(sizeof *n + len + 1);
    if (!n)
        return NULL;
    memcpy(n->text, s, len + 1);
    n->next = names;
    names = n;
    return n->text;
}

static bool under(const char *path, const char *dir, const char **rest)
{
    size_t n = strlen(dir);
    if (!n || strncmp(path, dir, n) != 0 || path[n] != '/')
        return false;
    *rest = path + n + 1;
    return true;
}

/* The function at addr: the innermost inlined subroutine or subprogram
 * whose scope holds it (so a static helper the compiler inlined is named),
 * and the line it is declared on. */
static const char *function_at(Dwfl_Module *mod, Dwarf_Addr addr, int *decl_line)
{
    Dwarf_Addr bias = 0;
    Dwarf_Die *cu = dwfl_module_addrdie(mod, addr, &bias);
    const char *name = NULL;
    *decl_line = 0;
    if (cu) {
        Dwarf_Die *scopes = NULL;
        int n = dwarf_getscopes(cu, addr - bias, &scopes);
        for (int i = 0; i < n && !name; i++) {
            int tag = dwarf_tag(&scopes[i]);
            if (tag != DW_TAG_subprogram && tag != DW_TAG_inlined_subroutine)
                continue;
            Dwarf_Attribute a;
            name = dwarf_formstring(dwarf_attr_integrate(&scopes[i], DW_AT_name, &a));
            if (dwarf_decl_line(&scopes[i], decl_line) != 0)
                *decl_line = 0;
        }
        free(scopes);
    }
    return name ? name : dwfl_module_addrname(mod, addr);
}

/* Driver code is linked into the program itself: the C library and other
 * shared objects (which may come with debug information) are never it. */
static bool main_module(Dwfl_Module *mod)
{
    static const char *exe;
    static bool exe_read;
    if (!exe_read) {
        exe_read = true;
        static char buf[4096];
        ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
        if (n > 0) {
            buf[n] = 0;
            exe = buf;
        }
    }
    const char *mainfile = NULL;
    dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, &mainfile, NULL);
    return exe && mainfile && strcmp(mainfile, exe) == 0;
}

static void resolve(entry *e)
{
    Dwfl *d = session();
    /* A return address is the instruction after the call: its line is the
     * call's only when the call is not the line's last instruction. */
    Dwarf_Addr addr = (Dwarf_Addr)e->pc - 1;
    Dwfl_Module *mod = d ? dwfl_addrmodule(d, addr) : NULL;
    Dwfl_Line *line = mod ? dwfl_module_getsrc(mod, addr) : NULL;
    int lineno = 0;
    const char *file = line ? dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL) : NULL;
    const char *rest;
    if (!file || !mod || !main_module(mod) || under(file, DR_SOURCE_DIR "/harness", &rest) ||
        under(file, DR_SOURCE_DIR "/model", &rest))
        return;
    if (!under(file, DR_DRIVER_ROOT, &rest) && !under(file, DR_SOURCE_DIR, &rest))
        rest = file;
    int decl_line;
    const char *func = function_at(mod, addr, &decl_line);
    /* Line 0: code of no one line, e.g. one call the optimiser made of the
     * same call on several lines. The function's own line stands for it. */
    if (lineno <= 0)
        lineno = decl_line;
    if (lineno <= 0)
        return;
    e->loc.file = intern(rest);
    e->loc.func = intern(func ? func : "?");
    if (!e->loc.file || !e->loc.func)
        return;
    e->loc.line = lineno;
    e->driver = true;
}

bool dr_where(const uintptr_t *pc, size_t n, dr_srcloc *out)
{
    if (!cache && !(cache = calloc(CACHE, sizeof *cache)))
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!pc[i])
            continue;
        entry *e = &cache[(pc[i] >> 2) * 0x9e3779b1u % CACHE];
        if (e->pc != pc[i]) { /* a collision replaces the older entry (its names stay interned) */
            memset(e, 0, sizeof *e);
            e->pc = pc[i];
            resolve(e);
        }
        if (e->driver) {
            *out = e->loc;
            return true;
        }
    }
    return false;
}

const char *dr_where_format(const dr_srcloc *l, char *buf, size_t len)
{
    char file[600], func[200];
    snprintf(buf, len, "  @ %s:%d %s", dr_text_esc(l->file, file, sizeof file), l->line,
             dr_text_esc(l->func, func, sizeof func));
    return buf;
}

const char *dr_where_suffix(const uintptr_t *pc, size_t n, char *buf, size_t len)
{
    dr_srcloc l;
    if (dr_where(pc, n, &l))
        return dr_where_format(&l, buf, len);
    if (len)
        buf[0] = 0;
    return buf;
}
