-- Layer 4, the sales year: money and quota are conserved, provably
-- (PRODUCT.md section 5; issue 14, item 7).
--
-- conservation_violations() recomputes, from today's sales lines, splits,
-- corrections, plans and quotas, what the ledgers and the quota table must
-- hold, and returns every place where they differ -- no row when everything
-- adds up.  The rules (each row names its rule):
--   split_sum      the shares of a split sales line sum to exactly 100
--   credit_window  per period a commission run locked, rep, kind (sales,
--                  refunds) and month of sale: the ledger's credit equals the
--                  credited lines dated in the run's window (amount and line
--                  count), the lines queued as late since left out and the
--                  split corrections since taken back out
--   credit_late    per period, rep, kind (late_sales, late_refunds,
--                  corrections) and month: the ledger's late credit equals
--                  the queued lines that period's run credited, its
--                  corrections the split changes it credited
--   credit_for_period  per locked period, rep and month of sale: the credit
--                  for the period (every line with that for_period_id,
--                  whoever booked it, recalculated lines included) equals
--                  its window's lines with today's splits, less what still
--                  waits (late lines, corrections) -- the adjustment chains
--                  net to the recalculated figure
--   late_waiting   a queued late line whose period's run was not yet done is
--                  dated in a window some run credited (else it is no late line)
--   payout         per period a run locked and rep: the payout lines for the
--                  period add up to round(tiered_commission(its credit, the
--                  plan version of its last payout line), 2) -- 0 for a rep
--                  never paid on a plan
--   plan_version   every commission plan's last version holds its tiers
--   reversal       a reversal payout line is the negative of the line it
--                  reverses, for the same rep and period
--   quota_months   where a rep or team has monthly quotas in a fiscal year
--                  with a yearly quota, the months add up to the year
--   quota_split    the yearly quotas allocate_quotas split a team's yearly
--                  quota into (parent_quota_id) add up to what it split
--                  (parts_total: the amount raised by the over-assignment)
-- The integrity triggers keep all of this true for every write they see; the
-- function proves it for the data as it is (after a restore, a bulk load with
-- triggers disabled, a bug): run it after each scenario (the tests do) or from
-- a scheduled job.  It reads every table whole, as the owner: it is granted to
-- no role (a scoped role would see part of a split or a ledger and report
-- differences that are not there).

-- conservation_credit_violations: the two credit rules that read the lines,
-- from one pass over them (commission_should_credit: every locked window with
-- today's splits).  The ledger as booked: per period that booked it, rep,
-- kind and month, the window's lines, each queued late line moved from its
-- window's credit (-1) to the late credit of the period whose run credited it
-- (+1), each split correction taken out of the line's own group and put in
-- the corrections of the period that credited it.  The ledger by the period
-- it is for: the window's lines less what still waits.
CREATE FUNCTION conservation_credit_violations()
RETURNS TABLE (rule text, period_id integer, member_id integer, subject text, expected numeric, actual numeric)
LANGUAGE sql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
  WITH w AS MATERIALIZED (SELECT * FROM sales_supervisor.commission_should_credit('-infinity')),
  moved AS MATERIALIZED (   -- late lines and corrections: (booked in, for period, kind, lines, amount)
    SELECT v.period_id, pl.period_id AS for_period_id, cs.member_id, v.kind || CASE WHEN cs.refund_of IS NULL THEN 'sales' ELSE 'refunds' END AS kind,
           date_trunc('month', s.sold_on::timestamp)::date AS sold_in, v.sign AS lines, v.sign * cs.amount AS amount
    FROM sales_supervisor.commission_late_sale q
    JOIN sales_supervisor.sale s ON s.sale_id = q.sale_id
    CROSS JOIN LATERAL sales_supervisor.credited_sales(s.sold_on, s.sold_on) cs
    LEFT JOIN sales_supervisor.commission_period_lock pl ON s.sold_on BETWEEN pl.credited_from AND pl.credited_through
    CROSS JOIN LATERAL (VALUES (pl.period_id, -1, ''), (q.credited_period_id, 1, 'late_')) v(period_id, sign, kind)
    WHERE cs.sale_id = q.sale_id
    UNION ALL   -- the same for the late lines on the shards (a coordinator; none on a single server)
    SELECT v.period_id, pl.period_id, x.member_id, v.kind || CASE WHEN x.refund_of IS NULL THEN 'sales' ELSE 'refunds' END,
           date_trunc('month', x.sold_on::timestamp)::date, v.sign, v.sign * x.amount
    FROM sales_supervisor.shard_late_lines(ARRAY(SELECT q.sale_id FROM sales_supervisor.shard_late_sale q)) x
    JOIN sales_supervisor.shard_late_sale q ON q.sale_id = x.sale_id
    LEFT JOIN sales_supervisor.commission_period_lock pl ON x.sold_on BETWEEN pl.credited_from AND pl.credited_through
    CROSS JOIN LATERAL (VALUES (pl.period_id, -1, ''), (q.credited_period_id, 1, 'late_')) v(period_id, sign, kind)
    UNION ALL
    SELECT v.period_id, pl.period_id, c.member_id, v.kind, date_trunc('month', s.sold_on::timestamp)::date,
           v.sign * c.line_change, v.sign * c.delta
    FROM sales_supervisor.sale_credit_correction c
    JOIN sales_supervisor.sale s ON s.sale_id = c.sale_id
    LEFT JOIN sales_supervisor.commission_late_sale q ON q.sale_id = c.sale_id
    LEFT JOIN sales_supervisor.commission_period_lock pl ON s.sold_on BETWEEN pl.credited_from AND pl.credited_through
    CROSS JOIN LATERAL (VALUES (coalesce(q.credited_period_id, pl.period_id), -1,
                                CASE WHEN q.sale_id IS NULL THEN '' ELSE 'late_' END
                                || CASE WHEN s.refund_of IS NULL THEN 'sales' ELSE 'refunds' END),
                               (c.credited_period_id, 1, 'corrections')) v(period_id, sign, kind)),
  booked_e AS (
    SELECT x.period_id, x.member_id, x.kind, x.sold_in, sum(x.lines) AS lines, sum(x.amount) AS amount
    FROM (SELECT w.for_period_id AS period_id, w.member_id, CASE WHEN w.refunds THEN 'refunds' ELSE 'sales' END AS kind,
                 w.month AS sold_in, w.lines, w.amount FROM w
          UNION ALL
          SELECT m.period_id, m.member_id, m.kind, m.sold_in, m.lines, m.amount FROM moved m WHERE m.period_id IS NOT NULL) x
    GROUP BY 1, 2, 3, 4 HAVING sum(x.lines) <> 0 OR sum(x.amount) <> 0),
  booked_l AS (
    SELECT cc.period_id, cc.member_id, cc.kind, cc.sold_in, sum(cc.lines) AS lines, sum(cc.amount) AS amount
    FROM sales_supervisor.commission_credit cc WHERE cc.kind <> 'recalculated' GROUP BY 1, 2, 3, 4),
  for_e AS (
    SELECT x.for_period_id, x.member_id, x.sold_in, sum(x.lines) AS lines, sum(x.amount) AS amount
    FROM (SELECT w.for_period_id, w.member_id, w.month AS sold_in, w.lines, w.amount FROM w
          UNION ALL   -- what still waits: not in the ledger yet
          SELECT m.for_period_id, m.member_id, m.sold_in, -m.lines, -m.amount FROM moved m
          WHERE m.period_id IS NULL AND m.for_period_id IS NOT NULL AND (m.lines > 0 OR m.kind = 'corrections')) x
    GROUP BY 1, 2, 3 HAVING sum(x.lines) <> 0 OR sum(x.amount) <> 0),
  for_l AS (
    SELECT cc.for_period_id, cc.member_id, cc.sold_in, sum(cc.lines) AS lines, sum(cc.amount) AS amount
    FROM sales_supervisor.commission_credit cc GROUP BY 1, 2, 3)
  SELECT CASE WHEN coalesce(l.kind, e.kind) IN ('sales', 'refunds') THEN 'credit_window' ELSE 'credit_late' END,
         coalesce(l.period_id, e.period_id), coalesce(l.member_id, e.member_id),
         coalesce(l.kind, e.kind) || ' sold in ' || to_char(coalesce(l.sold_in, e.sold_in), 'YYYY-MM')
           || ' (' || coalesce(e.lines, 0) || ' lines expected, ' || coalesce(l.lines, 0) || ' in the ledger)',
         coalesce(e.amount, 0), coalesce(l.amount, 0)
  FROM booked_l l
  FULL JOIN booked_e e ON e.period_id = l.period_id AND e.member_id = l.member_id AND e.kind = l.kind AND e.sold_in = l.sold_in
  WHERE l.amount IS DISTINCT FROM e.amount OR l.lines IS DISTINCT FROM e.lines
  UNION ALL
  SELECT 'credit_for_period', coalesce(l.for_period_id, e.for_period_id), coalesce(l.member_id, e.member_id),
         'sold in ' || to_char(coalesce(l.sold_in, e.sold_in), 'YYYY-MM')
           || ' (' || coalesce(e.lines, 0) || ' lines expected, ' || coalesce(l.lines, 0) || ' in the ledger)',
         coalesce(e.amount, 0), coalesce(l.amount, 0)
  FROM for_l l
  FULL JOIN for_e e ON e.for_period_id = l.for_period_id AND e.member_id = l.member_id AND e.sold_in = l.sold_in
  WHERE coalesce(l.amount, 0) <> coalesce(e.amount, 0) OR coalesce(l.lines, 0) <> coalesce(e.lines, 0)
$fn$;
COMMENT ON FUNCTION conservation_credit_violations() IS
'Internal part of conservation_violations: the credit rules credit_window, credit_late (the ledger as booked against the lines, late queue and split corrections) and credit_for_period (the credit for each locked period against its window''s lines today less what still waits), from one pass over the lines.';
REVOKE ALL ON FUNCTION conservation_credit_violations() FROM PUBLIC;

-- conservation_payout_violations: per period a run locked and rep, the
-- payout lines for the period against round(tiered_commission(credit for the
-- period, tiers), 2), the tiers being the plan version its last payout line
-- names (a correction not yet settled is no violation: it is pending).
CREATE FUNCTION conservation_payout_violations()
RETURNS TABLE (rule text, period_id integer, member_id integer, subject text, expected numeric, actual numeric)
LANGUAGE sql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
  SELECT 'payout', d.for_period_id, d.member_id, 'credit ' || d.credit, x.expected, d.paid
  FROM sales_supervisor.commission_period_due(ARRAY(SELECT l.period_id FROM sales_supervisor.commission_period_lock l
                                                    WHERE l.credited_from IS NOT NULL)) d
  LEFT JOIN sales_supervisor.commission_plan_version v ON v.plan_id = d.plan_id AND v.version = d.last_version
  CROSS JOIN LATERAL (SELECT CASE WHEN v.tiers IS NULL THEN 0
                                  ELSE round(sales_supervisor.tiered_commission(d.credit, v.tiers), 2) END AS expected) x
  WHERE d.paid <> x.expected
  UNION ALL
  SELECT 'plan_version', cp.period_id, cp.member_id, 'plan ' || cp.plan_id || ' version ' || coalesce(v.version::text, '(none)'),
         NULL::numeric, NULL::numeric
  FROM sales_supervisor.commission_plan cp
  LEFT JOIN LATERAL (SELECT pv.version, pv.tiers, pv.on_target FROM sales_supervisor.commission_plan_version pv
                     WHERE pv.plan_id = cp.plan_id ORDER BY pv.version DESC LIMIT 1) v ON true
  WHERE v.version IS NULL OR v.tiers <> cp.tiers OR v.on_target IS DISTINCT FROM cp.on_target
$fn$;
COMMENT ON FUNCTION conservation_payout_violations() IS
'Internal part of conservation_violations: the rules payout (payout lines for each locked period = round(tiered_commission(credit for the period, tiers of the plan version of its last payout line), 2)) and plan_version (a plan''s last version holds its tiers and on-target figure).';
REVOKE ALL ON FUNCTION conservation_payout_violations() FROM PUBLIC;

-- conservation_settlement_violations: the rules of the reps' accounts
-- (issue 15): every balance row is the sum of its period's entries, kind by
-- kind, and opens with the closing (and outstanding draws) of the rep's
-- previous settlement; what a batch pays a rep is the balance's paid and
-- the paid entry; an earned entry is its payout line; what the account
-- withholds of a period's commission lies between nothing and all of it.
-- The entries are pivoted per statement in one grouping (rep, period) by
-- entry_kind_sums, a sum per kind in one aggregate state (whole hundredths,
-- as cents_sum: hashed, the groupings take half the time of reading the
-- tables in index order, which numeric states had made the faster way).
CREATE FUNCTION conservation_settlement_violations()
RETURNS TABLE (rule text, period_id integer, member_id integer, subject text, expected numeric, actual numeric)
LANGUAGE sql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
  -- (the entries of each statement summed per kind in one pass: one
  -- aggregate state per statement, not ten filtered sums)
  WITH e AS (
    SELECT k.member_id, k.period_id, k.s[1] AS earned, k.s[2] AS held, k.s[3] AS released, k.s[4] AS clawed_back,
           k.s[5] AS spiffs, k.s[6] AS adjustments, k.s[7] + k.s[8] AS draw_paid, k.s[7] AS advanced,
           k.s[9] AS draw_recovered, -k.s[10] AS paid
    FROM (SELECT x.member_id, x.period_id, entry_kind_sums(x.kind, x.amount) AS s
          FROM commission_entry x GROUP BY 1, 2) k),
  b AS (
    SELECT bl.*, coalesce(lag(bl.closing) OVER w, 0) AS prev_closing,
           coalesce(lag(bl.draw_outstanding) OVER w, 0) AS prev_outstanding
    FROM commission_balance bl JOIN fiscal_period fp ON fp.period_id = bl.period_id
    WINDOW w AS (PARTITION BY bl.member_id, fp.kind ORDER BY fp.start_on))
  -- balance_entries, balance_opening; payout_batch: a batch pays each rep the
  -- statement's paid (one line per batch and rep besides reversals)
  SELECT v.rule, b.period_id, b.member_id, v.subject, v.expected, v.actual
  FROM b
  LEFT JOIN e ON e.member_id = b.member_id AND e.period_id = b.period_id
  LEFT JOIN payout_batch pb ON pb.period_id = b.period_id
  LEFT JOIN payout_batch_line l ON l.batch_id = pb.batch_id AND l.member_id = b.member_id AND l.reverses_id IS NULL
  CROSS JOIN LATERAL (VALUES
    ('balance_entries', 'entries of the statement', coalesce(e.earned, 0), b.earned),
    ('balance_entries', 'entries of the statement', coalesce(e.held, 0), b.held),
    ('balance_entries', 'entries of the statement', coalesce(e.released, 0), b.released),
    ('balance_entries', 'entries of the statement', coalesce(e.clawed_back, 0), b.clawed_back),
    ('balance_entries', 'entries of the statement', coalesce(e.spiffs, 0), b.spiffs),
    ('balance_entries', 'entries of the statement', coalesce(e.adjustments, 0), b.adjustments),
    ('balance_entries', 'entries of the statement', coalesce(e.draw_paid, 0), b.draw_paid),
    ('balance_entries', 'entries of the statement', coalesce(e.draw_recovered, 0), b.draw_recovered),
    ('balance_entries', 'entries of the statement', coalesce(e.paid, 0), b.paid),
    ('balance_opening', 'opening of the statement', b.prev_closing, b.opening),
    ('balance_opening', 'opening of the statement',
     b.prev_outstanding + coalesce(e.advanced, 0) + coalesce(e.draw_recovered, 0), b.draw_outstanding),
    ('payout_batch', 'batch ' || pb.batch_id, CASE WHEN pb.batch_id IS NOT NULL THEN b.paid END,
     coalesce(l.amount, 0))) v(rule, subject, expected, actual)
  WHERE v.expected <> v.actual
    -- (the same comparisons at once, below the VALUES: only a statement that
    -- differs somewhere is taken apart rule by rule)
    AND (coalesce(e.earned, 0), coalesce(e.held, 0), coalesce(e.released, 0), coalesce(e.clawed_back, 0),
         coalesce(e.spiffs, 0), coalesce(e.adjustments, 0), coalesce(e.draw_paid, 0), coalesce(e.draw_recovered, 0),
         coalesce(e.paid, 0), b.prev_closing, b.prev_outstanding + coalesce(e.advanced, 0) + coalesce(e.draw_recovered, 0),
         CASE WHEN pb.batch_id IS NOT NULL THEN b.paid ELSE coalesce(l.amount, 0) END)
        IS DISTINCT FROM
        (b.earned, b.held, b.released, b.clawed_back, b.spiffs, b.adjustments, b.draw_paid, b.draw_recovered, b.paid,
         b.opening, b.draw_outstanding, coalesce(l.amount, 0))
  UNION ALL
  -- earned_entry: an earned entry brings its payout line in, to the cent
  SELECT 'earned_entry', x.period_id, x.member_id, 'entry ' || x.entry_id || ', payout line ' || po.payout_id,
         po.amount, x.amount
  FROM commission_entry x JOIN commission_payout po ON po.payout_id = x.payout_id
  WHERE x.amount <> po.amount OR x.member_id <> po.member_id
  UNION ALL
  -- withheld: between nothing and the period's whole commission
  SELECT 'withheld', w.for_period_id, w.member_id, 'commission withheld of period ' || w.for_period_id,
         least(greatest(w.withheld, 0), coalesce(c.commission, 0)), w.withheld
  FROM (SELECT x.member_id, x.for_period_id, -cents_sum(x.amount) AS withheld FROM commission_entry x
        WHERE x.kind IN ('held', 'released', 'clawed_back')
        GROUP BY x.for_period_id, x.member_id) w
  LEFT JOIN (SELECT po.member_id, po.for_period_id, cents_sum(po.amount) AS commission FROM commission_payout po
             GROUP BY 1, 2) c ON c.member_id = w.member_id AND c.for_period_id = w.for_period_id
  WHERE w.withheld < 0 OR w.withheld > greatest(coalesce(c.commission, 0), 0)
  UNION ALL
  -- reversals: a bounced payment and a corrected payout line are taken back whole
  SELECT 'payment_reversal', NULL::integer, NULL::integer, 'payment ' || r.payment_id || ' reverses ' || o.payment_id,
         -o.amount, r.amount
  FROM invoice_payment r JOIN invoice_payment o ON o.payment_id = r.reverses_id
  WHERE r.reverses_id IS NOT NULL   -- (the few reversals, each probing its payment by key)
    AND (r.amount <> -o.amount OR r.invoice_id <> o.invoice_id)
  UNION ALL
  SELECT 'batch_reversal', NULL::integer, r.member_id, 'payout batch line ' || r.line_id || ' reverses ' || o.line_id,
         -o.amount, r.amount
  FROM payout_batch_line r JOIN payout_batch_line o ON o.line_id = r.reverses_id
  WHERE r.reverses_id IS NOT NULL AND (r.amount <> -o.amount OR r.member_id <> o.member_id)
$fn$;
COMMENT ON FUNCTION conservation_settlement_violations() IS
'Internal part of conservation_violations: the rules of the reps'' accounts -- balance_entries (each figure of a balance row = the sum of the period''s entries of its kind), balance_opening (opening = the previous closing of the kind; draw_outstanding = previous + advanced + recovered), payout_batch (the batch pays each rep the balance''s paid), earned_entry (an earned entry = its payout line), withheld (what the account withholds of a period''s commission lies in 0 .. that commission), payment_reversal and batch_reversal (a reversal takes back its payment or payout line whole).';
REVOKE ALL ON FUNCTION conservation_settlement_violations() FROM PUBLIC;

-- conservation_invoice_violations: the invoices' rules -- totals kept by the
-- triggers, and the settlement's cache of invoice credit.
CREATE FUNCTION conservation_invoice_violations()
RETURNS TABLE (rule text, period_id integer, member_id integer, subject text, expected numeric, actual numeric)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
  -- invoice_totals: an invoice's total and paid are its lines' and payments' sums
  SELECT 'invoice_totals', NULL::integer, NULL::integer, 'invoice ' || i.invoice_id,
         coalesce(l.total, 0) + coalesce(pm.paid, 0), i.total + i.paid
  FROM sales_supervisor.invoice i
  LEFT JOIN (SELECT s.invoice_id, sum(s.amount) AS total, min(s.sold_on) AS first_sold_on, max(s.sold_on) AS last_sold_on
             FROM sales_supervisor.sale s
             WHERE s.invoice_id IS NOT NULL GROUP BY 1) l ON l.invoice_id = i.invoice_id
  LEFT JOIN (SELECT ip.invoice_id, sum(ip.amount) AS paid, min(ip.paid_on) AS first_paid_on,
                    max(ip.paid_on) AS last_paid_on
             FROM sales_supervisor.invoice_payment ip GROUP BY 1) pm
    ON pm.invoice_id = i.invoice_id
  WHERE i.total <> coalesce(l.total, 0) OR i.paid <> coalesce(pm.paid, 0)
     OR i.first_sold_on IS DISTINCT FROM l.first_sold_on OR i.last_sold_on IS DISTINCT FROM l.last_sold_on
     OR i.first_paid_on IS DISTINCT FROM pm.first_paid_on OR i.last_paid_on IS DISTINCT FROM pm.last_paid_on
  UNION ALL
  -- invoice_credit: the settlement's cache holds, per invoice, cached run
  -- window and rep, the credit of the invoice's lines sold in the window
  -- (an invoice marked stale waits for the next settlement)
  SELECT 'invoice_credit', x.period_id, x.member_id, 'invoice ' || x.invoice_id, x.lines, x.cached
  FROM (SELECT coalesce(l.invoice_id, c.invoice_id) AS invoice_id, coalesce(l.period_id, c.for_period_id) AS period_id,
               coalesce(l.member_id, c.member_id) AS member_id, coalesce(l.credit, 0) AS lines,
               coalesce(c.credit, 0) AS cached
        FROM (SELECT s.invoice_id, w.period_id, cs.member_id, sum(cs.amount) AS credit
              FROM sales_supervisor.credited_sales('-infinity', 'infinity') cs
              JOIN sales_supervisor.sale s ON s.sale_id = cs.sale_id
              JOIN sales_supervisor.commission_period_lock pl ON s.sold_on BETWEEN pl.credited_from AND pl.credited_through
              JOIN sales_supervisor.invoice_credit_window w ON w.period_id = pl.period_id
              WHERE s.invoice_id IS NOT NULL
              GROUP BY 1, 2, 3) l
        FULL JOIN sales_supervisor.invoice_credit c
          ON c.invoice_id = l.invoice_id AND c.for_period_id = l.period_id AND c.member_id = l.member_id) x
  WHERE x.lines <> x.cached
    AND NOT EXISTS (SELECT 1 FROM sales_supervisor.invoice_credit_stale st WHERE st.invoice_id = x.invoice_id);
END;
COMMENT ON FUNCTION conservation_invoice_violations() IS
'Internal part of conservation_violations: invoice_totals (an invoice''s total and paid are the sums of its lines and payments, first_sold_on, last_sold_on, first_paid_on and last_paid_on their first and last dates) and invoice_credit (the settlement''s cache holds each invoice''s credit per cached run window and rep, unless the invoice is marked stale).';
REVOKE ALL ON FUNCTION conservation_invoice_violations() FROM PUBLIC;

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
  -- credit_window, credit_late, credit_for_period
  SELECT * FROM sales_supervisor.conservation_credit_violations()
  UNION ALL
  -- late_waiting
  SELECT 'late_waiting', NULL::integer, NULL::integer, 'sale ' || q.sale_id || ' sold on ' || s.sold_on,
         NULL::numeric, NULL::numeric
  FROM sales_supervisor.commission_late_sale q
  JOIN sales_supervisor.sale s ON s.sale_id = q.sale_id
  WHERE q.credited_period_id IS NULL AND NOT sales_supervisor.date_is_credited(s.sold_on)
  UNION ALL
  -- payout, plan_version
  SELECT * FROM sales_supervisor.conservation_payout_violations()
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
  WHERE m.months <> y.amount
  UNION ALL
  -- quota_split (the parts of each team quota allocate_quotas split)
  SELECT 'quota_split', p.period_id, NULL::integer, 'team ' || p.team_id || ', parts of quota ' || p.quota_id,
         p.parts_total, coalesce(c.parts, 0)
  FROM sales_supervisor.quota p
  LEFT JOIN (SELECT q.parent_quota_id, sum(q.amount) AS parts FROM sales_supervisor.quota q
             WHERE q.parent_quota_id IS NOT NULL GROUP BY 1) c ON c.parent_quota_id = p.quota_id
  WHERE p.parts_total IS NOT NULL AND coalesce(c.parts, 0) <> p.parts_total
  UNION ALL
  -- invoice_totals, invoice_credit
  SELECT * FROM sales_supervisor.conservation_invoice_violations()
  UNION ALL
  -- the accounts (issue 15)
  SELECT * FROM sales_supervisor.conservation_settlement_violations();
END;
COMMENT ON FUNCTION conservation_violations() IS
'Every place where the ledgers or quotas differ from what today''s sales lines, splits, corrections, plans and quotas say they must hold; no row when money and quota are conserved. Rules: split_sum (shares of a split line sum to 100), credit_window and credit_late (ledger credit as booked = the credited lines of the run''s window, resp. the late lines and split corrections its run credited, amount and line count, per period, rep, kind and month of sale), credit_for_period (the credit for each locked period, adjustments included, = its window''s lines today less what waits), late_waiting (a waiting late line lies in a credited window), payout (payout lines for a locked period = round(tiered_commission(its credit, tiers of the plan version last paid), 2)), plan_version (a plan''s last version holds its tiers), reversal (a reversal line negates the line it reverses), quota_months (monthly quotas add up to the yearly one), quota_split (the yearly quotas allocate_quotas split a team''s quota into add up to what it split: parts_total), invoice_totals (an invoice''s total and paid are the sums of its lines and payments, first_sold_on, last_sold_on and last_paid_on their first and last dates), invoice_credit (the settlement''s cache invoice_credit holds each invoice''s credit per cached run window and rep, unless the invoice is marked stale), and the accounts'' rules balance_entries, balance_opening, payout_batch, earned_entry, withheld, payment_reversal, batch_reversal (conservation_settlement_violations). Reads every table whole: owner only.';
REVOKE ALL ON FUNCTION conservation_violations() FROM PUBLIC;
