// SPDX-License-Identifier: GPL-2.0
/*
 * The bring-up report without a device: for each vIOMMU config, the flags
 * it answers, whether they survive migration, and any config error.
 *
 *   nest_report [--json] --viommu CONFIG [--viommu CONFIG]...
 *
 * Exit status: 0, or 2 for bad usage or a bad config (one-line error).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "viommu_model.h"

#define MAX_CONFIGS 32

struct report_row {
	const char *input;
	struct viommu_config cfg;
	char canonical[160];
	uint64_t flags;
	bool safe;
	const char *unsafe_why;
};

static void usage(FILE *f, const char *prog)
{
	fprintf(f, "usage: %s [--json] --viommu CONFIG [--viommu CONFIG]...\n",
		prog);
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void print_json(const struct report_row *rows, int n)
{
	int i;

	printf("{\"configs\": [");
	for (i = 0; i < n; i++) {
		printf("%s\n  {\"config\": ", i ? "," : "");
		json_string(rows[i].canonical);
		printf(", \"flags\": %llu, \"want_nesting_parent\": %s, \"pasid_supported\": %s, \"migration_safe\": %s",
		       (unsigned long long)rows[i].flags,
		       rows[i].flags & VIOMMU_FLAG_WANT_NESTING_PARENT ? "true" : "false",
		       rows[i].flags & VIOMMU_FLAG_PASID_SUPPORTED ? "true" : "false",
		       rows[i].safe ? "true" : "false");
		if (!rows[i].safe) {
			printf(", \"unsafe_reason\": ");
			json_string(rows[i].unsafe_why);
		}
		printf("}");
	}
	printf("\n]}\n");
}

static void print_table(const struct report_row *rows, int n)
{
	int i;

	printf("%-62s %-6s %-13s %-6s %s\n", "vIOMMU config", "flags",
	       "nest-parent", "pasid", "migration-safe");
	for (i = 0; i < n; i++) {
		printf("%-62s 0x%-4llx %-13s %-6s %s\n", rows[i].canonical,
		       (unsigned long long)rows[i].flags,
		       rows[i].flags & VIOMMU_FLAG_WANT_NESTING_PARENT ? "wanted" : "-",
		       rows[i].flags & VIOMMU_FLAG_PASID_SUPPORTED ? "yes" : "-",
		       rows[i].safe ? "yes" : "NO");
		if (!rows[i].safe)
			printf("  not migration safe: %s\n", rows[i].unsafe_why);
	}
}

int main(int argc, char **argv)
{
	static struct report_row rows[MAX_CONFIGS];
	char err[VIOMMU_ERR_LEN];
	bool json = false;
	int i, n = 0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--viommu") && i + 1 < argc) {
			if (n == MAX_CONFIGS) {
				fprintf(stderr, "error: more than %d --viommu configs\n",
					MAX_CONFIGS);
				return 2;
			}
			rows[n++].input = argv[++i];
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout, argv[0]);
			return 0;
		} else {
			fprintf(stderr, "error: unexpected argument '%s'\n",
				argv[i]);
			usage(stderr, argv[0]);
			return 2;
		}
	}
	if (!n) {
		fprintf(stderr, "error: no --viommu CONFIG given\n");
		usage(stderr, argv[0]);
		return 2;
	}
	for (i = 0; i < n; i++) {
		struct report_row *r = &rows[i];

		if (viommu_config_parse(r->input, &r->cfg, err, sizeof(err))) {
			fprintf(stderr, "error: --viommu '%s': %s\n", r->input,
				err);
			return 2;
		}
		viommu_config_format(&r->cfg, r->canonical,
				     sizeof(r->canonical));
		r->flags = viommu_config_flags(&r->cfg);
		r->safe = viommu_config_migration_safe(&r->cfg, &r->unsafe_why);
	}
	if (json)
		print_json(rows, n);
	else
		print_table(rows, n);
	return 0;
}
