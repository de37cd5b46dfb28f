/* dr_where.c: return addresses to driver source lines.
 *
 * elfutils' libdwfl reads this process's own DWARF (driver code is built with
 * -g in every preset: DR_DRIVER_FLAGS) through /proc/self/maps, so PIE and
 * shared objects need no bias arithmetic here; Debian's libdw is well kept,
 * where a hand-written DWARF line-table reader would not be (issue 16).
 * Results are cached per address: a report symbolises each call site once. */
#include "dr_where.h"

#include "dr/dr.h"        /* dr_program */
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
    const char *entry_func; /* the function the address is in, not one inlined into it */
    const char *at_file;    /* the address's own line-table row (no inlining undone): volatile sites */
    const char *at_func;    /* its symbol */
    uint64_t text;          /* the driver line's text (dr_where_point), 0: unread */
    int at_line, at_col;
    uint8_t vol;            /* 0 not asked yet, 1 a plain access, 2 a volatile one */
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
    size_t n = dir ? strlen(dir) : 0;
    if (!n || strncmp(path, dir, n) != 0 || path[n] != '/')
        return false;
    *rest = path + n + 1;
    return true;
}

/* ---- the scopes around an address ------------------------------------------------------ */

enum { CHAIN_MAX = 16 };

/* The DIEs of functions around addr, outermost first: the subprogram, then
 * each inlined subroutine within it. dwarf_getscopes does not look into a
 * C++ namespace or class (where clang puts the definitions), so this walks
 * the CU itself. */
static int chain_at(Dwarf_Die *parent, Dwarf_Addr addr, Dwarf_Die *chain, int n)
{
    Dwarf_Die child;
    if (n >= CHAIN_MAX || dwarf_child(parent, &child) != 0)
        return n;
    do {
        int tag = dwarf_tag(&child);
        bool fn = tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine;
        bool in = (fn || tag == DW_TAG_lexical_block) && dwarf_haspc(&child, addr) == 1;
        if (fn && in) {
            chain[n] = child;
            return chain_at(&child, addr, chain, n + 1);
        }
        if (in || tag == DW_TAG_namespace || tag == DW_TAG_class_type || tag == DW_TAG_structure_type) {
            int m = chain_at(&child, addr, chain, n);
            if (m > n)
                return m;
        }
    } while (dwarf_siblingof(&child, &child) == 0);
    return n;
}

static const char *die_name(Dwarf_Die *die)
{
    Dwarf_Attribute a;
    return dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &a));
}

/* The file an inlined subroutine was called from (DW_AT_call_file). */
static const char *call_file(Dwarf_Die *cu, Dwarf_Die *inl, int *line)
{
    Dwarf_Attribute a;
    Dwarf_Word fi, ln;
    Dwarf_Files *files;
    size_t nfiles;
    if (dwarf_formudata(dwarf_attr(inl, DW_AT_call_file, &a), &fi) != 0 ||
        dwarf_formudata(dwarf_attr(inl, DW_AT_call_line, &a), &ln) != 0 || dwarf_getsrcfiles(cu, &files, &nfiles) != 0 ||
        fi >= nfiles)
        return NULL;
    *line = (int)ln;
    return dwarf_filesrc(files, fi, NULL, NULL);
}

/* ---- the text of a source line --------------------------------------------------------- */

/* A source file's lines, hashed, read once per process: what a schedule's
 * program point is named by (dr_where_point), so that an edit elsewhere in
 * the file, which moves lines, does not rename it. */
typedef struct srcfile {
    struct srcfile *next;
    const char *path; /* interned */
    uint64_t *hash;   /* hash[i]: line i + 1; NULL: unreadable */
    size_t nlines;
} srcfile;
static srcfile *srcfiles;

/* FNV-1a of the line with whitespace, comments and a trailing backslash
 * left out: reformatting or commenting a line keeps its name. A block
 * comment is followed across lines (*in_comment); string and character
 * literals are kept whole. Never 0 (0 means "unknown"). */
static uint64_t hash_line(const char *p, const char *end, bool *in_comment)
{
    uint64_t h = 0xcbf29ce484222325ull;
    char quote = 0;
    for (; p < end; p++) {
        if (*in_comment) {
            if (p + 1 < end && p[0] == '*' && p[1] == '/') {
                *in_comment = false;
                p++;
            }
            continue;
        }
        if (quote) {
            if (*p == '\\' && p + 1 < end) {
                h = (h ^ (unsigned char)*p++) * 0x100000001b3ull;
            } else if (*p == quote) {
                quote = 0;
            }
        } else if (*p == '"' || *p == '\'') {
            quote = *p;
        } else if (p + 1 < end && p[0] == '/' && p[1] == '/') {
            break;
        } else if (p + 1 < end && p[0] == '/' && p[1] == '*') {
            *in_comment = true;
            p++;
            continue;
        } else if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\f' || *p == '\v' || (*p == '\\' && p + 1 == end)) {
            continue;
        }
        h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
    }
    return h ? h : 1;
}

static srcfile *src_read(const char *path)
{
    for (srcfile *f = srcfiles; f; f = f->next)
        if (f->path == path)
            return f;
    srcfile *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->path = path;
    f->next = srcfiles;
    srcfiles = f;
    FILE *in = fopen(path, "rb");
    if (!in)
        return f;
    char *buf = NULL;
    size_t cap = 0, len = 0;
    for (;;) {
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 1 << 16;
            char *nb = ncap <= (64u << 20) ? realloc(buf, ncap) : NULL;
            if (!nb) {
                free(buf);
                fclose(in);
                return f;
            }
            buf = nb;
            cap = ncap;
        }
        size_t k = fread(buf + len, 1, cap - len, in);
        if (k == 0)
            break;
        len += k;
    }
    fclose(in);
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += buf[i] == '\n';
    f->hash = malloc(lines * sizeof *f->hash);
    if (f->hash) {
        bool comment = false;
        const char *p = buf, *end = buf + len;
        while (f->nlines < lines) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            const char *stop = nl ? nl : end;
            f->hash[f->nlines++] = hash_line(p, stop, &comment);
            if (!nl)
                break;
            p = nl + 1;
        }
    }
    free(buf);
    return f;
}

static uint64_t line_text(const char *file, int line)
{
    const char *path = intern(file);
    srcfile *f = path ? src_read(path) : NULL;
    return f && f->hash && line >= 1 && (size_t)line <= f->nlines ? f->hash[line - 1] : 0;
}

/* ---- one address -------------------------------------------------------------------------- */

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

/* dmarace's own code: the engine, the model, and the model's headers (in
 * this tree, or installed: dr_program.tool_include). */
static bool tool_file(const char *file)
{
    const char *rest;
    return under(file, DR_SOURCE_DIR "/harness", &rest) || under(file, DR_SOURCE_DIR "/model", &rest) ||
           under(file, dr_program.tool_include, &rest);
}

/* A path as reports show it: relative to the driver's project, or to this
 * tree (the built-in scenarios), else as the debug information has it. */
static const char *shown(const char *file)
{
    const char *rest;
    if (!under(file, dr_program.driver_root, &rest) && !under(file, DR_SOURCE_DIR, &rest))
        rest = file;
    return rest;
}

static void resolve(entry *e)
{
    Dwfl *d = session();
    /* A return address is the instruction after the call: the call is the
     * byte before it. */
    Dwarf_Addr addr = (Dwarf_Addr)e->pc - 1;
    Dwfl_Module *mod = d ? dwfl_addrmodule(d, addr) : NULL;
    Dwfl_Line *line = mod ? dwfl_module_getsrc(mod, addr) : NULL; /* loads the module's ELF */
    int lineno = 0, col = 0;
    const char *file = line ? dwfl_lineinfo(line, NULL, &lineno, &col, NULL, NULL) : NULL;
    if (!file || !main_module(mod))
        return;
    e->at_file = intern(file);
    e->at_line = lineno;
    e->at_col = col;
    const char *sym = dwfl_module_addrname(mod, addr);
    e->at_func = sym ? intern(sym) : NULL;
    Dwarf_Addr bias = 0;
    Dwarf_Die *cu = dwfl_module_addrdie(mod, addr, &bias);
    Dwarf_Die chain[CHAIN_MAX];
    int n = cu ? chain_at(cu, addr - bias, chain, 0) : 0;
    const char *func = n ? die_name(&chain[n - 1]) : NULL;
    /* A model header's inline function (NT_ASSERT's KmAssertFailedMsg, an
     * accessor) the compiler inlined into the driver: the driver's line is
     * the one it was inlined at. */
    for (int i = n - 1; tool_file(file) && i > 0 && dwarf_tag(&chain[i]) == DW_TAG_inlined_subroutine; i--) {
        int cl;
        const char *cf = call_file(cu, &chain[i], &cl);
        if (!cf)
            break;
        file = cf;
        lineno = cl;
        func = die_name(&chain[i - 1]);
    }
    if (tool_file(file))
        return;
    /* Line 0: code of no one line, e.g. one call the optimiser made of the
     * same call on several lines. The function's own line stands for it. */
    if (lineno <= 0 && n && dwarf_decl_line(&chain[n - 1], &lineno) != 0)
        lineno = 0;
    if (lineno <= 0)
        return;
    if (!func)
        func = dwfl_module_addrname(mod, addr);
    e->loc.file = intern(shown(file));
    e->loc.func = intern(func ? func : "?");
    e->loc.line = lineno;
    e->text = line_text(file, lineno);
    const char *outer = n ? die_name(&chain[0]) : NULL;
    e->entry_func = outer ? intern(outer) : e->loc.func;
    e->driver = e->loc.file && e->loc.func && e->entry_func;
}

static entry *lookup(uintptr_t pc)
{
    if (!pc || (!cache && !(cache = calloc(CACHE, sizeof *cache))))
        return NULL;
    entry *e = &cache[(pc >> 2) * 0x9e3779b1u % CACHE];
    if (e->pc != pc) { /* a collision replaces the older entry (its names stay interned) */
        memset(e, 0, sizeof *e);
        e->pc = pc;
        resolve(e);
    }
    return e;
}

/* The innermost driver frame of a stack, or NULL. */
static const entry *driver_frame(const uintptr_t *pc, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const entry *e = lookup(pc[i]);
        if (e && e->driver)
            return e;
    }
    return NULL;
}

bool dr_where(const uintptr_t *pc, size_t n, dr_srcloc *out)
{
    const entry *e = driver_frame(pc, n);
    if (e)
        *out = e->loc;
    return e != NULL;
}

bool dr_where_point(const uintptr_t *pc, size_t n, dr_point_loc *out)
{
    const entry *e = driver_frame(pc, n);
    if (e)
        *out = (dr_point_loc){e->loc.func, e->loc.file, (uint32_t)e->loc.line, e->text};
    return e != NULL;
}

bool dr_where_volatile(uintptr_t pc)
{
    entry *e = lookup(pc);
    if (!e)
        return false;
    if (!e->vol)
        e->vol = e->at_file && e->at_line > 0 &&
                         dr_volatile_site_at(e->at_file, (unsigned)e->at_line, (unsigned)e->at_col)
                     ? 2
                     : 1;
    return e->vol == 2;
}

void dr_where_site_text(const dr_srcloc *l, char *out, size_t len)
{
    snprintf(out, len, "%s:%d %s", l->file, l->line, l->func);
}

bool dr_where_site(uintptr_t pc, char *out, size_t len)
{
    dr_srcloc l;
    if (!dr_where(&pc, 1, &l)) {
        /* Not the driver's (dmarace's own canaries): the line table's row. */
        const entry *e = lookup(pc);
        if (!e || !e->at_file || e->at_line <= 0)
            return false;
        l = (dr_srcloc){.file = shown(e->at_file), .line = e->at_line, .func = e->at_func ? e->at_func : "?"};
    }
    dr_where_site_text(&l, out, len);
    return true;
}

size_t dr_where_callbacks(const uintptr_t *pc, size_t n, dr_srcloc *out, size_t max)
{
    size_t k = 0;
    const entry *outer = NULL; /* the outermost driver frame of the run being read */
    for (size_t i = 0; i <= n; i++) {
        const entry *e = i < n ? lookup(pc[i]) : NULL;
        if (e && e->driver) {
            outer = e;
            continue;
        }
        if (outer && k < max) {
            out[k] = outer->loc;
            out[k].func = outer->entry_func;
            k++;
        }
        outer = NULL;
    }
    /* found innermost first: outermost first for the caller */
    for (size_t a = 0, b = k ? k - 1 : 0; a < b; a++, b--) {
        dr_srcloc t = out[a];
        out[a] = out[b];
        out[b] = t;
    }
    return k;
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
