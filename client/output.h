/* Table and JSON output: columns padded to their content, three spaces
 * apart, as docker prints them. */
#pragma once

#include <jansson.h>
#include <stdio.h>

#include "common/macros.h"

struct table;

/* headers is NULL-terminated; the column count follows from it. */
struct table *table_new(const char *const *headers);
/* Copies ncols cells (NULL prints empty). Returns 0 or -ENOMEM. */
int table_add_row(struct table *t, const char *const *cells);
void table_print(const struct table *t, FILE *f);
void table_free(struct table *t);
DEFINE_FREEP(struct table, table_free)

/* Pretty JSON (4-space indent) and a newline on stdout. */
void print_json(json_t *j);
