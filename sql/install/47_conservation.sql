-- Layer 4, the sales year: money and quota are conserved, provably
-- (PRODUCT.md section 5; issue 14, item 7).
--
-- conservation_violations() recomputes, from today's sales lines, splits,
-- plans and quotas, what the ledgers and the quota table must hold, and
-- returns every place where they differ -- no row when everything adds up.
-- The rules (each row names its rule):
--   split_sum      the shares of a split sales line sum to exactly 100
--   credit_window  per period a commission run locked, rep, kind (sales,
--                  refunds) and month of sale: the ledger's credit equals the
--                  credited lines dated in the run's window (amount and line
--                  count), the lines queued as late since left out
--   credit_late    per period, rep, kind (late_sales, late_refunds) and
--                  month: the ledger's late credit equals the queued lines
--                  that period's run credited
--   late_waiting   a queued late line whose period's run was not yet done is
--                  dated in a window some run credited (else it is no late line)
--   payout         per period a run locked and rep: the payout lines add up
--                  to round(tiered_commission(net credit of the period, the
--                  rep's tiers), 2) -- 0 for a rep without a plan
--   reversal       a reversal payout line is the negative of the line it
--                  reverses, for the same rep and period
--   quota_months   where a rep or team has monthly quotas in a fiscal year
--                  with a yearly quota, the months add up to the year
-- The integrity triggers keep all of this true for every write they see; the
-- function proves it for the data as it is (after a restore, a bulk load with
-- triggers disabled, a bug): run it after each scenario (the tests do) or from
-- a scheduled job.  It reads every table whole, as the owner: it is granted to
-- no role (a scoped role would see part of a split or a ledger and report
-- differences that are not there).

-- conservation_expected_credit: what the commission ledger must hold, from
-- today's lines -- per period a run locked, the credited lines dated in its
-- window as sales / refunds (credited_sales_by_month, one pass over the lines,
-- less the lines queued as late since, which the window's run did not see),
-- and the late lines its run credited as late_sales / late_refunds, per rep
-- and month of sale: the grouping run_commission writes (commission_run_credit).
CREATE FUNCTION conservation_expected_credit()
RETURNS TABLE (period_id integer, member_id integer, kind text, sold_in date, lines bigint, amount numeric)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
  SELECT x.period_id, x.member_id, x.kind, x.sold_in, sum(x.lines)::bigint, sum(x.amount)
  FROM (SELECT pl.period_id, b.member_id, CASE WHEN b.refunds THEN 'refunds' ELSE 'sales' END AS kind,
               b.month AS sold_in, b.lines, b.amount
        FROM sales_supervisor.commission_period_lock pl
        CROSS JOIN LATERAL sales_supervisor.credited_sales_by_month(pl.credited_from, pl.credited_through) b
        WHERE pl.credited_from IS NOT NULL
        UNION ALL
        -- each queued line: out of its window's credit (-1), into the late
        -- credit of the period whose run credited it, if any (+1)
        SELECT v.period_id, cs.member_id,
               CASE WHEN v.late THEN 'late_' ELSE '' END || CASE WHEN cs.refund_of IS NULL THEN 'sales' ELSE 'refunds' END,
               date_trunc('month', cs.sold_on::timestamp)::date, v.sign, v.sign * cs.amount
        FROM sales_supervisor.commission_late_sale q
        JOIN sales_supervisor.sale s ON s.sale_id = q.sale_id
        CROSS JOIN LATERAL sales_supervisor.credited_sales(s.sold_on, s.sold_on) cs
        LEFT JOIN sales_supervisor.commission_period_lock pl
          ON s.sold_on BETWEEN pl.credited_from AND pl.credited_through
        CROSS JOIN LATERAL (VALUES (pl.period_id, -1, false), (q.credited_period_id, 1, true)) v(period_id, sign, late)
        WHERE cs.sale_id = q.sale_id AND v.period_id IS NOT NULL) x
  GROUP BY x.period_id, x.member_id, x.kind, x.sold_in
  HAVING sum(x.lines) <> 0;
END;
COMMENT ON FUNCTION conservation_expected_credit() IS
'Internal part of conservation_violations: the commission credit lines the ledger must hold, recomputed from today''s sales lines and splits -- per locked period, rep, kind and month of sale, the credited lines of the run''s window (less the lines queued as late since) and the late lines the period''s run credited.';
REVOKE ALL ON FUNCTION conservation_expected_credit() FROM PUBLIC;

CREATE FUNCTION conservation_violations()
RETURNS TABLE (rule text, period_id integer, member_id integer, subject text,
               expected numeric, actual numeric)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
  -- split_sum
  SELECT 'split_sum', NULL::integer, NULL::integer, 'sale ' || sc.sale_id, 100::numeric, sum(sc.share_pct)
  FROM sales_supervisor.sale_credit sc
  GROUP BY sc.sale_id
  HAVING sum(sc.share_pct) <> 100
  UNION ALL
  -- credit_window and credit_late: the ledger against the lines, recomputed
  SELECT CASE WHEN coalesce(l.kind, e.kind) IN ('sales', 'refunds') THEN 'credit_window' ELSE 'credit_late' END,
         coalesce(l.period_id, e.period_id), coalesce(l.member_id, e.member_id),
         coalesce(l.kind, e.kind) || ' sold in ' || to_char(coalesce(l.sold_in, e.sold_in), 'YYYY-MM')
           || ' (' || coalesce(e.lines, 0) || ' lines expected, ' || coalesce(l.lines, 0) || ' in the ledger)',
         coalesce(e.amount, 0), coalesce(l.amount, 0)
  FROM (SELECT cc.period_id, cc.member_id, cc.kind, cc.sold_in, cc.lines::bigint AS lines, cc.amount
        FROM sales_supervisor.commission_credit cc) l
  FULL JOIN (
    SELECT * FROM sales_supervisor.conservation_expected_credit()) e
    ON e.period_id = l.period_id AND e.member_id = l.member_id AND e.kind = l.kind AND e.sold_in = l.sold_in
  WHERE l.amount IS DISTINCT FROM e.amount OR l.lines IS DISTINCT FROM e.lines
  UNION ALL
  -- late_waiting
  SELECT 'late_waiting', NULL::integer, NULL::integer, 'sale ' || q.sale_id || ' sold on ' || s.sold_on,
         NULL::numeric, NULL::numeric
  FROM sales_supervisor.commission_late_sale q
  JOIN sales_supervisor.sale s ON s.sale_id = q.sale_id
  WHERE q.credited_period_id IS NULL AND NOT sales_supervisor.date_is_credited(s.sold_on)
  UNION ALL
  -- payout
  SELECT 'payout', pl.period_id, r.member_id, 'net credit ' || coalesce(n.net, 0), x.expected, coalesce(po.paid, 0)
  FROM sales_supervisor.commission_period_lock pl
  CROSS JOIN LATERAL (SELECT p.member_id FROM sales_supervisor.commission_plan p WHERE p.period_id = pl.period_id
                      UNION
                      SELECT p.member_id FROM sales_supervisor.commission_payout p WHERE p.period_id = pl.period_id) r
  LEFT JOIN sales_supervisor.commission_plan cp ON cp.period_id = pl.period_id AND cp.member_id = r.member_id
  LEFT JOIN LATERAL (SELECT sum(cc.amount) AS net FROM sales_supervisor.commission_credit cc
                     WHERE cc.period_id = pl.period_id AND cc.member_id = r.member_id) n ON true
  LEFT JOIN LATERAL (SELECT sum(p.amount) AS paid FROM sales_supervisor.commission_payout p
                     WHERE p.period_id = pl.period_id AND p.member_id = r.member_id) po ON true
  CROSS JOIN LATERAL (SELECT CASE WHEN cp.tiers IS NULL THEN 0
                                  ELSE round(sales_supervisor.tiered_commission(coalesce(n.net, 0), cp.tiers), 2)
                             END AS expected) x
  WHERE pl.credited_from IS NOT NULL AND coalesce(po.paid, 0) <> x.expected
  UNION ALL
  -- reversal
  SELECT 'reversal', rv.period_id, rv.member_id, 'payout line ' || rv.payout_id || ' reverses ' || o.payout_id,
         -o.amount, rv.amount
  FROM sales_supervisor.commission_payout rv
  JOIN sales_supervisor.commission_payout o ON o.payout_id = rv.reverses_id
  WHERE rv.amount <> -o.amount OR rv.member_id <> o.member_id OR rv.period_id <> o.period_id
  UNION ALL
  -- quota_months (a rep's or team's months summed once, joined on a hashable key)
  SELECT 'quota_months', y.period_id, y.member_id,
         CASE WHEN y.member_id IS NULL THEN 'team ' || y.team_id ELSE 'rep' END || ', fiscal year ' || py.fiscal_year,
         y.amount, m.months
  FROM sales_supervisor.quota y
  JOIN sales_supervisor.fiscal_period py ON py.period_id = y.period_id AND py.kind = 'year'
  JOIN (SELECT pm.fiscal_year, coalesce('m' || q.member_id, 't' || q.team_id) AS holder, sum(q.amount) AS months
        FROM sales_supervisor.quota q
        JOIN sales_supervisor.fiscal_period pm ON pm.period_id = q.period_id AND pm.kind = 'month'
        GROUP BY 1, 2) m
    ON m.fiscal_year = py.fiscal_year AND m.holder = coalesce('m' || y.member_id, 't' || y.team_id)
  WHERE m.months <> y.amount;
END;
COMMENT ON FUNCTION conservation_violations() IS
'Every place where the ledgers or quotas differ from what today''s sales lines, splits, plans and quotas say they must hold; no row when money and quota are conserved. Rules: split_sum (shares of a split line sum to 100), credit_window and credit_late (ledger credit = the credited lines of the run''s window, resp. the late lines its run credited, amount and line count, per period, rep, kind and month of sale), late_waiting (a waiting late line lies in a credited window), payout (payout lines of a locked period = round(tiered_commission(net credit, tiers), 2)), reversal (a reversal line negates the line it reverses), quota_months (monthly quotas add up to the yearly one). Reads every table whole: owner only.';
REVOKE ALL ON FUNCTION conservation_violations() FROM PUBLIC;
