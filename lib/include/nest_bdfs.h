/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The devices a VFIO cdev test program runs on: trailing BDF arguments
 * and IOMMUFD_NEST_BDF (comma-separated), bound to vfio-pci.  Include it
 * once per program, after kselftest_harness.h.
 */
#ifndef NEST_BDFS_H
#define NEST_BDFS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pci_sysfs.h"

#define MAX_BDFS	8

static char bdfs[MAX_BDFS][BDF_LEN];
static int nr_bdfs;

static int add_bdf(const char *arg)
{
	char err[160];

	if (nr_bdfs == MAX_BDFS) {
		fprintf(stderr, "error: more than %d devices\n", MAX_BDFS);
		return -1;
	}
	if (pci_bdf_parse(arg, bdfs[nr_bdfs], err, sizeof(err))) {
		fprintf(stderr, "error: %s\n", err);
		return -1;
	}
	nr_bdfs++;
	return 0;
}

/*
 * Take the BDFs out of @argv: the arguments that are not harness options
 * and hold a ':'.  Returns the harness's argc, or -1 after an error.
 */
static int take_bdfs(int argc, char **argv)
{
	char *env = getenv("IOMMUFD_NEST_BDF"), *tok, *save;
	int i, kept = 1;

	for (tok = env ? strtok_r(env, ",", &save) : NULL; tok;
	     tok = strtok_r(NULL, ",", &save))
		if (add_bdf(tok))
			return -1;
	for (i = 1; i < argc; i++) {
		if (argv[i][0] != '-' && strchr(argv[i], ':')) {
			if (add_bdf(argv[i]))
				return -1;
			continue;
		}
		argv[kept++] = argv[i];
	}
	return kept;
}

#endif
