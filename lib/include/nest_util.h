/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the pure code, header-only so anything can use them without
 * a kernel tree: little-endian bytes (hw_info data, the migration stream)
 * and a message for a refusal.
 */
#ifndef NEST_UTIL_H
#define NEST_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

/* The @bytes (1 to 8) little-endian bytes at @p. */
static inline uint64_t nest_get_le(const void *p, unsigned int bytes)
{
	const uint8_t *b = p;
	uint64_t x = 0;

	while (bytes--)
		x = x << 8 | b[bytes];
	return x;
}

static inline void nest_put_le(void *p, unsigned int bytes, uint64_t v)
{
	uint8_t *b = p;
	unsigned int i;

	for (i = 0; i < bytes; i++, v >>= 8)
		b[i] = v;
}

static inline uint16_t nest_get_le16(const void *p)
{
	return nest_get_le(p, 2);
}

static inline uint32_t nest_get_le32(const void *p)
{
	return nest_get_le(p, 4);
}

static inline uint64_t nest_get_le64(const void *p)
{
	return nest_get_le(p, 8);
}

/* Append the @i-th of @n names to the string in @buf, as "a, b or c". */
static inline void nest_list_add(char *buf, size_t size, unsigned int i,
				 unsigned int n, const char *name)
{
	size_t used = strnlen(buf, size);

	if (used < size)
		snprintf(buf + used, size - used, "%s%s",
			 !i ? "" : i + 1 < n ? ", " : " or ", name);
}

/* @err gets the message (when it has room at all); returns @ret. */
static inline int nest_fail(char *err, size_t len, int ret,
			    const char *fmt, ...)
{
	va_list ap;

	if (err && len) {
		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
	}
	return ret;
}

/*
 * A tool's argument it does not take: -h or --help prints @usage on
 * stdout and gives exit status 0; anything else is named on stderr,
 * with @usage, and gives 2.
 */
static inline int nest_usage_exit(const char *arg, const char *prog,
				  void (*usage)(FILE *f, const char *prog))
{
	bool help = !strcmp(arg, "-h") || !strcmp(arg, "--help");

	if (!help)
		fprintf(stderr, "error: unexpected argument '%s'\n", arg);
	usage(help ? stdout : stderr, prog);
	return help ? 0 : 2;
}

#endif
