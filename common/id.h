/* Container and image identifiers and names: 64 lower-case hex ids, Docker's
 * name grammar, and prefix matching rules shared by daemon and client. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define ID_HEX_LEN 64
#define ID_SHORT_LEN 12
#define NAME_MAX_LEN 128

/* Fills out (ID_HEX_LEN + 1 bytes) with a random id from getrandom(2). */
int id_generate(char out[static ID_HEX_LEN + 1]);
bool id_is_valid(const char *s);
/* A non-empty string of at most ID_HEX_LEN lower-case hex digits. */
bool id_prefix_is_valid(const char *s);
/* [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most NAME_MAX_LEN characters. */
bool name_is_valid(const char *s);
