// SPDX-License-Identifier: GPL-2.0
/*
 * Runs a fuzz target over files, without libFuzzer: the seed corpus and
 * every crash ever found (tests/fuzz/regressions) replayed in make check.
 * Prints TAP, one result per file.
 *
 *   replay FILE...
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Run the target on @path in a child, so an abort() is one failure. */
static int replay(const char *path)
{
	static uint8_t buf[1 << 16];
	int status;
	size_t n;
	FILE *f;
	pid_t pid;

	f = fopen(path, "rb");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	pid = fork();
	if (pid == 0) {
		uint8_t *exact = malloc(n ? n : 1);

		/* an exact-size copy, so ASan sees reads past the end */
		for (size_t i = 0; exact && i < n; i++)
			exact[i] = buf[i];
		LLVMFuzzerTestOneInput(exact, n);
		free(exact);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -1;
}

int main(int argc, char **argv)
{
	int i, failed = 0;

	printf("TAP version 13\n1..%d\n", argc - 1);
	for (i = 1; i < argc; i++) {
		const char *name = strrchr(argv[i], '/');
		int rc = replay(argv[i]);

		printf("%sok %d %s\n", rc ? "not " : "", i,
		       name ? name + 1 : argv[i]);
		failed += rc != 0;
	}
	return failed ? 1 : 0;
}
