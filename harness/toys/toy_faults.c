/* toy_faults.c: the fault matrix (docs/faults.md). Each scenario is a driver
 * task that, on one value of a data choice, does something no model check
 * sees and the process cannot survive in every build: a NULL store, abort(),
 * unbounded recursion, a loop that touches only its own stack, an array
 * index past the end (UBSan), stack frames over 4 KiB. Whatever the build,
 * each must be a finding with a tape, the campaign must go on, and the tape
 * must replay to the same finding. Compiled as driver code (access
 * scheduling points, the sanitizers, -fstack-clash-protection). */
#include "dr/dr.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

DR_SITE(site_fault, "fault-choice");
DR_SITE(site_other, "fault-other");

static int *volatile null_ptr;
static volatile int go = 1;

static void null_store(void) { *null_ptr = 1; }

static void do_abort(void) { abort(); }

/* Frames of 512 bytes until the stack runs out. */
static int recurse(volatile char *prev, int depth, int more)
{
    volatile char buf[512];
    buf[0] = (char)depth;
    buf[511] = prev ? prev[0] : 0;
    if (more)
        return recurse(buf, depth + 1, more) + buf[1];
    return buf[511];
}
static void recursion(void) { (void)recurse(NULL, 0, go); }

/* No scheduling point: nothing but its own stack. */
static void local_loop(void)
{
    volatile unsigned x = 0;
    int more = go;
    while (more)
        x++;
}

/* An index past the end of an array member that ends at a PROT_NONE page:
 * UBSan's bounds check where it is on, a fault where it is not. */
struct oob {
    char pad[4096 - 4 * sizeof(int)];
    int a[4];
};
static struct oob *oob_obj;
static volatile int oob_index = 4;
static void out_of_bounds(void) { oob_obj->a[oob_index] = 1; }

/* Frames of 16 KiB: without stack-clash probes the stack pointer would jump
 * a guard page into whatever lies below the stack. */
static int big_frames(int depth, int more)
{
    volatile char buf[16384];
    buf[0] = (char)depth;
    if (more)
        return big_frames(depth + 1, more) + buf[16383];
    return buf[0];
}
static void big_frame(void) { (void)big_frames(0, go); }

typedef struct {
    void (*fault)(void);
    uint32_t n; /* the fault on choice n-1 of n */
} fault_row;

static void victim(void *arg)
{
    const fault_row *row = arg;
    if (dr_choose(&site_fault, row->n) == row->n - 1)
        row->fault();
}

static void other(void *arg)
{
    (void)arg;
    dr_yield(&site_other);
    dr_yield(&site_other);
}

static const fault_row *current_row(void) { return dr_scenario_current()->data; }

static void fault_setup(void)
{
    if (!oob_obj) {
        long page = sysconf(_SC_PAGESIZE);
        char *m = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m != MAP_FAILED && mprotect(m + page, (size_t)page, PROT_NONE) == 0)
            oob_obj = (struct oob *)(void *)(m + page - (long)sizeof(struct oob));
    }
    dr_thread_create(0, victim, (void *)current_row(), "victim");
    dr_thread_create(1, other, NULL, "other");
}

#define FAULT_TOY(var, name_, fn, n, expect_, what)                                                          \
    static const fault_row var##_row = {fn, n};                                                             \
    static const dr_scenario var = {                                                                         \
        .name = name_,                                                                                       \
        .summary = what,                                                                                     \
        .expect = expect_,                                                                                   \
        .cpus = 2,                                                                                           \
        .max_cpus = 2,                                                                                       \
        .version = 1,                                                                                        \
        .setup = fault_setup,                                                                                \
        .data = &var##_row,                                                                                  \
        .budget = 1000, /* swarm: the data choice leaves 0 in a quarter of the executions */                 \
    };                                                                                                       \
    DR_SCENARIO(var)

FAULT_TOY(toy_fault_null_store, "toy-fault-null-store", null_store, 4, "crash", "fault matrix: a NULL store")
FAULT_TOY(toy_fault_abort, "toy-fault-abort", do_abort, 4, "crash", "fault matrix: abort()")
FAULT_TOY(toy_fault_recursion, "toy-fault-recursion", recursion, 4, "crash", "fault matrix: unbounded recursion")
FAULT_TOY(toy_fault_local_loop, "toy-fault-local-loop", local_loop, 4, "hang",
          "fault matrix: a loop that touches only its own stack")
FAULT_TOY(toy_fault_oob, "toy-fault-oob", out_of_bounds, 4, "crash", "fault matrix: an array index past the end")
FAULT_TOY(toy_fault_big_frame, "toy-fault-big-frame", big_frame, 4, "crash",
          "fault matrix: stack frames of 16 KiB until the stack runs out")
