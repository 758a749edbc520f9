/*-------------------------------------------------------------------------
 *
 * entry_kind_sums.c
 *	  Aggregate entry_kind_sums(kind text, amount numeric) -> numeric[]:
 *	  the sums of a commission account's entries, one per entry kind, in
 *	  one pass.
 *
 * The accounts' check (conservation_settlement_violations) compares every
 * figure of a statement (commission_balance) with the sum of the period's
 * entries of its kind.  Written as ten cents_sum(amount) FILTER (WHERE kind
 * = ...) per statement, each entry is compared with every kind and each
 * group carries ten aggregate states: that pivot was a third of the check's
 * time (docs/performance.md, "From credit to payout").  This aggregate keeps
 * one state per group -- a CentsSum (cents_sum.h) per kind -- and finds an
 * entry's kind once.  Each element is cents_sum's value of that kind's
 * amounts (sum()'s value and display scale), or numeric 0 when the group has
 * no entry of that kind, as coalesce(cents_sum(amount) FILTER (...), 0).
 *
 * The kinds and their order are commission_entry's (its CHECK constraint
 * commission_entry_kind): earned, held, released, clawed_back, spiff,
 * adjustment, draw_paid, guarantee_paid, draw_recovered, paid.  A row with a
 * NULL kind or amount is skipped (as sum() skips NULL); any other kind is an
 * error (22023), never a silent zero.
 *
 * Parallel safe; no combine function (a parallel plan aggregates in one
 * process).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

#include "cents_sum.h"

PG_FUNCTION_INFO_V1(entry_kind_sums_trans);
PG_FUNCTION_INFO_V1(entry_kind_sums_final);

#define ENTRY_KINDS 10

/* commission_entry's kinds, in the order of the result's elements */
static const char *const entry_kinds[ENTRY_KINDS] = {
	"earned", "held", "released", "clawed_back", "spiff",
	"adjustment", "draw_paid", "guarantee_paid", "draw_recovered", "paid"
};

typedef struct EntryKindSums
{
	CentsSum	sums[ENTRY_KINDS];
} EntryKindSums;

/* The element of a kind, -1 for a text that is not one. */
static int
entry_kind_index(const char *kind, int len)
{
	for (int i = 0; i < ENTRY_KINDS; i++)
		if ((int) strlen(entry_kinds[i]) == len && memcmp(entry_kinds[i], kind, len) == 0)
			return i;
	return -1;
}

/*
 * Transition: adds a non-NULL amount to the sum of its kind, the state
 * allocated in the aggregate's memory on the first row (a row with a NULL
 * kind or amount leaves the state as it is).
 */
Datum
entry_kind_sums_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	EntryKindSums *s = PG_ARGISNULL(0) ? NULL : (EntryKindSums *) PG_GETARG_POINTER(0);
	text	   *kind;
	int			k;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("entry_kind_sums_trans called outside an aggregate"),
				 errhint("Call the aggregate entry_kind_sums(text, numeric).")));
	if (s == NULL)
	{
		s = (EntryKindSums *) MemoryContextAlloc(aggcontext, sizeof(EntryKindSums));
		for (int i = 0; i < ENTRY_KINDS; i++)
			cents_sum_init(&s->sums[i]);
	}
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_POINTER(s);
	kind = PG_GETARG_TEXT_PP(1);
	k = entry_kind_index(VARDATA_ANY(kind), VARSIZE_ANY_EXHDR(kind));
	if (k < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" is not a commission entry kind", text_to_cstring(kind)),
				 errhint("The kinds are earned, held, released, clawed_back, spiff, adjustment, draw_paid, "
						 "guarantee_paid, draw_recovered and paid.")));
	cents_sum_add(fcinfo, &s->sums[k], PG_GETARG_DATUM(2));
	PG_RETURN_POINTER(s);
}

/*
 * Final: the ten sums as numeric[] (cents_sum_value: numeric 0 for a kind
 * without an entry); NULL when no row was aggregated.  Reads the state only
 * (a window aggregate may finalise it again).
 */
Datum
entry_kind_sums_final(PG_FUNCTION_ARGS)
{
	EntryKindSums *s;
	Datum		elems[ENTRY_KINDS];

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = (EntryKindSums *) PG_GETARG_POINTER(0);
	for (int i = 0; i < ENTRY_KINDS; i++)
		elems[i] = cents_sum_value(&s->sums[i]);
	/* (numeric: a varlena, int-aligned) */
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, ENTRY_KINDS, NUMERICOID, -1, false, TYPALIGN_INT));
}
