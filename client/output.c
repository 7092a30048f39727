/* Column tables and JSON printing for listings. Widths are counted in
 * UTF-8 characters so "…" does not break the alignment. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "client/format.h"
#include "client/output.h"
#include "common/id.h"
#include "common/macros.h"

struct table {
        size_t ncols, nrows;
        char **cells; /* (nrows + 1) * ncols, row 0 = headers */
};

void
table_free(struct table *t)
{
        if (!t)
                return;
        for (size_t i = 0; i < (t->nrows + 1) * t->ncols; i++)
                free(t->cells[i]);
        free(t->cells);
        free(t);
}

struct table *
table_new(const char *const *headers)
{
        struct table *t = calloc(1, sizeof(*t));

        if (!t)
                return NULL;
        while (headers[t->ncols])
                t->ncols++;
        t->nrows = (size_t) -1; /* table_add_row() fills row 0 with the headers */
        if (table_add_row(t, headers) < 0) {
                free(t);
                return NULL;
        }
        return t;
}

int
table_add_row(struct table *t, const char *const *cells)
{
        size_t base = (t->nrows + 1) * t->ncols;
        char **c = reallocarray(t->cells, base + t->ncols, sizeof(char *));

        if (!c)
                return -ENOMEM;
        t->cells = c;
        for (size_t i = 0; i < t->ncols; i++) {
                c[base + i] = strdup(cells[i] ? cells[i] : "");
                if (!c[base + i]) {
                        while (i-- > 0)
                                free(c[base + i]);
                        return -ENOMEM;
                }
        }
        t->nrows++;
        return 0;
}

void
table_print(const struct table *t, FILE *f)
{
        _cleanup_free_ size_t *w = calloc(t->ncols, sizeof(size_t));

        if (!w)
                return;
        for (size_t r = 0; r <= t->nrows; r++)
                for (size_t i = 0; i < t->ncols; i++) {
                        size_t n = utf8_width(t->cells[r * t->ncols + i]);

                        if (n > w[i])
                                w[i] = n;
                }
        for (size_t r = 0; r <= t->nrows; r++) {
                for (size_t i = 0; i < t->ncols; i++) {
                        const char *s = t->cells[r * t->ncols + i];

                        fputs(s, f);
                        if (i + 1 < t->ncols)
                                fprintf(f, "%*s", (int) (w[i] - utf8_width(s) + 3), "");
                }
                fputc('\n', f);
        }
}

void
print_json(json_t *j)
{
        _cleanup_free_ char *s = json_dumps(j, JSON_INDENT(4) | JSON_ENCODE_ANY);

        if (s)
                printf("%s\n", s);
}

int
print_listing(json_t *list, bool as_json, bool quiet, const char *id_key,
              const char *const *headers, listing_row_fn add_row, int64_t now)
{
        _cleanup_(table_freep) struct table *t = NULL;
        json_t *item;
        size_t i;
        int r;

        if (as_json) {
                print_json(list);
                return 0;
        }
        if (!quiet) {
                t = table_new(headers);
                if (!t)
                        return -ENOMEM;
        }
        json_array_foreach(list, i, item) {
                const char *id = id_key ? json_string_value(json_object_get(item, id_key)) : NULL;

                if (quiet && id_key) {
                        if (id)
                                printf("%.*s\n", ID_SHORT_LEN, id);
                        continue;
                }
                r = add_row(t, item, now);
                if (r < 0)
                        return r;
        }
        if (t)
                table_print(t, stdout);
        return 0;
}
