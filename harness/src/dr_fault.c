/* dr_fault.c: the engine's own findings, from the one table in dr_fault.h. */
#include "dr_fault.h"

#include <stdio.h>
#include <string.h>

const char *dr__fault_name(dr_fault f)
{
    switch (f) {
#define DR_X(name, kind, title, fmt, params, args)                                                           \
    case DR_FAULT_##name:                                                                                    \
        return #name;
        DR_ENGINE_FAULTS(DR_X)
#undef DR_X
    }
    return "?";
}

const char *dr__fault_title(dr_fault f)
{
    switch (f) {
#define DR_X(name, kind, title, fmt, params, args)                                                           \
    case DR_FAULT_##name:                                                                                    \
        return title;
        DR_ENGINE_FAULTS(DR_X)
#undef DR_X
    }
    return "?";
}

static dr_rule_info_fn rule_info;

void dr_set_rule_info(dr_rule_info_fn fn) { rule_info = fn; }

bool dr_rule_describe(const char *rule, dr_rule_info *out, char *buf, size_t len)
{
    *out = (dr_rule_info){NULL, NULL, NULL, NULL};
    if (!rule || !rule[0])
        return false;
    if (rule_info && rule_info(rule, out, buf, len))
        return true;
#define DR_X(name_, kind, title, fmt, params, args)                                                          \
    if (strcmp(rule, #name_) == 0) {                                                                         \
        *out = (dr_rule_info){#name_, "the engine's own finding: " title, "harness/src/dr_fault.h", NULL};   \
        return true;                                                                                         \
    }
    DR_ENGINE_FAULTS(DR_X)
#undef DR_X
#define DR_X(name_, what)                                                                                    \
    if (strcmp(rule, #name_) == 0) {                                                                         \
        *out = (dr_rule_info){#name_, "the harness's own finding: " what, "harness/src/dr_fault.h", NULL};   \
        return true;                                                                                         \
    }
    DR_HARNESS_RULES(DR_X)
#undef DR_X
    return false;
}

const char *dr__rule_name(dr_harness_rule r)
{
    switch (r) {
#define DR_X(name, what)                                                                                     \
    case DR_RULE_##name:                                                                                     \
        return #name;
        DR_HARNESS_RULES(DR_X)
#undef DR_X
    }
    return "?";
}

dr_finding_kind dr__fault_kind(dr_fault f)
{
    switch (f) {
#define DR_X(name, kind, title, fmt, params, args)                                                           \
    case DR_FAULT_##name:                                                                                    \
        return DR_FIND_##kind;
        DR_ENGINE_FAULTS(DR_X)
#undef DR_X
    }
    return DR_FIND_CRASH;
}

/* The format is a literal here, so -Wformat checks it against the table's
 * parameter types. */
#define DR_X(name, kind, title, fmt, params, args)                                                           \
    void dr__fault_msg_##name(char *buf, size_t len, DR_FAULT_UNPAREN params)                                \
    {                                                                                                        \
        snprintf(buf, len, fmt, DR_FAULT_UNPAREN args);                                                      \
    }
DR_ENGINE_FAULTS(DR_X)
#undef DR_X
