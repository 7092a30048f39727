/* Table and JSON output: columns padded to their content, three spaces
 * apart, as docker prints them, and the three forms of a listing. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
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

/* Adds the row(s) of one item of a listing; with t NULL (--quiet), prints
 * its short id instead. Returns 0 or -errno. */
typedef int (*listing_row_fn)(struct table *t, json_t *item, int64_t now);

/* A listing (ps, exec ls, image list) on stdout: the array itself with
 * as_json; with quiet the first ID_SHORT_LEN characters of each item's
 * id_key (id_key NULL: add_row(NULL, ...) prints them); else a table with
 * headers and the rows add_row adds. Returns 0 or -errno (nothing printed
 * then, unless quiet). */
int print_listing(json_t *list, bool as_json, bool quiet, const char *id_key,
                  const char *const *headers, listing_row_fn add_row, int64_t now);
