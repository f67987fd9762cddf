/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The engine's trace of one VM (struct nest_ctx's events), printed for
 * people and compared across runs (lib/trace.c).
 */
#ifndef NEST_TRACE_H
#define NEST_TRACE_H

#include <stddef.h>

#include "nest_engine.h"

/*
 * Print trace events from @from on, with object ids renamed in order of
 * appearance (devices D1.., HWPTs H1.., IOASes IOAS1..) so traces
 * compare across runs and hosts.  0, -ENOSPC when @buf is too short, or
 * -EOVERFLOW when the trace dropped events (what it kept is printed
 * all the same).
 */
int nest_trace_format(const struct nest_ctx *ctx, unsigned int from,
		      char *buf, size_t len);
/*
 * The same with what the host decides left out: device caps, quirks,
 * address bits, the hiod's type and the DIRTY_TRACKING and PASID bits.
 * Two hosts that took the same steps with the same outcomes give the
 * same shape.
 */
int nest_trace_shape(const struct nest_ctx *ctx, unsigned int from,
		     char *buf, size_t len);

/* Index of the first @type event from @from on, or -1. */
int nest_trace_find(const struct nest_ctx *ctx, unsigned int from,
		    enum nest_event_type type);

#endif
