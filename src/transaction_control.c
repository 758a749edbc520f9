/*-------------------------------------------------------------------------
 *
 * transaction_control.c
 *	  transaction_control_allowed() -> boolean
 *
 * May the PL/pgSQL procedure that calls this COMMIT or ROLLBACK now?  True
 * exactly when the procedure runs in a non-atomic context (a CALL at top
 * level -- pg_cron, psql in autocommit -- or from a procedure so called;
 * not inside a transaction block, a function or a DO block run by a
 * function) and no subtransaction is active (no exception block, of the
 * procedure or of a caller, is open).  These are the two conditions
 * SPI_commit checks before it refuses with SQLSTATE 2D000.
 *
 * run_job used to find out by attempting a COMMIT in an exception block and
 * comparing the error message with an English text: under a translated
 * lc_messages the comparison failed, and a failed scheduled job was only a
 * WARNING.  Both refusals carry the same SQLSTATE (2D000), so the code cannot
 * tell them apart either; asking the server needs no error at all.
 *
 * The function itself runs in the caller's SPI connection (it opens none),
 * so SPI_inside_nonatomic_context() answers for the calling procedure.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "executor/spi.h"
#include "fmgr.h"

PG_FUNCTION_INFO_V1(transaction_control_allowed);

/* transaction_control_allowed() -> boolean; see the file header */
Datum
transaction_control_allowed(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(SPI_inside_nonatomic_context() && !IsSubTransaction());
}
