// SPDX-License-Identifier: GPL-2.0
/*
 * The registry of device backends, one row each, and the factory that
 * opens a device by spec.  The first row whose probe takes a spec opens
 * it; the order is also the order errors list the forms in.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "nest_backend.h"
#include "nest_util.h"

/* The registry, in probe order. */
static const struct nest_backend *const nest_backends[] = {
	&nest_backend_mock,
	&nest_backend_cdev,
};

static const unsigned int nest_nr_backends = ARRAY_SIZE(nest_backends);

void nest_backend_specs(char *buf, size_t len)
{
	unsigned int i;

	buf[0] = 0;
	for (i = 0; i < nest_nr_backends; i++)
		nest_list_add(buf, len, i, nest_nr_backends,
			      nest_backends[i]->specs);
}

const struct nest_backend *nest_backend_find(const char *spec, char *err,
					     size_t len)
{
	char specs[256];
	unsigned int i;

	for (i = 0; i < nest_nr_backends; i++)
		if (nest_backends[i]->probe(spec))
			return nest_backends[i];
	nest_backend_specs(specs, sizeof(specs));
	nest_fail(err, len, -EINVAL, "device '%.32s': expected %s", spec,
		  specs);
	return NULL;
}

int nest_dev_open_spec(int iommufd, const char *spec, unsigned int index,
		       struct nest_dev **out, char *err, size_t len)
{
	const struct nest_backend *be = nest_backend_find(spec, err, len);

	*out = NULL;
	if (!be)
		return -EINVAL;
	return be->open(iommufd, spec, index, out, err, len);
}
