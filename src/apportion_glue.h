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

#include "apportion.h"

/* numeric Datum -> its exact decimal text (numeric_out), palloc'd */
extern char *ap_numeric_text(Datum num);

/* turn a core error into ereport(ERROR) with the right SQLSTATE */
extern void ap_report(const ApError *err) pg_attribute_noreturn();

/* units * unit as a numeric Datum with dscale digits after the point */
extern Datum ap_share_datum(int64 units, const ApNum *unit, int dscale);

#endif							/* SALES_SUPERVISOR_APPORTION_GLUE_H */
