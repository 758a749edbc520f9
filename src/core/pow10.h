/*-------------------------------------------------------------------------
 *
 * pow10.h
 *	  Exact powers of ten for the scaled-integer cores (tier_table,
 *	  tier_table_prepared, apportion): 10^k as int64 for k = 0..18 and as
 *	  unsigned __int128 for k = 0..38, by table lookup, no loop.
 *
 * No PostgreSQL header here: test/unit and test/fuzz drive this directly.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SALES_SUPERVISOR_CORE_POW10_H
#define SALES_SUPERVISOR_CORE_POW10_H

#include <stdint.h>

/* largest k with 10^k in int64 / in unsigned __int128 */
#define POW10_MAX_I64	18
#define POW10_MAX_U128	38

/* 10^0 .. 10^19 (10^19 fits uint64, not int64) */
extern const uint64_t pow10_table[20];

/* 10^k, 0 <= k <= POW10_MAX_I64 */
static inline int64_t
pow10_i64(int k)
{
	return (int64_t) pow10_table[k];
}

/* 10^k, 0 <= k <= POW10_MAX_U128: at most two table entries multiplied */
static inline unsigned __int128
pow10_u128(int k)
{
	if (k <= 19)
		return pow10_table[k];
	return (unsigned __int128) pow10_table[19] * pow10_table[k - 19];
}

#endif
