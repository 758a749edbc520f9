/*-------------------------------------------------------------------------
 *
 * module.c
 *	  The sales_supervisor shared library's one-time declarations.
 *
 * Each concept lives in its own file (kpi_attainment.c, score_curve.c, ...);
 * the pure-C logic they call lives in src/core/ and includes no PostgreSQL
 * header, so test/unit and test/fuzz can drive it directly.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"

PG_MODULE_MAGIC;
