/* dr_fault.c: the engine's own findings, from the one table in dr_fault.h. */
#include "dr_fault.h"

#include <stdio.h>

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
