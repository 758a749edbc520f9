/*-------------------------------------------------------------------------
 *
 * core_report.c
 *	  Core error reports to ereport(); see core_report.h.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "nodes/nodes.h"

#include "core_report.h"

/* soft errors (errsave) exist from PostgreSQL 16 on */
#if PG_VERSION_NUM >= 160000
#define report_errsave(escontext, ...) errsave(escontext, __VA_ARGS__)
#else
#define report_errsave(escontext, ...) ereport(ERROR, __VA_ARGS__)
#endif

/* The SQLSTATE of a core code other than CORE_OK and CORE_ERR_INTERNAL. */
static int
sqlstate_of(int code)
{
	switch (code)
	{
		case CORE_ERR_SYNTAX:
			return ERRCODE_INVALID_TEXT_REPRESENTATION;
		case CORE_ERR_RANGE:
			return ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE;
		case CORE_ERR_BINARY:
			return ERRCODE_INVALID_BINARY_REPRESENTATION;
		default:
			return ERRCODE_INVALID_PARAMETER_VALUE;
	}
}

/* Report err (see core_report.h); true when there is nothing to report. */
bool
core_report(const CoreError *err, const char *type_name, const char *input,
			struct Node *escontext)
{
	if (err->code == CORE_OK)
		return true;
	if (err->code == CORE_ERR_INTERNAL)
		elog(ERROR, "%s", err->msg);
	if (err->code == CORE_ERR_SYNTAX)
		report_errsave(escontext,
					 (errcode(sqlstate_of(err->code)),
					  errmsg("invalid input syntax for type %s: \"%s\"",
							 type_name ? type_name : "unknown",
							 input ? input : ""),
					  errdetail_internal("%s", err->msg)));
	else
		report_errsave(escontext,
					 (errcode(sqlstate_of(err->code)),
					  errmsg_internal("%s", err->msg),
					  err->detail[0] ? errdetail_internal("%s", err->detail) : 0,
					  err->hint[0] ? errhint("%s", err->hint) : 0));
	return false;
}
