/* dr_sarif.c: a finding's SARIF 2.1.0 for code scanning (its rule, its
 * result at the driver line, one thread flow per processor) and the
 * campaign's, merged from the findings' own (dr_story.h). */
#include "dr_explain.h"
#include "dr_story.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* A SARIF physicalLocation of a driver line, relative to the source root. */
static void sarif_put_physical(FILE *f, const dr_srcloc *l)
{
    fputs("\"physicalLocation\": {\"artifactLocation\": {\"uri\": ", f);
    dr_json_put_str(f, l->file);
    fprintf(f, ", \"uriBaseId\": \"SRCROOT\"}, \"region\": {\"startLine\": %d}}", l->line);
}

/* ---- SARIF ----------------------------------------------------------------------------------- */

static const char sarif_head[] = "{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n  \"version\": "
                                 "\"2.1.0\",\n  \"runs\": [{\n    \"tool\": {\"driver\": {\"name\": \"dmarace\", \"version\": ";

/* The rule of a finding: its id (dmarace/<rule>), name, descriptions, help
 * (what the rule means, the framework's source that does it, the DDI's
 * documentation page: dr_rule_describe) and default level. A rule nobody
 * describes (a scenario's own check) is told by its finding's title. */
static void sarif_rule(FILE *f, const dr_finding *fd)
{
    char rule[96], text[2400], uri[256];
    dr_report_rule_id(fd, rule, sizeof rule);
    dr_rule_info ri;
    bool known = dr_rule_describe(fd->rule, &ri, uri, sizeof uri);
    fprintf(f, "{\"id\": ");
    dr_json_put_str(f, rule);
    fprintf(f, ", \"name\": ");
    dr_json_put_str(f, known ? ri.name : fd->rule[0] ? fd->rule : dr_finding_kind_name(fd->kind));
    fprintf(f, ", \"shortDescription\": {\"text\": ");
    dr_json_put_str(f, known ? ri.summary : fd->title);
    fprintf(f, "}, \"fullDescription\": {\"text\": ");
    if (known)
        snprintf(text, sizeof text, "%s Rule %s%s%s.", ri.summary, fd->rule, ri.source ? "; the framework's source: " : "",
                 ri.source ? ri.source : "");
    else
        snprintf(text, sizeof text, "[%s] %s", dr_finding_kind_name(fd->kind), fd->title);
    dr_json_put_str(f, text);
    if (fd->kind == DR_FIND_DATA_RACE && strcmp(fd->rule, "RACE") == 0)
        snprintf(text, sizeof text,
                 "dmarace's race detector saw two accesses to the same driver memory, at least one a write and "
                 "not both atomic, by two tasks with no happens-before edge between them (a lock, an interlocked "
                 "operation, or an ordering KMDF guarantees: dmarace's docs/races.md lists the edges); the title "
                 "names both driver lines. The replay command in the result reproduces it exactly.");
    else if (fd->kind == DR_FIND_DATA_RACE)
        snprintf(text, sizeof text,
                 "ThreadSanitizer saw two accesses to the same driver memory, at least one a write, on two "
                 "processors with no happens-before edge between them (a lock, an interlocked operation, or an "
                 "ordering KMDF guarantees: dmarace's docs/tsan.md lists the edges the model gives); the title "
                 "names both driver lines. The replay command in the result reproduces it in the tsan build.");
    else
        snprintf(text, sizeof text,
                 "%s%s%s The report next to the finding's tape tells what happened, step by step and with the "
                 "driver's lines; the replay command in the result reproduces it exactly (dmarace docs/model.md: "
                 "how the model follows KMDF).",
                 known ? ri.summary : "A finding of dmarace.", known && ri.doc_uri ? " Documentation: " : "",
                 known && ri.doc_uri ? ri.doc_uri : "");
    fprintf(f, "}, \"help\": {\"text\": ");
    dr_json_put_str(f, text);
    fputc('}', f);
    if (known && ri.doc_uri) {
        fprintf(f, ", \"helpUri\": ");
        dr_json_put_str(f, ri.doc_uri);
    }
    fprintf(f, ", \"defaultConfiguration\": {\"level\": \"error\"}}");
}

/* A finding's result, after its traced run: located at the driver line,
 * one thread flow per processor. */
static void sarif_result(FILE *f, const dr_report_info *in, const story_item *items, size_t n)
{
    const dr_finding *fd = &in->res->finding;
    char rule[96], where[700], msg[1600], cmd[8600];
    dr_report_rule_id(fd, rule, sizeof rule);
    fprintf(f, "{\n      \"ruleId\": ");
    dr_json_put_str(f, rule);
    fprintf(f, ",\n      \"level\": \"error\",\n      \"message\": {\"text\": ");
    snprintf(msg, sizeof msg, "[%s] %s: %s (%s, scenario %s; replay: %s)", dr_finding_kind_name(fd->kind), fd->title,
             fd->message, dr_report_where(fd, where, sizeof where), in->scn->name,
             dr_cli_replay_command(in->tape_path, false, cmd, sizeof cmd));
    dr_json_put_str(f, msg);
    /* Stable across runs: the dedup key (kind and title) and the driver line. */
    dr_srcloc at;
    bool located = dr_where(fd->pc, fd->npc, &at);
    fprintf(f, "},\n      \"partialFingerprints\": {\"dmaraceFindingKey/v1\": \"%016" PRIx64 "\"",
            dr_finding_key(fd->kind, fd->title));
    if (located) {
        char site[900];
        snprintf(site, sizeof site, "%s:%d", at.file, at.line);
        fprintf(f, ", \"dmaraceDriverLine/v1\": ");
        dr_json_put_str(f, site);
    }
    fprintf(f, "},\n");
    /* Where it happened in the driver; without a driver frame (a check at the
     * end of an execution), the tape that reproduces it. */
    if (located) {
        fprintf(f, "      \"locations\": [{");
        sarif_put_physical(f, &at);
        fprintf(f, ", \"logicalLocations\": [{\"name\": ");
        dr_json_put_str(f, at.func);
        fprintf(f, ", \"kind\": \"function\"}]}],\n");
        /* The step it relates to (the model's dr_fail_related): for a
         * race, the line it raced with. */
        dr_related o;
        if (dr_related_of(fd, &o) && o.has_loc) {
            fprintf(f, "      \"relatedLocations\": [{\"id\": 1, ");
            sarif_put_physical(f, &o.loc);
            fprintf(f, ", \"message\": {\"text\": ");
            dr_json_put_str(f, dr_related_text(&o, msg, sizeof msg));
            fprintf(f, "}}],\n");
        }
    } else {
        fprintf(f, "      \"locations\": [{\"physicalLocation\": {\"artifactLocation\": {\"uri\": ");
        dr_json_put_str(f, in->tape_path);
        fprintf(f, "}, \"region\": {\"startLine\": 1}}}],\n");
    }
    fprintf(f, "      \"codeFlows\": [{\"threadFlows\": [");
    bool first_flow = true;
    for (unsigned t = 0; t < NTRACKS; t++) {
        bool any = false;
        for (size_t k = 0; k < n; k++) {
            if (items[k].track != t)
                continue;
            char b[16];
            if (!any) {
                fprintf(f, "%s\n        {\"id\": \"%s\", \"locations\": [", first_flow ? "" : ",",
                        t < DR_MAX_CPUS ? (snprintf(b, sizeof b, "P%u", t), b) : t == ENV_TRACK ? "environment" : "main");
                first_flow = false;
            }
            char text[300];
            if (items[k].task && t < ENV_TRACK)
                snprintf(text, sizeof text, "step %" PRIu64 " T%" PRIu32 " %s: %s", items[k].step, items[k].task,
                         dr_story_task_name(items[k].task), items[k].text);
            else
                snprintf(text, sizeof text, "step %" PRIu64 ": %s", items[k].step, items[k].text);
            fprintf(f, "%s\n          {\"executionOrder\": %zu, \"location\": {\"message\": {\"text\": ",
                    any ? "," : "", k + 1);
            dr_json_put_str(f, text);
            fprintf(f, "}");
            if (items[k].has_loc) {
                fprintf(f, ", ");
                sarif_put_physical(f, &items[k].loc);
            }
            fprintf(f, "}}");
            any = true;
        }
        if (any)
            fprintf(f, "]}");
    }
    if (first_flow) /* a thread flow needs at least one location */
        fprintf(f, "\n        {\"id\": \"main\", \"locations\": [{\"location\": {\"message\": {\"text\": \"no trace\"}}}]}");
    fprintf(f, "]}]\n    }");
}

/* One run: rules and results, each already JSON. */
static char *sarif_assemble(const char *rules, const char *results, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f)
        return NULL;
    fputs(sarif_head, f);
    dr_json_put_str(f, DR_VERSION);
    fprintf(f, ", \"rules\": [%s]}},\n    \"originalUriBaseIds\": {\"SRCROOT\": {\"description\": {\"text\": "
               "\"the driver's source root: its project directory (dmarace_add_driver), or dmarace's tree for "
               "the built-in scenarios\"}}},\n    \"results\": [%s]\n  }]\n}\n",
            rules, results);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

char *dr_report_sarif_of(const dr_report_info *in, const story_item *items, size_t n, size_t *len)
{
    size_t rl, sl;
    char *rules = NULL, *results = NULL, *out = NULL;
    FILE *r = items ? open_memstream(&rules, &rl) : NULL;
    FILE *s = r ? open_memstream(&results, &sl) : NULL;
    if (s) {
        sarif_rule(r, &in->res->finding);
        sarif_result(s, in, items, n);
    }
    if (r && fclose(r) == 0 && s && fclose(s) == 0)
        out = sarif_assemble(rules, results, len);
    else if (s)
        fclose(s);
    free(rules);
    free(results);
    return out;
}

/* The text between the first `from` and the next `to` after it in s (both
 * markers hold a raw newline, which never occurs inside a JSON string), or
 * NULL. */
static const char *between(const char *s, const char *from, const char *to, size_t *len)
{
    const char *a = strstr(s, from);
    const char *b = a ? strstr(a + strlen(from), to) : NULL;
    if (!b)
        return NULL;
    *len = (size_t)(b - a - strlen(from));
    return a + strlen(from);
}

int dr_report_campaign_sarif(const char *out_path, const char *const *tapes, size_t n)
{
    /* Merged from the findings' own .sarif files, written when each was
     * found, rather than by re-running their tapes here: a tape that hangs
     * or kills its process was reported by the supervisor, and must not run
     * in this one. The layout is sarif_assemble's. */
    static const char rules_from[] = "\"rules\": [", rules_to[] = "]}},\n    \"originalUriBaseIds\"";
    static const char results_from[] = "\n    \"results\": [", results_to[] = "]\n  }]\n}\n";
    char *rules = NULL, *results = NULL;
    size_t rl, sl;
    FILE *r = open_memstream(&rules, &rl);
    FILE *s = r ? open_memstream(&results, &sl) : NULL;
    char(*ids)[128] = s ? calloc(n ? n : 1, sizeof *ids) : NULL;
    size_t nids = 0, nres = 0;
    for (size_t i = 0; ids && i < n; i++) {
        char base[4096], path[4200], err[256];
        dr_report_base(tapes[i], base, sizeof base);
        snprintf(path, sizeof path, "%s.sarif", base);
        uint8_t *buf;
        size_t len, ll, tl;
        if (!dr_cli_read_file(path, &buf, &len, err, sizeof err))
            continue; /* its reports are not on disk: the summary said so */
        const char *rule = between((const char *)buf, rules_from, rules_to, &ll);
        const char *res = between((const char *)buf, results_from, results_to, &tl);
        if (rule && res) {
            char id[128] = "";
            const char *q = strstr(rule, "{\"id\": \"");
            if (q)
                sscanf(q + 8, "%127[^\"]", id);
            bool seen = false;
            for (size_t k = 0; k < nids && !seen; k++)
                seen = strcmp(ids[k], id) == 0;
            if (!seen) {
                fprintf(r, "%s%.*s", nids ? ",\n      " : "", (int)ll, rule);
                snprintf(ids[nids++], sizeof ids[0], "%s", id);
            }
            fprintf(s, "%s%.*s", nres++ ? ", " : "", (int)tl, res);
        }
        free(buf);
    }
    free(ids);
    int cr = r ? fclose(r) : EOF, cs = s ? fclose(s) : EOF;
    size_t len = 0;
    char *out = cr == 0 && cs == 0 ? sarif_assemble(rules, results, &len) : NULL;
    free(rules);
    free(results);
    if (!out || dr_cli_write_atomic(out_path, out, len) != 0) {
        fprintf(stderr, "dmarace: could not write %s\n", out_path);
        free(out);
        return -1;
    }
    free(out);
    return (int)nres;
}
