/*
 * fuzz_metrics.c -- libFuzzer target over the decoders of the serialised
 * aggregate states (src/core/metrics.c), which read bytes that cross process
 * boundaries in parallel query.  Any input must either be rejected with an
 * error code or decode to a state that re-encodes to the same bytes; a
 * decoded value list must also survive the sort and the trimmed mean.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	CoreError	err;
	metrics_hist h;
	metrics_sums s;
	int32_t		k;
	int64_t		n;

	if (metrics_hist_deserialize(data, size, &h, &err) == CORE_OK)
	{
		unsigned char back[METRICS_HIST_BYTES];
		int64_t		num,
					den;

		metrics_hist_serialize(&h, back);
		if (memcmp(back, data, size) != 0)
			abort();
		metrics_nps_parts(&h, &num, &den);
		metrics_csat_parts(&h, &num, &den);
		if (metrics_hist_merge(&h, &h, &err) == CORE_OK)
			metrics_nps_parts(&h, &num, &den);
	}
	if (metrics_sums_deserialize(data, size, &s, &err) == CORE_OK)
	{
		metrics_sums t = s;

		(void) metrics_sums_merge(&t, &s, &err);
		(void) metrics_ksum_value(&t.a);
	}
	if (metrics_values_header(data, size, &k, &n, &err) == CORE_OK)
	{
		double	   *v = malloc((size_t) n * sizeof(double) + 1);

		if (v == NULL)
			abort();
		if (metrics_values_read(data, n, v, &err) == CORE_OK && n > 0)
		{
			unsigned char *back = malloc(size);
			double		mean;

			if (back == NULL)
				abort();
			metrics_values_serialize(k, v, n, back);
			if (memcmp(back, data, size) != 0)
				abort();
			free(back);
			mean = metrics_trimmed_mean(v, n, k);
			/* merging the sorted values with themselves keeps them sorted */
			{
				double	   *m2 = malloc((size_t) n * 2 * sizeof(double));

				if (m2 == NULL)
					abort();
				metrics_merge_sorted(v, n, v, n, m2);
				if (!metrics_is_sorted(m2, 2 * n))
					abort();
				/*
				 * Each kept value twice: the same mean (k as reduced, doubled),
				 * up to the rounding a compensated sum is allowed.  Neumaier's
				 * sum is within 2u|S| + O(N^2 u^2) sum|x| of the exact sum, so
				 * where the kept values cancel heavily (+-1e308 and +-1e188 in
				 * one list) two orders differ far more than 1e-12 relative,
				 * as metrics.h documents; the bound below is that error
				 * estimate with room, plus the subnormals the overflow path's
				 * scaling drops.
				 */
				int64_t		keff = k < (n - 1) / 2 ? k : (n - 1) / 2;
				double		mean2 = metrics_trimmed_mean_sorted(m2, 2 * n, 2 * keff);
				double		abs_per_kept = 0.0;
				double		u = ldexp(1.0, -53);
				double		big_n = (double) (2 * n);

				for (int64_t i = keff; i < n - keff; i++)
					abs_per_kept += fabs(v[i]) / (double) (n - 2 * keff);
				if (mean2 != mean &&
					!(fabs(mean2 - mean) <= 8 * u * fabs(mean) +
					  4 * big_n * big_n * u * u * abs_per_kept + 1e-300))
					abort();
				free(m2);
			}
			/* the mean lies between the smallest and largest value */
			if (!(mean >= v[0] && mean <= v[n - 1]))
				abort();
			for (int64_t i = 1; i < n; i++)
				if (v[i - 1] > v[i])
					abort();
		}
		free(v);
	}
	return 0;
}
