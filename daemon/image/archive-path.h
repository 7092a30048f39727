/* Checks and normalises the names found in archives (entry names and
 * hardlink targets) before anything touches the disk. Pure string work, no
 * I/O, so it can be unit-tested and fuzzed alone. */
#pragma once

#define ARCHIVE_PATH_MAX_DEPTH 256

/* Turns an entry name into a relative path below the root: leading "./",
 * empty and "." components and trailing slashes are dropped ("./a//b/." ->
 * "a/b"; "./" or "/" -> "", the root itself). Rejects other absolute paths, any ".."
 * component, empty names, names longer than PATH_MAX and paths deeper than
 * ARCHIVE_PATH_MAX_DEPTH components: returns -EINVAL with *ret_reason set to
 * a static string. On success *ret is malloc'd, owned by the caller. */
int archive_path_normalize(const char *name, char **ret, const char **ret_reason);
