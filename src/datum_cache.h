/*-------------------------------------------------------------------------
 *
 * datum_cache.h
 *	  Per-call-site cache of a varlena argument (score_curve, tier_table)
 *	  and of what a function derives from it, kept in fn_extra.
 *
 * Read from a table, such a value arrives in short-header, compressed or
 * out-of-line form and must be detoasted and aligned before use; doing
 * that once per distinct value instead of once per row is what the cache
 * is for.  Each entry lives in its own small memory context, so an entry
 * is built completely before it replaces another and is freed in one go.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SALES_SUPERVISOR_DATUM_CACHE_H
#define SALES_SUPERVISOR_DATUM_CACHE_H

#include "fmgr.h"

/* distinct values a call site keeps; least recently used is replaced */
#define DATUM_CACHE_ENTRIES 32

/*
 * Builds what the caller keeps for one value: 'value' is the detoasted,
 * aligned copy (already in cxt); allocate anything else in cxt.  Returns
 * the pointer datum_cache_get() hands back for this value.
 */
typedef void *(*DatumCacheBuild) (struct varlena *value, MemoryContext cxt);

/*
 * The cached result of 'build' for argument argno of this call (which must
 * not be NULL).  build may be NULL: the detoasted value itself is returned.
 */
extern void *datum_cache_get(FunctionCallInfo fcinfo, int argno,
							 DatumCacheBuild build);

/*
 * The memory context of the entry datum_cache_get() returned last, for
 * data derived from that value on demand (it is freed with the entry).
 */
extern MemoryContext datum_cache_entry_context(FunctionCallInfo fcinfo);

#endif
