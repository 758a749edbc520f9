/*-------------------------------------------------------------------------
 *
 * metrics_glue.h
 *	  Small helpers shared by the fmgr glue of the metric aggregates
 *	  (metrics.c) and of trimmed_mean (trimmed_mean.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef SALES_SUPERVISOR_METRICS_GLUE_H
#define SALES_SUPERVISOR_METRICS_GLUE_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/float.h"

/*
 * The aggregate memory context, where a state must live to survive from
 * row to row.  The support functions take and return "internal", so SQL
 * cannot call them directly, but a C caller could: refuse anything but an
 * aggregate call.
 */
static inline MemoryContext
aggregate_context(FunctionCallInfo fcinfo, const char *fname)
{
	MemoryContext aggcontext;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "%s called in non-aggregate context", fname);
	return aggcontext;
}

/* float8 text as PostgreSQL prints it, for error messages */
static inline char *
float8_text(double d)
{
	return DatumGetCString(DirectFunctionCall1(float8out, Float8GetDatum(d)));
}

#endif							/* SALES_SUPERVISOR_METRICS_GLUE_H */
