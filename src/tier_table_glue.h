/*-------------------------------------------------------------------------
 *
 * tier_table_glue.h
 *	  The stored form of a tier_table, shared by the type's functions
 *	  (tier_table.c) and tiered_commission() (tiered_commission.c).
 *
 * A tier_table is a varlena of exact decimals (int64 mantissa + scale, the
 * digits as written), validated once at input; the core (core/tier_table.h)
 * reads it in place through a tt_table view.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SALES_SUPERVISOR_TIER_TABLE_GLUE_H
#define SALES_SUPERVISOR_TIER_TABLE_GLUE_H

#include "postgres.h"

#include "fmgr.h"

#include "tier_table.h"

/* On-disk and in-memory layout; d[] is 8-byte aligned (offset 24). */
typedef struct TierTable
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	uint8		mode;			/* TT_MODE_MARGINAL or TT_MODE_FLAT */
	uint8		has_cap;		/* 0 or 1 */
	uint16		ntiers;			/* 1 .. TT_MAX_TIERS */
	tt_dec		cap;			/* {0,0} without a cap */
	tt_dec		d[FLEXIBLE_ARRAY_MEMBER];	/* thresholds, then rates */
} TierTable;

#define TIER_TABLE_SIZE(n) \
	(offsetof(TierTable, d) + 2 * (Size) (n) * sizeof(tt_dec))

#define DatumGetTierTableP(X)	((TierTable *) PG_DETOAST_DATUM(X))
#define PG_GETARG_TIER_TABLE_P(n) DatumGetTierTableP(PG_GETARG_DATUM(n))

/* The core's view of a stored table: no copy, pointers into t. */
static inline tt_table
tier_table_view(TierTable *t)
{
	tt_table	v;

	v.mode = t->mode;
	v.ntiers = t->ntiers;
	v.has_cap = t->has_cap;
	v.cap = t->cap;
	v.thr = t->d;
	v.rate = t->d + t->ntiers;
	return v;
}

#endif							/* SALES_SUPERVISOR_TIER_TABLE_GLUE_H */
