/*-------------------------------------------------------------------------
 *
 * core_report.h
 *	  Turn a result code of the pure-C cores (LEX_* in core/lex.h) and its
 *	  message into an ERROR with the contract's SQLSTATE.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SALES_SUPERVISOR_CORE_REPORT_H
#define SALES_SUPERVISOR_CORE_REPORT_H

/*
 * Returns only for LEX_OK.  A syntax error (22P02) names the whole input
 * (input may be NULL: no text input), as built-in input functions do, with
 * the core's sentence as detail; range (22003) and any other code (22023)
 * carry the core's message, which names the offending value.
 */
extern void core_report(int rc, const char *err, const char *type_name,
						const char *input);

#endif
