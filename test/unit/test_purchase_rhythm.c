/*
 * test_purchase_rhythm.c -- unit tests of src/core/purchase_rhythm.c: sorting
 * with repeated days removed (in order, rotated, shuffled: against qsort), the summary (count, first, last, gaps, lower
 * median gap) on hand-worked cases, and the serialised state (round trip and
 * rejection of malformed bytes).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "purchase_rhythm.h"
#include "unit.h"

static void
test_sort_unique(void)
{
	int32_t		days[] = {30, 0, 30, 60, 0, 90, 60};
	int32_t		one[] = {7};
	int64_t		n = rhythm_sort_unique(days, 7);

	CHECK_EQ_INT(n, 4);
	CHECK_EQ_INT(days[0], 0);
	CHECK_EQ_INT(days[1], 30);
	CHECK_EQ_INT(days[2], 60);
	CHECK_EQ_INT(days[3], 90);
	CHECK_EQ_INT(rhythm_sort_unique(one, 1), 1);
	CHECK_EQ_INT(rhythm_sort_unique(NULL, 0), 0);
}

/* Ascending int32, for qsort: the references the tests compare with. */
static int
cmp_gap(const void *a, const void *b)
{
	int32_t		x = *(const int32_t *) a,
				y = *(const int32_t *) b;

	return (x > y) - (x < y);
}

/* Checks days[0..n) sort to the m distinct days of want. */
static void
check_sorted(int32_t *days, int64_t n, const int32_t *want, int64_t m)
{
	int64_t		i;

	CHECK_EQ_INT(rhythm_sort_unique(days, n), m);
	for (i = 0; i < m; i++)
		CHECK_EQ_INT(days[i], want[i]);
}

/*
 * Rotated days (a scan that started mid-table and wrapped): swapped in
 * linear time, with a repeat at the seam, repeats inside a run, and a run
 * of one; one descent that is no rotation, and two descents, by qsort.
 */
static void
test_sort_rotated(void)
{
	int32_t		rot[] = {50, 60, 70, 10, 20, 30};
	int32_t		seam[] = {30, 40, 50, 10, 20, 30};
	int32_t		rep[] = {50, 50, 60, 10, 10};
	int32_t		last_one[] = {20, 30, 40, 10};
	int32_t		first_one[] = {90, 10, 20, 30};
	int32_t		overlap[] = {10, 50, 30, 40};	/* 40 > 10: not a rotation */
	int32_t		twice[] = {30, 10, 20, 0};
	int32_t		sorted_rep[] = {10, 10, 20, 20, 30};
	const int32_t want_rot[] = {10, 20, 30, 50, 60, 70};
	const int32_t want_seam[] = {10, 20, 30, 40, 50};
	const int32_t want_rep[] = {10, 50, 60};
	const int32_t want_last_one[] = {10, 20, 30, 40};
	const int32_t want_first_one[] = {10, 20, 30, 90};
	const int32_t want_overlap[] = {10, 30, 40, 50};
	const int32_t want_twice[] = {0, 10, 20, 30};
	const int32_t want_sorted_rep[] = {10, 20, 30};

	check_sorted(rot, 6, want_rot, 6);
	check_sorted(seam, 6, want_seam, 5);
	check_sorted(rep, 5, want_rep, 3);
	check_sorted(last_one, 4, want_last_one, 4);
	check_sorted(first_one, 4, want_first_one, 4);
	check_sorted(overlap, 4, want_overlap, 4);
	check_sorted(twice, 4, want_twice, 4);
	check_sorted(sorted_rep, 5, want_sorted_rep, 3);
}

/*
 * rhythm_sort_unique equals qsort and a unique pass on 3000 pseudo-random
 * inputs of 1..60 days: sorted, rotated at a random point, or shuffled,
 * with days from a narrow range (many repeats) or a wide one.
 */
static void
test_sort_random(void)
{
	uint32_t	seed = 777;
	int			trial;

	for (trial = 0; trial < 3000; trial++)
	{
		int32_t		days[60], ref[60], tmp[60];
		int			n, i, k, m;
		uint32_t	range = trial % 2 ? 8 : 1000;

		seed = seed * 1103515245u + 12345u;
		n = 1 + (int) ((seed >> 8) % 60);
		for (i = 0; i < n; i++)
		{
			seed = seed * 1103515245u + 12345u;
			days[i] = (int32_t) ((seed >> 8) % range);
		}
		if (trial % 3 != 2)		/* sorted, then (trial % 3 == 1) rotated */
		{
			qsort(days, (size_t) n, sizeof(int32_t), cmp_gap);
			seed = seed * 1103515245u + 12345u;
			k = trial % 3 == 1 ? (int) ((seed >> 8) % (uint32_t) n) : 0;
			memcpy(tmp, days, sizeof(int32_t) * (size_t) n);
			for (i = 0; i < n; i++)
				days[i] = tmp[(i + k) % n];
		}
		memcpy(ref, days, sizeof(int32_t) * (size_t) n);
		qsort(ref, (size_t) n, sizeof(int32_t), cmp_gap);
		m = n > 0 ? 1 : 0;
		for (i = 1; i < n; i++)
			if (ref[i] != ref[m - 1])
				ref[m++] = ref[i];
		check_sorted(days, n, ref, m);
	}
}

static void
test_summarise(void)
{
	int32_t		scratch[16];
	PurchaseRhythm r;
	/* monthly: gaps 31, 28, 31 -> sorted 28 31 31, median (index 1) 31 */
	int32_t		monthly[] = {9131, 9162, 9190, 9221};
	/* even count: gaps 10, 40, 20, 30 -> sorted 10 20 30 40, lower median 20 */
	int32_t		even[] = {0, 10, 50, 70, 100};
	/* seasonal: gaps 30 30 30 270 30 30 30 -> median 30 */
	int32_t		seasonal[] = {0, 30, 60, 90, 360, 390, 420, 450};
	int32_t		single[] = {-5};

	rhythm_summarise(monthly, 4, scratch, &r);
	CHECK_EQ_INT(r.purchase_days, 4);
	CHECK_EQ_INT(r.first_day, 9131);
	CHECK_EQ_INT(r.last_day, 9221);
	CHECK_EQ_INT(r.gaps, 3);
	CHECK_EQ_INT(r.median_gap, 31);

	rhythm_summarise(even, 5, scratch, &r);
	CHECK_EQ_INT(r.gaps, 4);
	CHECK_EQ_INT(r.median_gap, 20);

	rhythm_summarise(seasonal, 8, scratch, &r);
	CHECK_EQ_INT(r.gaps, 7);
	CHECK_EQ_INT(r.median_gap, 30);

	/* one purchase day: no gap, median undefined (0) */
	rhythm_summarise(single, 1, scratch, &r);
	CHECK_EQ_INT(r.purchase_days, 1);
	CHECK_EQ_INT(r.first_day, -5);
	CHECK_EQ_INT(r.last_day, -5);
	CHECK_EQ_INT(r.gaps, 0);
	CHECK_EQ_INT(r.median_gap, 0);

	/* two days: one gap, its own median */
	rhythm_summarise(even, 2, scratch, &r);
	CHECK_EQ_INT(r.gaps, 1);
	CHECK_EQ_INT(r.median_gap, 10);

	rhythm_summarise(NULL, 0, scratch, &r);
	CHECK_EQ_INT(r.purchase_days, 0);
	CHECK_EQ_INT(r.gaps, 0);
}

static void
test_serial(void)
{
	int32_t		days[] = {-2451545, -1, 0, 1, 2147483646, 9131};
	int32_t		back[6];
	unsigned char buf[8 + 4 * 6];
	CoreError	err;
	int64_t		n = -1;

	CHECK_EQ_INT(rhythm_serial_size(6, 1000), 32);
	CHECK_EQ_INT(rhythm_serial_size(6, 31), 0);
	CHECK_EQ_INT(rhythm_serial_size(-1, 1000), 0);
	CHECK_EQ_INT(rhythm_serial_size(0, 8), 8);
	rhythm_serialize(days, 6, buf);
	/* little-endian: n = 6 in the first byte, day -1 as ff ff ff ff */
	CHECK_EQ_INT(buf[0], 6);
	CHECK_EQ_INT(buf[8 + 4], 0xff);
	core_error_clear(&err);
	CHECK_EQ_INT(rhythm_header(buf, sizeof(buf), &n, &err), CORE_OK);
	CHECK_EQ_INT(n, 6);
	rhythm_read(buf, n, back);
	CHECK(memcmp(days, back, sizeof(days)) == 0);

	/* too short for the header, one byte missing, one byte too many */
	CHECK_EQ_INT(rhythm_header(buf, 7, &n, &err), CORE_ERR_BINARY);
	CHECK_EQ_INT(rhythm_header(buf, sizeof(buf) - 1, &n, &err), CORE_ERR_BINARY);
	{
		unsigned char longer[sizeof(buf) + 1];

		memcpy(longer, buf, sizeof(buf));
		longer[sizeof(buf)] = 0;
		CHECK_EQ_INT(rhythm_header(longer, sizeof(longer), &n, &err), CORE_ERR_BINARY);
	}
	/* a header announcing 2^62 days must not overflow the length check */
	memset(buf, 0, 8);
	buf[7] = 0x40;
	CHECK_EQ_INT(rhythm_header(buf, sizeof(buf), &n, &err), CORE_ERR_BINARY);
	CHECK(strstr(err.msg, "does not hold") != NULL);
}

/*
 * The windows of customer_sales_scan as of 2025-12-31 (day 9496) with a
 * 90-day trend window: recent_from = 9496 - 90 = 9406 (2025-10-02), year_ago
 * = 2024-12-31 = 9131, year_ago_from = 9131 - 90 = 9041 (2024-10-02).
 */
static void
test_window_flags(void)
{
	SalesWindows w = {9406, 9041, 9131};

	CHECK_EQ_INT(sales_window_flags(&w, 9496), SALES_IN_RECENT);	/* the day itself */
	CHECK_EQ_INT(sales_window_flags(&w, 9407), SALES_IN_RECENT);	/* first recent day */
	CHECK_EQ_INT(sales_window_flags(&w, 9406), 0);	/* recent_from is excluded */
	CHECK_EQ_INT(sales_window_flags(&w, 9132), 0);	/* the day after a year ago */
	CHECK_EQ_INT(sales_window_flags(&w, 9131), SALES_IN_YEAR_AGO | SALES_BY_YEAR_AGO);
	CHECK_EQ_INT(sales_window_flags(&w, 9042), SALES_IN_YEAR_AGO | SALES_BY_YEAR_AGO);
	CHECK_EQ_INT(sales_window_flags(&w, 9041), SALES_BY_YEAR_AGO);	/* year_ago_from excluded */
	CHECK_EQ_INT(sales_window_flags(&w, -100000), SALES_BY_YEAR_AGO);
}

/* Appending days: a repeat of the last day is skipped, an earlier day unsorts. */
static void
test_note_day(void)
{
	int32_t		days[4];
	int64_t		n = 0;
	int			sorted = 1;

	CHECK_EQ_INT(rhythm_note_day(days, &n, 10, &sorted), 1);
	CHECK_EQ_INT(rhythm_note_day(days, &n, 10, &sorted), 0);
	CHECK_EQ_INT(rhythm_note_day(days, &n, 12, &sorted), 1);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(sorted, 1);
	CHECK_EQ_INT(rhythm_note_day(days, &n, 10, &sorted), 1);	/* not the last: kept */
	CHECK_EQ_INT(n, 3);
	CHECK_EQ_INT(sorted, 0);
	CHECK_EQ_INT(days[2], 10);
	CHECK_EQ_INT(rhythm_sort_unique(days, n), 2);
}

/*
 * The median selected (quickselect) equals the median of the sorted gaps,
 * on 3000 pseudo-random customers of 2..80 days with gaps of 1..12 days
 * (many ties, the selection's hard case) or 1..400.
 */
static void
test_median_random(void)
{
	uint32_t	seed = 12345;
	int			trial;

	for (trial = 0; trial < 3000; trial++)
	{
		int32_t		days[80], gaps[80], scratch[80];
		int			n, i, spread;
		PurchaseRhythm r;

		seed = seed * 1103515245u + 12345u;
		n = 2 + (int) ((seed >> 8) % 79);
		spread = trial % 2 ? 12 : 400;
		days[0] = 9000;
		for (i = 1; i < n; i++)
		{
			seed = seed * 1103515245u + 12345u;
			gaps[i - 1] = 1 + (int32_t) ((seed >> 8) % (uint32_t) spread);
			days[i] = days[i - 1] + gaps[i - 1];
		}
		qsort(gaps, (size_t) (n - 1), sizeof(int32_t), cmp_gap);
		rhythm_summarise(days, n, scratch, &r);
		CHECK_EQ_INT(r.median_gap, gaps[(n - 1 + 1) / 2 - 1]);
	}
}

int
main(int argc, char **argv)
{
	(void) argc;
	test_sort_unique();
	test_sort_rotated();
	test_sort_random();
	test_summarise();
	test_serial();
	test_window_flags();
	test_note_day();
	test_median_random();
	return unit_summary(argv[0]);
}
