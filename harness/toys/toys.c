/* toys.c: small built-in programs that exercise the engine itself. They are
 * scenarios like any other (dmarace list shows them), but know nothing of
 * KMDF: they are the engine's own canaries and its default demonstration. */
#include "dr/dr.h"
#include "toy_plain.h"

#include <stdio.h>
#include <string.h>

/* ---- toy-lost-update: plain C increment on two processors ------------------ */

static void inc_thread(void *arg)
{
    (void)arg;
    toy_plain_increment();
}

static void lost_setup(void)
{
    toy_counter = 0;
    dr_thread_create(0, inc_thread, NULL, "inc0");
    dr_thread_create(1, inc_thread, NULL, "inc1");
}

static void lost_check(void)
{
    if (toy_counter != 2)
        dr_fail(DR_FIND_CHECK, "lost update: unlocked increment", "counter is %d after two increments", toy_counter);
}

/* Where driver accesses are scheduling points (clang) and the built-in race
 * detector is on (every such build but tsan, where ThreadSanitizer is), the
 * unlocked increment is a data race before it is a lost update. */
#if defined(__clang__) && !defined(DR_TSAN_HOOKS)
#define LOST_UPDATE_VERDICT "data-race"
#else
#define LOST_UPDATE_VERDICT "check"
#endif

static const dr_scenario toy_lost_update = {
    .name = "toy-lost-update",
    .summary = "plain C counter++ (no dmarace calls) on two processors",
    .expect = LOST_UPDATE_VERDICT,
    .cpus = 2,
    .max_cpus = 2,
    .version = 1,
    .setup = lost_setup,
    .check = lost_check,
};
DR_SCENARIO(toy_lost_update)

/* ---- toy-volatile-flag: data published behind a volatile flag ---------------- */
/* Race-free where a volatile write releases and a volatile read acquires
 * (MSVC's /volatile:ms, the race detector's default reading); a data race on
 * toy_data and on the flag where volatile is a plain access (ISO C:
 * --volatile iso). The fiber engine's memory is sequentially consistent,
 * so the check holds either way: the reading decides the verdict. */

static int consumed;

static void publish_thread(void *arg)
{
    (void)arg;
    toy_plain_publish(42);
}

static void consume_thread(void *arg)
{
    (void)arg;
    consumed = toy_plain_consume();
}

static void volatile_setup(void)
{
    toy_data = 0;
    toy_flag = 0;
    consumed = 0;
    dr_thread_create(0, publish_thread, NULL, "publisher");
    dr_thread_create(1, consume_thread, NULL, "consumer");
}

static void volatile_check(void)
{
    if (consumed != -1 && consumed != 42)
        dr_fail(DR_FIND_CHECK, "volatile flag: stale data", "the consumer saw the flag and read %d", consumed);
}

static const dr_scenario toy_volatile_flag = {
    .name = "toy-volatile-flag",
    .summary = "data behind a volatile flag: clean as /volatile:ms, a data race as ISO C (--volatile iso)",
    .expect = "clean",
    .cpus = 2,
    .max_cpus = 2,
    .version = 1,
    .setup = volatile_setup,
    .check = volatile_check,
};
DR_SCENARIO(toy_volatile_flag)

/* ---- toy-interleave: two tasks of three steps each, no bug ------------------- */

char toy_order[8];
static int order_len;
DR_SITE(site_step, "toy-step");

/* A scheduling point between visible steps (not before the first: starting
 * a task is already a decision), so choice sequences and step orders match
 * one to one. */
static void three_steps(void *arg)
{
    char who = *(const char *)arg;
    for (int i = 0; i < 3; i++) {
        if (i)
            dr_yield(&site_step);
        toy_order[order_len++] = who;
    }
}

static void inter_setup(void)
{
    static const char a = 'A', b = 'B';
    memset(toy_order, 0, sizeof toy_order);
    order_len = 0;
    dr_thread_create(0, three_steps, (void *)&a, "A");
    dr_thread_create(1, three_steps, (void *)&b, "B");
}

static const dr_scenario toy_interleave = {
    .name = "toy-interleave",
    .summary = "two processors, three visible steps each, no bug",
    .expect = "clean",
    .cpus = 2,
    .max_cpus = 2,
    .version = 1,
    .setup = inter_setup,
};
DR_SCENARIO(toy_interleave)

/* ---- toy-depth2: a bug that needs two ordering constraints --------------------
 * T1 sets a flag and clears it ten steps later; T2 checks it after its own
 * ten steps. The bug shows only if T2's check falls between T1's set and
 * clear: PCT depth 2 finds it with probability >= 1/(n k). */

static int flag;
DR_SITE(site_work, "toy-work");

static void setter(void *arg)
{
    (void)arg;
    for (int i = 0; i < 10; i++)
        dr_yield(&site_work);
    flag = 1;
    for (int i = 0; i < 10; i++)
        dr_yield(&site_work);
    flag = 0;
}

static void checker(void *arg)
{
    (void)arg;
    for (int i = 0; i < 10; i++)
        dr_yield(&site_work);
    dr_yield(&site_work);
    if (flag)
        dr_fail(DR_FIND_ASSERT, "depth-2 toy: transient flag observed", "checker saw the flag set");
}

static void depth2_setup(void)
{
    flag = 0;
    dr_thread_create(0, setter, NULL, "setter");
    dr_thread_create(1, checker, NULL, "checker");
}

static const dr_scenario toy_depth2 = {
    .name = "toy-depth2",
    .summary = "planted depth-2 ordering bug between two processors",
    .expect = "assertion",
    .cpus = 2,
    .max_cpus = 2,
    .version = 1,
    .setup = depth2_setup,
};
DR_SCENARIO(toy_depth2)

/* ---- toy-abba: two spin locks taken in opposite orders ----------------------- */

static dr_spinlock lock_a, lock_b;

static void ab(void *arg)
{
    (void)arg;
    unsigned o1 = dr_spin_acquire(&lock_a);
    unsigned o2 = dr_spin_acquire(&lock_b);
    dr_spin_release(&lock_b, o2);
    dr_spin_release(&lock_a, o1);
}

static void ba(void *arg)
{
    (void)arg;
    unsigned o1 = dr_spin_acquire(&lock_b);
    unsigned o2 = dr_spin_acquire(&lock_a);
    dr_spin_release(&lock_a, o2);
    dr_spin_release(&lock_b, o1);
}

static void abba_setup(void)
{
    dr_spinlock_init(&lock_a, "A");
    dr_spinlock_init(&lock_b, "B");
    dr_thread_create(0, ab, NULL, "ab");
    dr_thread_create(1, ba, NULL, "ba");
}

static const dr_scenario toy_abba = {
    .name = "toy-abba",
    .summary = "spin locks A then B on P0, B then A on P1",
    .expect = "deadlock",
    .cpus = 2,
    .max_cpus = 2,
    .version = 1,
    .setup = abba_setup,
};
DR_SCENARIO(toy_abba)

/* ---- toy-spin-forever: waits for a flag nobody sets --------------------------- */

static volatile int never;
DR_SITE(site_poll, "toy-poll");

static void poller(void *arg)
{
    (void)arg;
    while (!never)
        dr_yield(&site_poll);
}

static void idler(void *arg)
{
    (void)arg;
    dr_yield(&site_poll);
}

static void livelock_setup(void)
{
    never = 0;
    dr_thread_create(0, poller, NULL, "poller");
    dr_thread_create(1, idler, NULL, "idler");
}

static const dr_scenario toy_livelock = {
    .name = "toy-livelock",
    .summary = "a processor polls a flag that is never set",
    .expect = "livelock",
    .cpus = 2,
    .max_cpus = 2,
    .version = 1,
    .setup = livelock_setup,
};
DR_SCENARIO(toy_livelock)

/* ---- toy-null-deref: a driver bug that faults -------------------------------------
 * One path frees (NULLs) a shared buffer pointer while the other may still use
 * it: a NULL write on one interleaving, which must be a crash finding with a
 * tape, not a dead campaign. */

static int *volatile shared_buf;
static int buf_storage;

static void user(void *arg)
{
    (void)arg;
    int *p = shared_buf;
    dr_yield(&site_work);
    p = shared_buf;
    *p = 1;
}

static void freer(void *arg)
{
    (void)arg;
    dr_yield(&site_work);
    shared_buf = NULL;
}

static void null_setup(void)
{
    shared_buf = &buf_storage;
    dr_thread_create(0, user, NULL, "user");
    dr_thread_create(1, freer, NULL, "freer");
}

static const dr_scenario toy_null_deref = {
    .name = "toy-null-deref",
    .summary = "use of a pointer another processor cleared (faults)",
    .expect = "crash",
    .cpus = 2,
    .max_cpus = 2,
    .version = 1,
    .setup = null_setup,
};
DR_SCENARIO(toy_null_deref)

/* ---- toy-odd-title: a finding whose title and message are arbitrary bytes ----------
 * A driver's NT_ASSERT text is whatever the driver wrote: a newline, a tab,
 * a terminal escape, UTF-8 and bytes that are not UTF-8. The tape, the
 * reports and every printer must carry them through unchanged or escaped. */

static int odd_ready, odd_seen;

static void odd_writer(void *arg)
{
    (void)arg;
    dr_yield(&site_work);
    odd_ready = 1;
}

static void odd_reader(void *arg)
{
    (void)arg;
    dr_yield(&site_work);
    odd_seen = odd_ready;
}

static void odd_setup(void)
{
    odd_ready = odd_seen = 0;
    dr_thread_create(0, odd_writer, NULL, "writer");
    dr_thread_create(1, odd_reader, NULL, "reader");
}

/* At the end of the execution, so that every interleaving takes as many steps. */
static void odd_check(void)
{
    if (!odd_seen)
        dr_fail(DR_FIND_ASSERT, "odd title: line one\nline two\ttab \x1b[31mred\x1b[0m caf\xc3\xa9 \xff end",
                "the driver's message: \"quoted\"\nsecond line \x1b]0;title\x07 \xfe\xff");
}

static const dr_scenario toy_odd_title = {
    .name = "toy-odd-title",
    .summary = "a finding whose title has a newline, a tab, ESC, UTF-8 and a 0xff byte",
    .expect = "assertion:odd title",
    .cpus = 2,
    .max_cpus = 2,
    .version = 1,
    .setup = odd_setup,
    .check = odd_check,
};
DR_SCENARIO(toy_odd_title)

/* ---- toy-many-findings: 300 distinct findings ----------------------------------
 * One data choice among 300 names the finding: a campaign must list every
 * distinct one (the table of distinct findings grows past 256). */
DR_SITE(site_many, "toy-many");

static void many_task(void *arg)
{
    (void)arg;
    uint32_t v = dr_choose(&site_many, 300);
    char title[64];
    snprintf(title, sizeof title, "many findings: number %u", v);
    dr_fail(DR_FIND_CHECK, title, "finding number %u of 300", v);
}

static void many_setup(void) { dr_thread_create(0, many_task, NULL, "many"); }

static const dr_scenario toy_many_findings = {
    .name = "toy-many-findings",
    .summary = "300 distinct findings (one data choice names each)",
    .expect = "check",
    .cpus = 1,
    .max_cpus = 1,
    .version = 1,
    .setup = many_setup,
};
DR_SCENARIO(toy_many_findings)

/* ---- toy-notice: a scenario that notes what it leaves unexplored ---------------
 * Its set-up calls dr_notice in every execution, twice with one text: the run's
 * summary shows each distinct text once, from every worker. */
static volatile int notice_sink;

static void notice_task(void *arg)
{
    (void)arg;
    notice_sink++;
}

static void notice_setup(void)
{
    dr_notice("toy-notice: nothing here is explored");
    dr_notice("toy-notice: nothing here is explored");
    dr_notice("toy-notice: a second fact");
    dr_thread_create(0, notice_task, NULL, "notice");
}

static const dr_scenario toy_notice = {
    .name = "toy-notice",
    .summary = "notes two facts for the summary (dr_notice), each once",
    .expect = "clean",
    .cpus = 1,
    .max_cpus = 1,
    .version = 1,
    .setup = notice_setup,
};
DR_SCENARIO(toy_notice)
