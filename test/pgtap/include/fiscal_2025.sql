-- The 2025 fiscal calendar, calendar months: the year is period 1, quarter q
-- period 1 + q (2..5), month m period 5 + m (6..17).  Pulled in with
-- `\ir include/fiscal_2025.sql` by suites that build their own org on an empty
-- model (search_path = sales_supervisor, public).
INSERT INTO fiscal_period (period_id, kind, fiscal_year, quarter, month, start_on, end_on)
SELECT 1, 'year'::period_kind, 2025, NULL::smallint, NULL::smallint, date '2025-01-01', date '2025-12-31'
UNION ALL
SELECT 1 + q, 'quarter', 2025, q::smallint, NULL, make_date(2025, 3 * q - 2, 1),
       (make_date(2025, 3 * q - 2, 1) + interval '3 months' - interval '1 day')::date
FROM generate_series(1, 4) q
UNION ALL
SELECT 5 + m, 'month', 2025, ((m + 2) / 3)::smallint, m::smallint, make_date(2025, m, 1),
       (make_date(2025, m, 1) + interval '1 month' - interval '1 day')::date
FROM generate_series(1, 12) m;
