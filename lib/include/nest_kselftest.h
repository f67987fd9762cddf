/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kselftest exit codes for the harness programs: 4 (KSFT_SKIP) when
 * every test skipped.  test_harness_run() exits 0 then, and
 * run_kselftest.sh or LAVA would report a program that ran nothing as
 * passed.  Include it once, after kselftest_harness.h: the harness keeps
 * its counters per file.
 */
#ifndef NEST_KSELFTEST_H
#define NEST_KSELFTEST_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static pid_t nest_ksft_pid;

/* Runs in exit(): only the harness's own process, and only if all skipped. */
static void nest_ksft_all_skipped(void)
{
	if (getpid() != nest_ksft_pid || !ksft_get_xskip_cnt())
		return;
	if (ksft_get_pass_cnt() || ksft_get_fail_cnt() ||
	    ksft_get_xfail_cnt() || ksft_get_xpass_cnt() ||
	    ksft_get_error_cnt())
		return;
	fflush(NULL);
	_exit(KSFT_SKIP);
}

static void __attribute__((constructor)) nest_ksft_init(void)
{
	nest_ksft_pid = getpid();
	atexit(nest_ksft_all_skipped);
}

#endif
