/*-------------------------------------------------------------------------
 *
 * tier_table_prepared.h
 *	  A tier table prepared for amounts of one scale: the fast integer
 *	  evaluator behind tiered_commission().
 *
 * tt_eval() (tier_table.h) rescales every threshold and rate on every call
 * and works in 128 bits throughout.  Prepared once per table and amount
 * scale, thresholds and rates become 64-bit integers at common scales and
 * a marginal table also keeps the commission accumulated below each
 * threshold, so one amount costs a short search and one 64x64-bit
 * multiplication.  It gives exactly tt_eval()'s answer whenever it gives
 * one (test/fuzz/fuzz_tier_table_prepared.c checks that); anything that
 * does not fit its integers is declined, and the caller falls back to
 * tt_eval().
 *
 * No PostgreSQL header here: test/unit and test/fuzz drive this directly.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SALES_SUPERVISOR_CORE_TIER_TABLE_PREPARED_H
#define SALES_SUPERVISOR_CORE_TIER_TABLE_PREPARED_H

#include <stdbool.h>
#include <stdint.h>

#include "tier_table.h"

/*
 * A 128-bit integer in memory that may be only 8-byte aligned (palloc'd):
 * tell the compiler so, or it may use 16-byte aligned vector loads and
 * stores on it.
 */
typedef __int128 tt_i128_stored __attribute__((aligned(8)));

/*
 * The prepared form.  thr, rate and cum are the caller's arrays of
 * ntiers elements each (tt_prepare fills them); the rest is set by
 * tt_prepare.
 */
typedef struct tt_prepared
{
	bool		fast;			/* usable: else every amount is declined */
	int			mode;			/* the table's mode */
	int			ntiers;			/* the table's number of tiers */
	int			w;				/* working scale of amounts and thresholds */
	int			r;				/* scale of rates */
	int			f;				/* result scale, tt_result_scale() */
	int64_t		amul;			/* 10^(w - amount scale) */
	int64_t		amax;			/* largest amount mantissa taken */
	tt_i128_stored fmul;		/* 10^(f - w - r) */
	bool		cap_active;		/* cap fits 128 bits at scale f */
	tt_i128_stored cap;			/* cap at scale f */
	int64_t    *thr;			/* thresholds at scale w */
	int64_t    *rate;			/* rates at scale r */
	tt_i128_stored *cum;		/* marginal: commission below thr[i], scale
								 * w + r */
} tt_prepared;

/*
 * Prepare valid table t for amounts of scale ascale.  st->thr, st->rate
 * and st->cum must point to t->ntiers elements each.  st->fast is false
 * when ascale is beyond TT_MAX_SCALE or the table does not fit.
 */
extern void tt_prepare(tt_prepared *st, const tt_table *t, int ascale);

/*
 * Index of the last threshold below a (marginal: a's slice above it earns
 * its rate), or -1: a linear scan for short tables, a binary search for
 * long ones.
 */
static inline int
tt_last_below(const tt_prepared *st, int64_t a)
{
	int			k = st->ntiers - 1;
	int			lo = -1,
				hi = k + 1;

	if (k < 8)
	{
		while (k >= 0 && st->thr[k] >= a)
			k--;
		return k;
	}
	/* thr[lo] < a <= thr[hi] */
	while (hi - lo > 1)
	{
		int			mid = lo + (hi - lo) / 2;

		if (st->thr[mid] < a)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Commission on am / 10^ascale (the ascale st was prepared for) into *res,
 * at scale st->f: true, and *res is what tt_eval() gives; false when the
 * amount is beyond what the prepared integers take (then use tt_eval()).
 * Inline: it is the per-row path of tiered_commission(), a few dozen
 * instructions that a call would add measurably to.
 */
static inline bool
tt_eval_prepared(const tt_prepared *st, __int128 am, __int128 *res)
{
	int64_t		a;
	int			k;
	__int128	out;

	if (!st->fast)
		return false;
	if (am <= 0)
	{
		*res = 0;
		return true;
	}
	if (am > st->amax)
		return false;
	a = (int64_t) am * st->amul;
	if (st->mode == TT_MODE_FLAT)
	{
		/* the last threshold <= a */
		k = st->ntiers - 1;
		while (k >= 0 && st->thr[k] > a)
			k--;
		out = k >= 0 ? (__int128) a * st->rate[k] : 0;
	}
	else
	{
		k = tt_last_below(st, a);
		out = k >= 0 ? st->cum[k] + (__int128) (a - st->thr[k]) * st->rate[k] : 0;
	}
	if (st->fmul != 1 && __builtin_mul_overflow(out, (__int128) st->fmul, &out))
		return false;
	if (st->cap_active && out > st->cap)
		out = st->cap;
	*res = out;
	return true;
}

#endif
