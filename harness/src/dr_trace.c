/* dr_trace.c: the step-by-step trace of one execution, with stable names
 * (P0.., T<n> tasks and events, REQ1.. model objects), never pointers. */
#include "dr_hash.h"
#include "dr_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define G dr__g

uint64_t dr__site_hash(const dr_site *site)
{
    if (!site->hash)
        ((dr_site *)site)->hash = dr_fnv1a_str(site->name) | 1;
    return site->hash;
}

void dr__trace_reset(void) { G.ntrace = 0; }

const dr_trace_rec *dr__trace_records(size_t *n)
{
    *n = G.ntrace;
    return G.trace;
}

void dr__trace_add(const dr_trace_rec *r)
{
    if (G.ntrace == G.trace_cap) {
        size_t cap = G.trace_cap ? G.trace_cap * 2 : 4096;
        dr_trace_rec *t = realloc(G.trace, cap * sizeof *t);
        if (!t)
            return; /* the text trace is best effort; the digest is not affected */
        G.trace = t;
        G.trace_cap = cap;
    }
    G.trace[G.ntrace++] = *r;
}

static const char *irql_name(unsigned irql)
{
    switch (irql) {
    case DR_PASSIVE_LEVEL:
        return "PASSIVE";
    case DR_APC_LEVEL:
        return "APC";
    case DR_DISPATCH_LEVEL:
        return "DISPATCH";
    default:
        return "HIGH";
    }
}

void dr_trace_print(FILE *out)
{
    for (size_t i = 0; i < G.ntrace; i++) {
        const dr_trace_rec *r = &G.trace[i];
        /* names and titles are the driver's text: shown escaped (dr_text.c) */
        char who[64], what[4 * 160 + 1], full[sizeof what + 48];
        dr_text_esc(r->what ? r->what : "?", what, sizeof what);
        if (r->task)
            snprintf(full, sizeof full, "P%u T%" PRIu32 "(%s) %s", r->cpu, r->task, what, irql_name(r->irql));
        else
            snprintf(full, sizeof full, "main");
        size_t wl = strnlen(full, sizeof who - 1); /* the column holds 63 bytes, as it always did */
        memcpy(who, full, wl);
        who[wl] = 0;
        switch ((dr_trace_type)r->type) {
        case DR_TR_SCHED:
            if (r->other == r->task)
                fprintf(out, "%6" PRIu64 "  %-36s at %s\n", r->step, who, r->site ? r->site->name : "?");
            else
                fprintf(out, "%6" PRIu64 "  %-36s at %s -> switch to T%" PRIu32 "\n", r->step, who,
                        r->site ? r->site->name : "?", r->other);
            break;
        case DR_TR_START:
            fprintf(out, "%6" PRIu64 "  %-36s DPC T%" PRIu32 "(%s) starts on this processor\n", r->step, who,
                    r->other, what);
            break;
        case DR_TR_END:
            fprintf(out, "%6" PRIu64 "  %-36s finished\n", r->step, who);
            break;
        case DR_TR_FIRE:
            fprintf(out, "%6" PRIu64 "  event T%" PRIu32 "(%s) fires\n", r->step, r->other, what);
            break;
        case DR_TR_TIMER:
            fprintf(out, "%6" PRIu64 "  clock advances to %" PRIu32 ": timer %s expires\n", r->step, r->other,
                    what);
            break;
        case DR_TR_CHOICE:
            fprintf(out, "%6" PRIu64 "  %-36s choice %s = %" PRIu32 "\n", r->step, who, r->site->name, r->other);
            break;
        case DR_TR_MODEL:
            if (r->kind)
                fprintf(out, "%6" PRIu64 "  %-36s %s %s%" PRIu32 " %" PRId64 "\n", r->step, who, r->site->name,
                        r->kind->prefix, r->id, r->value);
            else
                fprintf(out, "%6" PRIu64 "  %-36s %s %" PRId64 "\n", r->step, who, r->site->name, r->value);
            break;
        case DR_TR_FINDING:
            fprintf(out, "%6" PRIu64 "  %-36s FINDING %s: %s\n", r->step, who,
                    dr_finding_kind_name((dr_finding_kind)r->other), what);
            break;
        }
    }
}
