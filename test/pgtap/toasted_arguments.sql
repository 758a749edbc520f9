-- Every C function taking a numeric argument reads an out-of-line (TOASTed)
-- value as the value it stands for.  A TOAST pointer has a one-byte header,
-- like a short inline numeric; read in place, its 16 bytes passed for a
-- number (tiered_commission answered "got Infinity" for a finite amount, and
-- allocate_quota took a refused 5 000-digit weight as some other value).  Each
-- call is made with the value stored out of line and with the same value
-- computed inline (a + 0): same result, or the same error.
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SELECT plan(15);

CREATE TEMP TABLE big (k int PRIMARY KEY, a numeric);
ALTER TABLE big ALTER a SET STORAGE EXTERNAL;
INSERT INTO big VALUES (1, repeat('7', 5000)::numeric), (2, ('0.' || repeat('3', 4990))::numeric),
                       (3, repeat('9', 4000)::numeric);
SELECT is((SELECT count(*)::int FROM big WHERE pg_column_size(a) > 2000), 3, 'three numerics of over 2 kB ...');
SELECT cmp_ok((SELECT pg_relation_size(reltoastrelid) FROM pg_class WHERE oid = 'pg_temp.big'::regclass), '>', 0::bigint,
              '... stored out of line (EXTERNAL: never compressed, so the TOAST table holds them)');

-- the C functions with a numeric argument: every one is called below
SELECT is((SELECT array_agg(p.oid::regprocedure::text ORDER BY p.oid::regprocedure::text)
           FROM pg_proc p
           JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
           JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'sales_supervisor'
           JOIN pg_language l ON l.oid = p.prolang
           WHERE l.lanname = 'c' AND 'numeric'::regtype = ANY (p.proargtypes::regtype[])),
          ARRAY['allocate_quota(numeric,numeric)', 'allocate_quota(numeric,numeric,numeric)',
                'allocate_quota(numeric,numeric,numeric,numeric,numeric)',
                'allocate_quota(numeric,numeric[],numeric,numeric[],numeric[])',
                'cents_sum_agg_trans(internal,numeric)',
                'customer_sales_trans(internal,integer,date,boolean,numeric,date,date,date)',
                'entry_kind_sums_trans(internal,text,numeric)',
                'kpi_attainment(numeric,numeric,boolean)',
                'pace_credit_trans(internal,bigint,integer,numeric)',
                'pace_line_trans(internal,bigint,integer,date,numeric,date,integer[],date[],integer[],bytea)',
                'tiered_commission(numeric,tier_table)'],
          'the C functions taking numeric are the eleven tested here');

-- the outcome of a query: its rows as text, or the error's SQLSTATE and message
CREATE FUNCTION pg_temp.outcome(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text;
BEGIN
  EXECUTE 'SELECT string_agg(x::text, '','' ORDER BY n) FROM (' || q || ') s(n, x)' INTO r;
  RETURN r;
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
-- the same call with the out-of-line value (a) and an inline copy (a + 0)
CREATE FUNCTION pg_temp.same(q text, what text) RETURNS text LANGUAGE sql AS $$
  SELECT is(pg_temp.outcome(replace(q, '$A', 'b.a')), pg_temp.outcome(replace(q, '$A', '(b.a + 0)')), what)
$$;

SELECT pg_temp.same($$SELECT b.k, md5(tiered_commission($A, 'marginal[(0,0.1)]')::text) FROM big b$$,
                    'tiered_commission: an out-of-line amount');
SELECT pg_temp.same($$SELECT b.k, md5(kpi_attainment($A, b.a + 1, true)::text)
                       || md5(kpi_attainment(1, $A, false)::text) FROM big b$$,
                    'kpi_attainment: out-of-line actual and target');
SELECT pg_temp.same($$SELECT b.k, allocate_quota(10, $A) OVER (ORDER BY b.k) FROM big b$$,
                    'allocate_quota(total, weight) window: an out-of-line weight');
SELECT pg_temp.same($$SELECT b.k, allocate_quota($A, 1, 1) OVER (ORDER BY b.k) FROM big b$$,
                    'allocate_quota(total, weight, unit) window: an out-of-line total');
SELECT pg_temp.same($$SELECT b.k, allocate_quota(10, 1, 1, $A, NULL) OVER (ORDER BY b.k) FROM big b$$,
                    'allocate_quota(total, weight, unit, lower, upper) window: an out-of-line bound');
SELECT pg_temp.same($$SELECT b.k, allocate_quota($A, '{1,1}'::numeric[], 1, NULL, NULL)::text FROM big b$$,
                    'allocate_quota(total, weights[], ...): an out-of-line total');
-- the four aggregates that sum amounts in whole cents read an out-of-line
-- amount by numeric arithmetic (a value read in place would be its pointer)
SELECT pg_temp.same($$SELECT 1, md5(array_agg(x::text ORDER BY x.customer_id)::text)
                      FROM unnest((SELECT customer_sales_scan(b.k, '2025-11-01', true, $A, '2025-10-02', '2024-10-02', '2024-12-31')
                                   FROM big b)) x$$,
                    'customer_sales_scan (customer_sales_trans): out-of-line amounts');
SELECT pg_temp.same($$SELECT 1, md5(array_agg(x::text ORDER BY x::text)::text)
                      FROM unnest((SELECT pace_line_scan(NULL, b.k, '2025-06-01', $A, '2025-06-01', '{1}', '{2025-06-01}', '{}', '\x')
                                   FROM big b)) x$$,
                    'pace_line_scan (pace_line_trans): out-of-line amounts');
SELECT pg_temp.same($$SELECT b.k % 2, md5(cents_sum($A)::text) FROM big b GROUP BY b.k % 2$$,
                    'cents_sum (cents_sum_agg_trans): out-of-line amounts, grouped');
SELECT pg_temp.same($$SELECT b.k % 2, md5(entry_kind_sums(CASE WHEN b.k = 2 THEN 'held' ELSE 'paid' END, $A)::text)
                      FROM big b GROUP BY b.k % 2$$,
                    'entry_kind_sums (entry_kind_sums_trans): out-of-line amounts, grouped');
-- a split line's amount is read as whole cents (these are not: the same error)
SELECT pg_temp.same($$SELECT 1, md5(array_agg(x::text ORDER BY x::text)::text)
                      FROM unnest((SELECT pace_line_scan(7, b.k, '2025-06-01', $A, '2025-06-01', '{1}', '{2025-06-01}', '{}',
                                                         (SELECT pace_credit_rows(7, 1, 100)))
                                   FROM big b)) x$$,
                    'pace_line_scan (pace_line_trans): out-of-line amounts of a split line');
SELECT pg_temp.same($$SELECT b.k, md5(pace_credit_rows(1, b.k, $A)) FROM big b GROUP BY b.k$$,
                    'pace_credit_rows (pace_credit_trans): an out-of-line share');

SELECT * FROM finish();
ROLLBACK;
