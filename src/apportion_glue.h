/*-------------------------------------------------------------------------
 *
 * apportion_glue.h
 *	  Helpers shared by the fmgr glue of allocate_quota (array form,
 *	  apportion.c) and of the window functions (apportion_window.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef SALES_SUPERVISOR_APPORTION_GLUE_H
#define SALES_SUPERVISOR_APPORTION_GLUE_H

#include "postgres.h"

#include "utils/array.h"
#include "utils/memutils.h"

#include "apportion.h"

/* numeric Datum -> its exact decimal text (numeric_out), palloc'd */
extern char *numeric_out_text(Datum num);

/*
 * A numeric Datum as the core's value, read from its digits (numeric_scaled.c)
 * -- exactly what the core would make of numeric_out's text, without
 * printing it.  Only a value the core refuses (NaN, infinities, too many
 * digits) is printed, for the message.
 */
extern void apportion_value(Datum num, ApValue *out);

/*
 * Deconstruct a one-dimensional array argument of fname (what names it in
 * errors) of element type elemtype; returns its lower subscript (1 for an
 * empty array).
 */
extern int	apportion_array_elements(ArrayType *arr, Oid elemtype,
									 const char *fname, const char *what,
									 Datum **elems, bool **nulls, int *n);

/* units * unit (unit_datum, read as unit) as a numeric Datum, exactly */
extern Datum apportion_share(int64 units, const ApNum *unit, Datum unit_datum);

/*
 * The work arrays of one ap_allocate call over n rows: rows and work in the
 * current memory context, units and isnull (the answer) in resultcxt.
 * Allocated "huge", so a partition or an array is limited by memory, not by
 * the 1 GB palloc limit.
 */
typedef struct ApportionWork
{
	ApRow	   *rows;
	void	   *work;
	int64	   *units;
	bool	   *isnull;
} ApportionWork;

/* rows above which allocate_quota refuses with 54000 (see apportion.c) */
#define APPORTION_MAX_ROWS	((int64) (MaxAllocHugeSize / 256))

extern void apportion_work_alloc(const char *fname, int64 n,
								 MemoryContext resultcxt, ApportionWork *w);

/* n values, allocated huge in the current memory context */
extern ApValue *apportion_values_alloc(int64 n);

#endif							/* SALES_SUPERVISOR_APPORTION_GLUE_H */
