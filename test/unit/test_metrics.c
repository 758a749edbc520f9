/*
 * test_metrics.c -- unit tests of src/core/metrics.c: compensated sums and
 * their merge, score histograms, the serialised state layouts (round trip
 * and rejection of malformed bytes), the sort and the trimmed mean.
 */
#include <float.h>
#include <stdint.h>
#include <stdlib.h>

#include "metrics.h"
#include "unit.h"

/* deterministic pseudo-random numbers (xorshift64*), independent of libc */
static uint64_t rng_state = 88172645463325252ULL;

static uint64_t
rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static double
rng_unit(void)
{
	return (double) (rng_next() >> 11) / 9007199254740992.0;
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

static void
test_ksum(void)
{
	metrics_ksum k = {0.0, 0.0};
	metrics_ksum naive_parts[3];
	double		naive = 0.0;

	/* 1 + 1e100 + 1 - 1e100 = 2: plain summation says 0 */
	metrics_ksum_add(&k, 1.0);
	metrics_ksum_add(&k, 1e100);
	metrics_ksum_add(&k, 1.0);
	metrics_ksum_add(&k, -1e100);
	CHECK_NEAR(metrics_ksum_value(&k), 2.0, 0.0);
	naive = ((1.0 + 1e100) + 1.0) - 1e100;
	CHECK(naive != 2.0);		/* the test is not vacuous */

	/* 0.1 ten million times: compensated is the correctly rounded 1e6 */
	k.sum = k.comp = 0.0;
	naive = 0.0;
	for (int i = 0; i < 10000000; i++)
	{
		metrics_ksum_add(&k, 0.1);
		naive += 0.1;
	}
	CHECK_NEAR(metrics_ksum_value(&k), 1000000.0000000000, 1e-9);
	CHECK(fabs(naive - 1e6) > 1e-6);

	/*
	 * Merging partial sums (a parallel plan) gives the same answer as one
	 * pass, and the compensation terms are carried: split a badly
	 * conditioned sequence into three parts.
	 */
	for (int p = 0; p < 3; p++)
		naive_parts[p].sum = naive_parts[p].comp = 0.0;
	k.sum = k.comp = 0.0;
	for (int i = 0; i < 300000; i++)
	{
		double		x = (rng_unit() - 0.5) * pow(10.0, (double) (rng_next() % 30));

		metrics_ksum_add(&k, x);
		metrics_ksum_add(&naive_parts[i % 3], x);
	}
	{
		metrics_ksum m = naive_parts[2];

		metrics_ksum_merge(&m, &naive_parts[0]);
		metrics_ksum_merge(&m, &naive_parts[1]);
		CHECK(fabs(metrics_ksum_value(&m) - metrics_ksum_value(&k)) <=
			  1e-12 * fabs(metrics_ksum_value(&k)));
	}

	/* overflow: the value is the infinite sum, not NaN */
	k.sum = k.comp = 0.0;
	metrics_ksum_add(&k, DBL_MAX);
	metrics_ksum_add(&k, DBL_MAX);
	CHECK(isinf(metrics_ksum_value(&k)) && metrics_ksum_value(&k) > 0);
}

static void
test_hist(void)
{
	metrics_hist h = {{0}};
	metrics_hist h2 = {{0}};
	unsigned char buf[METRICS_HIST_BYTES];
	CoreError	err;
	int64_t		num,
				den;
	static const int scores[] = {10, 9, 8, 7, 6, 0};

	/* the bands: NPS 0-6 / 7-8 / 9-10, CSAT 1-3 / 4-5 */
	for (int s = 0; s <= 6; s++)
		CHECK_EQ_INT(metrics_nps_band(s), METRICS_BAND_LOW);
	CHECK_EQ_INT(metrics_nps_band(7), METRICS_BAND_MID);
	CHECK_EQ_INT(metrics_nps_band(8), METRICS_BAND_MID);
	CHECK_EQ_INT(metrics_nps_band(9), METRICS_BAND_HIGH);
	CHECK_EQ_INT(metrics_nps_band(10), METRICS_BAND_HIGH);
	for (int s = 1; s <= 3; s++)
		CHECK_EQ_INT(metrics_csat_band(s), METRICS_BAND_LOW);
	CHECK_EQ_INT(metrics_csat_band(4), METRICS_BAND_HIGH);
	CHECK_EQ_INT(metrics_csat_band(5), METRICS_BAND_HIGH);

	/* scores 10, 9, 8, 7, 6, 0: 2 promoters, 2 detractors, n = 6 */
	for (int i = 0; i < 6; i++)
		h.count[metrics_nps_band(scores[i])]++;
	metrics_nps_parts(&h, &num, &den);
	CHECK_EQ_INT(num, 0);
	CHECK_EQ_INT(den, 6);

	/* all promoters, all detractors */
	memset(&h2, 0, sizeof(h2));
	h2.count[METRICS_BAND_HIGH] = 3;
	metrics_nps_parts(&h2, &num, &den);
	CHECK_EQ_INT(num, 3);
	CHECK_EQ_INT(den, 3);
	memset(&h2, 0, sizeof(h2));
	h2.count[METRICS_BAND_LOW] = 3;
	metrics_nps_parts(&h2, &num, &den);
	CHECK_EQ_INT(num, -3);
	CHECK_EQ_INT(den, 3);

	/* csat: ratings 5, 4, 3, 1 -> 2 of 4 */
	memset(&h2, 0, sizeof(h2));
	h2.count[metrics_csat_band(5)]++;
	h2.count[metrics_csat_band(4)]++;
	h2.count[metrics_csat_band(3)]++;
	h2.count[metrics_csat_band(1)]++;
	metrics_csat_parts(&h2, &num, &den);
	CHECK_EQ_INT(num, 2);
	CHECK_EQ_INT(den, 4);

	/* merge adds */
	CHECK_EQ_INT(metrics_hist_merge(&h, &h2, &err), CORE_OK);
	CHECK_EQ_INT(h.count[METRICS_BAND_LOW], 4);
	CHECK_EQ_INT(h.count[METRICS_BAND_MID], 2);
	CHECK_EQ_INT(h.count[METRICS_BAND_HIGH], 4);

	/* round trip, and the byte layout is little-endian */
	h.count[1] = 0x0102030405060708LL;
	metrics_hist_serialize(&h, buf);
	CHECK_EQ_INT(buf[8], 0x08);
	CHECK_EQ_INT(buf[15], 0x01);
	memset(&h2, 0xff, sizeof(h2));
	CHECK_EQ_INT(metrics_hist_deserialize(buf, sizeof(buf), &h2, &err), CORE_OK);
	CHECK(memcmp(&h, &h2, sizeof(h)) == 0);

	/* malformed: wrong length, negative count, total beyond int64 */
	CHECK_EQ_INT(metrics_hist_deserialize(buf, sizeof(buf) - 1, &h2, &err), CORE_ERR_BINARY);
	CHECK(strstr(err.detail, "23 bytes") != NULL);
	CHECK_EQ_STR(err.msg, "invalid score band state");
	buf[7] = 0x80;				/* band 0 negative */
	CHECK_EQ_INT(metrics_hist_deserialize(buf, sizeof(buf), &h2, &err), CORE_ERR_BINARY);
	memset(&h, 0, sizeof(h));
	h.count[0] = INT64_MAX;
	h.count[2] = 1;
	metrics_hist_serialize(&h, buf);
	CHECK_EQ_INT(metrics_hist_deserialize(buf, sizeof(buf), &h2, &err), CORE_ERR_BINARY);

	/* merge overflow is reported, and leaves the target unchanged */
	memset(&h, 0, sizeof(h));
	memset(&h2, 0, sizeof(h2));
	h.count[0] = INT64_MAX - 5;
	h2.count[2] = 6;
	CHECK_EQ_INT(metrics_hist_merge(&h, &h2, &err), CORE_ERR_RANGE);
	CHECK_EQ_INT(h.count[2], 0);
	h2.count[2] = 5;
	CHECK_EQ_INT(metrics_hist_merge(&h, &h2, &err), CORE_OK);
	CHECK_EQ_INT(h.count[2], 5);
}

static void
test_sums(void)
{
	metrics_sums s = {0, {0, 0}, {0, 0}};
	metrics_sums t;
	unsigned char buf[METRICS_SUMS_BYTES];
	CoreError	err;
	double		nan = NAN;

	s.n = 7;
	s.a.sum = 1.5;
	s.a.comp = -1e-17;
	s.b.sum = -2.25;
	s.b.comp = 3e-18;
	metrics_sums_serialize(&s, buf);
	CHECK_EQ_INT(metrics_sums_deserialize(buf, sizeof(buf), &t, &err), CORE_OK);
	CHECK_EQ_INT(t.n, 7);
	CHECK(t.a.sum == 1.5 && t.a.comp == -1e-17 && t.b.sum == -2.25 && t.b.comp == 3e-18);

	CHECK_EQ_INT(metrics_sums_deserialize(buf, 39, &t, &err), CORE_ERR_BINARY);
	buf[7] = 0x80;
	CHECK_EQ_INT(metrics_sums_deserialize(buf, sizeof(buf), &t, &err), CORE_ERR_BINARY);
	s.a.sum = nan;
	metrics_sums_serialize(&s, buf);
	CHECK_EQ_INT(metrics_sums_deserialize(buf, sizeof(buf), &t, &err), CORE_ERR_BINARY);

	/* merge: counts add, sums merge with compensation */
	s.n = 2;
	s.a.sum = 1e16;
	s.a.comp = 0;
	s.b.sum = 1;
	s.b.comp = 0;
	t.n = 3;
	t.a.sum = 1.0;
	t.a.comp = 1.0;				/* 2 in all */
	t.b.sum = 2;
	t.b.comp = 0;
	CHECK_EQ_INT(metrics_sums_merge(&s, &t, &err), CORE_OK);
	CHECK_EQ_INT(s.n, 5);
	CHECK_NEAR(metrics_ksum_value(&s.a), 1e16 + 2.0, 0.0);
	CHECK_NEAR(metrics_ksum_value(&s.b), 3.0, 0.0);
	t.n = INT64_MAX;
	CHECK_EQ_INT(metrics_sums_merge(&s, &t, &err), CORE_ERR_RANGE);
}

static void
test_values_serial(void)
{
	double		v[5] = {3.5, -1.0, 0.0, 1e308, -2.5e-300};
	double		back[5];
	unsigned char buf[METRICS_VALUES_HEADER + 5 * 8];
	CoreError	err;
	int32_t		k;
	int64_t		n;
	size_t		size = metrics_values_serial_size(5, 1 << 20);

	CHECK_EQ_INT(size, sizeof(buf));
	CHECK_EQ_INT(metrics_values_serial_size(5, 40), 0);	/* over the limit */
	CHECK_EQ_INT(metrics_values_serial_size(INT64_MAX, SIZE_MAX), 0);
	CHECK_EQ_INT(metrics_values_serial_size(-1, 1 << 20), 0);

	metrics_values_serialize(2, v, 5, buf);
	CHECK_EQ_INT(metrics_values_header(buf, sizeof(buf), &k, &n, &err), CORE_OK);
	CHECK_EQ_INT(k, 2);
	CHECK_EQ_INT(n, 5);
	CHECK_EQ_INT(metrics_values_read(buf, n, back, &err), CORE_OK);
	CHECK(memcmp(v, back, sizeof(v)) == 0);

	/* too short, count not matching the length, negative k, a NaN inside */
	CHECK_EQ_INT(metrics_values_header(buf, 11, &k, &n, &err), CORE_ERR_BINARY);
	CHECK_EQ_INT(metrics_values_header(buf, sizeof(buf) - 8, &k, &n, &err), CORE_ERR_BINARY);
	CHECK_EQ_INT(metrics_values_header(buf, sizeof(buf) + 0, &k, &n, &err), CORE_OK);
	buf[4] = 0xff;				/* huge count */
	buf[11] = 0x7f;
	CHECK_EQ_INT(metrics_values_header(buf, sizeof(buf), &k, &n, &err), CORE_ERR_BINARY);
	metrics_values_serialize(-3, v, 5, buf);
	CHECK_EQ_INT(metrics_values_header(buf, sizeof(buf), &k, &n, &err), CORE_ERR_BINARY);
	v[2] = NAN;
	metrics_values_serialize(1, v, 5, buf);
	CHECK_EQ_INT(metrics_values_header(buf, sizeof(buf), &k, &n, &err), CORE_OK);
	CHECK_EQ_INT(metrics_values_read(buf, n, back, &err), CORE_ERR_BINARY);
	CHECK(strstr(err.detail, "position 2") != NULL);
	CHECK_EQ_STR(err.msg, "invalid trimmed_mean state");
}

static void
test_sort(void)
{
	enum
	{
		N = 20000
	};
	static double a[N],
				b[N];

	/* random, many duplicates, sorted, reversed, all equal: vs qsort */
	for (int pattern = 0; pattern < 5; pattern++)
	{
		for (int i = 0; i < N; i++)
		{
			switch (pattern)
			{
				case 0:
					a[i] = rng_unit() * 2000 - 1000;
					break;
				case 1:
					a[i] = (double) (rng_next() % 7);
					break;
				case 2:
					a[i] = i;
					break;
				case 3:
					a[i] = N - i;
					break;
				default:
					a[i] = 4.25;
			}
			b[i] = a[i];
		}
		metrics_sort_doubles(a, N);
		qsort(b, N, sizeof(double), cmp_double);
		CHECK(memcmp(a, b, sizeof(a)) == 0);
	}
	/* is_sorted, and merging two sorted runs equals sorting their union */
	CHECK(metrics_is_sorted(a, N));
	a[N / 2] = -1e9;
	CHECK(!metrics_is_sorted(a, N));
	CHECK(metrics_is_sorted(a, 0));
	CHECK(metrics_is_sorted(a, 1));
	{
		static double x[N],
					y[N / 3],
					merged[N + N / 3],
					both[N + N / 3];

		for (int i = 0; i < N; i++)
			x[i] = (double) (rng_next() % 1000) / 8.0;
		for (int i = 0; i < N / 3; i++)
			y[i] = (double) (rng_next() % 1000) / 8.0 - 20.0;
		memcpy(both, x, sizeof(x));
		memcpy(both + N, y, sizeof(y));
		metrics_sort_doubles(x, N);
		metrics_sort_doubles(y, N / 3);
		metrics_merge_sorted(x, N, y, N / 3, merged);
		metrics_sort_doubles(both, N + N / 3);
		CHECK(memcmp(merged, both, sizeof(both)) == 0);
		/* empty runs on either side */
		metrics_merge_sorted(x, 0, y, N / 3, merged);
		CHECK(memcmp(merged, y, sizeof(y)) == 0);
		metrics_merge_sorted(x, N, y, 0, merged);
		CHECK(memcmp(merged, x, sizeof(x)) == 0);
	}
	/* tiny inputs */
	metrics_sort_doubles(a, 0);
	a[0] = 1;
	metrics_sort_doubles(a, 1);
	CHECK_NEAR(a[0], 1, 0);
}

static void
test_trimmed_mean(void)
{
	double		v[8];

	/* 1 2 3 4 100, k = 1: mean of 2 3 4 = 3 */
	v[0] = 100;
	v[1] = 3;
	v[2] = 1;
	v[3] = 4;
	v[4] = 2;
	CHECK_NEAR(metrics_trimmed_mean(v, 5, 1), 3.0, 0.0);
	/* k = 0: plain mean 22 */
	v[0] = 100;
	v[1] = 3;
	v[2] = 1;
	v[3] = 4;
	v[4] = 2;
	CHECK_NEAR(metrics_trimmed_mean(v, 5, 0), 22.0, 0.0);
	/* k reduced: n = 5, k = 9 -> k = 2 -> the median 3 */
	CHECK_NEAR(metrics_trimmed_mean(v, 5, 9), 3.0, 0.0);
	/* n = 4, k = 5 -> k = 1 -> mean of the middle two: (2 + 3) / 2 */
	v[0] = 3;
	v[1] = 1;
	v[2] = 10;
	v[3] = 2;
	CHECK_NEAR(metrics_trimmed_mean(v, 4, 5), 2.5, 0.0);
	/* n = 2, k = 1 -> k = 0 -> mean of both; n = 1 -> the value */
	v[0] = 7;
	v[1] = 8;
	CHECK_NEAR(metrics_trimmed_mean(v, 2, 1), 7.5, 0.0);
	v[0] = -4.5;
	CHECK_NEAR(metrics_trimmed_mean(v, 1, 3), -4.5, 0.0);
	/* near DBL_MAX the sum overflows; the mean does not */
	v[0] = DBL_MAX;
	v[1] = DBL_MAX;
	v[2] = DBL_MAX;
	{
		double		r = metrics_trimmed_mean(v, 3, 0);

		CHECK(r == DBL_MAX);
		v[0] = DBL_MAX;
		v[1] = DBL_MAX;
		v[2] = -DBL_MAX;
		v[3] = 1.0;
		r = metrics_trimmed_mean(v, 4, 0);	/* (DBL_MAX + 1) / 4 */
		CHECK(r == ldexp(DBL_MAX, -2));
	}
	/* the sorted entry point agrees and leaves its input alone */
	{
		const double sorted[6] = {-3, 1, 2, 2, 8, 40};

		CHECK_NEAR(metrics_trimmed_mean_sorted(sorted, 6, 1), 13.0 / 4.0, 0.0);
		CHECK_NEAR(metrics_trimmed_mean_sorted(sorted, 6, 2), 2.0, 0.0);
		CHECK_NEAR(metrics_trimmed_mean_sorted(sorted, 6, 0), 50.0 / 6.0, 1e-15);
		CHECK_NEAR(sorted[5], 40, 0);
	}
	/* three equal values average to that value, not one ulp above */
	v[0] = v[1] = v[2] = 0.1;
	CHECK(metrics_trimmed_mean(v, 3, 0) == 0.1);
	/* order independence: the same multiset in two orders, bitwise equal */
	{
		enum
		{
			N = 5001
		};
		static double x[N],
					y[N];
		double		r1,
					r2;

		for (int i = 0; i < N; i++)
			x[i] = (rng_unit() - 0.3) * pow(10.0, (double) (rng_next() % 12));
		for (int i = 0; i < N; i++)
			y[i] = x[N - 1 - i];
		r1 = metrics_trimmed_mean(x, N, 50);
		r2 = metrics_trimmed_mean(y, N, 50);
		CHECK(memcmp(&r1, &r2, sizeof(double)) == 0);
	}
}

int
main(int argc, char **argv)
{
	(void) argc;
	test_ksum();
	test_hist();
	test_sums();
	test_values_serial();
	test_sort();
	test_trimmed_mean();
	return unit_summary(argv[0]);
}
