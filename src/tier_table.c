/*-------------------------------------------------------------------------
 *
 * tier_table.c
 *	  fmgr glue of the tier_table type and tiered_commission().
 *
 * A tier_table is a varlena of exact decimals (int64 mantissa + scale, the
 * digits as written), validated once at input.  tiered_commission() reads
 * the amount's numeric digits directly into a scaled 128-bit integer,
 * evaluates the table in integer arithmetic (core/tier_table.c) and builds
 * the numeric result directly: no float, no numeric_in/numeric_out, one
 * palloc (the result) per row.  When an amount has too many digits or
 * decimals for 128 bits, the same rules are evaluated with numeric
 * arithmetic instead, so every amount gets an exact answer.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"

#include "core_report.h"
#include "datum_cache.h"
#include "tier_table.h"

typedef __int128 i128;
typedef unsigned __int128 u128;

/*
 * A 128-bit integer stored in palloc'd memory, which is only 8-byte
 * aligned: tell the compiler so (otherwise it may use 16-byte aligned
 * vector loads and stores on it).
 */
typedef __int128 i128_stored __attribute__((aligned(8)));

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

#define TT_SIZE(n)	(offsetof(TierTable, d) + 2 * (Size) (n) * sizeof(tt_dec))

#define DatumGetTierTableP(X)	((TierTable *) PG_DETOAST_DATUM(X))
#define PG_GETARG_TIER_TABLE_P(n) DatumGetTierTableP(PG_GETARG_DATUM(n))

PG_FUNCTION_INFO_V1(tier_table_in);
PG_FUNCTION_INFO_V1(tier_table_out);
PG_FUNCTION_INFO_V1(tier_table_recv);
PG_FUNCTION_INFO_V1(tier_table_send);
PG_FUNCTION_INFO_V1(tier_table_eq);
PG_FUNCTION_INFO_V1(tier_table_ne);
PG_FUNCTION_INFO_V1(tier_table_hash);
PG_FUNCTION_INFO_V1(tier_table_hash_extended);
PG_FUNCTION_INFO_V1(tier_table_cmp);
PG_FUNCTION_INFO_V1(tier_table_lt);
PG_FUNCTION_INFO_V1(tier_table_le);
PG_FUNCTION_INFO_V1(tier_table_gt);
PG_FUNCTION_INFO_V1(tier_table_ge);
PG_FUNCTION_INFO_V1(tiered_commission);

/* A core view of a stored table (no copy). */
static tt_table
tt_view(TierTable *t)
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

/* Store a validated core table. */
static TierTable *
tt_build(const tt_table *v)
{
	TierTable  *t = (TierTable *) palloc0(TT_SIZE(v->ntiers));

	SET_VARSIZE(t, TT_SIZE(v->ntiers));
	t->mode = (uint8) v->mode;
	t->has_cap = (uint8) v->has_cap;
	t->ntiers = (uint16) v->ntiers;
	t->cap = v->cap;
	memcpy(t->d, v->thr, v->ntiers * sizeof(tt_dec));
	memcpy(t->d + v->ntiers, v->rate, v->ntiers * sizeof(tt_dec));
	return t;
}

/*
 * tier_table_in(cstring) -> tier_table
 * "marginal[(0,0.02),(100000,0.03)] cap 50000" or "flat[...]".
 */
Datum
tier_table_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	tt_table	v;
	char		err[256];
	int			rc;

	v.thr = palloc(TT_MAX_TIERS * sizeof(tt_dec));
	v.rate = palloc(TT_MAX_TIERS * sizeof(tt_dec));
	rc = tt_parse(str, strlen(str), &v, err, sizeof(err));
	if (!core_report(rc, err, "tier_table", str, fcinfo->context))
		PG_RETURN_NULL();		/* soft error saved (PostgreSQL 16+) */
	PG_RETURN_POINTER(tt_build(&v));
}

/*
 * tier_table_out(tier_table) -> cstring
 * Canonical: lower-case mode, no blanks inside the brackets, " cap N" when
 * there is a cap, and every number with the digits it was written with.
 */
Datum
tier_table_out(PG_FUNCTION_ARGS)
{
	TierTable  *t = PG_GETARG_TIER_TABLE_P(0);
	tt_table	v = tt_view(t);
	size_t		buflen = TT_TEXT_MAXLEN(v.ntiers);
	char	   *buf = palloc(buflen);

	if (tt_format(&v, buf, buflen) < 0)
		elog(ERROR, "could not format tier_table with %d tiers", v.ntiers);
	PG_RETURN_CSTRING(buf);
}

/* the binary size of one decimal: int8 mantissa, int4 scale */
#define TT_DEC_WIRE 12

static tt_dec
tt_recv_dec(StringInfo buf)
{
	tt_dec		d;

	d.m = (int64) pq_getmsgint64(buf);
	d.scale = (int32) pq_getmsgint(buf, 4);
	d.pad = 0;
	return d;
}

static void
tt_send_dec(StringInfo buf, tt_dec d)
{
	pq_sendint64(buf, d.m);
	pq_sendint32(buf, d.scale);
}

/*
 * tier_table_recv(internal) -> tier_table
 * Binary form: int1 mode, int1 has_cap, int4 ntiers, the cap (int8 mantissa,
 * int4 scale; 0,0 without a cap), then threshold and rate of each tier.
 * Re-validated like text input; a short value is a clean error.
 */
Datum
tier_table_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	tt_table	v;
	char		err[256];
	int			i,
				rc;

	if (buf->len - buf->cursor < 6 + TT_DEC_WIRE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("truncated binary tier_table: %d bytes, the header alone needs %d",
						buf->len - buf->cursor, 6 + TT_DEC_WIRE)));
	v.mode = pq_getmsgbyte(buf);
	v.has_cap = pq_getmsgbyte(buf);
	v.ntiers = pq_getmsgint(buf, 4);
	v.cap = tt_recv_dec(buf);
	if (v.ntiers < 1 || v.ntiers > TT_MAX_TIERS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid number of tiers in binary tier_table: %d", v.ntiers),
				 errdetail("A tier_table has 1 to %d tiers.", TT_MAX_TIERS)));
	if (buf->len - buf->cursor < v.ntiers * 2 * TT_DEC_WIRE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("truncated binary tier_table: %d tiers need %d bytes, got %d",
						v.ntiers, v.ntiers * 2 * TT_DEC_WIRE,
						buf->len - buf->cursor)));
	v.thr = palloc(v.ntiers * sizeof(tt_dec));
	v.rate = palloc(v.ntiers * sizeof(tt_dec));
	for (i = 0; i < v.ntiers; i++)
	{
		v.thr[i] = tt_recv_dec(buf);
		v.rate[i] = tt_recv_dec(buf);
	}
	rc = tt_validate(&v, err, sizeof(err));
	if (rc != TT_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary tier_table: %s", err)));
	PG_RETURN_POINTER(tt_build(&v));
}

/* tier_table_send(tier_table) -> bytea; the layout tier_table_recv reads */
Datum
tier_table_send(PG_FUNCTION_ARGS)
{
	TierTable  *t = PG_GETARG_TIER_TABLE_P(0);
	tt_table	v = tt_view(t);
	StringInfoData buf;
	int			i;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, (uint8) v.mode);
	pq_sendbyte(&buf, (uint8) v.has_cap);
	pq_sendint32(&buf, v.ntiers);
	tt_send_dec(&buf, v.cap);
	for (i = 0; i < v.ntiers; i++)
	{
		tt_send_dec(&buf, v.thr[i]);
		tt_send_dec(&buf, v.rate[i]);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/*
 * Equal tables compute the same commission: same mode, same cap, same
 * thresholds and rates by value (0.02 = 0.020, as for numeric).
 */
Datum
tier_table_eq(PG_FUNCTION_ARGS)
{
	tt_table	a = tt_view(PG_GETARG_TIER_TABLE_P(0));
	tt_table	b = tt_view(PG_GETARG_TIER_TABLE_P(1));

	PG_RETURN_BOOL(tt_equal(&a, &b));
}

Datum
tier_table_ne(PG_FUNCTION_ARGS)
{
	tt_table	a = tt_view(PG_GETARG_TIER_TABLE_P(0));
	tt_table	b = tt_view(PG_GETARG_TIER_TABLE_P(1));

	PG_RETURN_BOOL(!tt_equal(&a, &b));
}

/* a decimal without its trailing fractional zeros (0.020 -> 0.02) */
static tt_dec
tt_dec_normal(tt_dec d)
{
	while (d.scale > 0 && d.m % 10 == 0)
	{
		d.m /= 10;
		d.scale--;
	}
	return d;
}

/* hash of a decimal by value: trailing fractional zeros do not count */
static uint32
tt_dec_hash(tt_dec d, uint32 h)
{
	d = tt_dec_normal(d);
	h = hash_combine(h, DatumGetUInt32(hash_uint32((uint32) d.m)));
	h = hash_combine(h, DatumGetUInt32(hash_uint32((uint32) ((uint64) d.m >> 32))));
	return hash_combine(h, DatumGetUInt32(hash_uint32((uint32) d.scale)));
}

/* 32-bit hash of a table; see tier_table_hash */
static uint32
tt_hash32(const tt_table *v)
{
	uint32		h = DatumGetUInt32(hash_uint32((uint32) (v->mode * 2 + v->has_cap)));
	int			i;

	h = hash_combine(h, DatumGetUInt32(hash_uint32((uint32) v->ntiers)));
	if (v->has_cap)
		h = tt_dec_hash(v->cap, h);
	for (i = 0; i < v->ntiers; i++)
	{
		h = tt_dec_hash(v->thr[i], h);
		h = tt_dec_hash(v->rate[i], h);
	}
	return h;
}

/*
 * tier_table_hash(tier_table) -> int4, for the hash operator class.  It
 * agrees with = (equal by value): every decimal is hashed without its
 * trailing fractional zeros, so 0.02 and 0.020 hash alike.
 */
Datum
tier_table_hash(PG_FUNCTION_ARGS)
{
	tt_table	v = tt_view(PG_GETARG_TIER_TABLE_P(0));

	PG_RETURN_UINT32(tt_hash32(&v));
}

/* one decimal by value into a 64-bit seeded hash */
static uint64
tt_dec_hash64(tt_dec d, uint64 h, uint64 seed)
{
	d = tt_dec_normal(d);
	h = hash_combine64(h, DatumGetUInt64(hash_uint32_extended((uint32) d.m, seed)));
	h = hash_combine64(h, DatumGetUInt64(hash_uint32_extended((uint32) ((uint64) d.m >> 32), seed)));
	return hash_combine64(h, DatumGetUInt64(hash_uint32_extended((uint32) d.scale, seed)));
}

/*
 * tier_table_hash_extended(tier_table, int8) -> int8, hash support function
 * 2 (hash partitioning).  The same parts as tier_table_hash, by value,
 * mixed into 64 bits with the seed; with seed 0 the low 32 bits are
 * tier_table_hash's value, as the hash opclass contract asks.
 */
Datum
tier_table_hash_extended(PG_FUNCTION_ARGS)
{
	tt_table	v = tt_view(PG_GETARG_TIER_TABLE_P(0));
	uint64		seed = (uint64) PG_GETARG_INT64(1);
	uint64		h = DatumGetUInt64(hash_uint32_extended((uint32) (v.mode * 2 + v.has_cap), seed));
	int			i;

	h = hash_combine64(h, DatumGetUInt64(hash_uint32_extended((uint32) v.ntiers, seed)));
	if (v.has_cap)
		h = tt_dec_hash64(v.cap, h, seed);
	for (i = 0; i < v.ntiers; i++)
	{
		h = tt_dec_hash64(v.thr[i], h, seed);
		h = tt_dec_hash64(v.rate[i], h, seed);
	}
	if (seed == 0)
		h = (h & UINT64CONST(0xFFFFFFFF00000000)) | tt_hash32(&v);
	PG_RETURN_UINT64(h);
}

/*
 * The btree order of two tier_table arguments (see tt_compare): by mode,
 * then tier by tier by value, then cap; 0 exactly when = holds, so 0.02
 * and 0.020 compare equal.  Detoasted copies are freed, as a sort may call
 * this many times in one memory context.
 */
static int
tt_cmp_args(FunctionCallInfo fcinfo)
{
	TierTable  *ta = PG_GETARG_TIER_TABLE_P(0);
	TierTable  *tb = PG_GETARG_TIER_TABLE_P(1);
	tt_table	a = tt_view(ta);
	tt_table	b = tt_view(tb);
	int			c = tt_compare(&a, &b);

	PG_FREE_IF_COPY(ta, 0);
	PG_FREE_IF_COPY(tb, 1);
	return c;
}

/* tier_table_cmp(tier_table, tier_table) -> int4, btree support 1 */
Datum
tier_table_cmp(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(tt_cmp_args(fcinfo));
}

Datum
tier_table_lt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(tt_cmp_args(fcinfo) < 0);
}

Datum
tier_table_le(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(tt_cmp_args(fcinfo) <= 0);
}

Datum
tier_table_gt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(tt_cmp_args(fcinfo) > 0);
}

Datum
tier_table_ge(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(tt_cmp_args(fcinfo) >= 0);
}

/*
 * A table prepared for amounts of one scale: thresholds and rates as 64-bit
 * integers at common scales, and for marginal tables the commission
 * accumulated below each threshold, so one row costs a short search and
 * one 64x64-bit multiplication.  Anything that does not fit disables the
 * prepared path and the row goes to the general evaluator (tt_eval, then
 * numeric).
 */
typedef struct TtPrep
{
	bool		fast;			/* prepared path usable for this scale */
	int			mode;			/* the table's mode */
	int			ntiers;			/* the table's number of tiers */
	int			w;				/* working scale of amounts and thresholds */
	int			r;				/* scale of rates */
	int			f;				/* result scale */
	int64		amul;			/* 10^(w - ascale) */
	int64		amax;			/* largest amount mantissa taken */
	i128_stored fmul;			/* 10^(f - w - r) */
	bool		cap_active;		/* cap fits 128 bits at scale f */
	i128_stored cap;			/* cap at scale f */
	int64	   *thr;			/* thresholds at scale w */
	int64	   *rate;			/* rates at scale r */
	i128_stored *cum;			/* marginal: commission below thr[i], scale w + r */
} TtPrep;

/*
 * Per-table state of tiered_commission(), kept in the per-call-site datum
 * cache (datum_cache.c: keyed on the datum's exact bytes, so a table read
 * from a row is detoasted and aligned once, not once per row, and a few
 * dozen tables in rotation stay prepared): the table, and one prepared set
 * per amount scale, made when an amount of that scale first comes.  A
 * numeric column without typmod mixes scales (12.5, 7, 3.25), so keeping
 * only the last scale would re-prepare on nearly every row.
 */
typedef struct TtState
{
	TierTable  *table;			/* aligned, detoasted copy */
	tt_table	v;				/* core view of table */
	TtPrep	   *prep[TT_MAX_SCALE + 1]; /* by amount scale; NULL: not yet */
} TtState;

static const int64 pow10_64[19] = {
	1LL, 10LL, 100LL, 1000LL, 10000LL, 100000LL, 1000000LL, 10000000LL,
	100000000LL, 1000000000LL, 10000000000LL, 100000000000LL,
	1000000000000LL, 10000000000000LL, 100000000000000LL,
	1000000000000000LL, 10000000000000000LL, 100000000000000000LL,
	1000000000000000000LL
};

/* a decimal at a larger scale as int64; false if it does not fit */
static bool
tt_dec_at(tt_dec d, int scale, int64 *out)
{
	return !__builtin_mul_overflow(d.m, pow10_64[scale - d.scale], out);
}

/* Prepare st for amounts of scale ascale (0 .. TT_MAX_SCALE) of table v. */
static void
tt_prepare(TtPrep *st, const tt_table *v, int ascale)
{
	int			i;
	int64		slice;
	i128		part;
	const i128	limit = (i128) 1 << 126;

	st->fast = false;
	st->mode = v->mode;
	st->ntiers = v->ntiers;
	if (ascale > TT_MAX_SCALE)
		return;
	st->w = ascale;
	st->r = 0;
	for (i = 0; i < v->ntiers; i++)
	{
		st->w = Max(st->w, v->thr[i].scale);
		st->r = Max(st->r, v->rate[i].scale);
	}
	st->f = tt_result_scale(v, ascale);
	st->amul = pow10_64[st->w - ascale];
	st->amax = PG_INT64_MAX / st->amul;
	st->fmul = pow10_64[st->f - st->w - st->r];
	st->cap_active = false;
	if (v->has_cap)
	{
		i128		c = v->cap.m;

		st->cap_active = true;
		for (i = v->cap.scale; i < st->f; i++)
			if (__builtin_mul_overflow(c, (i128) 10, &c))
			{
				st->cap_active = false;	/* above any 128-bit result */
				break;
			}
		st->cap = c;
	}
	for (i = 0; i < v->ntiers; i++)
	{
		if (!tt_dec_at(v->thr[i], st->w, &st->thr[i]) ||
			!tt_dec_at(v->rate[i], st->r, &st->rate[i]))
			return;
	}
	if (v->mode == TT_MODE_MARGINAL)
	{
		st->cum[0] = 0;
		for (i = 1; i < v->ntiers; i++)
		{
			slice = st->thr[i] - st->thr[i - 1];
			part = (i128) slice * st->rate[i - 1];
			st->cum[i] = st->cum[i - 1] + part;
			/* keeps cum + (amount slice x rate) below 2^127 */
			if (st->cum[i] >= limit)
				return;
		}
	}
	st->fast = true;
}

/* datum_cache build callback: the state of a newly seen table, in cxt */
static void *
tt_build_state(struct varlena *value, MemoryContext cxt)
{
	TtState    *st = (TtState *) MemoryContextAllocZero(cxt, sizeof(TtState));

	st->table = (TierTable *) value;
	st->v = tt_view(st->table);
	return st;
}

/* The state of this call's table, built only on a cache miss. */
static TtState *
tt_state(FunctionCallInfo fcinfo, int argno)
{
	return (TtState *) datum_cache_get(fcinfo, argno, tt_build_state);
}

/*
 * The table of st prepared for amount scale ascale (<= TT_MAX_SCALE), made
 * on first use in the cache entry's memory context, and published only
 * once complete.
 */
static TtPrep *
tt_prep(FunctionCallInfo fcinfo, TtState *st, int ascale)
{
	TtPrep	   *p;
	MemoryContext cxt;

	if (ascale < 0 || ascale > TT_MAX_SCALE)
		elog(ERROR, "tier_table prepared for amount scale %d", ascale);
	p = st->prep[ascale];
	if (p != NULL)
		return p;
	cxt = datum_cache_entry_context(fcinfo);
	p = (TtPrep *) MemoryContextAllocZero(cxt, sizeof(TtPrep));
	p->thr = MemoryContextAlloc(cxt, st->v.ntiers * sizeof(int64));
	p->rate = MemoryContextAlloc(cxt, st->v.ntiers * sizeof(int64));
	p->cum = MemoryContextAlloc(cxt, st->v.ntiers * sizeof(i128_stored));
	tt_prepare(p, &st->v, ascale);
	st->prep[ascale] = p;
	return p;
}

/*
 * Commission on am / 10^ascale by the prepared state; false when the
 * amount is outside what the prepared path takes.
 */
static bool
tt_eval_prepared(const TtPrep *st, i128 am, i128 *res)
{
	int64		a;
	int			k;
	i128		out;

	if (am <= 0)
	{
		*res = 0;
		return true;
	}
	if (am > st->amax)
		return false;
	a = (int64) am * st->amul;
	k = st->ntiers - 1;
	if (st->mode == TT_MODE_FLAT)
	{
		/* the last threshold <= a */
		while (k >= 0 && st->thr[k] > a)
			k--;
		out = k >= 0 ? (i128) a * st->rate[k] : 0;
	}
	else
	{
		/* the last threshold < a: a's slice above it earns its rate */
		if (k >= 8)
		{
			int			lo = -1,
						hi = k + 1;

			/* thr[lo] < a <= thr[hi] */
			while (hi - lo > 1)
			{
				int			mid = lo + (hi - lo) / 2;

				if (st->thr[mid] < a)
					lo = mid;
				else
					hi = mid;
			}
			k = lo;
		}
		else
		{
			while (k >= 0 && st->thr[k] >= a)
				k--;
		}
		out = k >= 0 ? st->cum[k] + (i128) (a - st->thr[k]) * st->rate[k] : 0;
	}
	if (st->fmul != 1 && __builtin_mul_overflow(out, st->fmul, &out))
		return false;
	if (st->cap_active && out > st->cap)
		out = st->cap;
	*res = out;
	return true;
}

/*
 * The on-disk format of numeric, as defined in utils/adt/numeric.c (not in
 * a header).  It is stable: pg_upgrade keeps numeric data as is, so every
 * release must read it; the special values NaN/±Infinity date from 14.
 * Digits are base 10000 (NBASE), most significant first.
 */
#define NUM_SIGN_MASK		0xC000
#define NUM_NEG				0x4000
#define NUM_SHORT			0x8000
#define NUM_SPECIAL			0xC000
#define NUM_NAN				0xC000
#define NUM_PINF			0xD000
#define NUM_NINF			0xF000
#define NUM_SHORT_SIGN_MASK 0x2000
#define NUM_SHORT_DSCALE_MASK 0x1F80
#define NUM_SHORT_DSCALE_SHIFT 7
#define NUM_SHORT_DSCALE_MAX (NUM_SHORT_DSCALE_MASK >> NUM_SHORT_DSCALE_SHIFT)
#define NUM_SHORT_WEIGHT_SIGN_MASK 0x0040
#define NUM_SHORT_WEIGHT_MASK 0x003F
#define NUM_SHORT_WEIGHT_MAX NUM_SHORT_WEIGHT_MASK
#define NUM_SHORT_WEIGHT_MIN (-(NUM_SHORT_WEIGHT_MASK + 1))
#define NUM_DSCALE_MASK		0x3FFF
#define NUM_NBASE			10000

#define DEC_OK		0
#define DEC_BIG		1			/* finite, but not for the 128-bit path */
#define DEC_NAN		2
#define DEC_PINF	3
#define DEC_NINF	4

/*
 * Read a numeric datum (any varlena header, not detoasted beyond what
 * PG_DETOAST_DATUM_PACKED does) as m / 10^scale with m a 128-bit integer.
 */
static int
numeric_to_scaled(struct varlena *num, i128 *m, int *scale)
{
	const char *data = VARDATA_ANY(num);
	int			datalen = VARSIZE_ANY_EXHDR(num);
	uint16		header;
	int			neg,
				dscale,
				weight,
				hdr,
				ndigits,
				exp10,
				i;
	i128		acc = 0;

	if (datalen < (int) sizeof(uint16))
		elog(ERROR, "invalid numeric datum of %d bytes", datalen);
	memcpy(&header, data, sizeof(uint16));
	if ((header & NUM_SIGN_MASK) == NUM_SPECIAL)
		return header == NUM_NAN ? DEC_NAN :
			header == NUM_NINF ? DEC_NINF : DEC_PINF;
	if (header & NUM_SHORT)
	{
		neg = (header & NUM_SHORT_SIGN_MASK) != 0;
		dscale = (header & NUM_SHORT_DSCALE_MASK) >> NUM_SHORT_DSCALE_SHIFT;
		weight = ((header & NUM_SHORT_WEIGHT_SIGN_MASK) ? ~NUM_SHORT_WEIGHT_MASK : 0) |
			(header & NUM_SHORT_WEIGHT_MASK);
		hdr = sizeof(uint16);
	}
	else
	{
		int16		w;

		if (datalen < (int) (2 * sizeof(uint16)))
			elog(ERROR, "invalid numeric datum of %d bytes", datalen);
		neg = (header & NUM_SIGN_MASK) == NUM_NEG;
		dscale = header & NUM_DSCALE_MASK;
		memcpy(&w, data + sizeof(uint16), sizeof(int16));
		weight = w;
		hdr = 2 * sizeof(uint16);
	}
	ndigits = (datalen - hdr) / (int) sizeof(int16);
	*scale = dscale;
	if (ndigits == 0)
	{
		*m = 0;
		return DEC_OK;
	}
	if (dscale > TT_MAX_SCALE || ndigits > 9)
		return DEC_BIG;

	/*
	 * value = digits * 10^exp10 and we want value * 10^dscale.  PostgreSQL
	 * stores at most ceil(dscale / 4) fractional base-10000 digits, so
	 * exp10 >= -3: the only division is of the last digit, by 10, 100 or
	 * 1000, and exact (those decimals are beyond dscale, hence zero).
	 */
	exp10 = 4 * (weight - ndigits + 1) + dscale;
	if (exp10 < 0)
	{
		static const int16 pw[4] = {1, 10, 100, 1000};
		int16		last;

		if (exp10 < -3)
			return DEC_BIG;		/* not a form numeric.c produces */
		for (i = 0; i < ndigits - 1; i++)
		{
			int16		d;

			memcpy(&d, data + hdr + i * sizeof(int16), sizeof(int16));
			acc = acc * NUM_NBASE + d;
		}
		memcpy(&last, data + hdr + (ndigits - 1) * sizeof(int16), sizeof(int16));
		if (last % pw[-exp10] != 0)
			return DEC_BIG;
		acc = acc * (NUM_NBASE / pw[-exp10]) + last / pw[-exp10];
	}
	else
	{
		/* fits: below 10^(4 ndigits + exp10) <= 10^38 < 2^127 */
		if (4 * ndigits + exp10 > 38)
			return DEC_BIG;
		for (i = 0; i < ndigits; i++)
		{
			int16		d;

			memcpy(&d, data + hdr + i * sizeof(int16), sizeof(int16));
			acc = acc * NUM_NBASE + d;
		}
		for (i = 0; i < exp10; i++)
			acc *= 10;
	}
	*m = neg ? -acc : acc;
	return DEC_OK;
}

/*
 * Build the numeric m / 10^dscale (0 <= dscale <= NUMERIC_MAX_DISPLAY_SCALE)
 * in the same form as numeric.c's make_result(): base-10000 digits without
 * leading or trailing zero digits, short header when it fits.
 */
static Numeric
scaled_to_numeric(i128 m, int dscale)
{
	int16		digits[16];		/* least significant first */
	int			n = 0,
				nfrac = (dscale + 3) / 4,
				r = dscale % 4,
				first,
				last,
				weight,
				ndigits,
				i;
	bool		neg = m < 0;
	u128		u = neg ? (u128) 0 - (u128) m : (u128) m;
	Numeric		result;
	Size		len;
	char	   *p;

	/* the lowest r decimals fill the top of the last fractional digit */
	if (r > 0)
	{
		static const int pow10[4] = {1, 10, 100, 1000};

		digits[n++] = (int16) ((u % pow10[r]) * pow10[4 - r]);
		u /= pow10[r];
	}
	while (u > 0)
	{
		if (u <= (u128) UINT64_MAX)
		{
			uint64		v = (uint64) u;

			while (v > 0)
			{
				digits[n++] = (int16) (v % NUM_NBASE);
				v /= NUM_NBASE;
			}
			break;
		}
		digits[n++] = (int16) (u % NUM_NBASE);
		u /= NUM_NBASE;
	}
	/* strip zero digits at both ends (digits[] is least significant first) */
	first = 0;
	while (first < n && digits[first] == 0)
		first++;
	last = n - 1;
	while (last >= first && digits[last] == 0)
		last--;
	ndigits = last >= first ? last - first + 1 : 0;
	/* weight of digits[last]: digits[nfrac] has weight 0 */
	weight = ndigits > 0 ? last - nfrac : 0;
	if (ndigits == 0)
		neg = false;

	if (dscale <= NUM_SHORT_DSCALE_MAX &&
		weight <= NUM_SHORT_WEIGHT_MAX && weight >= NUM_SHORT_WEIGHT_MIN)
	{
		uint16		header = NUM_SHORT |
			(neg ? NUM_SHORT_SIGN_MASK : 0) |
			(dscale << NUM_SHORT_DSCALE_SHIFT) |
			(weight < 0 ? NUM_SHORT_WEIGHT_SIGN_MASK : 0) |
			(weight & NUM_SHORT_WEIGHT_MASK);

		len = VARHDRSZ + sizeof(uint16) + ndigits * sizeof(int16);
		result = (Numeric) palloc(len);
		p = (char *) result + VARHDRSZ;
		memcpy(p, &header, sizeof(uint16));
		p += sizeof(uint16);
	}
	else
	{
		uint16		header = (neg ? NUM_NEG : 0) | (dscale & NUM_DSCALE_MASK);
		int16		w = (int16) weight;

		len = VARHDRSZ + 2 * sizeof(uint16) + ndigits * sizeof(int16);
		result = (Numeric) palloc(len);
		p = (char *) result + VARHDRSZ;
		memcpy(p, &header, sizeof(uint16));
		memcpy(p + sizeof(uint16), &w, sizeof(int16));
		p += 2 * sizeof(uint16);
	}
	SET_VARSIZE(result, len);
	for (i = 0; i < ndigits; i++)
	{
		int16		d = digits[last - i];

		memcpy(p + i * sizeof(int16), &d, sizeof(int16));
	}
	return result;
}

/* a stored decimal as a numeric with its own scale */
static Datum
dec_numeric(tt_dec d)
{
	return NumericGetDatum(int64_div_fast_to_numeric(d.m, d.scale));
}

static int
num_cmp(Datum a, Datum b)
{
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, a, b));
}

/*
 * The same rules as tt_eval(), in numeric arithmetic: for amounts with more
 * digits or decimals than the 128-bit path takes.  Slow but exact.
 */
static Datum
tiered_commission_numeric(const tt_table *v, Datum amount)
{
	int			ascale = DatumGetInt32(DirectFunctionCall1(numeric_scale, amount));
	int			f = tt_result_scale(v, ascale);
	Datum		sum = NumericGetDatum(int64_to_numeric(0));
	int			i;

	if (num_cmp(amount, sum) > 0)
	{
		if (v->mode == TT_MODE_FLAT)
		{
			int			k = -1;

			for (i = 0; i < v->ntiers; i++)
			{
				if (num_cmp(dec_numeric(v->thr[i]), amount) > 0)
					break;
				k = i;
			}
			if (k >= 0)
				sum = DirectFunctionCall2(numeric_mul, amount, dec_numeric(v->rate[k]));
		}
		else
		{
			for (i = 0; i < v->ntiers; i++)
			{
				Datum		ti = dec_numeric(v->thr[i]);
				Datum		top = amount;

				if (num_cmp(ti, amount) >= 0)
					break;
				if (i + 1 < v->ntiers)
				{
					Datum		tn = dec_numeric(v->thr[i + 1]);

					if (num_cmp(tn, top) < 0)
						top = tn;
				}
				sum = DirectFunctionCall2(numeric_add, sum,
										  DirectFunctionCall2(numeric_mul,
															  DirectFunctionCall2(numeric_sub, top, ti),
															  dec_numeric(v->rate[i])));
			}
		}
		if (v->has_cap && num_cmp(sum, dec_numeric(v->cap)) > 0)
			sum = dec_numeric(v->cap);
	}
	/* the documented result scale; round() only pads here, never rounds */
	if (f <= NUMERIC_MAX_RESULT_SCALE)
		sum = DirectFunctionCall2(numeric_round, sum, Int32GetDatum(f));
	return sum;
}

/*
 * tiered_commission(amount numeric, tiers tier_table) -> numeric
 * Commission on one amount, exact.  amount <= 0 earns 0 (-Infinity too;
 * NaN and +Infinity are errors, there is no finite commission for them);
 * marginal tables
 * sum each slice times its tier's rate, flat tables apply the rate of the
 * highest threshold reached to the whole amount; then least(result, cap).
 * The result has tt_result_scale() decimal places.
 */
Datum
tiered_commission(PG_FUNCTION_ARGS)
{
	struct varlena *amount = (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(0));
	TtState    *st = tt_state(fcinfo, 1);
	i128		am,
				res;
	int			ascale,
				rscale,
				rc;

	/* short-header numerics are read in place; only toasted ones are copied */
	if (VARATT_IS_EXTENDED(amount) && !VARATT_IS_SHORT(amount))
		amount = PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(0));
	rc = numeric_to_scaled(amount, &am, &ascale);
	/* -Infinity is an amount <= 0: it earns 0, at the scale of amount 0 */
	if (rc == DEC_NINF)
		PG_RETURN_NUMERIC(scaled_to_numeric(0, tt_result_scale(&st->v, 0)));
	if (rc == DEC_NAN || rc == DEC_PINF)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tiered_commission amount must be a finite number or -Infinity, got %s",
						rc == DEC_NAN ? "NaN" : "Infinity")));
	if (rc == DEC_OK)
	{
		/* only a zero can have more decimals than TT_MAX_SCALE here */
		if (ascale <= TT_MAX_SCALE)
		{
			TtPrep	   *p = tt_prep(fcinfo, st, ascale);

			if (p->fast && tt_eval_prepared(p, am, &res))
				PG_RETURN_NUMERIC(scaled_to_numeric(res, p->f));
		}
		if (tt_eval(&st->v, am, ascale, &res, &rscale) == TT_OK &&
			rscale <= NUMERIC_MAX_DISPLAY_SCALE)
			PG_RETURN_NUMERIC(scaled_to_numeric(res, rscale));
	}
	PG_RETURN_DATUM(tiered_commission_numeric(&st->v, PG_GETARG_DATUM(0)));
}
