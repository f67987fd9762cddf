/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TAP in kselftest's shape from cmocka unit tests (tests/unit_tap.c).
 * main() calls unit_tap_parent(): in the parent it returns true with the
 * exit status to return; in the child, false, and the child calls
 * unit_tap_child() and then runs the cmocka group.
 */
#ifndef UNIT_TAP_H
#define UNIT_TAP_H

#include <stdbool.h>

bool unit_tap_parent(int *status);
void unit_tap_child(int argc, char **argv);

/*
 * cmocka's asserts, with a note on failure saying what for.  The test
 * file defines note(fmt, ...): a "# " diagnostic line on stdout.
 */
#define assert_int_why(want, got, ...) do {				\
	uintmax_t want_ = (want), got_ = (got);				\
									\
	if (want_ != got_)						\
		note(__VA_ARGS__);					\
	assert_int_equal(want_, got_);					\
} while (0)

#define assert_true_why(cond, ...) do {					\
	if (!(cond)) {							\
		note("%s:%d: false: %s", __FILE__, __LINE__, #cond);	\
		note(__VA_ARGS__);					\
		fail();							\
	}								\
} while (0)

#endif
