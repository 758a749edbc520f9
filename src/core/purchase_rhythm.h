/*-------------------------------------------------------------------------
 *
 * purchase_rhythm.h
 *	  The purchase rhythm of one customer (issue 19.1): the distinct days a
 *	  customer bought on, reduced to how many there were, the first and the
 *	  last, and the usual gap between two consecutive purchase days (the
 *	  median gap).  Pure C (no postgres.h): the aggregate purchase_rhythm()
 *	  (src/purchase_rhythm.c) keeps the days of a group in an array and calls
 *	  these at the end; test/unit/test_purchase_rhythm.c drives them directly.
 *
 * Days are int32 day numbers (PostgreSQL's DateADT: days since 2000-01-01);
 * the glue refuses infinite dates before they get here.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SALES_SUPERVISOR_PURCHASE_RHYTHM_H
#define SALES_SUPERVISOR_PURCHASE_RHYTHM_H

#include <stddef.h>
#include <stdint.h>

#include "core_error.h"

typedef struct PurchaseRhythm
{
	int64_t		purchase_days;	/* distinct days (0: no purchase) */
	int32_t		first_day;		/* earliest day (valid when purchase_days > 0) */
	int32_t		last_day;		/* latest day (valid when purchase_days > 0) */
	int64_t		gaps;			/* purchase_days - 1, or 0 */
	int32_t		median_gap;		/* lower median of the gaps (valid when gaps > 0) */
} PurchaseRhythm;

/*
 * Sorts days[0..n) ascending and removes repeated days in place; returns
 * the number of distinct days left at the front.  Linear when the days are
 * in order or rotated (two ascending runs, the second ending no later than
 * the first begins: a scan that wrapped around a table in day order).
 */
extern int64_t rhythm_sort_unique(int32_t *days, int64_t n);

/*
 * Summarises sorted distinct days (rhythm_sort_unique's output): count,
 * first, last, gaps and the lower median gap -- of an even number of gaps
 * the smaller of the two middle ones (percentile_disc(0.5) in SQL), so the
 * usual gap is a gap that occurred, in whole days.  scratch must hold n - 1
 * int32 (it receives the gaps, reordered).
 */
extern void rhythm_summarise(const int32_t *days, int64_t n, int32_t *scratch,
							 PurchaseRhythm *out);

/*
 * The serialised state (parallel query): int64 n, then n int32 days, all
 * little-endian.  serial_size returns 0 when the bytes would exceed limit.
 */
extern size_t rhythm_serial_size(int64_t n, size_t limit);
extern void rhythm_serialize(const int32_t *days, int64_t n, unsigned char *out);

/*
 * Reads the header of len serialised bytes into *n, checking that len is
 * exactly the size of n days (CORE_ERR_BINARY otherwise); rhythm_read then
 * copies the n days into days.
 */
extern int	rhythm_header(const unsigned char *in, size_t len, int64_t *n, CoreError *err);
extern void rhythm_read(const unsigned char *in, int64_t n, int32_t *days);

/*
 * The windows of customer_sales_scan (the sales phase of customer_risk, one
 * pass over the lines): a line of day d counts
 *	 SALES_IN_RECENT     d > recent_from                      (recent sales)
 *	 SALES_IN_YEAR_AGO   year_ago_from < d <= year_ago        (year-ago sales)
 *	 SALES_BY_YEAR_AGO   d <= year_ago      (the last purchase a year earlier)
 * sales_window_flags returns the OR of the flags that hold for d.
 */
typedef struct SalesWindows
{
	int32_t		recent_from;
	int32_t		year_ago_from;
	int32_t		year_ago;
} SalesWindows;

#define SALES_IN_RECENT		1
#define SALES_IN_YEAR_AGO	2
#define SALES_BY_YEAR_AGO	4

extern int	sales_window_flags(const SalesWindows *w, int32_t day);

/*
 * Appends day to days[0..*n) unless it equals the last day appended (a
 * customer's many lines of one day cost one slot); *sorted becomes false
 * when day is before the last one.  The caller has made room for one more
 * day (cap > *n).  Returns 1 when the day was appended, 0 when skipped.
 */
extern int	rhythm_note_day(int32_t *days, int64_t *n, int32_t day, int *sorted);

#endif
