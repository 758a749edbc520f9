/*-------------------------------------------------------------------------
 *
 * core_report.c
 *	  Core result codes to ereport(); see core_report.h.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "core_report.h"
#include "lex.h"

/* soft errors (errsave) exist from PostgreSQL 16 on */
#if PG_VERSION_NUM >= 160000
#define core_errsave(escontext, ...) errsave(escontext, __VA_ARGS__)
#else
#define core_errsave(escontext, ...) ereport(ERROR, __VA_ARGS__)
#endif

bool
core_report(int rc, const char *err, const char *type_name, const char *input,
			struct Node *escontext)
{
	switch (rc)
	{
		case LEX_OK:
			return true;
		case LEX_ERR_SYNTAX:
			core_errsave(escontext,
						 (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
						  errmsg("invalid input syntax for type %s: \"%s\"",
								 type_name, input ? input : ""),
						  errdetail("%s", err)));
			break;
		case LEX_ERR_RANGE:
			core_errsave(escontext,
						 (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						  errmsg("%s", err)));
			break;
		default:
			core_errsave(escontext,
						 (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						  errmsg("%s", err)));
	}
	return false;
}
