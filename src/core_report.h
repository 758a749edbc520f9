/*-------------------------------------------------------------------------
 *
 * core_report.h
 *	  Turn the error report of a pure-C core (CoreError, core/core_error.h)
 *	  into ereport() with the contract's SQLSTATE: the one place that maps
 *	  core codes to SQLSTATEs.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SALES_SUPERVISOR_CORE_REPORT_H
#define SALES_SUPERVISOR_CORE_REPORT_H

#include "core_error.h"

struct Node;

/*
 * Returns true for CORE_OK.  Otherwise:
 *	 CORE_ERR_SYNTAX	22P02 "invalid input syntax for type <type_name>:
 *						"<input>"" (input may be NULL: no text input), as
 *						built-in input functions say it, the core's sentence
 *						as the detail;
 *	 CORE_ERR_INVALID	22023, CORE_ERR_RANGE 22003, CORE_ERR_BINARY 22P03:
 *						the core's message, detail and hint;
 *	 CORE_ERR_INTERNAL	elog(ERROR) with the core's message.
 *
 * type_name and input matter for syntax errors only; other callers pass
 * NULL.  escontext is an input function's fcinfo->context: on PostgreSQL
 * 16 and later, when it is an ErrorSaveContext (pg_input_is_valid, COPY
 * ... ON_ERROR) the error is saved there instead of thrown and false is
 * returned; the caller then returns NULL.  Before 16 (and for other
 * callers, with NULL) every error is thrown.
 */
extern bool core_report(const CoreError *err, const char *type_name,
						const char *input, struct Node *escontext);

#endif
