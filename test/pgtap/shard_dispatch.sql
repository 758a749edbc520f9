-- Issue 18, part 4 (docs/scale-out.md, "The BI views on a coordinator"): on a
-- single server the views on the sales lines that read the shards on a
-- coordinator answer as before.  v_credited_sales_daily's rows come from
-- credited_sales_daily (the GROUP BY the view ran before), credited_line and
-- commission_credit_line gain a branch that is one shards_registered check
-- and no row -- also for the sales roles, who once could not run that check
-- (shards_registered called shard_servers, which they may not execute).
-- The small org (include/small_org.sql); Ann is member 3.
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SELECT plan(11);
\ir include/small_org.sql

CREATE ROLE ss_sd_ann;
GRANT sales_supervisor_rep TO ss_sd_ann;
UPDATE member SET login_role = 'ss_sd_ann' WHERE member_id = 3;

-- the rows of the materialized view: the statement it ran before (a GROUP BY
-- rep and day over credited_sales), and by hand for the split line 13
SELECT set_eq('SELECT * FROM credited_sales_daily()',
              $$SELECT cs.member_id, cs.sold_on, sum(cs.amount) AS amount, count(*) AS lines,
                       count(*) FILTER (WHERE cs.refund_of IS NOT NULL) AS refunds, count(*) FILTER (WHERE cs.share_pct < 100) AS splits
                FROM credited_sales('-infinity', 'infinity') cs GROUP BY 1, 2$$,
              'credited_sales_daily() = the GROUP BY rep and day over credited_sales that v_credited_sales_daily ran');
-- 10 000.01 at 60/40 in cents: 600 000.6 and 400 000.4, the odd cent to the larger remainder
SELECT is((SELECT array_agg(d.member_id || ' ' || d.credited_amount || ' ' || d.sales_lines || ' ' || d.split_lines
                            ORDER BY d.member_id)
           FROM credited_sales_daily() d WHERE d.sold_on = '2025-04-15'),
          ARRAY['3 6000.01 1 1', '4 4000.00 1 1'], 'the split line of 2025-04-15: 6 000.01 and 4 000.00, one split line each');
REFRESH MATERIALIZED VIEW v_credited_sales_daily;
SELECT is((SELECT count(*) || ' ' || sum(credited_amount) || ' ' || sum(refund_lines) FROM v_credited_sales_daily),
          '19 2306074.00 2', 'v_credited_sales_daily refreshed through it: 19 rep-days, the 18 lines'' total by hand, 2 refund lines');
SELECT is((SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
           WHERE a.attrelid = 'v_credited_sales_daily'::regclass AND a.attname = 'credited_amount'),
          'numeric(38,2)', 'credited_amount keeps its declared type numeric(38,2)');

-- the shards' branches on a single server: no row
SELECT is((SELECT count(*) FROM shard_line_rows('-infinity', 'infinity')) + (SELECT count(*) FROM shard_commission_lines()),
          0::bigint, 'shard_line_rows and shard_commission_lines give no row on a single server');
SELECT is((SELECT string_agg(p.proname || ' ' || p.proparallel::text || ' ' || p.prorows, ', ' ORDER BY p.proname) FROM pg_proc p
           WHERE p.pronamespace = 'sales_supervisor'::regnamespace
             AND p.proname IN ('shard_line_rows', 'shard_commission_lines')),
          'shard_commission_lines r 1, shard_line_rows r 1',
          'the branches are parallel restricted and estimated at one row (the plans over the views keep their shape)');

-- as a rep: the check runs, and row-level security decides as before
SET LOCAL ROLE ss_sd_ann;
SELECT is(shards_registered(), false, 'a rep runs shards_registered() (false on a single server)');
-- Ann sees the lines booked to her (1, 10, 13, 16) with the whole split of 13
SELECT is((SELECT count(*) || ' ' || sum(amount) || ' ' || sum(amount) FILTER (WHERE member_id = 3) FROM credited_line),
          '5 693862.00 689862.00', 'a rep reads credited_line: her 4 lines, line 13 with both shares (by hand)');
SELECT is((SELECT count(*) FROM commission_credit_line), 0::bigint,
          'a rep reads commission_credit_line: no run, no row, no error');
SELECT is((SELECT count(*) FROM commission_should_credit('2025-01-01')), 0::bigint,
          'a rep runs commission_should_credit (it asks shards_registered): no run window, no row');
RESET ROLE;
SELECT is((SELECT count(*) FROM credited_line), 19::bigint, 'the owner reads every credited line (18 lines, one split in two)');

SELECT * FROM finish();
ROLLBACK;
