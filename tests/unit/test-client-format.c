/* Unit tests for client/format.c and output.c: durations, sizes (decimal,
 * and binary for progress), the status column, RFC 3339 parsing,
 * truncation, table alignment, the three forms of a listing, ps's PORTS
 * cell and the rows of `network ls`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/format.h"
#include "client/output.h"
#include "tests/unit/tap.h"

static void
dur(int64_t s, const char *want)
{
        char buf[64];

        format_duration(s, buf, sizeof(buf));
        is_str(buf, want, want);
}

static void
size(uint64_t b, const char *want)
{
        char buf[64];

        format_size(b, buf, sizeof(buf));
        is_str(buf, want, want);
}

static void
bsize(uint64_t b, const char *sep, const char *want)
{
        char buf[64];

        format_size_binary(b, sep, buf, sizeof(buf));
        is_str(buf, want, want);
}

static int
one_row(struct table *t, json_t *item, int64_t now)
{
        if (!t)
                return printf("q:%s\n", json_string_value(json_object_get(item, "n"))) < 0 ? -EIO : 0;
        return table_add_row(t, (const char *const[]) { json_string_value(json_object_get(item, "n")) });
}

/* What print_listing() writes to stdout, as a string (caller frees). */
static char *
listing(json_t *list, bool as_json, bool quiet, const char *id_key)
{
        static const char *const headers[] = { "N", NULL };
        char *buf = calloc(1, 4096);
        FILE *f = tmpfile();
        int saved = dup(STDOUT_FILENO);

        fflush(stdout);
        dup2(fileno(f), STDOUT_FILENO);
        print_listing(list, as_json, quiet, id_key, headers, one_row, 0);
        fflush(stdout);
        dup2(saved, STDOUT_FILENO);
        close(saved);
        rewind(f);
        fread(buf, 1, 4095, f);
        fclose(f);
        return buf;
}

static void
test_listing(void)
{
        json_t *list = json_pack("[{s:s, s:s}, {s:s}]", "id", "0123456789abcdef0123", "n", "one", "n", "two");
        char *s;

        s = listing(list, false, false, "id");
        is_str(s, "N\none\ntwo\n", "listing: a table");
        free(s);
        s = listing(list, false, true, "id");
        is_str(s, "0123456789ab\n", "listing -q: short ids, items without one skipped");
        free(s);
        s = listing(list, false, true, NULL);
        is_str(s, "q:one\nq:two\n", "listing -q without id_key: the row function prints");
        free(s);
        s = listing(list, true, true, "id");
        ok(s[0] == '[' && strstr(s, "\"two\""), "listing --json: the array");
        free(s);
        json_decref(list);
}

static void
ports(const char *json, const char *want, const char *name)
{
        json_t *j = json ? json_loads(json, 0, NULL) : NULL;
        char *s = format_ports(j);

        is_str(s, want, name);
        free(s);
        json_decref(j);
}

static void
test_ports(void)
{
        ports("[{\"host_ip\":\"127.0.0.1\",\"host_port\":8080,\"container_port\":80,"
              "\"protocol\":\"tcp\"},{\"host_ip\":\"\",\"host_port\":9000,"
              "\"container_port\":90,\"protocol\":\"udp\"}]",
              "127.0.0.1:8080->80/tcp, 0.0.0.0:9000->90/udp", "two mappings");
        ports("[{\"host_ip\":\"\",\"host_port\":0,\"container_port\":80,\"protocol\":\"tcp\"}]",
              "0.0.0.0:*->80/tcp", "a host port not chosen yet");
        ports("[{\"host_port\":8080,\"container_port\":80}]", "0.0.0.0:8080->80/tcp",
              "no host_ip or protocol: every address, tcp");
        ports("[\"8080:80\", {\"host_port\":1}, {\"container_port\":\"80\"},"
              "{\"host_port\":70000,\"container_port\":80}, {\"container_port\":53,"
              "\"host_port\":5353,\"protocol\":\"udp\"}]",
              "0.0.0.0:5353->53/udp", "items that are no mapping skipped");
        ports("[]", "", "no ports");
        ports(NULL, "", "no ports key (an older daemon)");
        ports("{}", "", "not an array");
}

static void
test_network_row(void)
{
        json_t *net = json_pack("{s:s, s:s, s:s, s:s, s:b, s:i}", "name", "bridge", "subnet",
                                "10.88.0.0/16", "gateway", "10.88.0.1", "bridge", "ctl0",
                                "default", 1, "containers", 3);
        struct network_row row;

        format_network_row(net, &row);
        is_str(row.cells[0], "bridge", "NAME");
        is_str(row.cells[1], "ctl0", "BRIDGE");
        is_str(row.cells[2], "10.88.0.0/16", "SUBNET");
        is_str(row.cells[3], "10.88.0.1", "GATEWAY");
        is_str(row.cells[4], "3", "CONTAINERS");
        is_str(row.cells[5], "yes", "DEFAULT");
        json_decref(net);

        net = json_pack("{s:s, s:[{s:s}, {s:s}]}", "name", "backend", "containers", "id", "a",
                        "id", "b");
        format_network_row(net, &row);
        ok(row.cells[1] == NULL && row.cells[3] == NULL, "absent fields: empty cells");
        is_str(row.cells[4], "2", "a members list is counted");
        is_str(row.cells[5], "no", "not the default");
        json_decref(net);

        net = json_object();
        format_network_row(net, &row);
        is_str(row.cells[4], "", "no count: empty");
        json_decref(net);
}

int
main(void)
{
        char buf[128];
        int64_t t = 0, now;

        dur(0, "Less than a second");
        dur(1, "1 second");
        dur(5, "5 seconds");
        dur(59, "59 seconds");
        dur(60, "About a minute");
        dur(119, "About a minute");
        dur(180, "3 minutes");
        dur(3599, "59 minutes");
        dur(3600, "About an hour");
        dur(5 * 3600, "5 hours");
        dur(47 * 3600, "47 hours");
        dur(3 * 86400, "3 days");
        dur(15 * 86400, "2 weeks");
        dur(100 * 86400, "3 months");
        dur(3 * 365 * 86400, "3 years");

        size(0, "0B");
        size(512, "512B");
        size(1000, "1kB");
        size(4194304, "4.19MB");
        size(1500000000, "1.5GB");
        size(123456789012345, "123TB");
        size(7400000, "7.4MB");

        bsize(0, "", "0B");
        bsize(1023, " ", "1023 B");
        bsize(1024, "", "1.0KiB");
        bsize(47290777, "", "45.1MiB");
        bsize(100 * 1024 * 1024, " ", "100.0 MiB");
        bsize(1048575, "", "1.0MiB"); /* not "1024.0KiB" */
        bsize(3ULL << 40, "", "3.0TiB");

        ok(parse_rfc3339("1970-01-01T00:01:00Z", &t) == 0 && t == 60, "epoch + 60");
        ok(parse_rfc3339("2026-11-29T17:49:05.123456789Z", &t) == 0 && t == 1795974545,
           "nanoseconds");
        ok(parse_rfc3339("1970-01-01T02:00:00+02:00", &t) == 0 && t == 0, "offset");
        ok(parse_rfc3339("1970-01-01T00:00:00-01:00", &t) == 0 && t == 3600, "negative offset");
        ok(parse_rfc3339("yesterday", &t) < 0, "garbage rejected");
        ok(parse_rfc3339("1970-01-01T00:00:00", &t) < 0, "zone required");
        ok(parse_rfc3339("1970-01-01T00:00:00.Z", &t) < 0, "empty fraction rejected");
        ok(parse_rfc3339(NULL, &t) < 0, "NULL rejected");

        now = 1000;
        format_status("running", "1970-01-01T00:16:35Z", NULL, 0, now, buf, sizeof(buf));
        is_str(buf, "Up 5 seconds", "running status");
        format_status("exited", "1970-01-01T00:00:00Z", "1970-01-01T00:13:40Z", 7, now, buf,
                      sizeof(buf));
        is_str(buf, "Exited (7) 3 minutes ago", "exited status");
        format_status("created", NULL, NULL, 0, now, buf, sizeof(buf));
        is_str(buf, "Created", "created status");
        format_status("exited", NULL, NULL, 1, now, buf, sizeof(buf));
        is_str(buf, "Exited (1)", "exited without a time");
        format_status("paused", NULL, NULL, 0, now, buf, sizeof(buf));
        is_str(buf, "paused", "other states as is");
        format_ago("1970-01-01T00:14:40Z", now, buf, sizeof(buf));
        is_str(buf, "2 minutes ago", "created ago");
        format_ago(NULL, now, buf, sizeof(buf));
        is_str(buf, "", "no timestamp");

        format_truncate("short", 30, buf, sizeof(buf));
        is_str(buf, "short", "not truncated");
        format_truncate("abcdefghijklmnopqrstuvwxyz0123456789", 30, buf, sizeof(buf));
        is_str(buf, "abcdefghijklmnopqrstuvwxyz012\xe2\x80\xa6", "truncated to 30 with an ellipsis");
        is_int(utf8_width(buf), 30, "30 characters wide");
        format_truncate("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 3, buf, sizeof(buf));
        is_str(buf, "\xc3\xa9\xc3\xa9\xe2\x80\xa6", "UTF-8 cut on a character boundary");

        {
                static const char *const h[] = { "A", "LONGER", "C", NULL };
                struct table *tb = table_new(h);
                char *out = NULL;
                size_t len = 0;
                FILE *f = open_memstream(&out, &len);

                table_add_row(tb, (const char *const[]) { "xxxx", "y", NULL });
                table_add_row(tb, (const char *const[]) { "\xe2\x80\xa6", "", "z" });
                table_print(tb, f);
                fclose(f);
                is_str(out,
                       "A      LONGER   C\n"
                       "xxxx   y        \n"
                       "\xe2\x80\xa6      "
                       "         z\n",
                       "table columns padded to content");
                free(out);
                table_free(tb);
        }
        test_listing();
        test_ports();
        test_network_row();
        return tap_done();
}
