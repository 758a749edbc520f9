/*-------------------------------------------------------------------------
 *
 * metrics.c
 *	  Pure-C core of the metric aggregates (see metrics.h): compensated
 *	  sums, score histograms, the trimmed mean, and the byte layouts the
 *	  states travel in between parallel workers.
 *
 *-------------------------------------------------------------------------
 */
#include "metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int	state_error(CoreError *err, const char *state, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));

/*
 * Report a malformed serialised state (22P03): "invalid <state>", with the
 * sentence from fmt, and a full stop, as the detail.
 */
static int
state_error(CoreError *err, const char *state, const char *fmt,...)
{
	char		sentence[CORE_MSGLEN - 1];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(sentence, sizeof(sentence), fmt, ap);
	va_end(ap);
	core_error(err, CORE_ERR_BINARY, "invalid %s", state);
	core_error_detail(err, "%s.", sentence);
	return err->code;
}

/* ---------------------------------------------------------------------
 * Little-endian fixed-width encoding: the serialised states are the same
 * bytes on every platform, independent of the host's byte order.
 * ---------------------------------------------------------------------
 */
static void
put_u64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char) (v >> (8 * i));
}

/* read a little-endian uint64 */
static uint64_t
get_u64(const unsigned char *p)
{
	uint64_t	v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t) p[i] << (8 * i);
	return v;
}

/* write v as 4 little-endian bytes */
static void
put_u32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char) (v >> (8 * i));
}

/* read a little-endian uint32 */
static uint32_t
get_u32(const unsigned char *p)
{
	uint32_t	v = 0;

	for (int i = 0; i < 4; i++)
		v |= (uint32_t) p[i] << (8 * i);
	return v;
}

/* write a double as the little-endian bytes of its bit pattern */
static void
put_f64(unsigned char *p, double d)
{
	uint64_t	v;

	memcpy(&v, &d, sizeof(v));
	put_u64(p, v);
}

/* read a double written by put_f64 */
static double
get_f64(const unsigned char *p)
{
	uint64_t	v = get_u64(p);
	double		d;

	memcpy(&d, &v, sizeof(d));
	return d;
}

/* ---------------------------------------------------------------------
 * Compensated sums
 * ---------------------------------------------------------------------
 */

/*
 * Merge a partial compensated sum into another: the other's sum is one more
 * term (with Neumaier's step, so its rounding error is caught too), and its
 * compensation is added to ours.
 */
void
metrics_ksum_merge(metrics_ksum *into, const metrics_ksum *from)
{
	metrics_ksum_add(into, from->sum);
	into->comp += from->comp;
}

/*
 * The value of a compensated sum.  If the running sum overflowed, the
 * compensation is meaningless (inf - inf); the sum itself is then the answer
 * (±Infinity), which callers report as out of range.
 */
double
metrics_ksum_value(const metrics_ksum *k)
{
	if (!isfinite(k->sum))
		return k->sum;
	return k->sum + k->comp;
}

/* ---------------------------------------------------------------------
 * Score bands
 * ---------------------------------------------------------------------
 */

/*
 * Add one state's band counts to another's.  int64 counts cannot overflow with
 * real data, but a forged serialised state could make them, and signed
 * overflow is undefined behaviour, so the merged total (and therefore every
 * slot) is checked to stay within int64.  That invariant -- the total of all
 * slots fits in int64 -- is what lets the nps/csat parts below add counts
 * without further checks.
 */
int
metrics_hist_merge(metrics_hist *into, const metrics_hist *from, CoreError *err)
{
	uint64_t	total = 0;

	for (int i = 0; i < METRICS_HIST_SLOTS; i++)
	{
		uint64_t	add = (uint64_t) into->count[i] + (uint64_t) from->count[i];

		/* each count is <= INT64_MAX, so add cannot wrap in uint64 */
		if (add > (uint64_t) INT64_MAX - total)
			return core_error(err, CORE_ERR_RANGE,
							  "score count is out of range for bigint");
		total += add;
	}
	for (int i = 0; i < METRICS_HIST_SLOTS; i++)
		into->count[i] += from->count[i];
	return CORE_OK;
}

/*
 * NPS as a fraction: (promoters - detractors) / all rows; the caller
 * multiplies by 100.  The total of all bands fits in int64 (see
 * metrics_hist_merge and metrics_hist_deserialize), so none of these sums
 * overflows.
 */
void
metrics_nps_parts(const metrics_hist *h, int64_t *num, int64_t *den)
{
	*num = h->count[METRICS_BAND_HIGH] - h->count[METRICS_BAND_LOW];
	*den = h->count[METRICS_BAND_LOW] + h->count[METRICS_BAND_MID] +
		h->count[METRICS_BAND_HIGH];
}

/*
 * CSAT as a fraction: ratings 4-5 / all ratings.  csat never fills the
 * middle band, but a state is only a state: count it as not satisfied
 * rather than trust that.
 */
void
metrics_csat_parts(const metrics_hist *h, int64_t *num, int64_t *den)
{
	*num = h->count[METRICS_BAND_HIGH];
	*den = h->count[METRICS_BAND_LOW] + h->count[METRICS_BAND_MID] +
		h->count[METRICS_BAND_HIGH];
}

/* A band state as its fixed 24 bytes: the three counts, little-endian. */
void
metrics_hist_serialize(const metrics_hist *h, unsigned char out[METRICS_HIST_BYTES])
{
	for (int i = 0; i < METRICS_HIST_SLOTS; i++)
		put_u64(out + 8 * i, (uint64_t) h->count[i]);
}

/*
 * Decode a band state; the length must be exact, every count non-negative,
 * and the total must fit in int64 (so that nps/csat parts cannot overflow).
 */
int
metrics_hist_deserialize(const unsigned char *in, size_t len, metrics_hist *h,
						 CoreError *err)
{
	uint64_t	total = 0;

	if (len != METRICS_HIST_BYTES)
		return state_error(err, "score band state",
						   "score band state has %zu bytes, expected %d",
						   len, METRICS_HIST_BYTES);
	for (int i = 0; i < METRICS_HIST_SLOTS; i++)
	{
		uint64_t	c = get_u64(in + 8 * i);

		if (c > (uint64_t) INT64_MAX || total + c > (uint64_t) INT64_MAX)
			return state_error(err, "score band state",
							   "score band state has an out-of-range count in band %d", i);
		total += c;
		h->count[i] = (int64_t) c;
	}
	return CORE_OK;
}

/* ---------------------------------------------------------------------
 * Count + two compensated sums
 * ---------------------------------------------------------------------
 */

/*
 * Add one sums state to another: counts (checked against int64), and both
 * compensated sums with their compensation.
 */
int
metrics_sums_merge(metrics_sums *into, const metrics_sums *from, CoreError *err)
{
	if (from->n > INT64_MAX - into->n)
		return core_error(err, CORE_ERR_RANGE,
						  "row count is out of range for bigint");
	into->n += from->n;
	metrics_ksum_merge(&into->a, &from->a);
	metrics_ksum_merge(&into->b, &from->b);
	return CORE_OK;
}

/* A sums state as its fixed 40 bytes: count, then the four doubles. */
void
metrics_sums_serialize(const metrics_sums *s, unsigned char out[METRICS_SUMS_BYTES])
{
	put_u64(out, (uint64_t) s->n);
	put_f64(out + 8, s->a.sum);
	put_f64(out + 16, s->a.comp);
	put_f64(out + 24, s->b.sum);
	put_f64(out + 32, s->b.comp);
}

/*
 * Decode a sums state: exact length, non-negative count, and no NaN (a
 * running sum may legitimately have overflowed to ±Infinity, which the final
 * function reports, but NaN never arises from validated inputs).
 */
int
metrics_sums_deserialize(const unsigned char *in, size_t len, metrics_sums *s,
						 CoreError *err)
{
	uint64_t	n;

	if (len != METRICS_SUMS_BYTES)
		return state_error(err, "float sums state",
						   "sums state has %zu bytes, expected %d", len, METRICS_SUMS_BYTES);
	n = get_u64(in);
	if (n > (uint64_t) INT64_MAX)
		return state_error(err, "float sums state", "sums state has a negative row count");
	s->n = (int64_t) n;
	s->a.sum = get_f64(in + 8);
	s->a.comp = get_f64(in + 16);
	s->b.sum = get_f64(in + 24);
	s->b.comp = get_f64(in + 32);
	if (isnan(s->a.sum) || isnan(s->b.sum))
		return state_error(err, "float sums state", "sums state holds NaN");
	/* after an overflow the compensation may be NaN; it is then unused */
	if (isnan(s->a.comp))
		s->a.comp = 0.0;
	if (isnan(s->b.comp))
		s->b.comp = 0.0;
	return CORE_OK;
}

/* ---------------------------------------------------------------------
 * The fixed-size states seen alike (metrics_fixed_state)
 * ---------------------------------------------------------------------
 */

/* metrics_hist_merge on untyped states */
static int
hist_merge_any(void *into, const void *from, CoreError *err)
{
	return metrics_hist_merge(into, from, err);
}

/* metrics_hist_serialize on an untyped state */
static void
hist_serialize_any(const void *state, unsigned char *out)
{
	metrics_hist_serialize(state, out);
}

/* metrics_hist_deserialize into an untyped state */
static int
hist_deserialize_any(const unsigned char *in, size_t len, void *state,
					 CoreError *err)
{
	return metrics_hist_deserialize(in, len, state, err);
}

/* metrics_sums_merge on untyped states */
static int
sums_merge_any(void *into, const void *from, CoreError *err)
{
	return metrics_sums_merge(into, from, err);
}

/* metrics_sums_serialize on an untyped state */
static void
sums_serialize_any(const void *state, unsigned char *out)
{
	metrics_sums_serialize(state, out);
}

/* metrics_sums_deserialize into an untyped state */
static int
sums_deserialize_any(const unsigned char *in, size_t len, void *state,
					 CoreError *err)
{
	return metrics_sums_deserialize(in, len, state, err);
}

const metrics_fixed_state metrics_hist_state = {
	sizeof(metrics_hist), METRICS_HIST_BYTES,
	hist_merge_any, hist_serialize_any, hist_deserialize_any
};

const metrics_fixed_state metrics_sums_state = {
	sizeof(metrics_sums), METRICS_SUMS_BYTES,
	sums_merge_any, sums_serialize_any, sums_deserialize_any
};

/* ---------------------------------------------------------------------
 * Value lists (trimmed_mean)
 * ---------------------------------------------------------------------
 */

/*
 * Size of the serialised form of n values, or 0 when it would be larger
 * than limit (the caller's maximum allocation), so the caller can report a
 * clean error instead of overflowing a size computation.
 */
size_t
metrics_values_serial_size(int64_t n, size_t limit)
{
	if (n < 0 || limit < METRICS_VALUES_HEADER)
		return 0;
	if ((uint64_t) n > (limit - METRICS_VALUES_HEADER) / 8)
		return 0;
	return METRICS_VALUES_HEADER + (size_t) n * 8;
}

/* k, n and the n values, little-endian (metrics_values_serial_size bytes). */
void
metrics_values_serialize(int32_t k, const double *v, int64_t n, unsigned char *out)
{
	put_u32(out, (uint32_t) k);
	put_u64(out + 4, (uint64_t) n);
	out += METRICS_VALUES_HEADER;
	for (int64_t i = 0; i < n; i++)
		put_f64(out + 8 * i, v[i]);
}

/*
 * The k and n of a serialised value list, after checking that len is
 * exactly the header plus n values (see metrics.h).
 */
int
metrics_values_header(const unsigned char *in, size_t len, int32_t *k,
					  int64_t *n, CoreError *err)
{
	uint64_t	count;

	if (len < METRICS_VALUES_HEADER)
		return state_error(err, "trimmed_mean state",
						   "value list state has %zu bytes, fewer than its %d-byte header",
						   len, METRICS_VALUES_HEADER);
	*k = (int32_t) get_u32(in);
	count = get_u64(in + 4);
	if (*k < 0)
		return state_error(err, "trimmed_mean state", "value list state has a negative k %d", (int) *k);
	if (count > (uint64_t) (len - METRICS_VALUES_HEADER) / 8 ||
		METRICS_VALUES_HEADER + count * 8 != len)
		return state_error(err, "trimmed_mean state",
						   "value list state has %zu bytes, which does not fit its count %llu",
						   len, (unsigned long long) count);
	*n = (int64_t) count;
	return CORE_OK;
}

/* The n values after the header; each must be finite. */
int
metrics_values_read(const unsigned char *in, int64_t n, double *out, CoreError *err)
{
	in += METRICS_VALUES_HEADER;
	for (int64_t i = 0; i < n; i++)
	{
		double		d = get_f64(in + 8 * i);

		if (!isfinite(d))
			return state_error(err, "trimmed_mean state",
							   "value list state holds a non-finite value at position %lld",
							   (long long) i);
		out[i] = d;
	}
	return CORE_OK;
}

/* ---------------------------------------------------------------------
 * Sorting and the trimmed mean
 * ---------------------------------------------------------------------
 */

/* ascending, in place: the fastest sort for the short runs introsort leaves */
static void
insertion_sort(double *v, int64_t n)
{
	for (int64_t i = 1; i < n; i++)
	{
		double		x = v[i];
		int64_t		j = i;

		while (j > 0 && v[j - 1] > x)
		{
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
}

/* restore the max-heap property of v[0..n) below root */
static void
sift_down(double *v, int64_t root, int64_t n)
{
	for (;;)
	{
		int64_t		child = 2 * root + 1;
		double		t;

		if (child >= n)
			return;
		if (child + 1 < n && v[child + 1] > v[child])
			child++;
		if (!(v[child] > v[root]))
			return;
		t = v[root];
		v[root] = v[child];
		v[child] = t;
		root = child;
	}
}

/* ascending, in place, O(n log n) whatever the input: introsort's fallback */
static void
heap_sort(double *v, int64_t n)
{
	for (int64_t i = n / 2; i-- > 0;)
		sift_down(v, i, n);
	for (int64_t end = n - 1; end > 0; end--)
	{
		double		t = v[0];

		v[0] = v[end];
		v[end] = t;
		sift_down(v, 0, end);
	}
}

/* the median of three values: introsort's pivot, robust to sorted input */
static double
median3(double a, double b, double c)
{
	if (a < b)
		return b < c ? b : (a < c ? c : a);
	return a < c ? a : (b < c ? c : b);
}

/*
 * Introsort: quicksort with a median-of-three pivot and Hoare partitioning,
 * insertion sort for short ranges, heapsort when the recursion gets deep
 * (so an adversarial input is still O(n log n)).  Inlined comparisons make
 * it several times faster than qsort() with a comparator callback, which
 * matters because trimmed_mean sorts every group.  Recurses into the
 * smaller side only, so the stack depth is O(log n).
 */
static void
intro_sort(double *v, int64_t n, int depth)
{
	while (n > 16)
	{
		double		pivot;
		int64_t		i,
					j;

		if (depth-- == 0)
		{
			heap_sort(v, n);
			return;
		}
		pivot = median3(v[0], v[n / 2], v[n - 1]);
		i = -1;
		j = n;
		for (;;)
		{
			double		t;

			do
				i++;
			while (v[i] < pivot);
			do
				j--;
			while (v[j] > pivot);
			if (i >= j)
				break;
			t = v[i];
			v[i] = v[j];
			v[j] = t;
		}
		/* v[0..j] <= pivot <= v[j+1..n) */
		if (j + 1 < n - (j + 1))
		{
			intro_sort(v, j + 1, depth);
			v += j + 1;
			n -= j + 1;
		}
		else
		{
			intro_sort(v + j + 1, n - (j + 1), depth);
			n = j + 1;
		}
	}
	insertion_sort(v, n);
}

/* Sort ascending (see metrics.h): introsort with a depth limit of 2 log2 n. */
void
metrics_sort_doubles(double *v, int64_t n)
{
	int			depth = 0;

	for (int64_t m = n; m > 1; m >>= 1)
		depth += 2;
	intro_sort(v, n, depth);
}

/* Is v[0..n) ascending?  (A deserialized state that is can be merged.) */
int
metrics_is_sorted(const double *v, int64_t n)
{
	for (int64_t i = 1; i < n; i++)
	{
		if (v[i - 1] > v[i])
			return 0;
	}
	return 1;
}

/*
 * Merge two ascending runs: how parallel partial states, each sorted by its
 * worker, are combined in O(n) so the leader need not sort again.
 */
void
metrics_merge_sorted(const double *a, int64_t na, const double *b, int64_t nb,
					 double *out)
{
	int64_t		i = 0,
				j = 0,
				o = 0;

	while (i < na && j < nb)
		out[o++] = (b[j] < a[i]) ? b[j++] : a[i++];
	while (i < na)
		out[o++] = a[i++];
	while (j < nb)
		out[o++] = b[j++];
}

/*
 * The trimmed mean (see metrics.h).  The kept values are summed in sorted
 * order with compensation.  If that sum overflows (values near DBL_MAX;
 * the mean itself, being between the smallest and largest value, never
 * does), it is redone on the values scaled by 2^-64, which is exact for all
 * but values below 2^-958 whose contribution to such a sum is nil, and
 * cannot overflow for fewer than 2^63 values.
 */
double
metrics_trimmed_mean(double *v, int64_t n, int64_t k)
{
	metrics_sort_doubles(v, n);
	return metrics_trimmed_mean_sorted(v, n, k);
}

/* The trimmed mean of values already ascending (see metrics_trimmed_mean). */
double
metrics_trimmed_mean_sorted(const double *v, int64_t n, int64_t k)
{
	int64_t		kmax = (n - 1) / 2;
	int64_t		m;
	metrics_ksum s = {0.0, 0.0};
	double		total,
				mean;

	if (k > kmax)
		k = kmax;
	m = n - 2 * k;
	for (int64_t i = k; i < n - k; i++)
		metrics_ksum_add(&s, v[i]);
	total = metrics_ksum_value(&s);
	if (isfinite(total))
		mean = total / (double) m;
	else
	{
		s.sum = s.comp = 0.0;
		for (int64_t i = k; i < n - k; i++)
			metrics_ksum_add(&s, ldexp(v[i], -64));
		mean = ldexp(metrics_ksum_value(&s) / (double) m, 64);
	}

	/*
	 * The exact mean lies between the smallest and the largest kept value;
	 * the final rounding of sum / m can step one ulp outside (three times
	 * 0.1 averages to 0.10000000000000002), so clamp it back.
	 */
	if (mean < v[k])
		mean = v[k];
	if (mean > v[n - k - 1])
		mean = v[n - k - 1];
	return mean;
}
