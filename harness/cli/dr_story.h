/* dr_story.h: what a finding's reports share (dr_report.c: the text, the
 * JSON, the files and show; dr_story.c: the story; dr_timeline.c: the
 * timeline; dr_sarif.c: the SARIF). */
#ifndef DR_STORY_H
#define DR_STORY_H

#include "dr_cli.h"
#include "dr_where.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The tracks of a story and a timeline: a processor, the environment, the
 * main context. */
enum { ENV_TRACK = DR_MAX_CPUS, MAIN_TRACK = DR_MAX_CPUS + 1, NTRACKS = DR_MAX_CPUS + 2 };

/* ---- the story: the trace without its noise (dr_story.c) ---- */

typedef struct {
    uint64_t step;
    unsigned track; /* a processor, ENV_TRACK or MAIN_TRACK */
    uint32_t task;
    uint8_t type;
    bool has_loc;   /* a driver step: the driver's source line (dr_where) */
    dr_srcloc loc;
    char text[200];
} story_item;

/* The story items of the last traced run (malloc'ed array); f is that
 * run's finding (its stack places the FINDING item). Also names the tasks
 * for dr_story_task_name. */
story_item *dr_story_build(const dr_finding *f, size_t *count);
/* Names the last traced run's tasks and events for dr_story_task_name
 * (dr_story_build does it too). */
void dr_story_name_tasks(void);
/* A task's name in the last story built (or named), or "?". */
const char *dr_story_task_name(uint32_t id);
/* The story's items per track, in order (escaped: the texts are the driver's). */
void dr_story_print(FILE *out, const story_item *items, size_t n);

/* ---- shared by the report files ---- */

/* The tape path without ".tape" (dr_report.c). */
void dr_report_base(const char *tape_path, char *out, size_t len);
/* The finding's SARIF rule id, dmarace/<rule> (dr_report.c). */
void dr_report_rule_id(const dr_finding *fd, char *out, size_t len);
/* The timeline of info's traced run, from its story (dr_timeline.c). */
char *dr_report_timeline_of(const dr_report_info *in, const story_item *items, size_t n);
/* The finding's SARIF, from its story (dr_sarif.c). */
char *dr_report_sarif_of(const dr_report_info *in, const story_item *items, size_t n, size_t *len);

#endif
