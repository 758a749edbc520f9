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

void
core_report(int rc, const char *err, const char *type_name, const char *input)
{
	switch (rc)
	{
		case LEX_OK:
			return;
		case LEX_ERR_SYNTAX:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type %s: \"%s\"",
							type_name, input ? input : ""),
					 errdetail("%s", err)));
			break;
		case LEX_ERR_RANGE:
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("%s", err)));
			break;
		default:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s", err)));
	}
}
