/*-------------------------------------------------------------------------
 *
 * datum_cache.c
 *	  Per-call-site cache of a varlena argument; see datum_cache.h.
 *
 * Entries are keyed on the exact bytes of the value of THIS call: inline
 * values (plain, short-header or compressed) by the bytes as passed, an
 * out-of-line (TOASTed) value by its detoasted bytes, never by its TOAST
 * pointer (a pointer names storage, which can be freed and reused while a
 * procedure's expression state lives on).  Every call compares: fn_extra
 * outlives one parameter value (PL/pgSQL keeps simple expressions' state
 * for the transaction and passes each call's values as Params, SQL
 * functions and generic plans likewise), so a "constant of the query"
 * (get_fn_expr_arg_stable) is NOT a constant of the cache and is never
 * trusted.  A lookup first tries the entry that matched last (consecutive
 * rows with the same value), then the others, size first, then bytes:
 * values of a few hundred bytes that differ mostly differ early, so a
 * failed memcmp is cheaper than hashing every row's value would be.
 * In-memory indirections (expanded objects) may change under the same
 * pointer: they are never cached but built afresh, in a scratch context,
 * on each call.
 *
 * Replacing an entry: the new one is built in a new context first (a
 * child of the per-call context until it is complete, so an error while
 * building frees it), then swapped in, then the old context deleted: an
 * error (out of memory) never leaves the cache, which outlives a caught
 * error, pointing to freed memory.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/detoast.h"
#include "utils/memutils.h"

#include "datum_cache.h"

typedef struct DatumCacheEntry
{
	MemoryContext cxt;			/* holds key, value and result; NULL: empty */
	Size		keysize;
	char	   *key;			/* copy of the datum as passed */
	void	   *result;			/* what build returned */
	uint64		used;			/* LRU stamp */
} DatumCacheEntry;

typedef struct DatumCache
{
	int			last;			/* entry returned last, -1: none */
	uint64		clock;			/* LRU clock */
	MemoryContext scratch;		/* for values that are never cached */
	DatumCacheEntry entry[DATUM_CACHE_ENTRIES];
} DatumCache;

/* The cache of this call site, created on first use. */
static DatumCache *
dc_cache(FunctionCallInfo fcinfo)
{
	DatumCache *dc = (DatumCache *) fcinfo->flinfo->fn_extra;

	if (dc == NULL)
	{
		dc = (DatumCache *) MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt,
												   sizeof(DatumCache));
		dc->last = -1;
		fcinfo->flinfo->fn_extra = dc;
	}
	return dc;
}

/*
 * Detoast raw into cxt (aligned, 4-byte header) and run build on it there.
 */
static void *
dc_build(struct varlena *raw, MemoryContext cxt, DatumCacheBuild build)
{
	struct varlena *detoasted = PG_DETOAST_DATUM(PointerGetDatum(raw));
	struct varlena *value;

	value = (struct varlena *) MemoryContextAlloc(cxt, VARSIZE(detoasted));
	memcpy(value, detoasted, VARSIZE(detoasted));
	if (detoasted != raw)
		pfree(detoasted);
	return build ? build(value, cxt) : (void *) value;
}

/*
 * The entry holding the bytes raw[0..keysize), or -1 with *victim set to
 * the entry to replace: the first empty one, else the least recently used.
 * The entry that matched last is tried first (consecutive rows with the
 * same value), then the others, size first, then bytes.
 */
static int
dc_lookup(DatumCache *dc, const char *raw, Size keysize, int *victim)
{
	DatumCacheEntry *e;
	int			i;

	if (dc->last >= 0)
	{
		e = &dc->entry[dc->last];
		if (e->keysize == keysize && memcmp(e->key, raw, keysize) == 0)
			return dc->last;
	}
	*victim = 0;
	for (i = 0; i < DATUM_CACHE_ENTRIES; i++)
	{
		e = &dc->entry[i];
		if (e->cxt == NULL)
		{
			*victim = i;
			break;				/* entries fill from 0: no more after this */
		}
		if (e->keysize == keysize && memcmp(e->key, raw, keysize) == 0)
			return i;
		if (e->used < dc->entry[*victim].used)
			*victim = i;
	}
	return -1;
}

/*
 * A miss: build the entry for raw completely, then let it replace entry
 * victim.  Built under the current (per-call) context, which frees it if
 * an error interrupts; moved under fn_mcxt once complete.
 */
static void *
dc_insert(FunctionCallInfo fcinfo, DatumCache *dc, struct varlena *raw,
		  Size keysize, int victim, DatumCacheBuild build)
{
	DatumCacheEntry *e;
	MemoryContext cxt;
	char	   *key;
	void	   *result;

	cxt = AllocSetContextCreate(CurrentMemoryContext,
								"sales_supervisor datum cache entry",
								ALLOCSET_SMALL_SIZES);
	key = MemoryContextAlloc(cxt, keysize);
	memcpy(key, raw, keysize);
	result = dc_build(raw, cxt, build);
	MemoryContextSetParent(cxt, fcinfo->flinfo->fn_mcxt);

	e = &dc->entry[victim];
	if (e->cxt != NULL)
		MemoryContextDelete(e->cxt);
	e->cxt = cxt;
	e->keysize = keysize;
	e->key = key;
	e->result = result;
	e->used = ++dc->clock;
	dc->last = victim;
	return result;
}

/*
 * The cached result for argument argno (see datum_cache.h): an in-memory
 * indirection is built afresh in the scratch context, anything else is
 * looked up by its bytes and built on a miss.
 */
void *
datum_cache_get(FunctionCallInfo fcinfo, int argno, DatumCacheBuild build)
{
	struct varlena *raw = (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(argno));
	DatumCache *dc = dc_cache(fcinfo);
	Size		keysize;
	int			hit,
				victim = 0;

	/* out of line on disk: the key is the value, not where it is stored */
	if (VARATT_IS_EXTERNAL_ONDISK(raw))
		raw = detoast_external_attr(raw);

	if (VARATT_IS_EXTERNAL(raw))
	{
		if (dc->scratch == NULL)
			dc->scratch = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt,
												"sales_supervisor datum scratch",
												ALLOCSET_SMALL_SIZES);
		else
			MemoryContextReset(dc->scratch);
		dc->last = -1;
		return dc_build(raw, dc->scratch, build);
	}

	keysize = VARSIZE_ANY(raw);
	hit = dc_lookup(dc, (const char *) raw, keysize, &victim);
	if (hit < 0)
		return dc_insert(fcinfo, dc, raw, keysize, victim, build);
	dc->entry[hit].used = ++dc->clock;
	dc->last = hit;
	return dc->entry[hit].result;
}

/*
 * The memory context of the entry datum_cache_get() returned last (the
 * scratch context for a value that is never cached).
 */
MemoryContext
datum_cache_entry_context(FunctionCallInfo fcinfo)
{
	DatumCache *dc = (DatumCache *) fcinfo->flinfo->fn_extra;

	if (dc == NULL)
		elog(ERROR, "datum cache used before datum_cache_get");
	if (dc->last < 0)
		return dc->scratch;
	return dc->entry[dc->last].cxt;
}
