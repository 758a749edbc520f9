-- month_start (src/month_start.c, for the shards: docs/scale-out.md) against
-- its definition, date_trunc('month', day::timestamp)::date, and by hand.
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SELECT plan(7);

-- every day from 1899-12-01 to 2101-01-31 (about 73 800 days: leap years 1900
-- (not), 2000 (yes), 2100 (not), month ends of every length)
SELECT is((SELECT count(*) FROM generate_series(date '1899-12-01', date '2101-01-31', interval '1 day') g
           WHERE month_start(g::date) IS DISTINCT FROM date_trunc('month', g)::date),
          0::bigint, 'month_start = date_trunc(''month'', day)::date for every day of two centuries');
-- by hand: the 29th of a leap February, the last day of a year, the first of a month
SELECT is(ARRAY[month_start('2024-02-29'), month_start('2025-12-31'), month_start('2025-03-01')],
          ARRAY[date '2024-02-01', date '2025-12-01', date '2025-03-01'], 'leap day, year end, first of a month');
SELECT is(ARRAY[month_start('infinity'), month_start('-infinity')], ARRAY['infinity'::date, '-infinity'::date],
          'infinite dates are their own month start (as date_trunc gives them)');
SELECT is(month_start('4713-01-05 BC'), date '4713-01-01 BC', 'the first month PostgreSQL dates reach');
SELECT is(month_start(NULL), NULL::date, 'strict: NULL gives NULL');
SELECT is((SELECT provolatile::text || proparallel::text || proisstrict::text FROM pg_proc
           WHERE oid = 'sales_supervisor.month_start(date)'::regprocedure), 'istrue',
          'IMMUTABLE, PARALLEL SAFE, STRICT (so postgres_fdw may ship it)');

SELECT throws_ok($$SELECT sales_supervisor.month_start('4714-11-24 BC')$$, '22008', 'date out of range',
                 'the first valid dates start a month before the date range: 22008, as date_trunc refuses them');
SELECT * FROM finish();
ROLLBACK;
