/* bench_engine.c: engine overhead. Prints, as medians of repeated runs:
 *   - the raw fiber switch (two fibers ping-ponging);
 *   - nanoseconds per scheduling decision and fiber switches per second,
 *     on a program of two processors that do nothing but reach scheduling
 *     points, under the random strategy (every point is a 2-way decision);
 *   - the same with the running task always continuing (decisions that
 *     cost no switch).
 * Usage: bench_engine [reps]   (default 7) */
#include "dr/dr_engine.h"
#include "dr_fiber.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- raw switch ---- */
static dr_fiber main_f, a_f;
static volatile long pings;

static void a_entry(void)
{
    dr_fiber_entered();
    for (;;) {
        pings++;
        dr_fiber_switch(&a_f, &main_f, false, false);
    }
}

static double raw_switch_ns(long n)
{
    double t0 = now_ns();
    for (long i = 0; i < n; i++)
        dr_fiber_switch(&main_f, &a_f, false, false);
    return (now_ns() - t0) / (double)(2 * n);
}

/* ---- scheduling decisions ---- */
enum { POINTS = 2000 };
DR_SITE(site_point, "bench-point");

static void spinner(void *arg)
{
    (void)arg;
    for (int i = 0; i < POINTS; i++)
        dr_yield(&site_point);
}

static void bench_setup(void)
{
    dr_thread_create(0, spinner, NULL, "a");
    dr_thread_create(1, spinner, NULL, "b");
}

static const dr_scenario bench_scn = {"bench-yield", "two processors yielding", "clean", 2, 2, 1, bench_setup, NULL, NULL, 0};

int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 7;
    if (reps < 1 || reps > 101)
        reps = 7;
    double v[101];

    dr_fiber_init_main(&main_f);
    if (!dr_fiber_alloc(&a_f))
        return 3;
    dr_fiber_prepare(&a_f, a_entry);
    raw_switch_ns(100000);
    for (int r = 0; r < reps; r++)
        v[r] = raw_switch_ns(2000000);
    printf("raw fiber switch:            %6.1f ns (median of %d)\n", median(v, reps), reps);

    dr_run_config cfg = {.step_budget = 10 * POINTS};
    double sw[101];
    for (int mode = 0; mode < 2; mode++) {
        for (int r = 0; r < reps; r++) {
            dr_strategy *st = mode == 0 ? dr_strategy_random((uint64_t)r + 1) : dr_strategy_bytes(NULL, 0);
            uint64_t decisions = 0, switches = 0;
            double t0 = now_ns();
            for (int e = 0; e < 200; e++) {
                dr_exec_result res;
                dr_run(&bench_scn, &cfg, st, (uint64_t)e, &res);
                decisions += res.choices;
                switches += res.preemptions;
                if (mode == 1)
                    decisions += res.steps; /* the tape strategy decides nothing: count points */
            }
            double dt = now_ns() - t0;
            v[r] = dt / (double)decisions;
            sw[r] = (double)switches / (dt * 1e-9);
            dr_strategy_destroy(st);
        }
        if (mode == 0) {
            printf("scheduling decision (random): %6.1f ns per decision (median of %d)\n", median(v, reps), reps);
            printf("fiber switches:               %6.2f M per second while deciding\n", median(sw, reps) / 1e6);
        } else {
            printf("scheduling point, no switch:  %6.1f ns per point (median of %d)\n", median(v, reps), reps);
        }
    }
    dr_engine_shutdown();
    return 0;
}
