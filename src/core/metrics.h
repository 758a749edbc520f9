/*-------------------------------------------------------------------------
 *
 * metrics.h
 *	  Pure-C core of the metric aggregates: nps, csat, wape, forecast_bias,
 *	  mape, weighted_score and trimmed_mean.
 *
 * No PostgreSQL header is included here, so the C unit tests and the fuzzer
 * link this file on its own.  The fmgr glue (src/metrics.c,
 * src/trimmed_mean.c) keeps the states in the aggregate memory context and
 * turns the return codes below into ereport(ERROR).
 *
 * Three kinds of state:
 *
 *	- metrics_hist: exact int64 counts of scores in three bands -- low,
 *	  middle, high -- the state of nps (detractors 0-6, passives 7-8,
 *	  promoters 9-10) and csat (1-3, unused, 4-5).  One increment per row, and
 *	  24 bytes per group, small enough that a GROUP BY over many groups keeps
 *	  its states in cache; nps and csat share the combine/serial functions.
 *
 *	- metrics_sums: a row count and two compensated (Neumaier) float8 sums,
 *	  the state of wape (Σ|f-a|, Σ|a|), forecast_bias (Σ(f-a), Σ|a|),
 *	  mape (Σ|f-a|/|a|, n over a <> 0) and weighted_score (Σs·w, Σw).
 *	  Compensated sums keep the result close to the correctly rounded sum,
 *	  so different row orders (and serial vs parallel plans) agree to within
 *	  about 1e-12 relative on realistic data.  That is not exact order
 *	  independence: when the terms cancel heavily (a sum near zero of large
 *	  terms of both signs) the last digits can depend on the order.
 *
 *	- a value list (metrics_values_*): every score of a group plus the
 *	  drop-each-end count k, the state of trimmed_mean (the array itself is
 *	  the glue's, in the aggregate context); the final step sorts and
 *	  averages the middle.
 *
 * Serialised forms (for parallel query) are little-endian byte strings with
 * a fixed layout, and the decoders validate length and contents, so a bad
 * byte string is an error code, never a crash.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SALES_SUPERVISOR_METRICS_H
#define SALES_SUPERVISOR_METRICS_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "core_error.h"

/*
 * The fallible functions below return CORE_OK or the code of the error they
 * report in a CoreError (core_error.h): CORE_ERR_BINARY (22P03) for a
 * malformed serialised state, "invalid <state>" with what is wrong as the
 * detail; CORE_ERR_RANGE (22003) for a count that would pass int64.
 */

/* ---------------------------------------------------------------------
 * Compensated summation (Neumaier's variant of Kahan's algorithm).
 *
 * sum + comp is the running total; comp collects the low-order bits that
 * each addition to sum rounds away.  Unlike plain Kahan, Neumaier's step also
 * handles an addend larger than the running sum.  Merging two partial sums
 * adds the other's sum as one more term and then its compensation, so a
 * parallel plan's partial sums combine without losing the carried bits.
 * ---------------------------------------------------------------------
 */
typedef struct metrics_ksum
{
	double		sum;
	double		comp;
} metrics_ksum;

/*
 * Add x to a compensated sum (Neumaier's step).  Inline: it is the per-row
 * work of the float aggregates.
 */
static inline void
metrics_ksum_add(metrics_ksum *k, double x)
{
	double		t = k->sum + x;

	if (fabs(k->sum) >= fabs(x))
		k->comp += (k->sum - t) + x;
	else
		k->comp += (x - t) + k->sum;
	k->sum = t;
}

extern void metrics_ksum_merge(metrics_ksum *into, const metrics_ksum *from);
extern double metrics_ksum_value(const metrics_ksum *k);

/* ---------------------------------------------------------------------
 * Score bands (nps, csat).
 * ---------------------------------------------------------------------
 */
#define METRICS_HIST_SLOTS	3
#define METRICS_HIST_BYTES	(8 * METRICS_HIST_SLOTS)

#define METRICS_BAND_LOW	0	/* nps detractors 0-6; csat 1-3 */
#define METRICS_BAND_MID	1	/* nps passives 7-8; csat: unused */
#define METRICS_BAND_HIGH	2	/* nps promoters 9-10; csat 4-5 */

typedef struct metrics_hist
{
	int64_t		count[METRICS_HIST_SLOTS];	/* rows per band */
} metrics_hist;

/* band of an NPS score 0..10 (the caller checks the range) */
static inline int
metrics_nps_band(int score)
{
	return score <= 6 ? METRICS_BAND_LOW : (score <= 8 ? METRICS_BAND_MID : METRICS_BAND_HIGH);
}

/* band of a CSAT rating 1..5 (the caller checks the range) */
static inline int
metrics_csat_band(int score)
{
	return score >= 4 ? METRICS_BAND_HIGH : METRICS_BAND_LOW;
}

/* adds from's counts into into; CORE_ERR_RANGE if the total passes int64 */
extern int	metrics_hist_merge(metrics_hist *into, const metrics_hist *from,
							   CoreError *err);

/* the parts of NPS and CSAT: result = 100 * num / den (den = 0: no rows) */
extern void metrics_nps_parts(const metrics_hist *h, int64_t *num, int64_t *den);
extern void metrics_csat_parts(const metrics_hist *h, int64_t *num, int64_t *den);

extern void metrics_hist_serialize(const metrics_hist *h,
								   unsigned char out[METRICS_HIST_BYTES]);
extern int	metrics_hist_deserialize(const unsigned char *in, size_t len,
									 metrics_hist *h, CoreError *err);

/* ---------------------------------------------------------------------
 * Count + two compensated sums (wape, forecast_bias, mape, weighted_score).
 * ---------------------------------------------------------------------
 */
#define METRICS_SUMS_BYTES	40

typedef struct metrics_sums
{
	int64_t		n;				/* rows that contributed */
	metrics_ksum a;				/* numerator */
	metrics_ksum b;				/* denominator (or unused) */
} metrics_sums;

/* adds from into into; CORE_ERR_RANGE if the row count passes int64 */
extern int	metrics_sums_merge(metrics_sums *into, const metrics_sums *from,
							   CoreError *err);
extern void metrics_sums_serialize(const metrics_sums *s,
								   unsigned char out[METRICS_SUMS_BYTES]);
extern int	metrics_sums_deserialize(const unsigned char *in, size_t len,
									 metrics_sums *s, CoreError *err);

/* ---------------------------------------------------------------------
 * The two fixed-size states seen alike: what the glue's combine, serialize
 * and deserialize functions need, so each is written once for both.
 * ---------------------------------------------------------------------
 */
typedef struct metrics_fixed_state
{
	size_t		size;			/* bytes of the state in memory */
	size_t		bytes;			/* bytes of its serialised form */
	int			(*merge) (void *into, const void *from, CoreError *err);
	void		(*serialize) (const void *state, unsigned char *out);
	int			(*deserialize) (const unsigned char *in, size_t len,
								void *state, CoreError *err);
} metrics_fixed_state;

extern const metrics_fixed_state metrics_hist_state;	/* metrics_hist */
extern const metrics_fixed_state metrics_sums_state;	/* metrics_sums */

/* ---------------------------------------------------------------------
 * All the values of a group (trimmed_mean).
 *
 * The array is owned by the caller's allocator: the glue allocates it in the
 * aggregate memory context.  The functions here only read or write into
 * memory they are given.
 * ---------------------------------------------------------------------
 */
#define METRICS_VALUES_HEADER	12	/* int32 k, int64 n */

/* bytes of the serialised form of n values; 0 if it would exceed limit */
extern size_t metrics_values_serial_size(int64_t n, size_t limit);
extern void metrics_values_serialize(int32_t k, const double *v, int64_t n,
									 unsigned char *out);

/*
 * Reads the header of a serialised value list: k and n, after checking that
 * len matches n exactly.  The values are then read with
 * metrics_values_read(), which checks each one is finite.
 */
extern int	metrics_values_header(const unsigned char *in, size_t len,
								  int32_t *k, int64_t *n, CoreError *err);
extern int	metrics_values_read(const unsigned char *in, int64_t n,
								double *out, CoreError *err);

/* sorts v[0..n) ascending (finite values only; no NaN) */
extern void metrics_sort_doubles(double *v, int64_t n);

/* is v[0..n) ascending? */
extern int	metrics_is_sorted(const double *v, int64_t n);

/* merges ascending a[0..na) and b[0..nb) into out[0..na+nb) (no overlap) */
extern void metrics_merge_sorted(const double *a, int64_t na,
								 const double *b, int64_t nb, double *out);

/*
 * Mean of v[0..n) after dropping the k smallest and k largest; k is first
 * reduced to floor((n - 1) / 2).  Sorts v in place.  n must be > 0, k >= 0.
 * The sum is compensated, and taken over the sorted values, so the answer
 * depends only on the multiset of values, not on their order.
 */
extern double metrics_trimmed_mean(double *v, int64_t n, int64_t k);

/* the same over values already in ascending order (nothing is modified) */
extern double metrics_trimmed_mean_sorted(const double *v, int64_t n, int64_t k);

#endif							/* SALES_SUPERVISOR_METRICS_H */
