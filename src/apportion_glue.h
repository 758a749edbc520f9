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
extern char *ap_numeric_text(Datum num);

/*
 * Deconstruct a one-dimensional array argument of fname (what names it in
 * errors) of element type elemtype; returns its lower subscript (1 for an
 * empty array).
 */
extern int	ap_array_elements(ArrayType *arr, Oid elemtype, const char *fname,
							  const char *what, Datum **elems, bool **nulls,
							  int *n);

/* turn a core error into ereport(ERROR) with the right SQLSTATE */
extern void ap_report(const ApError *err) pg_attribute_noreturn();

/* units * unit (unit_datum, parsed as unit) as a numeric Datum, exactly */
extern Datum ap_share_datum(int64 units, const ApNum *unit, Datum unit_datum);

/*
 * The work arrays of one ap_allocate call over n rows: rows and work in the
 * current memory context, units and isnull (the answer) in resultcxt.
 * Allocated "huge", so a partition or an array is limited by memory, not by
 * the 1 GB palloc limit.
 */
typedef struct ApWork
{
	ApRow	   *rows;
	void	   *work;
	int64	   *units;
	bool	   *isnull;
} ApWork;

/* rows above which allocate_quota refuses with 54000 (see apportion.c) */
#define AP_MAX_ROWS		((int64) (MaxAllocHugeSize / 256))

extern void ap_work_alloc(const char *fname, int64 n, MemoryContext resultcxt,
						  ApWork *w);

#endif							/* SALES_SUPERVISOR_APPORTION_GLUE_H */
