/*
 * growable_array.h -- the arrays an aggregate's state keeps per group
 * (trimmed_mean's scores, purchase_rhythm's days): one huge allocation in the
 * aggregate's memory context, doubled when full so appends are amortised
 * O(1), refused with 54000 (program_limit_exceeded) beyond MaxAllocHugeSize.
 * Shared so that each aggregate states only its element type and its name.
 */
#ifndef SS_GROWABLE_ARRAY_H
#define SS_GROWABLE_ARRAY_H

#include "postgres.h"

#include "utils/memutils.h"

/*
 * cap elements of elem_size fit in one huge allocation; otherwise 54000,
 * naming the aggregate (what) and its elements (unit).
 */
static inline void
growable_check(int64 cap, Size elem_size, const char *what, const char *unit)
{
	if (cap < 0 || (Size) cap > MaxAllocHugeSize / elem_size)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s cannot hold more than %zu %s in one group",
						what, (Size) (MaxAllocHugeSize / elem_size), unit)));
}

/*
 * Room for need elements in array (capacity *cap, at least 1), doubling the
 * capacity as often as needed; returns the array, moved if it grew
 * (repalloc keeps it in the context it was allocated in).
 */
static inline void *
growable_reserve(void *array, int64 *cap, int64 need, Size elem_size, const char *what, const char *unit)
{
	int64		c = *cap;

	if (need <= c)
		return array;
	while (c < need)
		c *= 2;
	growable_check(c, elem_size, what, unit);
	*cap = c;
	return repalloc_huge(array, c * elem_size);
}

#endif							/* SS_GROWABLE_ARRAY_H */
