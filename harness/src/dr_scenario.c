/* dr_scenario.c: the scenario registry (scenarios register themselves at
 * load time), the build flavour, and the digest that ties a tape to the
 * scenario, build and engine semantics that recorded it. */
#include "dr_hash.h"
#include "dr_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

const char *dr_finding_kind_name(dr_finding_kind k)
{
    switch (k) {
#define DR_X(e, s)                                                                                         \
    case DR_FIND_##e:                                                                                      \
        return s;
        DR_FINDING_KINDS(DR_X)
#undef DR_X
    case DR_FIND__COUNT:
        break;
    }
    return "?";
}

uint64_t dr_finding_key(dr_finding_kind kind, const char *title)
{
    return dr_fmix(dr_fnv1a_str(title) ^ (uint64_t)kind);
}

/* ---- expected verdicts ------------------------------------------------------ */

/* A rule id as the model and the engine write them: capitals, digits, '-'
 * and '_', ending in a digit or a capital (V1, C11, QSTOP4, DMA-FREE,
 * DEADLOCK). Anything else after "kind:" is part of a title. */
static bool rule_shaped(const char *s)
{
    if (!isupper((unsigned char)s[0]))
        return false;
    for (const char *p = s; *p; p++)
        if (!isupper((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '-' && *p != '_')
            return false;
    char last = s[strlen(s) - 1];
    return last != '-' && last != '_';
}

/* The kind an expected verdict names (DR_FIND_NONE: none), and in *text
 * what follows its colon (NULL without one). */
static dr_finding_kind expect_kind(const char *expect, const char **text)
{
    const char *colon = strchr(expect, ':');
    size_t klen = colon ? (size_t)(colon - expect) : strlen(expect);
    *text = colon ? colon + 1 : NULL;
    for (int k = DR_FIND_NONE + 1; k < DR_FIND__COUNT; k++) {
        const char *name = dr_finding_kind_name((dr_finding_kind)k);
        if (strlen(name) == klen && strncmp(name, expect, klen) == 0)
            return (dr_finding_kind)k;
    }
    return DR_FIND_NONE;
}

bool dr_expect_matches(const char *expect, dr_finding_kind kind, const char *rule, const char *title)
{
    const char *text;
    if (strcmp(expect, "clean") == 0 || kind == DR_FIND_NONE || expect_kind(expect, &text) != kind)
        return false;
    if (!text)
        return true;
    /* kind:RULE names the check exactly (framework:V1 is not V15); the
     * rule comes from the finding as data, never from its title. */
    if (rule_shaped(text))
        return rule && strcmp(rule, text) == 0;
    return strstr(title, text) != NULL;
}

bool dr_expect_valid(const char *expect)
{
    const char *text;
    if (strcmp(expect, "clean") == 0)
        return true;
    return expect_kind(expect, &text) != DR_FIND_NONE && (!text || *text);
}

/* ---- scenario registry ------------------------------------------------------ */

static const dr_scenario *scenarios[256];
static size_t nscenarios;
static bool scenarios_sorted;

void dr_scenario_register(const dr_scenario *s)
{
    for (size_t i = 0; i < nscenarios; i++)
        if (strcmp(scenarios[i]->name, s->name) == 0) {
            /* A name must find one scenario: tapes and --expect depend on it. */
            fprintf(stderr, "dmarace: two scenarios are named '%s' in this build\n", s->name);
            _Exit(DR_EXIT_INTERNAL);
        }
    if (nscenarios < sizeof scenarios / sizeof scenarios[0])
        scenarios[nscenarios++] = s;
    scenarios_sorted = false;
}

static int cmp_scenario(const void *a, const void *b)
{
    return strcmp((*(const dr_scenario *const *)a)->name, (*(const dr_scenario *const *)b)->name);
}

static void sort_scenarios(void)
{
    if (!scenarios_sorted)
        qsort(scenarios, nscenarios, sizeof scenarios[0], cmp_scenario);
    scenarios_sorted = true;
}

size_t dr_scenario_count(void) { return nscenarios; }

const dr_scenario *dr_scenario_at(size_t i)
{
    sort_scenarios();
    return i < nscenarios ? scenarios[i] : NULL;
}

const dr_scenario *dr_scenario_find(const char *name)
{
    for (size_t i = 0; i < nscenarios; i++)
        if (strcmp(scenarios[i]->name, name) == 0)
            return scenarios[i];
    return NULL;
}

#ifndef DR_DEFAULT_SCENARIO
#define DR_DEFAULT_SCENARIO "published"
#endif
const dr_scenario *dr_scenario_default(void) { return dr_scenario_find(DR_DEFAULT_SCENARIO); }

/* ---- --env settings ------------------------------------------------------------ */

static char scenario_env[DR_ENV_MAX];
static unsigned scenario_env_gen; /* bumped at every change: dr_scenario_digest's cache key */
static dr_env_check_fn env_check;

void dr_set_env_check(dr_env_check_fn fn) { env_check = fn; }

const char *dr_scenario_env(void) { return scenario_env[0] ? scenario_env : NULL; }

int dr_scenario_set_env(const dr_scenario *s, const char *text, char *err, size_t errlen)
{
    if (!text || !*text) {
        scenario_env[0] = 0;
        scenario_env_gen++;
        return 0;
    }
    if (strlen(text) >= sizeof scenario_env) {
        snprintf(err, errlen, "--env settings longer than %d bytes", DR_ENV_MAX - 1);
        return -1;
    }
    if (strchr(text, '\n') || strchr(text, '\r')) {
        snprintf(err, errlen, "--env settings are one line");
        return -1;
    }
    if (!env_check) {
        snprintf(err, errlen, "scenario %s takes no --env settings", s->name);
        return -1;
    }
    if (env_check(s, text, err, errlen) != 0)
        return -1;
    snprintf(scenario_env, sizeof scenario_env, "%s", text);
    scenario_env_gen++;
    return 0;
}

/* Bump when the engine's scheduling semantics change, so old tapes are
 * recognised as recorded by another engine. */
#define DR_ENGINE_SEMANTICS 1u

#ifndef DR_BUILD_FLAVOR
#define DR_BUILD_FLAVOR "unknown"
#endif
const char *dr_build_flavor(void) { return DR_BUILD_FLAVOR; }

/* dr_run seeds every execution's digest with this: the last result is kept,
 * so the strings are hashed once per scenario and processor count, not at
 * every execution. */
/* The scenario's identity with or without the build flavour in it. */
static uint64_t digest_of(const dr_scenario *s, unsigned cpus, bool flavour)
{
    uint64_t h = dr_fnv1a_str(s->name);
    if (flavour)
        h = dr_mix(h, dr_fnv1a_str(DR_BUILD_FLAVOR));
    h = dr_mix(h, s->version);
    h = dr_mix(h, cpus);
    h = dr_mix(h, DR_ENGINE_SEMANTICS);
    if (scenario_env[0]) /* without --env, the digest is what it always was */
        h = dr_mix(h, dr_fnv1a_str(scenario_env));
    return dr_fmix(h);
}

uint64_t dr_scenario_identity(const dr_scenario *s, unsigned cpus) { return digest_of(s, cpus, false); }

uint64_t dr_scenario_digest(const dr_scenario *s, unsigned cpus)
{
    static const char *last_name;
    static uint32_t last_version;
    static unsigned last_cpus, last_env_gen;
    static uint64_t last;
    if (last_name && s->name == last_name && s->version == last_version && cpus == last_cpus &&
        last_env_gen == scenario_env_gen)
        return last;
    last_name = s->name;
    last_env_gen = scenario_env_gen;
    last_version = s->version;
    last_cpus = cpus;
    return last = digest_of(s, cpus, true);
}
