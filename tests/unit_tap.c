// SPDX-License-Identifier: GPL-2.0
/*
 * cmocka 1.1.5 prints TAP as "ok 1 - name" and a failure's diagnostics
 * after its result line.  vm/ktap.py reads kselftest's
 * shape: "ok 1 name", the diagnostics before the result they explain.
 * So the tests run in a child, and the parent passes the child's output
 * on line by line, reshaped.  It also exits as kselftest does: 0 when
 * all passed, 1 on a failure, 4 when nothing ran (all skipped, or no
 * test matched).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "unit_tap.h"

static void tap_put(char **held)
{
	if (*held) {
		puts(*held);
		free(*held);
		*held = NULL;
	}
}

/* Reshape one line; count the passes. */
static void tap_line(char *line, char **held, unsigned int *passed)
{
	unsigned int nr;
	size_t len;
	int at = -1;

	line[strcspn(line, "\n")] = 0;
	/* a held failure's diagnostics, but not the group's summary */
	if (*held && !strncmp(line, "# ", 2) && strncmp(line, "# ok - ", 7) &&
	    strncmp(line, "# not ok - ", 11)) {
		puts(line);
		return;
	}
	tap_put(held);
	if (sscanf(line, "ok %u - %n", &nr, &at) == 1 && at > 0) {
		printf("ok %u %s\n", nr, line + at);
		(*passed)++;
	} else if (sscanf(line, "not ok %u - %n", &nr, &at) == 1 && at > 0) {
		len = strlen(line) + 1;
		*held = malloc(len);
		if (*held)
			snprintf(*held, len, "not ok %u %s", nr, line + at);
		else
			puts(line);
	} else if (sscanf(line, "not ok %u # SKIP %n", &nr, &at) == 1 &&
		   at > 0) {
		printf("ok %u %s # SKIP\n", nr, line + at);
	} else {
		puts(line);
	}
}

/*
 * In the child, return false: it runs the tests.  In the parent, pass
 * the child's TAP on, wait, and return true with the exit status.
 */
static bool unit_tap_parent(int *status)
{
	char *line = NULL, *held = NULL;
	unsigned int passed = 0;
	size_t cap = 0;
	int fds[2];
	pid_t pid;
	FILE *in;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");
	*status = 1;
	if (pipe(fds)) {
		perror("pipe");
		return true;
	}
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return true;
	}
	if (!pid) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		return false;
	}
	close(fds[1]);
	in = fdopen(fds[0], "r");
	while (in && getline(&line, &cap, in) >= 0)
		tap_line(line, &held, &passed);
	tap_put(&held);
	free(line);
	if (in)
		fclose(in);
	if (waitpid(pid, status, 0) < 0) {
		perror("waitpid");
		*status = 1;
	} else if (WIFEXITED(*status)) {
		*status = WEXITSTATUS(*status);
		if (!*status && !passed)
			*status = 4;
	} else {
		printf("# the tests died of signal %d\n", WTERMSIG(*status));
		*status = 1;
	}
	return true;
}

static void unit_tap_child(int argc, char **argv)
{
	/* the environment would override the TAP the parent reads */
	unsetenv("CMOCKA_MESSAGE_OUTPUT");
	cmocka_set_message_output(CM_OUTPUT_TAP);
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
}

int main(int argc, char **argv)
{
	int status;

	if (unit_tap_parent(&status))
		return status;
	unit_tap_child(argc, argv);
	return unit_tap_group() ? 1 : 0;
}

void unit_vnote(const char *file, int line, const char *what,
		const char *fmt, va_list ap)
{
	if (file)
		printf("# %s:%d: %s: ", file, line, what);
	else
		printf("# ");
	vprintf(fmt, ap);
	putchar('\n');
}

void unit_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	unit_vnote(NULL, 0, NULL, fmt, ap);
	va_end(ap);
}
