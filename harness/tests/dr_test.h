/* dr_test.h: a minimal test harness: checks count, failures print file:line,
 * and the run ends with the "N passed, N failed" line CI understands. */
#ifndef DR_TEST_H
#define DR_TEST_H
#include <inttypes.h>
#include <stdio.h>

static int dr_t_pass, dr_t_fail;

#define CHECK(cond)                                                                                        \
    do {                                                                                                   \
        if (cond)                                                                                          \
            dr_t_pass++;                                                                                   \
        else {                                                                                             \
            dr_t_fail++;                                                                                   \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);                       \
        }                                                                                                  \
    } while (0)

#define CHECK_EQ(a, b)                                                                                     \
    do {                                                                                                   \
        unsigned long long va_ = (unsigned long long)(a), vb_ = (unsigned long long)(b);                   \
        if (va_ == vb_)                                                                                    \
            dr_t_pass++;                                                                                   \
        else {                                                                                             \
            dr_t_fail++;                                                                                   \
            fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %s (%llu vs %llu)\n", __FILE__, __LINE__, #a,  \
                    #b, va_, vb_);                                                                         \
        }                                                                                                  \
    } while (0)

#define TEST_DONE()                                                                                        \
    do {                                                                                                   \
        printf("%d passed, %d failed\n", dr_t_pass, dr_t_fail);                                            \
        return dr_t_fail ? 1 : 0;                                                                          \
    } while (0)
#endif
