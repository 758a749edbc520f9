/*-------------------------------------------------------------------------
 *
 * purchase_rhythm.c
 *	  Sorting, summarising and serialising a customer's purchase days (see
 *	  purchase_rhythm.h).  No allocation: the caller owns every buffer.
 *
 *-------------------------------------------------------------------------
 */
#include "purchase_rhythm.h"

#include <stdlib.h>
#include <string.h>

static int
cmp_int32(const void *a, const void *b)
{
	int32_t		x = *(const int32_t *) a,
				y = *(const int32_t *) b;

	return (x > y) - (x < y);
}

/* Reverses a[0..n). */
static void
reverse_days(int32_t *a, int64_t n)
{
	int64_t		i;

	for (i = 0; i < n / 2; i++)
	{
		int32_t		t = a[i];

		a[i] = a[n - 1 - i];
		a[n - 1 - i] = t;
	}
}

/*
 * Sorted in place: already in order (repeats aside), or rotated -- one
 * descent at k and the last day not after the first, what a sequential scan
 * that started in the middle of a table kept in day order delivers (a
 * synchronised scan joins another one where it is, then wraps around): the
 * two runs swapped by three reversals, O(n); anything else by qsort.
 */
int64_t
rhythm_sort_unique(int32_t *days, int64_t n)
{
	int64_t		i,
				m,
				k = 0;			/* the descent: 0 none, -1 more than one */

	if (n <= 1)
		return n < 0 ? 0 : n;
	for (i = 1; i < n && k >= 0; i++)
		if (days[i] < days[i - 1])
			k = k == 0 ? i : -1;
	if (k > 0 && days[n - 1] <= days[0])
	{
		reverse_days(days, k);
		reverse_days(days + k, n - k);
		reverse_days(days, n);
	}
	else if (k != 0)
		qsort(days, (size_t) n, sizeof(int32_t), cmp_int32);
	m = 1;
	for (i = 1; i < n; i++)
		if (days[i] != days[m - 1])
			days[m++] = days[i];
	return m;
}

/*
 * The k-th smallest (0-based) of a[0..n), k < n, by quickselect (Hoare's
 * partition around the middle element): O(n) on average where sorting the
 * gaps to take their median was O(n log n).  Reorders a.
 */
static int32_t
select_kth(int32_t *a, int64_t n, int64_t k)
{
	int64_t		lo = 0,
				hi = n - 1;

	while (lo < hi)
	{
		int32_t		pivot = a[lo + (hi - lo) / 2];
		int64_t		i = lo,
					j = hi;

		while (i <= j)
		{
			while (a[i] < pivot)
				i++;
			while (a[j] > pivot)
				j--;
			if (i <= j)
			{
				int32_t		t = a[i];

				a[i] = a[j];
				a[j] = t;
				i++;
				j--;
			}
		}
		/* now a[lo..j] <= pivot <= a[i..hi], and a[j+1..i-1] == pivot */
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return a[k];
	}
	return a[k];
}

void
rhythm_summarise(const int32_t *days, int64_t n, int32_t *scratch, PurchaseRhythm *out)
{
	int64_t		i;

	memset(out, 0, sizeof(*out));
	if (n <= 0)
		return;
	out->purchase_days = n;
	out->first_day = days[0];
	out->last_day = days[n - 1];
	out->gaps = n - 1;
	if (n < 2)
		return;
	/* gaps of distinct sorted days are >= 1 and fit int32 (finite dates) */
	for (i = 1; i < n; i++)
		scratch[i - 1] = days[i] - days[i - 1];
	/* lower median: index ceil(g / 2) - 1 of g sorted gaps, selected */
	out->median_gap = select_kth(scratch, n - 1, (n - 1 + 1) / 2 - 1);
}

static void
put_le64(unsigned char *p, uint64_t v)
{
	int			i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char) (v >> (8 * i));
}

static uint64_t
get_le64(const unsigned char *p)
{
	uint64_t	v = 0;
	int			i;

	for (i = 0; i < 8; i++)
		v |= (uint64_t) p[i] << (8 * i);
	return v;
}

size_t
rhythm_serial_size(int64_t n, size_t limit)
{
	if (n < 0 || limit < 8 || (uint64_t) n > (limit - 8) / 4)
		return 0;
	return 8 + 4 * (size_t) n;
}

void
rhythm_serialize(const int32_t *days, int64_t n, unsigned char *out)
{
	int64_t		i;

	put_le64(out, (uint64_t) n);
	for (i = 0; i < n; i++)
	{
		uint32_t	d = (uint32_t) days[i];
		unsigned char *p = out + 8 + 4 * i;

		p[0] = (unsigned char) d;
		p[1] = (unsigned char) (d >> 8);
		p[2] = (unsigned char) (d >> 16);
		p[3] = (unsigned char) (d >> 24);
	}
}

int
rhythm_header(const unsigned char *in, size_t len, int64_t *n, CoreError *err)
{
	uint64_t	raw;

	if (len < 8)
		return core_error(err, CORE_ERR_BINARY,
						  "purchase_rhythm state is %zu bytes, shorter than its 8-byte header", len);
	raw = get_le64(in);
	if (raw > (uint64_t) (len - 8) / 4 || 8 + 4 * raw != len)
		return core_error(err, CORE_ERR_BINARY,
						  "purchase_rhythm state of %zu bytes does not hold the %llu days its header announces",
						  len, (unsigned long long) raw);
	*n = (int64_t) raw;
	return CORE_OK;
}

void
rhythm_read(const unsigned char *in, int64_t n, int32_t *days)
{
	int64_t		i;

	for (i = 0; i < n; i++)
	{
		const unsigned char *p = in + 8 + 4 * i;

		days[i] = (int32_t) ((uint32_t) p[0] | (uint32_t) p[1] << 8 |
							 (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24);
	}
}

int
sales_window_flags(const SalesWindows *w, int32_t day)
{
	int			flags = 0;

	if (day > w->recent_from)
		flags |= SALES_IN_RECENT;
	if (day <= w->year_ago)
	{
		flags |= SALES_BY_YEAR_AGO;
		if (day > w->year_ago_from)
			flags |= SALES_IN_YEAR_AGO;
	}
	return flags;
}

int
rhythm_note_day(int32_t *days, int64_t *n, int32_t day, int *sorted)
{
	if (*n > 0)
	{
		int32_t		last = days[*n - 1];

		if (day == last)
			return 0;
		if (day < last)
			*sorted = 0;
	}
	days[(*n)++] = day;
	return 1;
}
