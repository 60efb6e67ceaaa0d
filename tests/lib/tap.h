/* tap.h: the TAP output of the C tests that print results themselves (the cmocka ones use
 * cmocka's): numbered results, details as "# " comments, the plan at the end. */
#ifndef L3DSR_TESTS_TAP_H
#define L3DSR_TESTS_TAP_H

#include <stdbool.h>

/* Prints "ok N - WHAT" or "not ok N - WHAT" and flushes; returns OK. */
bool tap_result(bool ok, const char *format, ...) __attribute__((format(printf, 2, 3)));
/* Prints "# LABEL:" and TEXT's lines as "#   " comments (what differed, under a result). */
void tap_diagnostic(const char *label, const char *text);
/* Prints the plan ("1..N"); returns how many results failed. */
int tap_plan(void);

#endif /* L3DSR_TESTS_TAP_H */
