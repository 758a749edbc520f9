-- Layer 4, the sales year: settling a commission period -- from what the
-- commission ledgers say a rep earned to what payroll pays them (issue 15).
--
-- settle_commission_period(period) closes a period that run_commission() has
-- run.  Per rep, it posts into the account (commission_entry):
--   earned        the commission payout lines booked in the period;
--   held          the share of a period's commission on invoices not paid
--                 yet, under a plan earning on payment; clawed_back the same
--                 under a plan earning on booking, once an invoice is unpaid
--                 past its due date + clawback_days; released what payments
--                 (or credit notes) have since freed;
--   spiff         the SPIFFs ending in the period (spiff_earnings);
--   draw_paid / guarantee_paid / draw_recovered   the draws of the plan;
--   paid          the payout batch line;
-- and the balance walk (commission_balance).  Adjustments of accepted
-- disputes are already in the account when the period is settled.

-- settlement_open_period: the period an amount found now is posted in -- the
-- first period of p_period's kind, starting no earlier than it, that is not
-- settled yet (no payout batch).
CREATE FUNCTION settlement_open_period(p_period integer)
RETURNS integer
LANGUAGE sql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
  SELECT o.period_id
  FROM fiscal_period p
  JOIN fiscal_period o ON o.kind = p.kind AND o.start_on >= p.start_on
  WHERE p.period_id = p_period
    AND NOT EXISTS (SELECT 1 FROM payout_batch b WHERE b.period_id = o.period_id)
  ORDER BY o.start_on
  LIMIT 1
$fn$;
COMMENT ON FUNCTION settlement_open_period(integer) IS
'Internal: the first period of p_period''s kind, starting on or after it, without a payout batch -- where an amount decided now for p_period is posted (an accepted dispute''s adjustment); NULL when none is defined.';
REVOKE ALL ON FUNCTION settlement_open_period(integer) FROM PUBLIC;

-- settlement_plan_terms: the payment terms of each rep's plan for each period
-- as known at p_as_of (the last version recorded by then); with p_member,
-- that rep's plans only.  Under no plan a rep's commission is earned on
-- booking, without clawback or draw.  The company's and the rep's terms
-- are two branches of a UNION ALL, each behind a test of p_member, rather
-- than one filter "p_member IS NULL OR member_id = p_member": a plan kept
-- for any rep (a preview's) then still reads the rep's rows by index, and
-- never runs the other branch.  Each branch takes the last versions of its
-- own scan, so the planner counts the plans from the table's statistics (a
-- count of 200 for the union's output made the walk join the company's terms
-- to its 1 000 reps row by row).
CREATE FUNCTION settlement_plan_terms(p_as_of timestamptz, p_member integer DEFAULT NULL)
RETURNS TABLE (member_id integer, period_id integer, plan_id integer, version integer, earn_on text,
               clawback_days integer, draw_kind text, draw_amount numeric, draw_recovery_limit numeric,
               pay_negative boolean)
LANGUAGE sql STABLE
-- BEGIN ATOMIC (names resolved at creation) instead of SET search_path: the
-- caller's query inlines it, and one rep's terms are read by index
BEGIN ATOMIC
  (SELECT DISTINCT ON (a.plan_id) a.member_id, a.period_id, a.plan_id, a.version, a.earn_on, a.clawback_days,
          a.draw_kind, a.draw_amount, a.draw_recovery_limit, a.pay_negative
   FROM sales_supervisor.commission_plan_version a
   WHERE p_member IS NULL AND a.recorded_at <= p_as_of
   ORDER BY a.plan_id, a.version DESC)
  UNION ALL
  (SELECT DISTINCT ON (b.plan_id) b.member_id, b.period_id, b.plan_id, b.version, b.earn_on, b.clawback_days,
          b.draw_kind, b.draw_amount, b.draw_recovery_limit, b.pay_negative
   FROM sales_supervisor.commission_plan_version b
   WHERE b.member_id = p_member AND b.recorded_at <= p_as_of
   ORDER BY b.plan_id, b.version DESC);
END;
COMMENT ON FUNCTION settlement_plan_terms(timestamptz, integer) IS
'Internal: per plan, its last version recorded by p_as_of -- the member, period and payment terms (earn_on, clawback_days, draw, pay_negative) the settlement applies; with p_member, that rep''s plans only.';
REVOKE ALL ON FUNCTION settlement_plan_terms(timestamptz, integer) FROM PUBLIC;

-- settlement_cache_fill: brings the settlement's cache of invoice credit up
-- to p_day -- the runs cache their windows (commission_run_credit); every run
-- window ending by then not cached yet (run before 0.3.0) is credited per
-- invoice and rep (one pass over its lines, credited_sales' rule), then every
-- invoice marked stale is credited again over the cached windows.  The stale
-- marks are taken (deleted) before their lines are read, so a line a
-- concurrent transaction commits meanwhile leaves its own mark for next time.
CREATE FUNCTION settlement_cache_fill(p_day date)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  w record;
  v_stale bigint[];
  v_filled boolean := false;
BEGIN
  FOR w IN SELECT l.period_id, l.credited_from, l.credited_through FROM commission_period_lock l
           WHERE l.credited_through <= p_day
             AND NOT EXISTS (SELECT 1 FROM invoice_credit_window f WHERE f.period_id = l.period_id)
           ORDER BY l.credited_from LOOP
    INSERT INTO invoice_credit_window (period_id) VALUES (w.period_id);
    -- EXECUTE: planned for the window's dates (BRIN reads its pages only)
    EXECUTE   -- the lines summed as booked, then each split line moved to its reps
      'WITH split AS MATERIALIZED (
         SELECT s.sale_id, s.invoice_id, s.member_id, s.amount FROM sales_supervisor.sale s
         WHERE s.sold_on BETWEEN $1 AND $2 AND s.invoice_id IS NOT NULL
           AND EXISTS (SELECT 1 FROM sales_supervisor.sale_credit sc WHERE sc.sale_id = s.sale_id))
       INSERT INTO sales_supervisor.invoice_credit (invoice_id, for_period_id, member_id, credit)
       SELECT x.invoice_id, $3, x.member_id, sum(x.amount)
       FROM (SELECT s.invoice_id, s.member_id, s.amount FROM sales_supervisor.sale s
             WHERE s.sold_on BETWEEN $1 AND $2 AND s.invoice_id IS NOT NULL
             UNION ALL
             SELECT sp.invoice_id, sp.member_id, -sp.amount FROM split sp
             UNION ALL
             SELECT sp.invoice_id, cs.member_id, cs.amount
             FROM sales_supervisor.credited_sales(''-infinity'', ''infinity'') cs JOIN split sp ON sp.sale_id = cs.sale_id
             WHERE cs.sale_id = ANY (ARRAY(SELECT x.sale_id FROM split x))) x
       GROUP BY x.invoice_id, x.member_id HAVING sum(x.amount) <> 0'
    USING w.credited_from, w.credited_through, w.period_id;
    v_filled := true;
  END LOOP;
  -- read at once by this settlement: plan it on the cache's true size (the
  -- runs write most of it, and leave its statistics to autovacuum)
  IF v_filled OR (SELECT t.last_analyze IS NULL AND t.last_autoanalyze IS NULL OR t.n_mod_since_analyze > t.n_live_tup / 5
                  FROM pg_stat_user_tables t WHERE t.relid = 'sales_supervisor.invoice_credit'::regclass) THEN
    ANALYZE invoice_credit;
  END IF;
  WITH taken AS (DELETE FROM invoice_credit_stale RETURNING invoice_id)
  SELECT array_agg(t.invoice_id) INTO v_stale FROM taken t;
  IF v_stale IS NOT NULL THEN
    DELETE FROM invoice_credit ic WHERE ic.invoice_id = ANY (v_stale);
    INSERT INTO invoice_credit (invoice_id, for_period_id, member_id, credit)
    SELECT x.invoice_id, x.period_id, cs.member_id, sum(cs.amount)
    FROM credited_sales('-infinity', 'infinity') cs
    JOIN (SELECT s.sale_id, s.invoice_id, f.period_id FROM sale s
          JOIN commission_period_lock l ON s.sold_on BETWEEN l.credited_from AND l.credited_through
          JOIN invoice_credit_window f ON f.period_id = l.period_id
          WHERE s.invoice_id = ANY (v_stale)) x ON x.sale_id = cs.sale_id
    WHERE cs.sale_id = ANY (ARRAY(SELECT s.sale_id FROM sale s WHERE s.invoice_id = ANY (v_stale)))
    GROUP BY x.invoice_id, x.period_id, cs.member_id HAVING sum(cs.amount) <> 0;
  END IF;
END
$fn$;
COMMENT ON FUNCTION settlement_cache_fill(date) IS
'Internal, a step of settle_commission_period: credits per invoice and rep (invoice_credit) the lines of every run window ending by p_day not cached yet, then credits again every invoice marked stale (invoice_credit_stale) over the cached windows.';
REVOKE ALL ON FUNCTION settlement_cache_fill(date) FROM PUBLIC;

-- settlement_invoice_state: the invoices that can be unpaid on p_day, as
-- known at p_as_of, with what each owed then -- the candidates are those with
-- a line by p_day, open now or paid after p_day (invoice.first_sold_on, paid,
-- last_paid_on), and those with a payment recorded after p_as_of; an
-- invoice's total and paid on p_day are its columns unless a line or payment
-- came later (then the later lines are taken off, by index; its payments up
-- to p_day are summed, unless its first payment is dated after p_day --
-- invoice.first_paid_on -- and it had paid nothing then).  One rep's
-- invoices: settlement_member_unpaid_credit, by key.
CREATE FUNCTION settlement_invoice_state(p_day date, p_as_of timestamptz)
RETURNS TABLE (invoice_id bigint, due_on date, first_sold_on date, last_sold_on date, total numeric, unpaid numeric,
               stale boolean)
LANGUAGE sql STABLE
-- BEGIN ATOMIC (names resolved at creation) instead of SET search_path: the
-- caller's query inlines it and plans it for its arguments
BEGIN ATOMIC
  -- one scan of invoice; an invoice's total on p_day is its column less, by
  -- index, its few lines dated after p_day; the payments of the invoices paid
  -- after p_day (or with a payment recorded after p_as_of: late) are summed
  -- up to p_day in one pass
  WITH late AS MATERIALIZED (
    SELECT DISTINCT ip.invoice_id FROM sales_supervisor.invoice_payment ip WHERE ip.recorded_at > p_as_of),
  inv AS MATERIALIZED (
    SELECT i.invoice_id, i.due_on, i.first_sold_on, i.last_sold_on,
           CASE WHEN i.last_sold_on <= p_day THEN i.total   -- (the few lines after p_day taken off, by index)
                ELSE i.total - (SELECT coalesce(sum(s.amount), 0) FROM sales_supervisor.sale s
                                WHERE s.invoice_id = i.invoice_id AND s.sold_on > p_day) END AS total,
           i.paid, i.last_paid_on > p_day OR i.invoice_id IN (SELECT l.invoice_id FROM late l) AS recount,
           i.first_paid_on <= p_day AS paid_by_day
    FROM sales_supervisor.invoice i
    WHERE i.first_sold_on <= p_day
      AND (i.paid < i.total OR i.last_paid_on > p_day OR i.invoice_id IN (SELECT l.invoice_id FROM late l)))
  SELECT v.invoice_id, v.due_on, v.first_sold_on, least(v.last_sold_on, p_day), v.total,
         v.total - CASE WHEN v.recount THEN coalesce(pd.paid, 0) ELSE v.paid END,
         -- (a hashed subplan: one scan of the few stale invoices, not a rescan per invoice)
         v.invoice_id IN (SELECT x.invoice_id FROM sales_supervisor.invoice_credit_stale x)
  FROM inv v
  -- (a grouped subquery, not a CTE: the planner then knows one row per
  -- invoice and estimates the state near its size, so that its callers hash
  -- the state rather than what they join it with)
  LEFT JOIN (SELECT ip.invoice_id, sales_supervisor.cents_sum(ip.amount) AS paid   -- (sum(), a group per invoice)
             FROM sales_supervisor.invoice_payment ip
             WHERE ip.paid_on <= p_day AND ip.recorded_at <= p_as_of
               -- (an invoice first paid after p_day had paid nothing then: not read)
               AND ip.invoice_id IN (SELECT r.invoice_id FROM inv r WHERE r.recount AND r.paid_by_day)
             GROUP BY ip.invoice_id) pd ON pd.invoice_id = v.invoice_id
  WHERE v.total > 0 AND v.total - CASE WHEN v.recount THEN coalesce(pd.paid, 0) ELSE v.paid END > 0;
END;
COMMENT ON FUNCTION settlement_invoice_state(date, timestamptz) IS
'Internal: the invoices unpaid on p_day as known at p_as_of, with due date, first and last line date (by p_day), total and unpaid amount on p_day, and whether the settlement''s cached credit of the invoice is stale.';
REVOKE ALL ON FUNCTION settlement_invoice_state(date, timestamptz) FROM PUBLIC;

-- settlement_unpaid_credit: per rep and commission period, the credit on
-- invoices that the rep's plan for that period does not count yet on p_day,
-- as known at p_as_of: under payment_in_full every line of an invoice not
-- fully paid, under payment_pro_rata the unpaid share of each line, under
-- booking with a clawback horizon the unpaid share once the invoice is
-- unpaid past due_on + clawback_days (settlement_invoice_state).  The credit
-- of an invoice's lines comes from the cache (invoice_credit) for the run
-- windows it holds, and is computed from the lines (credited_sales) for the
-- others -- a window not cached yet, one ending after p_day, a stale invoice.
-- The company's, for a settlement; one rep's: settlement_member_unpaid_credit.
CREATE FUNCTION settlement_unpaid_credit(p_day date, p_as_of timestamptz)
RETURNS TABLE (member_id integer, for_period_id integer, unpaid_credit numeric, invoices bigint[])
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
-- (a CTE's columns carry no statistics, so the planner takes the invoices'
-- state for ten times its size and sorts it and the cached credit to merge
-- them; hashing is 10-15 % faster at 10 M lines, and a preview is unchanged)
SET enable_mergejoin = off
AS $fn$
BEGIN
  -- EXECUTE: planned for these arguments (the day decides which run windows
  -- the cache holds, and how many invoices are read)
  RETURN QUERY EXECUTE '  WITH st AS MATERIALIZED (   -- (with the unpaid share, divided once per invoice, not per line of credit)
    SELECT x.*, x.unpaid / x.total AS share FROM sales_supervisor.settlement_invoice_state($1, $2) x),
  win AS MATERIALIZED (
    SELECT l.period_id, l.credited_from, least(l.credited_through, $1) AS through,
           (l.credited_through <= $1 AND EXISTS (SELECT 1 FROM invoice_credit_window f
                                                    WHERE f.period_id = l.period_id)) AS cached
    FROM commission_period_lock l WHERE l.credited_from <= $1),
  fresh_line AS MATERIALIZED (   -- lines the cache does not hold, by index per invoice and window
    SELECT x.sale_id, st.invoice_id, w.period_id FROM st
    JOIN win w ON (st.stale OR NOT w.cached) AND w.credited_from <= st.last_sold_on AND w.through >= st.first_sold_on
    CROSS JOIN LATERAL (SELECT s.sale_id FROM sale s
                        WHERE s.invoice_id = st.invoice_id AND s.sold_on BETWEEN w.credited_from AND w.through
                        OFFSET 0) x
    -- (none, without a window left to cache or a stale invoice: not a pass over st per window)
    WHERE EXISTS (SELECT 1 FROM win u WHERE NOT u.cached) OR EXISTS (SELECT 1 FROM invoice_credit_stale)),
  fresh AS MATERIALIZED (   -- their credit (credited_sales, probed by key), with the invoice and window of each
    SELECT cs.member_id, w.period_id, cs.amount, s.invoice_id
    FROM credited_sales(''-infinity'', $1) cs
    JOIN sale s ON s.sale_id = cs.sale_id
    JOIN win w ON cs.sold_on BETWEEN w.credited_from AND w.through
    WHERE cs.sale_id = ANY (ARRAY(SELECT x.sale_id FROM fresh_line x))),
  credited AS MATERIALIZED (   -- (each with the state of its invoice: st is joined once; computed once,
                               -- not again for each plan term of a rep)
    SELECT ic.member_id, ic.for_period_id AS period_id, ic.credit AS amount, st.invoice_id, st.due_on, st.share
    FROM st JOIN invoice_credit ic ON ic.invoice_id = st.invoice_id
    JOIN win w ON w.period_id = ic.for_period_id AND w.cached
    WHERE NOT st.stale
    UNION ALL
    SELECT f.member_id, f.period_id, f.amount, st.invoice_id, st.due_on, st.share
    FROM fresh f JOIN st ON st.invoice_id = f.invoice_id)
  SELECT c.member_id, c.period_id,
         sum(c.amount * CASE t.earn_on WHEN ''payment_in_full'' THEN 1
                                       WHEN ''payment_pro_rata'' THEN c.share
                                       ELSE CASE WHEN $1 > c.due_on + t.clawback_days THEN c.share
                                                 ELSE 0 END END),
         -- (sorted once per rep and period: an ordered aggregate would sort all the rows)
         ARRAY(SELECT DISTINCT i FROM unnest(array_agg(c.invoice_id)) i ORDER BY i)
  FROM credited c
  JOIN settlement_plan_terms($2) t ON t.member_id = c.member_id AND t.period_id = c.period_id
  WHERE t.earn_on <> ''booking'' OR t.clawback_days IS NOT NULL
  GROUP BY c.member_id, c.period_id'
  USING p_day, p_as_of;
END
$fn$;
COMMENT ON FUNCTION settlement_unpaid_credit(date, timestamptz) IS
'Internal: per rep and commission period, the credit of their lines on invoices their plan for that period does not count yet on p_day, as known at p_as_of (payment_in_full: whole lines of invoices not paid in full; payment_pro_rata: the unpaid share; booking with clawback_days: the unpaid share once past due_on + clawback_days), with the invoices behind it; the lines'' credit from the settlement''s cache (invoice_credit) where it holds them, from the lines otherwise. For one rep: settlement_member_unpaid_credit.';
REVOKE ALL ON FUNCTION settlement_unpaid_credit(date, timestamptz) FROM PUBLIC;

-- settlement_member_unpaid_credit: settlement_unpaid_credit for one rep (a
-- statement's preview), from that rep's own rows only: their credit per
-- invoice and run window from the cache (invoice_credit, its key led by the rep)
-- where it holds it, from their lines (booked or split to them) in the
-- windows it does not and on stale invoices; then the state on p_day of just
-- those invoices, by key -- settlement_invoice_state's rule restated per
-- invoice (that function scans every invoice; settlement_props.sql checks
-- that the two agree, rep by rep).  Only the periods whose plan withholds unpaid
-- credit are read (a rep earning on booking without clawback reads nothing).
-- PL/pgSQL with a generic plan, planned once per session: the plan is the
-- same for every rep and day (index scans keyed by the rep, then by invoice);
-- JIT off, as for every generic plan (commission_statement says why).
CREATE FUNCTION settlement_member_unpaid_credit(p_day date, p_as_of timestamptz, p_member integer)
RETURNS TABLE (member_id integer, for_period_id integer, unpaid_credit numeric, invoices bigint[])
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
SET plan_cache_mode = force_generic_plan
SET jit = off
AS $fn$
DECLARE
  -- a payment recorded after p_as_of (none, for a preview as of now): only
  -- then is each invoice probed for one
  v_late boolean := coalesce((SELECT max(ip.recorded_at) FROM invoice_payment ip) > p_as_of, false);
BEGIN
  RETURN QUERY
  WITH win AS MATERIALIZED (   -- the run windows by p_day, and whether the cache holds each
    SELECT l.period_id, l.credited_from, least(l.credited_through, p_day) AS through,
           l.credited_through <= p_day AND EXISTS (SELECT 1 FROM invoice_credit_window f
                                                   WHERE f.period_id = l.period_id) AS cached,
           t.earn_on, t.clawback_days
    FROM commission_period_lock l
    JOIN settlement_plan_terms(p_as_of, p_member) t ON t.period_id = l.period_id
    WHERE l.credited_from <= p_day AND (t.earn_on <> 'booking' OR t.clawback_days IS NOT NULL)),
  line AS MATERIALIZED (   -- lines the cache does not hold: the rep's in windows not cached, stale invoices'
    SELECT s.sale_id, s.invoice_id, w.period_id FROM win w
    JOIN sale s ON s.member_id = p_member AND s.sold_on >= w.credited_from AND s.sold_on <= w.through
    WHERE NOT w.cached AND s.invoice_id IS NOT NULL
    UNION
    SELECT s.sale_id, s.invoice_id, w.period_id FROM sale_credit sc
    JOIN sale s ON s.sale_id = sc.sale_id
    JOIN win w ON NOT w.cached AND s.sold_on >= w.credited_from AND s.sold_on <= w.through
    WHERE sc.member_id = p_member AND s.invoice_id IS NOT NULL
      AND EXISTS (SELECT 1 FROM win u WHERE NOT u.cached)   -- (not a probe per split line without one)
    UNION
    SELECT s.sale_id, s.invoice_id, w.period_id FROM invoice_credit_stale x
    JOIN sale s ON s.invoice_id = x.invoice_id
    JOIN win w ON s.sold_on >= w.credited_from AND s.sold_on <= w.through),
  credit AS MATERIALIZED (   -- the rep's credit per invoice and window
    SELECT ic.invoice_id, ic.for_period_id AS period_id, ic.credit AS amount
    FROM win w JOIN invoice_credit ic ON ic.member_id = p_member AND ic.for_period_id = w.period_id
    WHERE w.cached AND NOT EXISTS (SELECT 1 FROM invoice_credit_stale x WHERE x.invoice_id = ic.invoice_id)
    UNION ALL
    SELECT l.invoice_id, l.period_id, cs.amount FROM line l
    JOIN credited_sales('-infinity', p_day) cs ON cs.sale_id = l.sale_id
    WHERE cs.member_id = p_member AND cs.sale_id = ANY (ARRAY(SELECT y.sale_id FROM line y))),
  st AS MATERIALIZED (   -- those of the invoices unpaid on p_day, by key
    SELECT i.invoice_id, i.due_on, (d.total - d.paid) / d.total AS share   -- (the rule of settlement_invoice_state)
    FROM invoice i
    CROSS JOIN LATERAL (SELECT v_late AND EXISTS (SELECT 1 FROM invoice_payment ip
                                                  WHERE ip.invoice_id = i.invoice_id AND ip.recorded_at > p_as_of)
                               AS late) k
    CROSS JOIN LATERAL (
      SELECT CASE WHEN i.last_sold_on <= p_day THEN i.total   -- (the lines after p_day taken off, by index)
                  ELSE i.total - (SELECT coalesce(sum(s.amount), 0) FROM sale s
                                  WHERE s.invoice_id = i.invoice_id AND s.sold_on > p_day) END AS total,
             CASE WHEN NOT (i.last_paid_on > p_day OR k.late) THEN i.paid
                  WHEN i.first_paid_on <= p_day   -- (first paid after p_day: had paid nothing then)
                  THEN (SELECT coalesce(sum(ip.amount), 0) FROM invoice_payment ip
                        WHERE ip.invoice_id = i.invoice_id AND ip.paid_on <= p_day AND ip.recorded_at <= p_as_of)
                  ELSE 0 END AS paid) d
    WHERE i.invoice_id = ANY (ARRAY(SELECT DISTINCT c.invoice_id FROM credit c))
      AND i.first_sold_on <= p_day AND (i.paid < i.total OR i.last_paid_on > p_day OR k.late)
      AND d.total > 0 AND d.total - d.paid > 0)
  SELECT p_member, c.period_id,
         sum(c.amount * CASE w.earn_on WHEN 'payment_in_full' THEN 1
                                       WHEN 'payment_pro_rata' THEN st.share
                                       ELSE CASE WHEN p_day > st.due_on + w.clawback_days THEN st.share
                                                 ELSE 0 END END),
         ARRAY(SELECT DISTINCT i FROM unnest(array_agg(c.invoice_id)) i ORDER BY i)
  FROM credit c JOIN st ON st.invoice_id = c.invoice_id JOIN win w ON w.period_id = c.period_id
  GROUP BY c.period_id;
END
$fn$;
COMMENT ON FUNCTION settlement_member_unpaid_credit(date, timestamptz, integer) IS
'Internal (a statement''s preview): settlement_unpaid_credit(p_day, p_as_of)''s rows of rep p_member, from that rep''s rows only -- their credit per invoice and run window from the settlement''s cache, or from their lines where it does not hold them, and the state on p_day of those invoices, read by key. No rows for an unknown rep.';
REVOKE ALL ON FUNCTION settlement_member_unpaid_credit(date, timestamptz, integer) FROM PUBLIC;

-- settlement_withheld_entry: the entry that brings what an account withholds
-- for one rep and commission period (p_withheld) to what it should withhold
-- now -- the share of the period's commission that its unpaid credit stands
-- for, round(commission x unpaid / credit, 2), 0 without credit or
-- commission; released when less is due, clawed_back under a plan earning on
-- booking, held otherwise; no row when the two agree.  The note names the
-- amount due, the period and the first ten unpaid invoices.  Shared by the
-- company's settlement and one rep's preview; inlined into their queries.
CREATE FUNCTION settlement_withheld_entry(p_commission numeric, p_credit numeric, p_unpaid numeric,
                                          p_withheld numeric, p_earn_on text, p_for_period integer,
                                          p_invoices bigint[], p_day date)
RETURNS TABLE (kind text, amount numeric, note text)
LANGUAGE sql STABLE PARALLEL SAFE
-- BEGIN ATOMIC, neither STRICT nor SET: so that the caller's query inlines it
BEGIN ATOMIC
  SELECT CASE WHEN d.due < p_withheld THEN 'released' WHEN p_earn_on = 'booking' THEN 'clawed_back' ELSE 'held' END,
         p_withheld - d.due,
         format('withheld now: %s of the commission of period %s, %s invoice(s) unpaid on %s%s', d.due, p_for_period,
                coalesce(cardinality(p_invoices), 0), p_day,
                CASE WHEN p_invoices IS NOT NULL
                     THEN ': ' || array_to_string(p_invoices[1:10], ', ')
                          || CASE WHEN cardinality(p_invoices) > 10 THEN ', ...' ELSE '' END
                     ELSE '' END)
  FROM (SELECT CASE WHEN p_credit > 0 AND p_commission > 0
                    THEN round(p_commission * least(greatest(p_unpaid / p_credit, 0), 1), 2) ELSE 0 END AS due) d
  WHERE d.due <> p_withheld;
END;
COMMENT ON FUNCTION settlement_withheld_entry(numeric, numeric, numeric, numeric, text, integer, bigint[], date) IS
'Internal: for one rep and commission period, the held / clawed_back (negative) or released (positive) entry that brings p_withheld to round(p_commission x p_unpaid / p_credit, 2) (0 without credit or commission; the share at most 1): kind released when less is due, clawed_back under earn_on booking, held otherwise; with its note (the due amount, the period, the unpaid invoices of p_invoices, the day). No row when nothing changes.';
REVOKE ALL ON FUNCTION settlement_withheld_entry(numeric, numeric, numeric, numeric, text, integer, bigint[], date) FROM PUBLIC;

-- settlement_withheld_entries: the held, clawed_back and released entries a
-- settlement of p_period posts -- per rep and commission period, the share of
-- the period's commission (its payout lines) that its unpaid credit
-- (settlement_unpaid_credit on p_period's last day) stands for, rounded to
-- the cent, less what the account already withholds for it
-- (settlement_withheld_entry).  Posting the difference of a state keeps every
-- chain exact: once the invoices are paid the state is 0 and the releases
-- have given back every held cent.  One rep's:
-- settlement_member_withheld_entries.
CREATE FUNCTION settlement_withheld_entries(p_period integer, p_as_of timestamptz)
RETURNS TABLE (member_id integer, kind text, amount numeric, for_period_id integer, plan_id integer,
               plan_version integer, note text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
BEGIN
  -- EXECUTE: planned for these arguments (the company's entries in one pass)
  RETURN QUERY EXECUTE '  WITH p AS (SELECT * FROM fiscal_period WHERE period_id = $1),
  now_unpaid AS (SELECT u.* FROM p CROSS JOIN LATERAL settlement_unpaid_credit(p.end_on, $2) u),
  posted AS (SELECT e.member_id, e.for_period_id, -cents_sum(e.amount) AS withheld FROM commission_entry e   -- (sum())
             WHERE e.kind IN (''held'', ''released'', ''clawed_back'')
             GROUP BY 1, 2 HAVING cents_sum(e.amount) <> 0),
  pair AS (SELECT coalesce(n.member_id, o.member_id) AS member_id, coalesce(n.for_period_id, o.for_period_id) AS f,
                  coalesce(n.unpaid_credit, 0) AS unpaid, coalesce(o.withheld, 0) AS withheld, n.invoices
           FROM now_unpaid n FULL JOIN posted o ON o.member_id = n.member_id AND o.for_period_id = n.for_period_id),
  -- the commission and credit of each period per rep, grouped once (a probe per
  -- pair cost two index scans for each of the 8 000 pairs of a month)
  pay AS (SELECT po.member_id, po.for_period_id AS f, cents_sum(po.amount) AS commission FROM commission_payout po
          WHERE po.created_at <= $2 GROUP BY 1, 2),
  cred AS (SELECT cc.member_id, cc.for_period_id AS f, cents_sum(cc.amount) AS credit FROM commission_credit cc
           WHERE cc.created_at <= $2 GROUP BY 1, 2)
  SELECT pr.member_id, x.kind, x.amount, pr.f, t.plan_id, t.version, x.note
  FROM pair pr
  LEFT JOIN pay ON pay.member_id = pr.member_id AND pay.f = pr.f
  LEFT JOIN cred ON cred.member_id = pr.member_id AND cred.f = pr.f
  LEFT JOIN settlement_plan_terms($2) t ON t.member_id = pr.member_id AND t.period_id = pr.f
  CROSS JOIN LATERAL settlement_withheld_entry(coalesce(pay.commission, 0), coalesce(cred.credit, 0), pr.unpaid,
                                               pr.withheld, t.earn_on, pr.f, pr.invoices, (SELECT end_on FROM p)) x'
  USING p_period, p_as_of;
END
$fn$;
COMMENT ON FUNCTION settlement_withheld_entries(integer, timestamptz) IS
'Internal: the held / clawed_back (negative) and released (positive) entries a settlement of p_period posts: per rep and commission period, round(commission of the period x unpaid credit / credit, 2) (settlement_unpaid_credit on the period''s last day, as known at p_as_of) less what the account already withholds for it; the kind by the plan''s earn_on (booking: clawed_back). For one rep: settlement_member_withheld_entries.';
REVOKE ALL ON FUNCTION settlement_withheld_entries(integer, timestamptz) FROM PUBLIC;

-- settlement_member_withheld_entries: settlement_withheld_entries for one rep
-- (a statement's preview) -- their unpaid credit
-- (settlement_member_unpaid_credit), what their account withholds, and the
-- commission and credit of each period concerned, all read by the rep's
-- indexes.  PL/pgSQL with a generic plan, planned once per session, JIT off
-- (commission_statement says why).
CREATE FUNCTION settlement_member_withheld_entries(p_period integer, p_as_of timestamptz, p_member integer)
RETURNS TABLE (member_id integer, kind text, amount numeric, for_period_id integer, plan_id integer,
               plan_version integer, note text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
SET plan_cache_mode = force_generic_plan
SET jit = off
AS $fn$
DECLARE
  v_day date := (SELECT p.end_on FROM fiscal_period p WHERE p.period_id = p_period);
BEGIN
  RETURN QUERY
  WITH now_unpaid AS MATERIALIZED (
    SELECT u.for_period_id AS f, u.unpaid_credit, u.invoices FROM settlement_member_unpaid_credit(v_day, p_as_of, p_member) u
    WHERE v_day IS NOT NULL),
  posted AS MATERIALIZED (
    SELECT e.for_period_id AS f, -cents_sum(e.amount) AS withheld FROM commission_entry e   -- (sum())
    WHERE e.member_id = p_member AND e.kind IN ('held', 'released', 'clawed_back') AND v_day IS NOT NULL
    GROUP BY 1 HAVING cents_sum(e.amount) <> 0),
  pair AS (SELECT coalesce(n.f, o.f) AS f, coalesce(n.unpaid_credit, 0) AS unpaid, coalesce(o.withheld, 0) AS withheld,
                  n.invoices
           FROM now_unpaid n FULL JOIN posted o ON o.f = n.f)
  SELECT p_member, x.kind, x.amount, pr.f, t.plan_id, t.version, x.note
  FROM pair pr
  CROSS JOIN LATERAL (SELECT coalesce(cents_sum(po.amount), 0) AS commission FROM commission_payout po
                      WHERE po.for_period_id = pr.f AND po.member_id = p_member AND po.created_at <= p_as_of) pay
  CROSS JOIN LATERAL (SELECT coalesce(cents_sum(cc.amount), 0) AS credit FROM commission_credit cc
                      WHERE cc.for_period_id = pr.f AND cc.member_id = p_member AND cc.created_at <= p_as_of) cred
  LEFT JOIN settlement_plan_terms(p_as_of, p_member) t ON t.period_id = pr.f
  CROSS JOIN LATERAL settlement_withheld_entry(pay.commission, cred.credit, pr.unpaid, pr.withheld, t.earn_on, pr.f,
                                               pr.invoices, v_day) x;
END
$fn$;
COMMENT ON FUNCTION settlement_member_withheld_entries(integer, timestamptz, integer) IS
'Internal (a statement''s preview): settlement_withheld_entries(p_period, p_as_of)''s rows of rep p_member, from that rep''s rows only, read by index. No rows for an unknown period or rep.';
REVOKE ALL ON FUNCTION settlement_member_withheld_entries(integer, timestamptz, integer) FROM PUBLIC;

-- settlement_payout_note, settlement_spiff_note: the notes of an earned entry
-- (its payout line) and of a SPIFF entry (what it pays for), the same in a
-- settlement and a preview; inlined into their queries.
CREATE FUNCTION settlement_payout_note(p_payout_id bigint, p_cause text, p_note text, p_for_period integer,
                                       p_credit_base numeric)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
-- BEGIN ATOMIC, neither STRICT nor SET: so that the caller's query inlines it
BEGIN ATOMIC
  SELECT format('payout line %s: %s', p_payout_id,
                coalesce(p_cause, p_note, format('commission of period %s on credit %s', p_for_period, p_credit_base)));
END;
COMMENT ON FUNCTION settlement_payout_note(bigint, text, text, integer, numeric) IS
'Internal: the note of an earned account entry -- its payout line, and the line''s cause or note, else the period and credit it was computed on.';
REVOKE ALL ON FUNCTION settlement_payout_note(bigint, text, text, integer, numeric) FROM PUBLIC;

CREATE FUNCTION settlement_spiff_note(p_name text, p_per text, p_units numeric, p_lines bigint)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
-- BEGIN ATOMIC, neither STRICT nor SET: so that the caller's query inlines it
BEGIN ATOMIC
  SELECT format('SPIFF %s: %s', p_name, CASE p_per WHEN 'unit' THEN p_units || ' unit(s)'
                                                   WHEN 'line' THEN p_lines || ' line(s)' ELSE 'once' END);
END;
COMMENT ON FUNCTION settlement_spiff_note(text, text, numeric, bigint) IS
'Internal: the note of a SPIFF account entry -- the SPIFF''s name and the units or lines it pays for (once, for a SPIFF per period).';
REVOKE ALL ON FUNCTION settlement_spiff_note(text, text, numeric, bigint) FROM PUBLIC;

-- settlement_entries: every entry a settlement of p_period posts before the
-- draws and the payout -- the payout lines booked in the period (earned, each
-- once), the withheld differences, the SPIFFs ending in the period.  One
-- rep's: settlement_member_entries.
CREATE FUNCTION settlement_entries(p_period integer, p_as_of timestamptz)
RETURNS TABLE (member_id integer, kind text, amount numeric, for_period_id integer, plan_id integer,
               plan_version integer, payout_id bigint, spiff_id integer, note text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
BEGIN
  -- EXECUTE: planned for these arguments (the company's entries in one pass)
  RETURN QUERY EXECUTE '  SELECT po.member_id, ''earned''::text, po.amount, po.for_period_id, po.plan_id, po.plan_version, po.payout_id,
         NULL::integer, settlement_payout_note(po.payout_id, po.cause, po.note, po.for_period_id, po.credit_base)
  FROM commission_payout po
  WHERE po.period_id = $1 AND po.created_at <= $2 AND po.amount <> 0
    AND NOT EXISTS (SELECT 1 FROM commission_entry e WHERE e.payout_id = po.payout_id)
  UNION ALL
  SELECT w.member_id, w.kind, w.amount, w.for_period_id, w.plan_id, w.plan_version, NULL::bigint, NULL::integer, w.note
  FROM settlement_withheld_entries($1, $2) w
  UNION ALL
  SELECT se.member_id, ''spiff'', se.amount, NULL::integer, NULL::integer, NULL::integer, NULL::bigint, se.spiff_id,
         settlement_spiff_note(sp.name, sp.per, se.units, se.lines)
  FROM spiff_earnings($1) se
  JOIN spiff sp ON sp.spiff_id = se.spiff_id
  WHERE $3 AND se.amount <> 0
    -- (paid once, should a month and its quarter both be settled)
    AND NOT EXISTS (SELECT 1 FROM commission_entry e WHERE e.spiff_id = se.spiff_id AND e.member_id = se.member_id)'
  USING p_period, p_as_of,
        -- a SPIFF ends within the period (without, spiff_earnings is not run)
        EXISTS (SELECT 1 FROM fiscal_period p JOIN fiscal_period own ON own.end_on BETWEEN p.start_on AND p.end_on
                JOIN spiff sp ON sp.period_id = own.period_id WHERE p.period_id = p_period);
END
$fn$;
COMMENT ON FUNCTION settlement_entries(integer, timestamptz) IS
'Internal: the entries a settlement of p_period posts before draws and payout, as known at p_as_of: earned (each payout line booked in the period, once), held / clawed_back / released (settlement_withheld_entries), spiff (spiff_earnings). For one rep: settlement_member_entries.';
REVOKE ALL ON FUNCTION settlement_entries(integer, timestamptz) FROM PUBLIC;

-- settlement_member_entries: settlement_entries for one rep (a statement's
-- preview) -- their payout lines of the period (by the rep's index), their
-- withheld differences (settlement_member_withheld_entries) and SPIFF shares
-- (spiff_member_earnings).  PL/pgSQL with a generic plan, planned once per
-- session: a preview plans nothing at each call; JIT off (commission_statement
-- says why).
CREATE FUNCTION settlement_member_entries(p_period integer, p_as_of timestamptz, p_member integer)
RETURNS TABLE (member_id integer, kind text, amount numeric, for_period_id integer, plan_id integer,
               plan_version integer, payout_id bigint, spiff_id integer, note text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
SET plan_cache_mode = force_generic_plan
SET jit = off
AS $fn$
BEGIN
  RETURN QUERY
  SELECT po.member_id, 'earned'::text, po.amount, po.for_period_id, po.plan_id, po.plan_version, po.payout_id,
         NULL::integer, settlement_payout_note(po.payout_id, po.cause, po.note, po.for_period_id, po.credit_base)
  FROM commission_payout po
  WHERE po.member_id = p_member AND po.period_id = p_period AND po.created_at <= p_as_of AND po.amount <> 0
    AND NOT EXISTS (SELECT 1 FROM commission_entry e WHERE e.payout_id = po.payout_id)
  UNION ALL
  SELECT w.member_id, w.kind, w.amount, w.for_period_id, w.plan_id, w.plan_version, NULL::bigint, NULL::integer, w.note
  FROM settlement_member_withheld_entries(p_period, p_as_of, p_member) w
  UNION ALL
  SELECT se.member_id, 'spiff', se.amount, NULL::integer, NULL::integer, NULL::integer, NULL::bigint, se.spiff_id,
         settlement_spiff_note(sp.name, sp.per, se.units, se.lines)
  FROM spiff_member_earnings(p_period, p_member) se
  JOIN spiff sp ON sp.spiff_id = se.spiff_id
  WHERE se.amount <> 0
    AND NOT EXISTS (SELECT 1 FROM commission_entry e WHERE e.spiff_id = se.spiff_id AND e.member_id = se.member_id);
END
$fn$;
COMMENT ON FUNCTION settlement_member_entries(integer, timestamptz, integer) IS
'Internal (a statement''s preview): settlement_entries(p_period, p_as_of)''s rows of rep p_member -- their payout lines of the period, withheld differences (settlement_member_withheld_entries) and SPIFF shares (spiff_member_earnings) -- read by the rep''s indexes. No rows for an unknown period or rep.';
REVOKE ALL ON FUNCTION settlement_member_entries(integer, timestamptz, integer) FROM PUBLIC;

-- settlement_walk: the balance walk of every rep for p_period -- the opening
-- (the closing of their last settled period of the kind), the period's
-- entries by kind (posted; for a preview also p_pending, those a settlement would post
-- now), then the draw of the plan and the payout:
--   b = opening + earned + held + released + clawed_back + spiffs + adjustments
--   guarantee: guarantee_paid = max(0, draw_amount - b)   (never recovered)
--   recoverable: draw_paid = max(0, draw_amount - b), owed back (outstanding)
--   otherwise, or with nothing advanced this period, recovered =
--     min(outstanding, max(0, b - the recoverable draw kept), draw_recovery_limit)
--   paid = b when positive (or under pay_negative); closing = b - paid.
CREATE FUNCTION settlement_walk(p_period integer, p_pending jsonb, p_member integer DEFAULT NULL)
RETURNS TABLE (member_id integer, opening numeric, earned numeric, held numeric, released numeric,
               clawed_back numeric, spiffs numeric, adjustments numeric, draw_kind text, draw_paid numeric,
               draw_recovered numeric, paid numeric, closing numeric, draw_outstanding numeric,
               plan_id integer, plan_version integer)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  p fiscal_period;
BEGIN
  SELECT * INTO p FROM fiscal_period fp WHERE fp.period_id = p_period;
  RETURN QUERY
  WITH e AS (
    SELECT x.member_id, x.kind, x.amount FROM commission_entry x
    WHERE x.period_id = p_period AND x.kind NOT IN ('draw_paid', 'guarantee_paid', 'draw_recovered', 'paid')
      AND (p_member IS NULL OR x.member_id = p_member)
    UNION ALL   -- (a preview: the entries a settlement would post now, computed once by the caller)
    SELECT (y->>'member_id')::integer, y->>'kind', (y->>'amount')::numeric FROM jsonb_array_elements(p_pending) y),
  prev AS (SELECT DISTINCT ON (b.member_id) b.member_id, b.closing, b.draw_outstanding
           -- (every balance, or the rep's by key: a branch each, as in settlement_plan_terms, so
           -- that a preview's plan kept for any rep reads the rep's rows only)
           FROM (SELECT a.* FROM commission_balance a WHERE p_member IS NULL
                 UNION ALL
                 SELECT c.* FROM commission_balance c WHERE c.member_id = p_member) b
           JOIN fiscal_period fp ON fp.period_id = b.period_id
           WHERE fp.kind = p.kind AND fp.start_on < p.start_on
           ORDER BY b.member_id, fp.start_on DESC),
  sums AS (SELECT e.member_id,
                  sum(e.amount) FILTER (WHERE e.kind = 'earned') AS earned, sum(e.amount) FILTER (WHERE e.kind = 'held') AS held,
                  sum(e.amount) FILTER (WHERE e.kind = 'released') AS released,
                  sum(e.amount) FILTER (WHERE e.kind = 'clawed_back') AS clawed_back,
                  sum(e.amount) FILTER (WHERE e.kind = 'spiff') AS spiffs,
                  sum(e.amount) FILTER (WHERE e.kind = 'adjustment') AS adjustments
           FROM e GROUP BY e.member_id),
  who AS (SELECT s.member_id FROM sums s
          UNION SELECT pv.member_id FROM prev pv WHERE pv.closing <> 0 OR pv.draw_outstanding <> 0
          UNION SELECT t.member_id FROM settlement_plan_terms(now(), p_member) t
                WHERE t.period_id = p_period AND (p_member IS NULL OR t.member_id = p_member))
  SELECT w.member_id, o.opening, z.earned, z.held, z.released, z.clawed_back, z.spiffs, z.adjustments,
         t.draw_kind, d.advance, -r.recovered, pay.paid, b.b0 + d.advance - r.recovered - pay.paid,
         o.outstanding + CASE WHEN t.draw_kind = 'recoverable' THEN d.advance ELSE 0 END - r.recovered,
         t.plan_id, t.version
  FROM who w
  LEFT JOIN sums s ON s.member_id = w.member_id
  LEFT JOIN prev pv ON pv.member_id = w.member_id
  LEFT JOIN settlement_plan_terms(now(), p_member) t ON t.member_id = w.member_id AND t.period_id = p_period
  CROSS JOIN LATERAL (SELECT coalesce(pv.closing, 0) AS opening, coalesce(pv.draw_outstanding, 0) AS outstanding) o
  CROSS JOIN LATERAL (SELECT coalesce(s.earned, 0) AS earned, coalesce(s.held, 0) AS held,
                             coalesce(s.released, 0) AS released, coalesce(s.clawed_back, 0) AS clawed_back,
                             coalesce(s.spiffs, 0) AS spiffs, coalesce(s.adjustments, 0) AS adjustments) z
  CROSS JOIN LATERAL (SELECT o.opening + z.earned + z.held + z.released + z.clawed_back + z.spiffs
                             + z.adjustments AS b0) b
  CROSS JOIN LATERAL (SELECT CASE WHEN t.draw_kind IS NOT NULL THEN greatest(0, t.draw_amount - b.b0)
                                  ELSE 0 END AS advance) d
  CROSS JOIN LATERAL (
    SELECT CASE WHEN d.advance > 0 OR o.outstanding = 0 THEN 0
                ELSE least(o.outstanding,
                           greatest(0, b.b0 - CASE WHEN t.draw_kind = 'recoverable' THEN t.draw_amount ELSE 0 END),
                           coalesce(t.draw_recovery_limit, o.outstanding)) END AS recovered) r
  CROSS JOIN LATERAL (SELECT CASE WHEN b.b0 + d.advance - r.recovered > 0 OR coalesce(t.pay_negative, false)
                                  THEN b.b0 + d.advance - r.recovered ELSE 0 END AS paid) pay
  ORDER BY w.member_id;
END
$fn$;
COMMENT ON FUNCTION settlement_walk(integer, jsonb, integer) IS
'Internal: per rep, the balance walk of p_period: opening (closing of the last settled period of the kind), the period''s entries by kind (posted; for a preview also p_pending, the entries settlement_entries -- for one rep settlement_member_entries -- would post now, as a JSON array of objects with member_id, kind and amount), the draw of the rep''s plan for the period (guarantee: topped up to draw_amount, never recovered; recoverable: advanced up to draw_amount, owed back), the recovery of outstanding recoverable draws from what exceeds the draw kept (at most draw_recovery_limit), the amount paid (the balance when positive, or under pay_negative) and the closing balance carried forward. With p_member, that rep''s only (a statement''s preview).';
REVOKE ALL ON FUNCTION settlement_walk(integer, jsonb, integer) FROM PUBLIC;

-- settlement_check: p_period can be settled now -- it exists, its commission
-- has been run (locked with a window) and it is not settled; settlements of
-- a kind go in order once the account has started (no later period settled,
-- no earlier run period left unsettled after the first settlement).
CREATE FUNCTION settlement_check(p_period integer)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  p fiscal_period;
  v_other integer;
BEGIN
  SELECT * INTO p FROM fiscal_period fp WHERE fp.period_id = p_period;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'fiscal period % does not exist', p_period
      USING ERRCODE = 'no_data_found', HINT = 'Pass a period_id of fiscal_period.';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM commission_period_lock l WHERE l.period_id = p_period AND l.credited_from IS NOT NULL) THEN
    RAISE EXCEPTION 'commission period % has not been run', p_period
      USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Run run_commission(period) first.';
  END IF;
  IF EXISTS (SELECT 1 FROM payout_batch b WHERE b.period_id = p_period) THEN
    RAISE EXCEPTION 'commission period % is settled already', p_period
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'A settled period is final: later amounts go into the next settlement.';
  END IF;
  SELECT fp.period_id INTO v_other FROM payout_batch b JOIN fiscal_period fp ON fp.period_id = b.period_id
  WHERE fp.kind = p.kind AND fp.start_on > p.start_on LIMIT 1;
  IF NOT FOUND THEN
    SELECT fp.period_id INTO v_other FROM commission_period_lock l JOIN fiscal_period fp ON fp.period_id = l.period_id
    WHERE fp.kind = p.kind AND fp.start_on < p.start_on AND l.credited_from IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM payout_batch b WHERE b.period_id = fp.period_id)
      AND fp.start_on > (SELECT min(f2.start_on) FROM payout_batch b2 JOIN fiscal_period f2 ON f2.period_id = b2.period_id
                         WHERE f2.kind = p.kind)
    ORDER BY fp.start_on LIMIT 1;
  END IF;
  IF FOUND THEN
    RAISE EXCEPTION 'commission period % cannot be settled before or after period % out of order', p_period, v_other
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Settle the periods of a kind in order, each once its commission has been run.';
  END IF;
END
$fn$;
COMMENT ON FUNCTION settlement_check(integer) IS
'Internal: refuses to settle a period that does not exist (P0002), has not been run or is settled (55000), or out of order: a later period of its kind is settled, or an earlier run period after the first settlement of the kind is not (55000).';
REVOKE ALL ON FUNCTION settlement_check(integer) FROM PUBLIC;

-- settle_commission_period: closes a run period for payroll, in one
-- transaction -- posts the period's entries, then the draws, the payout batch
-- with one line per rep paid and its paid entries, and the balance walk.
CREATE FUNCTION settle_commission_period(period integer, login name DEFAULT current_user)
RETURNS TABLE (member_id integer, opening numeric, earned numeric, held numeric, released numeric,
               clawed_back numeric, spiffs numeric, adjustments numeric, draw_paid numeric, draw_recovered numeric,
               paid numeric, closing numeric, draw_outstanding numeric)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
  v_batch integer;
BEGIN
  PERFORM commission_company_step(login, 'settle commissions');
  PERFORM 1 FROM fiscal_period fp WHERE fp.period_id = period FOR NO KEY UPDATE;
  -- no entry, batch or SPIFF written meanwhile by another transaction
  LOCK TABLE commission_entry, payout_batch, spiff IN SHARE ROW EXCLUSIVE MODE;
  PERFORM settlement_check(period);
  PERFORM settlement_cache_fill((SELECT fp.end_on FROM fiscal_period fp WHERE fp.period_id = period));

  INSERT INTO commission_entry (member_id, period_id, kind, amount, for_period_id, plan_id, plan_version, payout_id,
                                spiff_id, note)
  SELECT e.member_id, period, e.kind, e.amount, e.for_period_id, e.plan_id, e.plan_version, e.payout_id, e.spiff_id, e.note
  FROM settlement_entries(period, now()) e ORDER BY e.member_id, e.kind, e.for_period_id, e.payout_id, e.spiff_id;
  -- the balance walk, computed once (it reads only the entries posted above):
  -- the statements, and the draws of the plans
  WITH w AS MATERIALIZED (SELECT * FROM settlement_walk(period, NULL)),
  balance AS (
    INSERT INTO commission_balance (member_id, period_id, opening, earned, held, released, clawed_back, spiffs,
                                    adjustments, draw_paid, draw_recovered, paid, closing, draw_outstanding)
    SELECT w.member_id, period, w.opening, w.earned, w.held, w.released, w.clawed_back, w.spiffs, w.adjustments,
           w.draw_paid, w.draw_recovered, w.paid, w.closing, w.draw_outstanding
    FROM w)
  INSERT INTO commission_entry (member_id, period_id, kind, amount, plan_id, plan_version, note)
  SELECT w.member_id, period, x.kind, x.amount, w.plan_id, w.plan_version,
         format('%s draw of %s (plan %s version %s)', w.draw_kind, (SELECT cp.draw_amount FROM commission_plan cp
                                                                    WHERE cp.plan_id = w.plan_id), w.plan_id, w.plan_version)
  FROM w
  CROSS JOIN LATERAL (VALUES (CASE w.draw_kind WHEN 'guarantee' THEN 'guarantee_paid' ELSE 'draw_paid' END, w.draw_paid),
                             ('draw_recovered', w.draw_recovered)) x(kind, amount)
  WHERE x.amount <> 0 ORDER BY w.member_id, x.kind;

  -- the payout batch: a line per rep paid (the statement's paid) and its paid entry
  INSERT INTO payout_batch (period_id) VALUES (period) RETURNING batch_id INTO v_batch;
  WITH line AS (
    INSERT INTO payout_batch_line (batch_id, member_id, amount, note)
    SELECT v_batch, b.member_id, b.paid, format('commission settlement of period %s', period)
    FROM commission_balance b WHERE b.period_id = period AND b.paid <> 0 ORDER BY b.member_id
    RETURNING line_id, member_id, amount)
  INSERT INTO commission_entry (member_id, period_id, kind, amount, batch_line_id, note)
  SELECT l.member_id, period, 'paid', -l.amount, l.line_id, format('payout batch %s', v_batch) FROM line l;
  -- the lines reversed since the last settlement (reverse_payout_line): their reversing lines
  INSERT INTO payout_batch_line (batch_id, member_id, amount, reverses_id, note)
  SELECT v_batch, o.member_id, -o.amount, o.line_id, format('reverses line %s: %s', o.line_id, e.note)
  FROM commission_entry e JOIN payout_batch_line o ON o.line_id = e.reverses_line_id
  WHERE e.period_id = period ORDER BY o.line_id;

  RETURN QUERY
  SELECT b.member_id, b.opening, b.earned, b.held, b.released, b.clawed_back, b.spiffs, b.adjustments, b.draw_paid,
         b.draw_recovered, b.paid, b.closing, b.draw_outstanding
  FROM commission_balance b WHERE b.period_id = period ORDER BY b.member_id;
END
$fn$;
COMMENT ON FUNCTION settle_commission_period(integer, name) IS
'Settles a commission period that run_commission has run, in one transaction: posts into each rep''s account (commission_entry) the payout lines booked in the period (earned), the commission held on or clawed back for unpaid invoices and released by payments since (by the plans'' earn_on and clawback_days), the SPIFFs ending in the period, the draw of the plan (recoverable advance or guarantee) and its recovery, and what is paid; writes the payout batch (one line per rep paid, and the reversing line of each line reversed since the last settlement; approve_payout_batch releases it to payroll) and the balance walk (commission_balance); returns the walk per rep. A negative balance is carried forward unless the plan says pay_negative. Periods of a kind are settled in order; a settled period is final. A company-wide step: the extension owner (the calendar job) or a manager who leads every department.';
REVOKE ALL ON FUNCTION settle_commission_period(integer, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION settle_commission_period(integer, name) TO sales_supervisor_manager;

-- commission_statement: a rep's statement for a period, line by line --
-- the opening balance, each entry with what it comes from and the plan
-- version, the balance after each, the closing balance.  A settled period
-- shows what was posted; an open one the preview: what a settlement would
-- post now (commission already run for the period, holds and releases by
-- today's payments, SPIFFs, draws, the payout), written nowhere, locking
-- nothing.  Read as the owner, so the rep and HR see the same lines; who may
-- read whose statement is checked here: the rep their own, supervisors and
-- managers the members of their scope, HR everyone.  Its queries, and
-- those of the functions it calls, are planned once per session with a
-- generic plan (each reads one rep's rows by index): a preview plans nothing
-- at each call.  JIT is off: a generic plan is costed without its arguments
-- (this one at 470 000 for 0.1 ms of work at 10 M lines), and JIT compiles
-- again at every execution -- 30 to 40 ms a statement under the server's
-- default settings.  So for every function kept to a generic plan.
CREATE FUNCTION commission_statement(member integer, period integer, login name DEFAULT current_user)
RETURNS TABLE (line integer, kind text, for_period_id integer, amount numeric, balance numeric,
               plan_id integer, plan_version integer, note text, preview boolean)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
SET plan_cache_mode = force_generic_plan
SET jit = off
AS $fn$
#variable_conflict use_column
DECLARE
  v_me integer := require_role(login, ARRAY['sales_supervisor_rep', 'sales_supervisor_supervisor',
                                            'sales_supervisor_manager', 'sales_supervisor_hr'], 'read a commission statement');
  v_settled boolean;
  v_pending jsonb;
BEGIN
  IF member IS NULL OR period IS NULL THEN
    RAISE EXCEPTION 'member and period must not be null' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  -- fail closed: only a permission proven true passes (a login that is no
  -- member has v_me NULL, and NULL must not let it through)
  IF NOT (pg_has_role(login, 'sales_supervisor_hr', 'MEMBER') IS TRUE OR coalesce(member = v_me, false)
          OR (pg_has_role(login, 'sales_supervisor_supervisor', 'MEMBER') IS TRUE
              OR pg_has_role(login, 'sales_supervisor_manager', 'MEMBER') IS TRUE)
             AND coalesce(member = ANY (visible_member_ids(login)), false)) THEN
    RAISE EXCEPTION 'role "%" may not read the statement of member %', login, member
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'A rep reads their own statement; supervisors and managers those of their scope; HR all.';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM fiscal_period fp WHERE fp.period_id = commission_statement.period) THEN
    RAISE EXCEPTION 'fiscal period % does not exist', period USING ERRCODE = 'no_data_found';
  END IF;
  v_settled := EXISTS (SELECT 1 FROM payout_batch b WHERE b.period_id = commission_statement.period);
  IF NOT v_settled THEN   -- the preview's entries, computed once for the walk and the lines
    SELECT coalesce(jsonb_agg(to_jsonb(z)), '[]') INTO v_pending
    FROM settlement_member_entries(period, now(), commission_statement.member) z;
  END IF;
  RETURN QUERY
  -- the walk: a settled period's is its balance row; an open one's computed
  WITH w AS (
    SELECT b.opening, b.closing, b.draw_outstanding, NULL::text AS draw_kind, NULL::numeric AS draw_paid,
           NULL::numeric AS draw_recovered, NULL::numeric AS paid, NULL::integer AS plan_id, NULL::integer AS plan_version
    FROM commission_balance b
    WHERE v_settled AND b.member_id = commission_statement.member AND b.period_id = commission_statement.period
    UNION ALL
    SELECT x.opening, x.closing, x.draw_outstanding, x.draw_kind, x.draw_paid, x.draw_recovered, x.paid, x.plan_id,
           x.plan_version
    FROM settlement_walk(period, v_pending, commission_statement.member) x WHERE NOT v_settled),
  e AS (
    SELECT x.kind, x.for_period_id, x.amount, x.plan_id, x.plan_version, x.note, x.entry_id AS ord
    FROM commission_entry x WHERE v_settled AND x.member_id = commission_statement.member AND x.period_id = period
    UNION ALL
    SELECT y.kind, y.for_period_id, y.amount, y.plan_id, y.plan_version, y.note, NULL
    FROM commission_entry y WHERE NOT v_settled AND y.member_id = commission_statement.member AND y.period_id = period
    UNION ALL
    SELECT z->>'kind', (z->>'for_period_id')::integer, (z->>'amount')::numeric, (z->>'plan_id')::integer,
           (z->>'plan_version')::integer, z->>'note', NULL
    FROM jsonb_array_elements(v_pending) z WHERE NOT v_settled
    UNION ALL
    SELECT d.kind, NULL, d.amount, w.plan_id, w.plan_version, format('%s draw (preview)', w.draw_kind), NULL
    FROM w CROSS JOIN LATERAL (VALUES (CASE w.draw_kind WHEN 'guarantee' THEN 'guarantee_paid' ELSE 'draw_paid' END,
                                       w.draw_paid), ('draw_recovered', w.draw_recovered)) d(kind, amount)
    WHERE NOT v_settled AND d.amount <> 0
    UNION ALL
    SELECT 'paid', NULL, -w.paid, NULL, NULL, 'to be paid (preview)', NULL FROM w WHERE NOT v_settled AND w.paid <> 0),
  seq AS (
    SELECT e.*, row_number() OVER o AS n, sum(e.amount) OVER o AS running
    FROM e WINDOW o AS (ORDER BY array_position(ARRAY['earned', 'held', 'released', 'clawed_back', 'spiff', 'adjustment',
                                                      'draw_paid', 'guarantee_paid', 'draw_recovered', 'paid'], e.kind),
                                 e.for_period_id, e.ord, e.note))
  SELECT 0, 'opening'::text, NULL::integer, w.opening, w.opening, NULL::integer, NULL::integer,
         'balance carried from the previous settlement'::text, NOT v_settled FROM w
  UNION ALL
  SELECT s.n::integer, s.kind, s.for_period_id, s.amount, w.opening + s.running, s.plan_id, s.plan_version, s.note,
         NOT v_settled
  FROM seq s CROSS JOIN w
  UNION ALL
  SELECT (SELECT count(*) FROM seq)::integer + 1, 'closing', NULL, w.closing, w.closing, NULL, NULL,
         CASE WHEN w.draw_outstanding <> 0 THEN format('recoverable draws outstanding: %s', w.draw_outstanding)
              ELSE 'balance carried forward' END, NOT v_settled FROM w
  ORDER BY 1;
END
$fn$;
COMMENT ON FUNCTION commission_statement(integer, integer, name) IS
'A rep''s commission statement for a period: the opening balance, each account entry (earned payout lines, commission held or clawed back on unpaid invoices and released, SPIFFs, dispute adjustments, draws and their recovery, paid) with its source, plan version and the running balance, and the closing balance. For a settled period, what was posted; for an open one, the preview of what settling it now would post (nothing written, no lock). The rep reads their own, supervisors and managers those of their scope, HR everyone (42501 otherwise).';
REVOKE ALL ON FUNCTION commission_statement(integer, integer, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION commission_statement(integer, integer, name)
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;

-- approve_payout_batch: releases a settled period's batch to payroll; from
-- then on it never changes.
CREATE FUNCTION approve_payout_batch(batch integer, login name DEFAULT current_user)
RETURNS payout_batch
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  b payout_batch;
BEGIN
  PERFORM require_role(login, ARRAY['sales_supervisor_hr'], 'approve a payout batch');
  IF batch IS NULL THEN
    RAISE EXCEPTION 'batch must not be null' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  UPDATE payout_batch x SET approved_at = now(), approved_by = login
  WHERE x.batch_id = batch AND x.approved_at IS NULL RETURNING * INTO b;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'payout batch % does not exist or is approved already', batch
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  RETURN b;
END
$fn$;
COMMENT ON FUNCTION approve_payout_batch(integer, name) IS
'Approves a payout batch for payroll (HR only); an approved batch never changes (55000 for an unknown or approved batch).';
REVOKE ALL ON FUNCTION approve_payout_batch(integer, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION approve_payout_batch(integer, name) TO sales_supervisor_hr;

-- reverse_payout_line: payroll did not pay a line of an approved batch (a
-- bounced transfer, a wrong account): the amount goes back into the rep's
-- account as an adjustment in the next period to settle, whose batch carries
-- the reversing line (and pays the rep again with the balance).
CREATE FUNCTION reverse_payout_line(line bigint, reason text, login name DEFAULT current_user)
RETURNS commission_entry
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  o payout_batch_line;
  b payout_batch;
  v_open integer;
  e commission_entry;
BEGIN
  PERFORM require_role(login, ARRAY['sales_supervisor_hr'], 'reverse a payout line');
  IF line IS NULL OR reason IS NULL THEN
    RAISE EXCEPTION 'line and reason must not be null' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF btrim(reason) = '' THEN
    RAISE EXCEPTION 'a reason is required to reverse payout line %', line
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Say why payroll did not pay it; the note keeps it.';
  END IF;
  -- no settlement meanwhile (it writes the batch that carries the reversing line)
  LOCK TABLE commission_entry, payout_batch IN SHARE ROW EXCLUSIVE MODE;
  SELECT * INTO o FROM payout_batch_line x WHERE x.line_id = line;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'payout batch line % does not exist', line USING ERRCODE = 'no_data_found';
  END IF;
  SELECT * INTO b FROM payout_batch x WHERE x.batch_id = o.batch_id;
  IF o.reverses_id IS NOT NULL OR b.approved_at IS NULL
     OR EXISTS (SELECT 1 FROM commission_entry x WHERE x.reverses_line_id = line) THEN
    RAISE EXCEPTION 'payout batch line % cannot be reversed: %', line,
                    CASE WHEN o.reverses_id IS NOT NULL THEN 'it is a reversing line'
                         WHEN b.approved_at IS NULL THEN 'its batch is not approved'
                         ELSE 'it is reversed already' END
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'A line of an approved batch is reversed once; a draft batch is not paid yet.';
  END IF;
  v_open := settlement_open_period(b.period_id);
  IF v_open IS NULL THEN
    RAISE EXCEPTION 'no period after % to settle the reversal of payout line % in', b.period_id, line
      USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Define the next fiscal periods first.';
  END IF;
  INSERT INTO commission_entry (member_id, period_id, kind, amount, reverses_line_id, note)
  VALUES (o.member_id, v_open, 'adjustment', o.amount, line,
          format('payout line %s of batch %s not paid: %s', line, b.batch_id, reason))
  RETURNING * INTO e;
  RETURN e;
END
$fn$;
COMMENT ON FUNCTION reverse_payout_line(bigint, text, name) IS
'Reverses a line of an approved payout batch that payroll did not pay (HR only; a reason is required): its amount goes back into the rep''s account as an adjustment in the next period to settle, whose payout batch carries the reversing line (reverses_id) and pays the balance again. A line is reversed once; a reversing line or a line of a draft batch cannot be (55000).';
REVOKE ALL ON FUNCTION reverse_payout_line(bigint, text, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION reverse_payout_line(bigint, text, name) TO sales_supervisor_hr;

-- The statements' headers and the payroll export, for BI tools and payroll:
-- security_invoker, so each role sees the rows its row-level security shows
-- (a rep their own, supervisors and managers their scope, HR all).
CREATE VIEW v_commission_statement WITH (security_invoker = true) AS
SELECT b.member_id, m.full_name, b.period_id, fp.kind AS period_kind, fp.fiscal_year, fp.month, fp.start_on, fp.end_on,
       b.opening, b.earned, b.held, b.released, b.clawed_back, b.spiffs, b.adjustments, b.draw_paid, b.draw_recovered,
       b.paid, b.closing, b.draw_outstanding, pb.batch_id, pb.approved_at IS NOT NULL AS approved
FROM commission_balance b
JOIN member m ON m.member_id = b.member_id
JOIN fiscal_period fp ON fp.period_id = b.period_id
LEFT JOIN payout_batch pb ON pb.period_id = b.period_id;
COMMENT ON VIEW v_commission_statement IS
'Header of every settled commission statement (commission_balance): per rep and period the balance walk -- opening + earned + held + released + clawed_back + spiffs + adjustments + draw_paid + draw_recovered - paid = closing -- with the payout batch. Security invoker: row-level security of the caller applies. The lines: commission_statement(member, period).';
COMMENT ON COLUMN v_commission_statement.member_id IS 'Rep (member.member_id).';
COMMENT ON COLUMN v_commission_statement.full_name IS 'Full name of the rep.';
COMMENT ON COLUMN v_commission_statement.period_id IS 'Settled period (fiscal_period.period_id).';
COMMENT ON COLUMN v_commission_statement.period_kind IS 'Kind of the period: month, quarter or year.';
COMMENT ON COLUMN v_commission_statement.fiscal_year IS 'Fiscal year of the period.';
COMMENT ON COLUMN v_commission_statement.month IS 'Month of the fiscal year, 1..12 (months only).';
COMMENT ON COLUMN v_commission_statement.start_on IS 'First day of the period.';
COMMENT ON COLUMN v_commission_statement.end_on IS 'Last day of the period.';
COMMENT ON COLUMN v_commission_statement.opening IS 'Balance carried from the previous settlement (negative: owed by the rep).';
COMMENT ON COLUMN v_commission_statement.earned IS 'Commission payout lines booked in the period.';
COMMENT ON COLUMN v_commission_statement.held IS 'Commission held on unpaid invoices (<= 0).';
COMMENT ON COLUMN v_commission_statement.released IS 'Held or clawed-back commission released by payments (>= 0).';
COMMENT ON COLUMN v_commission_statement.clawed_back IS 'Commission clawed back on invoices unpaid past the horizon (<= 0).';
COMMENT ON COLUMN v_commission_statement.spiffs IS 'SPIFFs earned.';
COMMENT ON COLUMN v_commission_statement.adjustments IS 'Adjustments of accepted disputes.';
COMMENT ON COLUMN v_commission_statement.draw_paid IS 'Draws paid: recoverable advances and guarantees (>= 0).';
COMMENT ON COLUMN v_commission_statement.draw_recovered IS 'Recoverable draws recovered (<= 0).';
COMMENT ON COLUMN v_commission_statement.paid IS 'Amount paid out in the payout batch.';
COMMENT ON COLUMN v_commission_statement.closing IS 'Balance carried forward.';
COMMENT ON COLUMN v_commission_statement.draw_outstanding IS 'Recoverable draws not yet recovered.';
COMMENT ON COLUMN v_commission_statement.batch_id IS 'Payout batch of the period.';
COMMENT ON COLUMN v_commission_statement.approved IS 'True once the batch is approved for payroll.';
GRANT SELECT ON v_commission_statement
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;

CREATE VIEW v_payout_export WITH (security_invoker = true) AS
SELECT pb.batch_id, fp.period_id, fp.start_on AS period_start, fp.end_on AS period_end, l.line_id, l.member_id,
       m.full_name, l.amount, l.reverses_id, l.note, pb.approved_at, pb.approved_by
FROM payout_batch_line l
JOIN payout_batch pb ON pb.batch_id = l.batch_id
JOIN fiscal_period fp ON fp.period_id = pb.period_id
JOIN member m ON m.member_id = l.member_id;
COMMENT ON VIEW v_payout_export IS
'The payroll export, one row per payout batch line -- the layout of the CSV: \copy (SELECT * FROM sales_supervisor.v_payout_export WHERE batch_id = N AND approved_at IS NOT NULL ORDER BY line_id) TO ''batch.csv'' CSV HEADER. Security invoker (HR sees every line).';
COMMENT ON COLUMN v_payout_export.batch_id IS 'Payout batch.';
COMMENT ON COLUMN v_payout_export.period_id IS 'Period settled by the batch.';
COMMENT ON COLUMN v_payout_export.period_start IS 'First day of that period.';
COMMENT ON COLUMN v_payout_export.period_end IS 'Last day of that period.';
COMMENT ON COLUMN v_payout_export.line_id IS 'Line identifier (unique; a correction reverses a line by it).';
COMMENT ON COLUMN v_payout_export.member_id IS 'Rep paid (member.member_id).';
COMMENT ON COLUMN v_payout_export.full_name IS 'Full name of the rep.';
COMMENT ON COLUMN v_payout_export.amount IS 'Amount to pay, company currency, two decimals (negative: to collect).';
COMMENT ON COLUMN v_payout_export.reverses_id IS 'For a correction: the line it reverses.';
COMMENT ON COLUMN v_payout_export.note IS 'Why the line was written.';
COMMENT ON COLUMN v_payout_export.approved_at IS 'When the batch was approved; NULL for a draft (not for payroll yet).';
COMMENT ON COLUMN v_payout_export.approved_by IS 'Who approved it.';
GRANT SELECT ON v_payout_export TO sales_supervisor_hr;
