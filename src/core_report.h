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

struct Node;

/*
 * Returns true for LEX_OK.  A syntax error (22P02) names the whole input
 * (input may be NULL: no text input), as built-in input functions do, with
 * the core's sentence as detail; range (22003) and any other code (22023)
 * carry the core's message, which names the offending value.
 *
 * escontext is an input function's fcinfo->context: on PostgreSQL 16 and
 * later, when it is an ErrorSaveContext (pg_input_is_valid, COPY ... ON_ERROR)
 * the error is saved there instead of thrown and false is returned; the
 * caller then returns NULL.  Before 16 (and for other callers, with NULL)
 * every error is thrown.
 */
extern bool core_report(int rc, const char *err, const char *type_name,
						const char *input, struct Node *escontext);

#endif
