/*-------------------------------------------------------------------------
 *
 * core_error.h
 *	  The one error report of the pure-C cores (lex, tier_table,
 *	  tier_table_prepared, score_curve, apportion, metrics): a code that
 *	  says which SQLSTATE applies, a message, and an optional detail and
 *	  hint, in fixed buffers so that no core function allocates to report.
 *
 * The fmgr glue turns a CoreError into ereport() with core_report()
 * (src/core_report.c), the only place that knows the mapping to SQLSTATEs.
 * A core function that can fail takes a CoreError *, fills it on failure
 * and returns its code; CORE_OK (0) is success.
 *
 * No PostgreSQL header here: test/unit and test/fuzz drive this directly.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SALES_SUPERVISOR_CORE_ERROR_H
#define SALES_SUPERVISOR_CORE_ERROR_H

#include <stddef.h>

#define CORE_OK				0
#define CORE_ERR_SYNTAX		1	/* 22P02 invalid_text_representation */
#define CORE_ERR_INVALID	2	/* 22023 invalid_parameter_value */
#define CORE_ERR_RANGE		3	/* 22003 numeric_value_out_of_range */
#define CORE_ERR_BINARY		4	/* 22P03 invalid_binary_representation */
#define CORE_ERR_INTERNAL	5	/* "can't happen": elog(ERROR) */

#define CORE_MSGLEN			512

/*
 * For CORE_ERR_SYNTAX, msg is a full sentence that the glue shows as the
 * detail of "invalid input syntax for type T: "input"" (as built-in input
 * functions do); for every other code msg is the error message itself.
 * detail and hint are empty strings when there is none.
 */
typedef struct CoreError
{
	int			code;
	char		msg[CORE_MSGLEN];
	char		detail[CORE_MSGLEN];
	char		hint[CORE_MSGLEN];
} CoreError;

/* Clear err to "no error" (code CORE_OK, empty texts). */
extern void core_error_clear(CoreError *err);

/*
 * Set err's code and message (printf format), clear detail and hint, and
 * return code, so a failing function can "return core_error(err, ...)".
 */
extern int	core_error(CoreError *err, int code, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));

/* Set the detail / the hint of an error already set (printf format). */
extern void core_error_detail(CoreError *err, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));
extern void core_error_hint(CoreError *err, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));

#endif
