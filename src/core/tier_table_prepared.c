/*-------------------------------------------------------------------------
 *
 * tier_table_prepared.c
 *	  Preparing a tier table for the integer evaluator, tt_eval_prepared()
 *	  (inline in tier_table_prepared.h, as the per-row path); see there.
 *
 * Bounds: thresholds and rates are below 10^18 and at most 18 decimals, so
 * at a common scale they fit int64 or the preparation is declined; the
 * amount at the working scale is checked against amax; a slice times a
 * rate is a 64x64-bit product, below 2^126, and the accumulated commission
 * below each threshold is kept below 2^126, so cum + slice x rate stays
 * below 2^127.  Only the last step, to the result scale, can overflow,
 * and it is checked.
 *
 *-------------------------------------------------------------------------
 */
#include "tier_table_prepared.h"

#include "pow10.h"

typedef __int128 i128;

/* a decimal at a larger scale as int64; false if it does not fit */
static bool
tt_dec_at(tt_dec d, int scale, int64_t *out)
{
	return !__builtin_mul_overflow(d.m, pow10_i64(scale - d.scale), out);
}

/* The cap of t at scale f, or cap_active false if it is beyond 128 bits. */
static void
tt_prepare_cap(tt_prepared *st, const tt_table *t)
{
	i128		c = t->cap.m;
	int			i;

	st->cap_active = false;
	st->cap = 0;
	if (!t->has_cap)
		return;
	for (i = t->cap.scale; i < st->f; i++)
		if (__builtin_mul_overflow(c, (i128) 10, &c))
			return;				/* above any 128-bit result */
	st->cap_active = true;
	st->cap = c;
}

/*
 * Thresholds and rates at the common scales, and for a marginal table the
 * commission below each threshold; false when any of it does not fit.
 */
static bool
tt_prepare_tiers(tt_prepared *st, const tt_table *t)
{
	const i128	limit = (i128) 1 << 126;
	int			i;

	for (i = 0; i < t->ntiers; i++)
	{
		if (!tt_dec_at(t->thr[i], st->w, &st->thr[i]) ||
			!tt_dec_at(t->rate[i], st->r, &st->rate[i]))
			return false;
	}
	if (t->mode != TT_MODE_MARGINAL)
		return true;
	st->cum[0] = 0;
	for (i = 1; i < t->ntiers; i++)
	{
		int64_t		slice = st->thr[i] - st->thr[i - 1];

		st->cum[i] = st->cum[i - 1] + (i128) slice * st->rate[i - 1];
		/* keeps cum + (amount slice x rate) below 2^127 */
		if (st->cum[i] >= limit)
			return false;
	}
	return true;
}

/* Prepare t for amounts of scale ascale (see tier_table_prepared.h). */
void
tt_prepare(tt_prepared *st, const tt_table *t, int ascale)
{
	int			i;

	st->fast = false;
	st->mode = t->mode;
	st->ntiers = t->ntiers;
	if (ascale < 0 || ascale > TT_MAX_SCALE)
		return;
	st->w = ascale;
	st->r = 0;
	for (i = 0; i < t->ntiers; i++)
	{
		if (t->thr[i].scale > st->w)
			st->w = t->thr[i].scale;
		if (t->rate[i].scale > st->r)
			st->r = t->rate[i].scale;
	}
	st->f = tt_result_scale(t, ascale);
	st->amul = pow10_i64(st->w - ascale);
	st->amax = INT64_MAX / st->amul;
	st->fmul = pow10_i64(st->f - st->w - st->r);
	tt_prepare_cap(st, t);
	st->fast = tt_prepare_tiers(st, t);
}
