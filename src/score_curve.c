/*-------------------------------------------------------------------------
 *
 * score_curve.c
 *	  fmgr glue of the score_curve type and kpi_score().
 *
 * A score_curve is a varlena holding the mode, the number of points and the
 * points themselves (all x values, then all y values, as float8), so that
 * kpi_score() can binary-search the x values in place: evaluating a curve
 * never re-parses it and, for a curve that is a constant of the query,
 * never allocates.  Parsing, validation, canonical formatting and
 * evaluation are pure C in core/score_curve.c; this file only moves bytes
 * in and out of PostgreSQL and turns core error codes into ereport().
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "common/shortest_dec.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "btree_compare.h"
#include "core_report.h"
#include "datum_cache.h"
#include "score_curve.h"

/* On-disk and in-memory layout; pad keeps the float8 array 8-byte aligned. */
typedef struct ScoreCurve
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	int32		mode;			/* SC_MODE_LINEAR or SC_MODE_STEP */
	int32		npoints;		/* 1 .. SC_MAX_POINTS */
	int32		pad;			/* always 0, so equal curves are equal bytes */
	double		pts[FLEXIBLE_ARRAY_MEMBER]; /* x[0..n-1], then y[0..n-1] */
} ScoreCurve;

#define CURVE_SIZE(n)		(offsetof(ScoreCurve, pts) + 2 * (Size) (n) * sizeof(double))
#define CURVE_XS(c)		((c)->pts)
#define CURVE_YS(c)		((c)->pts + (c)->npoints)

StaticAssertDecl(DOUBLE_SHORTEST_DECIMAL_LEN <= SC_NUM_BUFLEN,
				 "a float8 text must fit the core's number buffer");

#define DatumGetScoreCurveP(X)	((ScoreCurve *) PG_DETOAST_DATUM(X))
#define PG_GETARG_SCORE_CURVE_P(n) DatumGetScoreCurveP(PG_GETARG_DATUM(n))

PG_FUNCTION_INFO_V1(score_curve_in);
PG_FUNCTION_INFO_V1(score_curve_out);
PG_FUNCTION_INFO_V1(score_curve_recv);
PG_FUNCTION_INFO_V1(score_curve_send);
PG_FUNCTION_INFO_V1(score_curve_eq);
PG_FUNCTION_INFO_V1(score_curve_ne);
PG_FUNCTION_INFO_V1(score_curve_hash);
PG_FUNCTION_INFO_V1(score_curve_hash_extended);
PG_FUNCTION_INFO_V1(score_curve_make);
PG_FUNCTION_INFO_V1(kpi_score);

/* Build a curve from validated points. */
static ScoreCurve *
curve_build(int mode, const double *xs, const double *ys, int n)
{
	ScoreCurve *c = (ScoreCurve *) palloc0(CURVE_SIZE(n));

	SET_VARSIZE(c, CURVE_SIZE(n));
	c->mode = mode;
	c->npoints = n;
	memcpy(CURVE_XS(c), xs, n * sizeof(double));
	memcpy(CURVE_YS(c), ys, n * sizeof(double));
	return c;
}

/*
 * score_curve_in(cstring) -> score_curve
 * Text form "linear[(x,y),...]" or "step[...]"; see core/score_curve.c.
 */
Datum
score_curve_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	double	   *xs = palloc(SC_MAX_POINTS * sizeof(double));
	double	   *ys = palloc(SC_MAX_POINTS * sizeof(double));
	CoreError	err;
	int			mode,
				n;

	if (sc_parse(str, strlen(str), &mode, xs, ys, &n, &err) != CORE_OK &&
		!core_report(&err, "score_curve", str, fcinfo->context))
		PG_RETURN_NULL();		/* soft error saved (PostgreSQL 16+) */
	PG_RETURN_POINTER(curve_build(mode, xs, ys, n));
}

/*
 * score_curve_out(score_curve) -> cstring
 * Canonical form: lower-case mode, no blanks, and each number exactly as
 * float8out writes it with extra_float_digits > 0 (the shortest text that
 * reads back exactly, by the server's own Ryu formatter), whatever
 * extra_float_digits is set to, so a dump always restores exact values.
 */
Datum
score_curve_out(PG_FUNCTION_ARGS)
{
	ScoreCurve *c = PG_GETARG_SCORE_CURVE_P(0);
	size_t		buflen = SC_TEXT_MAXLEN(c->npoints);
	char	   *buf = palloc(buflen);

	if (sc_format_with(c->mode, CURVE_XS(c), CURVE_YS(c), c->npoints, buf, buflen,
					   double_to_shortest_decimal_buf) < 0)
		elog(ERROR, "could not format score_curve with mode %d and %d points",
			 c->mode, c->npoints);
	PG_RETURN_CSTRING(buf);
}

/*
 * score_curve_recv(internal) -> score_curve
 * Binary form: int8 mode, int32 number of points, then x and y of each point
 * as float8.  Everything the text input checks is checked again here, and a
 * value cut short is a clean invalid_binary_representation error rather than
 * a read past the end of the message.
 */
Datum
score_curve_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	double	   *xs;
	double	   *ys;
	CoreError	err;
	int			mode,
				n,
				i;

	if (buf->len - buf->cursor < 5)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("truncated binary score_curve: %d bytes, the header alone needs 5",
						buf->len - buf->cursor)));
	mode = pq_getmsgbyte(buf);
	n = pq_getmsgint(buf, 4);
	if (n < 1 || n > SC_MAX_POINTS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid number of points in binary score_curve: %d", n),
				 errdetail("A score_curve has 1 to %d points.", SC_MAX_POINTS)));
	if (buf->len - buf->cursor < n * 16)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("truncated binary score_curve: %d points need %d bytes, got %d",
						n, n * 16, buf->len - buf->cursor)));
	xs = palloc(n * sizeof(double));
	ys = palloc(n * sizeof(double));
	for (i = 0; i < n; i++)
	{
		xs[i] = pq_getmsgfloat8(buf);
		ys[i] = pq_getmsgfloat8(buf);
	}
	if (sc_validate(mode, xs, ys, n, &err) != CORE_OK)
	{
		/* whatever the core found, the binary value is what is invalid */
		core_error(&err, CORE_ERR_BINARY, "invalid binary score_curve: %s",
				   pstrdup(err.msg));
		core_report(&err, NULL, NULL, NULL);
	}
	PG_RETURN_POINTER(curve_build(mode, xs, ys, n));
}

/* score_curve_send(score_curve) -> bytea; the layout score_curve_recv reads */
Datum
score_curve_send(PG_FUNCTION_ARGS)
{
	ScoreCurve *c = PG_GETARG_SCORE_CURVE_P(0);
	StringInfoData buf;
	int			i;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, (uint8) c->mode);
	pq_sendint32(&buf, c->npoints);
	for (i = 0; i < c->npoints; i++)
	{
		pq_sendfloat8(&buf, CURVE_XS(c)[i]);
		pq_sendfloat8(&buf, CURVE_YS(c)[i]);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/*
 * Two curves are equal when they have the same mode and the same points.
 * Values are validated and -0 is stored as 0, so that is byte equality.
 */
static bool
curve_equal(ScoreCurve *a, ScoreCurve *b)
{
	return VARSIZE(a) == VARSIZE(b) &&
		memcmp(VARDATA(a), VARDATA(b), VARSIZE(a) - VARHDRSZ) == 0;
}

/* = : same mode and the same points (see curve_equal) */
Datum
score_curve_eq(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(curve_equal(PG_GETARG_SCORE_CURVE_P(0),
							PG_GETARG_SCORE_CURVE_P(1)));
}

/* <> is the negation of = */
Datum
score_curve_ne(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(!curve_equal(PG_GETARG_SCORE_CURVE_P(0),
							 PG_GETARG_SCORE_CURVE_P(1)));
}

/*
 * score_curve_hash(score_curve) -> int4, for the hash operator class (GROUP
 * BY, DISTINCT, hash joins on curves).  Equal curves have equal bytes, so
 * hashing the bytes agrees with =.
 */
Datum
score_curve_hash(PG_FUNCTION_ARGS)
{
	ScoreCurve *c = PG_GETARG_SCORE_CURVE_P(0);

	PG_RETURN_DATUM(hash_any((unsigned char *) VARDATA(c), VARSIZE(c) - VARHDRSZ));
}

/*
 * score_curve_hash_extended(score_curve, int8) -> int8, hash support
 * function 2 (hash partitioning).  hash_any_extended with seed 0 has
 * hash_any's value in its low 32 bits, so it agrees with score_curve_hash.
 */
Datum
score_curve_hash_extended(PG_FUNCTION_ARGS)
{
	ScoreCurve *c = PG_GETARG_SCORE_CURVE_P(0);

	PG_RETURN_DATUM(hash_any_extended((unsigned char *) VARDATA(c),
									  VARSIZE(c) - VARHDRSZ,
									  PG_GETARG_INT64(1)));
}

/*
 * The btree order of two curve arguments (see sc_compare): by mode, then
 * point by point; 0 exactly when = holds.  Detoasted copies are freed, as
 * a sort may call this many times in one memory context.
 */
static int
curve_cmp_args(FunctionCallInfo fcinfo)
{
	ScoreCurve *a = PG_GETARG_SCORE_CURVE_P(0);
	ScoreCurve *b = PG_GETARG_SCORE_CURVE_P(1);
	int			c;

	c = sc_compare(a->mode, CURVE_XS(a), CURVE_YS(a), a->npoints,
				   b->mode, CURVE_XS(b), CURVE_YS(b), b->npoints);
	PG_FREE_IF_COPY(a, 0);
	PG_FREE_IF_COPY(b, 1);
	return c;
}

/* score_curve_cmp (btree support 1) and the <, <=, >, >= operators */
BTREE_COMPARE_FUNCTIONS(score_curve, curve_cmp_args);

/*
 * Read a one-dimensional float8[] without NULLs into a palloc'd C array.
 * 'what' names the argument in messages.
 */
static double *
float8_array_values(ArrayType *arr, const char *what, int *count)
{
	Datum	   *elems;
	bool	   *nulls;
	double	   *out;
	int			n,
				i;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("score_curve %s must be a one-dimensional array, got %d dimensions",
						what, ARR_NDIM(arr))));
	deconstruct_array(arr, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL,
					  TYPALIGN_DOUBLE, &elems, &nulls, &n);
	out = palloc((n > 0 ? n : 1) * sizeof(double));
	for (i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("score_curve %s must not contain NULL, found one at position %d",
							what, i + 1)));
		out[i] = DatumGetFloat8(elems[i]);
	}
	*count = n;
	return out;
}

/*
 * score_curve(x float8[], y float8[], mode text DEFAULT 'linear')
 * Builds a curve from parallel arrays, with exactly the checks of the text
 * input (plus: arrays one-dimensional, of equal length, without NULLs).
 */
Datum
score_curve_make(PG_FUNCTION_ARGS)
{
	ArrayType  *xa = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *ya = PG_GETARG_ARRAYTYPE_P(1);
	text	   *mode_text = PG_GETARG_TEXT_PP(2);
	double	   *xs,
			   *ys;
	int			nx,
				ny,
				mode;
	CoreError	err;

	mode = sc_mode_from_name(VARDATA_ANY(mode_text), VARSIZE_ANY_EXHDR(mode_text));
	if (mode < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown score_curve mode \"%s\"", text_to_cstring(mode_text)),
				 errhint("The mode is \"linear\" or \"step\".")));
	xs = float8_array_values(xa, "x", &nx);
	ys = float8_array_values(ya, "y", &ny);
	if (nx != ny)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("score_curve x and y must have the same length, got %d and %d",
						nx, ny)));
	if (sc_validate(mode, xs, ys, nx, &err) != CORE_OK)
		core_report(&err, NULL, NULL, NULL);
	PG_RETURN_POINTER(curve_build(mode, xs, ys, nx));
}

/*
 * The curve argument argno, aligned and detoasted.  A plain 4-byte-header
 * curve (a constant, a value computed in the query) is used where it lies;
 * one in short-header, compressed or out-of-line form (read from a table)
 * is detoasted once per distinct value through the shared per-call-site
 * cache, even when rows alternate between many curves (a join of results
 * to KPI definitions).
 */
static ScoreCurve *
curve_arg_cached(FunctionCallInfo fcinfo, int argno)
{
	struct varlena *raw = (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(argno));

	if (!VARATT_IS_EXTENDED(raw))
		return (ScoreCurve *) raw;
	return (ScoreCurve *) datum_cache_get(fcinfo, argno, NULL);
}

/*
 * kpi_score(attainment float8, curve score_curve) -> float8
 * Points for an attainment on a curve, by binary search over the x values.
 * NaN is an error (there is no defensible score for it); ±Infinity clamp to
 * the ends of the curve like any attainment beyond the first or last x.
 */
Datum
kpi_score(PG_FUNCTION_ARGS)
{
	double		a = PG_GETARG_FLOAT8(0);
	ScoreCurve *c;

	if (isnan(a))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("kpi_score attainment must not be NaN")));
	c = curve_arg_cached(fcinfo, 1);
	PG_RETURN_FLOAT8(sc_eval(c->mode, CURVE_XS(c), CURVE_YS(c), c->npoints, a));
}
