/*-------------------------------------------------------------------------
 *
 * tier_table.c
 *	  fmgr glue of the tier_table type: text and binary input and output,
 *	  equality, hashing and the btree order.
 *
 * Parsing, validation, canonical formatting and comparison are pure C in
 * core/tier_table.c; this file moves bytes in and out of PostgreSQL and
 * turns core errors into ereport() (core_report.c).  tiered_commission()
 * is in tiered_commission.c.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "fmgr.h"
#include "libpq/pqformat.h"

#include "btree_compare.h"
#include "core_report.h"
#include "tier_table_glue.h"

PG_FUNCTION_INFO_V1(tier_table_in);
PG_FUNCTION_INFO_V1(tier_table_out);
PG_FUNCTION_INFO_V1(tier_table_recv);
PG_FUNCTION_INFO_V1(tier_table_send);
PG_FUNCTION_INFO_V1(tier_table_eq);
PG_FUNCTION_INFO_V1(tier_table_ne);
PG_FUNCTION_INFO_V1(tier_table_hash);
PG_FUNCTION_INFO_V1(tier_table_hash_extended);

/* the binary size of one decimal: int8 mantissa, int4 scale */
#define DECIMAL_WIRE_SIZE 12

/* Store a validated core table as a tier_table datum. */
static TierTable *
tier_table_build(const tt_table *v)
{
	TierTable  *t = (TierTable *) palloc0(TIER_TABLE_SIZE(v->ntiers));

	SET_VARSIZE(t, TIER_TABLE_SIZE(v->ntiers));
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
	CoreError	err;

	v.thr = palloc(TT_MAX_TIERS * sizeof(tt_dec));
	v.rate = palloc(TT_MAX_TIERS * sizeof(tt_dec));
	if (tt_parse(str, strlen(str), &v, &err) != CORE_OK &&
		!core_report(&err, "tier_table", str, fcinfo->context))
		PG_RETURN_NULL();		/* soft error saved (PostgreSQL 16+) */
	PG_RETURN_POINTER(tier_table_build(&v));
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
	tt_table	v = tier_table_view(t);
	size_t		buflen = TT_TEXT_MAXLEN(v.ntiers);
	char	   *buf = palloc(buflen);

	if (tt_format(&v, buf, buflen) < 0)
		elog(ERROR, "could not format tier_table with %d tiers", v.ntiers);
	PG_RETURN_CSTRING(buf);
}

/* One decimal of the binary form: int8 mantissa, int4 scale. */
static tt_dec
recv_decimal(StringInfo buf)
{
	tt_dec		d;

	d.m = (int64) pq_getmsgint64(buf);
	d.scale = (int32) pq_getmsgint(buf, 4);
	d.pad = 0;
	return d;
}

/* Send one decimal as recv_decimal reads it. */
static void
send_decimal(StringInfo buf, tt_dec d)
{
	pq_sendint64(buf, d.m);
	pq_sendint32(buf, d.scale);
}

/*
 * Refuse a binary tier_table cut short: need bytes must remain in buf, for
 * the header (ntiers < 0) or for the ntiers tiers.
 */
static void
check_binary_length(StringInfo buf, int need, int ntiers)
{
	int			have = buf->len - buf->cursor;

	if (have >= need)
		return;
	if (ntiers < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("truncated binary tier_table: %d bytes, the header alone needs %d",
						have, need)));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("truncated binary tier_table: %d tiers need %d bytes, got %d",
					ntiers, need, have)));
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
	CoreError	err;
	int			i;

	check_binary_length(buf, 6 + DECIMAL_WIRE_SIZE, -1);
	v.mode = pq_getmsgbyte(buf);
	v.has_cap = pq_getmsgbyte(buf);
	v.ntiers = pq_getmsgint(buf, 4);
	v.cap = recv_decimal(buf);
	if (v.ntiers < 1 || v.ntiers > TT_MAX_TIERS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid number of tiers in binary tier_table: %d", v.ntiers),
				 errdetail("A tier_table has 1 to %d tiers.", TT_MAX_TIERS)));
	check_binary_length(buf, v.ntiers * 2 * DECIMAL_WIRE_SIZE, v.ntiers);
	v.thr = palloc(v.ntiers * sizeof(tt_dec));
	v.rate = palloc(v.ntiers * sizeof(tt_dec));
	for (i = 0; i < v.ntiers; i++)
	{
		v.thr[i] = recv_decimal(buf);
		v.rate[i] = recv_decimal(buf);
	}
	if (tt_validate(&v, &err) != CORE_OK)
	{
		/* whatever the core found, the binary value is what is invalid */
		core_error(&err, CORE_ERR_BINARY, "invalid binary tier_table: %s",
				   pstrdup(err.msg));
		core_report(&err, NULL, NULL, NULL);
	}
	PG_RETURN_POINTER(tier_table_build(&v));
}

/* tier_table_send(tier_table) -> bytea; the layout tier_table_recv reads */
Datum
tier_table_send(PG_FUNCTION_ARGS)
{
	TierTable  *t = PG_GETARG_TIER_TABLE_P(0);
	tt_table	v = tier_table_view(t);
	StringInfoData buf;
	int			i;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, (uint8) v.mode);
	pq_sendbyte(&buf, (uint8) v.has_cap);
	pq_sendint32(&buf, v.ntiers);
	send_decimal(&buf, v.cap);
	for (i = 0; i < v.ntiers; i++)
	{
		send_decimal(&buf, v.thr[i]);
		send_decimal(&buf, v.rate[i]);
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
	tt_table	a = tier_table_view(PG_GETARG_TIER_TABLE_P(0));
	tt_table	b = tier_table_view(PG_GETARG_TIER_TABLE_P(1));

	PG_RETURN_BOOL(tt_equal(&a, &b));
}

/* <> is the negation of = */
Datum
tier_table_ne(PG_FUNCTION_ARGS)
{
	tt_table	a = tier_table_view(PG_GETARG_TIER_TABLE_P(0));
	tt_table	b = tier_table_view(PG_GETARG_TIER_TABLE_P(1));

	PG_RETURN_BOOL(!tt_equal(&a, &b));
}

/* a decimal without its trailing fractional zeros (0.020 -> 0.02) */
static tt_dec
decimal_normal(tt_dec d)
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
decimal_hash32(tt_dec d, uint32 h)
{
	d = decimal_normal(d);
	h = hash_combine(h, DatumGetUInt32(hash_uint32((uint32) d.m)));
	h = hash_combine(h, DatumGetUInt32(hash_uint32((uint32) ((uint64) d.m >> 32))));
	return hash_combine(h, DatumGetUInt32(hash_uint32((uint32) d.scale)));
}

/* 32-bit hash of a table; see tier_table_hash */
static uint32
tier_table_hash32(const tt_table *v)
{
	uint32		h = DatumGetUInt32(hash_uint32((uint32) (v->mode * 2 + v->has_cap)));
	int			i;

	h = hash_combine(h, DatumGetUInt32(hash_uint32((uint32) v->ntiers)));
	if (v->has_cap)
		h = decimal_hash32(v->cap, h);
	for (i = 0; i < v->ntiers; i++)
	{
		h = decimal_hash32(v->thr[i], h);
		h = decimal_hash32(v->rate[i], h);
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
	tt_table	v = tier_table_view(PG_GETARG_TIER_TABLE_P(0));

	PG_RETURN_UINT32(tier_table_hash32(&v));
}

/* one decimal by value into a 64-bit seeded hash */
static uint64
decimal_hash64(tt_dec d, uint64 h, uint64 seed)
{
	d = decimal_normal(d);
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
	tt_table	v = tier_table_view(PG_GETARG_TIER_TABLE_P(0));
	uint64		seed = (uint64) PG_GETARG_INT64(1);
	uint64		h = DatumGetUInt64(hash_uint32_extended((uint32) (v.mode * 2 + v.has_cap), seed));
	int			i;

	h = hash_combine64(h, DatumGetUInt64(hash_uint32_extended((uint32) v.ntiers, seed)));
	if (v.has_cap)
		h = decimal_hash64(v.cap, h, seed);
	for (i = 0; i < v.ntiers; i++)
	{
		h = decimal_hash64(v.thr[i], h, seed);
		h = decimal_hash64(v.rate[i], h, seed);
	}
	if (seed == 0)
		h = (h & UINT64CONST(0xFFFFFFFF00000000)) | tier_table_hash32(&v);
	PG_RETURN_UINT64(h);
}

/*
 * The btree order of two tier_table arguments (see tt_compare): by mode,
 * then tier by tier by value, then cap; 0 exactly when = holds, so 0.02
 * and 0.020 compare equal.  Detoasted copies are freed, as a sort may call
 * this many times in one memory context.
 */
static int
tier_table_cmp_args(FunctionCallInfo fcinfo)
{
	TierTable  *ta = PG_GETARG_TIER_TABLE_P(0);
	TierTable  *tb = PG_GETARG_TIER_TABLE_P(1);
	tt_table	a = tier_table_view(ta);
	tt_table	b = tier_table_view(tb);
	int			c = tt_compare(&a, &b);

	PG_FREE_IF_COPY(ta, 0);
	PG_FREE_IF_COPY(tb, 1);
	return c;
}

/* tier_table_cmp (btree support 1) and the <, <=, >, >= operators */
BTREE_COMPARE_FUNCTIONS(tier_table, tier_table_cmp_args);
