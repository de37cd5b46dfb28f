/* dr_mirror.c: the shared mirror of the execution in progress (dr_mirror.h). */
#include "dr_mirror_hook.h"
#include "dr_sanitizer.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#if DR_ASAN || DR_TSAN
#include <sanitizer/common_interface_defs.h>
#endif
#if DR_ASAN
#include <sanitizer/asan_interface.h>
#endif

dr_mirror *dr__mirror;

static size_t mirror_bytes(uint64_t cap) { return sizeof(dr_mirror) + cap * sizeof(dr_tape_rec); }

dr_mirror *dr_mirror_map(uint64_t cap)
{
    dr_mirror *m = mmap(NULL, mirror_bytes(cap), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE,
                        -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    m->cap = cap;
    return m;
}

void dr_mirror_unmap(dr_mirror *m)
{
    if (m)
        munmap(m, mirror_bytes(m->cap));
}

void dr_mirror_reset(dr_mirror *m)
{
    m->steps = 0;
    m->nrec = 0;
    m->sanitizer = 0;
    m->raced = 0;
    m->what[0] = 0;
    m->race.naccess = 0;
    m->race.what[0] = 0;
}

#if DR_ASAN || DR_TSAN
/* Runs when a sanitizer is about to end the process (after its report). */
static void on_sanitizer_death(void)
{
    dr_mirror *m = dr__mirror;
    if (!m)
        return;
#if DR_ASAN
    if (__asan_report_present()) {
        const char *d = __asan_get_report_description();
        if (d)
            snprintf(m->what, sizeof m->what, "%s", d);
    }
#endif
    m->sanitizer = 1;
}
#endif

void dr_mirror_attach(dr_mirror *m)
{
    dr__mirror = m;
#if DR_ASAN || DR_TSAN
    __sanitizer_set_death_callback(m ? on_sanitizer_death : NULL);
#endif
}
