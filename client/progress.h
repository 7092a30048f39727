/* The display of image.import progress notifications. On a terminal: a
 * block of lines, one per layer, redrawn in place with ANSI cursor
 * movement as docker and podman pull do; elsewhere: one plain line per
 * status change of a layer, no escape codes. Writes only to the FILE it
 * is given and asks the terminal nothing, so tests drive it with a
 * memstream and a made-up size. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "common/macros.h"

struct progress;

/* out is borrowed. tty selects the live display; width and rows are the
 * terminal's size (<= 0: unknown, 80x24 assumed). NULL on ENOMEM. */
struct progress *progress_new(FILE *out, bool tty, int width, int rows);
void progress_free(struct progress *p);
DEFINE_FREEP(struct progress, progress_free)

/* The terminal was resized: the next redraw uses the new size. */
void progress_resize(struct progress *p, int width, int rows);

/* Takes one image.import.progress params object (proto/PROTOCOL.md) and
 * updates the display. Missing or odd fields are read as well as they
 * can be and never fail: a display must not fail an import. Returns 0 or
 * -ENOMEM. */
int progress_update(struct progress *p, json_t *params);

/* The import ended (well or not): the live display is drawn a last time
 * and left on screen. Idempotent. */
void progress_finish(struct progress *p);
