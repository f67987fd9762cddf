/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TAP in kselftest's shape from cmocka unit tests (tests/unit_tap.c).
 * unit_tap.c's main() forks: the parent reshapes the child's TAP, and
 * the child runs the program's cmocka group, unit_tap_group().
 */
#ifndef UNIT_TAP_H
#define UNIT_TAP_H

#include <stdarg.h>
#include <stdbool.h>

/* Each program's tests: cmocka_run_group_tests_name("global", ...) */
int unit_tap_group(void);

/* kselftest's harness named the tests global.NAME: CI knows them so */
#define UNIT_TEST(f) { "global." #f, f, NULL, NULL, NULL }

/*
 * A "# " diagnostic on stdout, ordered with the results; with @file, it
 * starts "FILE:LINE: WHAT: ".
 */
void unit_vnote(const char *file, int line, const char *what,
		const char *fmt, va_list ap);
void unit_note(const char *fmt, ...);

/* cmocka's asserts, with a note on failure saying what for. */
#define assert_int_why(want, got, ...) do {				\
	uintmax_t want_ = (want), got_ = (got);				\
									\
	if (want_ != got_)						\
		unit_note(__VA_ARGS__);					\
	assert_int_equal(want_, got_);					\
} while (0)

#define assert_true_why(cond, ...) do {					\
	if (!(cond)) {							\
		unit_note("%s:%d: false: %s", __FILE__, __LINE__, #cond);	\
		unit_note(__VA_ARGS__);					\
		fail();							\
	}								\
} while (0)

#endif
