/* `probe escape:NAME` (escape.c): one breakout attempt, or "all". Returns
 * 0 when blocked, 1 when it escaped, 2 for an unknown name. */
#pragma once

int probe_escape(const char *what);
