-- Layer 4, the sales year: SPIFFs -- one-off incentives for selling a product
-- category in a period, paid through the commission account (issue 15).
--
-- A SPIFF (table spiff, 25_model_settlement.sql) is paid with the settlement
-- of the period its own period ends in: a monthly SPIFF with its month, a
-- quarterly one with the quarter's last month.  settle_commission_period()
-- (49_settlement.sql) posts one commission_entry of kind spiff per row of
-- spiff_earnings() with an amount; once that settlement exists (a payout
-- batch) the SPIFF is history and cannot change (spiff_check_settled).
--
-- What a rep earns, from the SPIFF category's sales lines sold within the
-- SPIFF period's dates, credited exactly as credited_sales() credits them:
--   unit    amount per unit: a line is worth coalesce(quantity, 1) x amount
--           (to the cent, half away from zero; exact for whole quantities);
--   line    amount per line: a line is worth the amount;
--   period  the amount once to each rep whose net credited amount of the
--           category in the SPIFF period is above 0.
-- Per unit and per line, a refund line is worth the negative (it gives back
-- its units, takes back a line), and a split line's worth is divided between
-- its credited reps in proportion to their credited amounts, in exact cents
-- with allocate_quota(worth, |credit|, 0.01) over the line (largest
-- remainder; ties to the larger credit, then the lower member id): the shares
-- of a line add up to exactly what the line is worth unsplit, so a split
-- neither creates nor loses a cent (rounding each rep's exact share once
-- would: two halves of 2.55 are 1.275 each, 2.56 rounded).  A rep's amount
-- is the sum of their shares; a negative sum pays 0 (a SPIFF never charges a
-- rep), and then at most the cap.  The units and lines reported are
-- information, whatever the SPIFF pays per: units the line's quantity divided
-- the same way in thousandths of a unit (the scale of sale.quantity), lines
-- the lines the rep is credited with (a split line counts once for each of
-- its reps) less the refund lines.

-- spiff_member_earnings: spiff_earnings() for one rep (a statement's
-- preview: a year's SPIFF must not read the company's year) -- the rep's
-- lines of each SPIFF's category and period, found by index: booked to them
-- (sale_member_idx, whose category column is checked in the index, so only
-- the category's lines are read) or split to them (sale_credit_member_idx,
-- each probing sale's key); a line with one rep is all theirs, a split line
-- is apportioned between all its reps (as in spiff_earnings) and the rep's
-- share kept.  PL/pgSQL with a generic plan: planned once per session (a
-- SQL function with SET search_path is planned at every call, about as long
-- as it runs); the plan is the same for every rep and period -- index scans
-- keyed by the rep, the SPIFFs' categories and dates read from spiff.  JIT
-- off: a generic plan is costed without its arguments, and JIT would compile
-- it again at every call (commission_statement, 49_settlement.sql).
CREATE FUNCTION spiff_member_earnings(p_period integer, p_member integer)
RETURNS TABLE (spiff_id integer, member_id integer, lines bigint, units numeric, amount numeric)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
SET plan_cache_mode = force_generic_plan
SET jit = off
AS $fn$
BEGIN
  RETURN QUERY
  WITH due AS MATERIALIZED (   -- the SPIFFs whose own period ends within p_period
    SELECT sp.spiff_id, sp.category_id, sp.per, sp.amount, sp.cap, own.start_on, own.end_on
    FROM fiscal_period p
    JOIN fiscal_period own ON own.end_on >= p.start_on AND own.end_on <= p.end_on
    JOIN spiff sp ON sp.period_id = own.period_id
    WHERE p.period_id = p_period),
  mine AS MATERIALIZED (   -- the rep's lines: booked to them or split to them
    SELECT x.*, x.amount = 0 OR EXISTS (SELECT 1 FROM sale_credit c WHERE c.sale_id = x.sale_id) AS odd
    FROM (SELECT d.spiff_id, s.sale_id, s.amount, s.refund_of, s.quantity FROM due d
          JOIN sale s ON s.member_id = p_member AND s.sold_on >= d.start_on AND s.sold_on <= d.end_on
                     AND s.category_id = d.category_id
          UNION
          SELECT d.spiff_id, s.sale_id, s.amount, s.refund_of, s.quantity FROM due d
          JOIN sale_credit x ON x.member_id = p_member
          JOIN sale s ON s.sale_id = x.sale_id AND s.sold_on >= d.start_on AND s.sold_on <= d.end_on
                     AND s.category_id = d.category_id) x),
  split AS MATERIALIZED (   -- the credit of the rep's split lines (and lines of 0), probed by key
    SELECT cs.sale_id, cs.member_id, cs.amount FROM credited_sales('-infinity', 'infinity') cs
    WHERE cs.sale_id = ANY (ARRAY(SELECT y.sale_id FROM mine y WHERE y.odd))),
  share AS (      -- each split line (or line of 0): its reps' shares of it, signed ...
    SELECT x.spiff_id, x.member_id, x.line AS lines, x.sgn * x.units AS units, x.sgn * x.worth AS worth,
           x.credit
    FROM (SELECT m.spiff_id, cs.member_id, cs.amount AS credit, sign(m.amount) AS sgn,
                 CASE WHEN m.refund_of IS NULL THEN 1 ELSE -1 END AS line,
                 allocate_quota(coalesce(m.quantity, 1), abs(cs.amount), 0.001::numeric) OVER w AS units,
                 allocate_quota(CASE d.per WHEN 'unit' THEN round(coalesce(m.quantity, 1) * d.amount, 2)
                                           ELSE d.amount END,
                                abs(cs.amount), 0.01::numeric) OVER w AS worth
          FROM split cs JOIN mine m ON m.sale_id = cs.sale_id AND m.odd JOIN due d ON d.spiff_id = m.spiff_id
          WINDOW w AS (PARTITION BY m.spiff_id, cs.sale_id ORDER BY cs.member_id)) x
    WHERE x.member_id = p_member   -- (a split line's other reps)
    UNION ALL       -- ... and the rep's lines with one rep, all of it
    SELECT m.spiff_id, p_member, CASE WHEN m.refund_of IS NULL THEN 1 ELSE -1 END,
           sign(m.amount) * round(coalesce(m.quantity, 1), 3),
           sign(m.amount) * CASE d.per WHEN 'unit' THEN round(coalesce(m.quantity, 1) * d.amount, 2) ELSE d.amount END,
           m.amount
    FROM mine m JOIN due d ON d.spiff_id = m.spiff_id
    WHERE NOT m.odd),
  rep AS (
    SELECT sh.spiff_id, sum(sh.lines)::bigint AS lines, sum(sh.units) AS units, sum(sh.worth) AS worth,
           sum(sh.credit) AS credit
    FROM share sh GROUP BY sh.spiff_id)
  SELECT r.spiff_id, p_member, r.lines, r.units,
         -- never below 0, then at most the cap (least() ignores a NULL cap)
         least(greatest(CASE WHEN d.per <> 'period' THEN r.worth
                             WHEN r.credit > 0 THEN d.amount ELSE 0.00 END, 0.00),
               d.cap)
  FROM rep r
  JOIN due d ON d.spiff_id = r.spiff_id;
END
$fn$;
COMMENT ON FUNCTION spiff_member_earnings(integer, integer) IS
'Internal (a statement''s preview, spiff_earnings with p_member): spiff_earnings(p_period)''s rows of rep p_member, computed from the rep''s lines only -- booked to the rep or split to them -- found by index. No rows for a NULL or unknown period or rep.';
REVOKE ALL ON FUNCTION spiff_member_earnings(integer, integer) FROM PUBLIC;

-- spiff_earnings: what each rep earns from each SPIFF paid with the
-- settlement of p_period -- one row per SPIFF and rep credited with a line
-- of its category in its period (also when the amount is 0).  Internal:
-- settle_commission_period() reads it, as the owner (the lines are read with
-- the caller's row-level security, as credited_sales() does).  With
-- p_member, that rep's rows only: spiff_member_earnings(), from the rep's
-- lines by index (a statement's preview: a year's SPIFF must not read the
-- company's year).
CREATE FUNCTION spiff_earnings(p_period integer, p_member integer DEFAULT NULL)
RETURNS TABLE (spiff_id integer, member_id integer, lines bigint, units numeric, amount numeric)
LANGUAGE sql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
  WITH due AS (   -- the SPIFFs whose own period ends within p_period
    SELECT sp.spiff_id, sp.category_id, sp.per, sp.amount, sp.cap, own.start_on, own.end_on
    FROM sales_supervisor.fiscal_period p
    JOIN sales_supervisor.fiscal_period own ON own.end_on >= p.start_on AND own.end_on <= p.end_on
    JOIN sales_supervisor.spiff sp ON sp.period_id = own.period_id
    WHERE p.period_id = p_period),
  booked AS MATERIALIZED (   -- without p_member, one pass: every line of the category as booked, per rep
    SELECT d.spiff_id, s.member_id, sum(CASE WHEN s.refund_of IS NULL THEN 1 ELSE -1 END) AS lines,
           sum(sign(s.amount) * round(coalesce(s.quantity, 1), 3)) AS units,   -- (units to the thousandth)
           sum(sign(s.amount) * CASE d.per WHEN 'unit' THEN round(coalesce(s.quantity, 1) * d.amount, 2)
                                           ELSE d.amount END) AS worth,
           sum(s.amount) AS credit, min(s.sale_id) AS lo, max(s.sale_id) AS hi
    FROM due d
    JOIN sales_supervisor.sale s ON s.sold_on >= d.start_on AND s.sold_on <= d.end_on AND s.category_id = d.category_id
    WHERE p_member IS NULL
    GROUP BY d.spiff_id, s.member_id),
  odd AS MATERIALIZED (   -- to apportion: the company's split lines (within the ids the pass met),
                          -- with what their shares need, probed once per line
    SELECT DISTINCT ids.spiff_id, s.sale_id, s.member_id, s.amount, s.refund_of, s.quantity
    FROM (SELECT b.spiff_id, unnest(range_agg(int8range(b.lo, b.hi, '[]'))) AS r FROM booked b GROUP BY 1) ids
    JOIN sales_supervisor.sale_credit sc ON sc.sale_id >= lower(ids.r) AND sc.sale_id < upper(ids.r)
    JOIN due d ON d.spiff_id = ids.spiff_id
    CROSS JOIN LATERAL (SELECT s.sale_id, s.member_id, s.amount, s.refund_of, s.quantity   -- (a probe)
                        FROM sales_supervisor.sale s WHERE s.sale_id = sc.sale_id
                          AND s.sold_on >= d.start_on AND s.sold_on <= d.end_on AND s.category_id = d.category_id
                        OFFSET 0) s),
  split AS (   -- their credit per rep: credited_sales' rule (allocate_quota by share, exact cents)
    SELECT o.spiff_id, o.sale_id, o.amount, o.refund_of, o.quantity, sc.member_id,
           sign(o.amount) * sales_supervisor.allocate_quota(abs(o.amount), sc.share_pct, 0.01::numeric)
                              OVER (PARTITION BY o.spiff_id, o.sale_id ORDER BY sc.member_id) AS credit
    FROM odd o
    CROSS JOIN LATERAL (SELECT sc.member_id, sc.share_pct FROM sales_supervisor.sale_credit sc   -- (by key)
                        WHERE sc.sale_id = o.sale_id OFFSET 0) sc),
  share AS (      -- each split line: its reps' shares of it, signed ...
    SELECT x.spiff_id, x.member_id, x.line AS lines, x.sgn * x.units AS units, x.sgn * x.worth AS worth,
           x.credit
    FROM (SELECT c.spiff_id, c.member_id, c.credit, sign(c.amount) AS sgn,
                 CASE WHEN c.refund_of IS NULL THEN 1 ELSE -1 END AS line,
                 sales_supervisor.allocate_quota(coalesce(c.quantity, 1), abs(c.credit), 0.001::numeric) OVER w AS units,
                 sales_supervisor.allocate_quota(CASE d.per WHEN 'unit' THEN round(coalesce(c.quantity, 1) * d.amount, 2)
                                                            ELSE d.amount END,
                                                 abs(c.credit), 0.01::numeric) OVER w AS worth
          FROM split c JOIN due d ON d.spiff_id = c.spiff_id
          WINDOW w AS (PARTITION BY c.spiff_id, c.sale_id ORDER BY c.member_id)) x
    UNION ALL       -- ... the company's lines as booked (a line with one rep: all of it) ...
    SELECT b.spiff_id, b.member_id, b.lines, b.units, b.worth, b.credit FROM booked b
    UNION ALL       -- ... less its split lines as booked (their shares are above)
    SELECT o.spiff_id, o.member_id, CASE WHEN o.refund_of IS NULL THEN -1 ELSE 1 END,
           -sign(o.amount) * round(coalesce(o.quantity, 1), 3),
           -sign(o.amount) * CASE d.per WHEN 'unit' THEN round(coalesce(o.quantity, 1) * d.amount, 2) ELSE d.amount END,
           -o.amount
    FROM odd o JOIN due d ON d.spiff_id = o.spiff_id),
  rep AS (
    SELECT sh.spiff_id, sh.member_id, sum(sh.lines)::bigint AS lines, sum(sh.units) AS units,
           sum(sh.worth) AS worth, sum(sh.credit) AS credit
    FROM share sh
    GROUP BY sh.spiff_id, sh.member_id)
  SELECT r.spiff_id, r.member_id, r.lines, r.units,
         -- never below 0, then at most the cap (least() ignores a NULL cap)
         least(greatest(CASE WHEN d.per <> 'period' THEN r.worth
                             WHEN r.credit > 0 THEN d.amount ELSE 0.00 END, 0.00),
               d.cap)
  FROM rep r
  JOIN due d ON d.spiff_id = r.spiff_id
  UNION ALL   -- with p_member, the rep's rows (the company's are not read)
  SELECT * FROM sales_supervisor.spiff_member_earnings(p_period, p_member) WHERE p_member IS NOT NULL
$fn$;
COMMENT ON FUNCTION spiff_earnings(integer, integer) IS
'Internal (settle_commission_period): per SPIFF whose own period ends within p_period''s dates and per rep credited with a line of its category sold in the SPIFF period (split as credited_sales does): lines (credited lines less refund lines, a split line once per rep), units (coalesce(quantity, 1), refunds negative, a split line''s quantity divided by credit in thousandths) and the amount earned -- per unit quantity x amount a line, per line the amount a line, each line''s worth divided between its reps by credit in exact cents (allocate_quota), refunds negative; per period the amount once if the rep''s net credit is above 0; a negative total is 0, then at most the cap. No rows for a NULL or unknown period. With p_member, only that rep''s rows (spiff_member_earnings, read from the rep''s lines).';
REVOKE ALL ON FUNCTION spiff_earnings(integer, integer) FROM PUBLIC;

-- spiff_check_settled: a SPIFF is paid with the settlement of the period its
-- own period ends in; once that settlement exists -- a payout batch for a
-- period whose dates contain the SPIFF period's last day -- what was paid is
-- final, so the SPIFF cannot be added, changed (nor moved into or out of such
-- a period) or deleted.  Security definer: it judges the row by other tables'
-- rows, which the caller's row-level security must not hide.
CREATE FUNCTION spiff_check_settled()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_periods integer[];
  v_name    text;
  r         record;
BEGIN
  IF is_restoring() THEN
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  END IF;
  IF TG_OP = 'INSERT' THEN
    v_periods := ARRAY[NEW.period_id]; v_name := NEW.name;
  ELSIF TG_OP = 'DELETE' THEN
    v_periods := ARRAY[OLD.period_id]; v_name := OLD.name;
  ELSE
    v_periods := ARRAY[OLD.period_id, NEW.period_id]; v_name := OLD.name;
  END IF;
  SELECT own.period_id AS own_period, own.end_on, b.period_id AS settled, b.batch_id INTO r
  FROM unnest(v_periods) WITH ORDINALITY x(period_id, ord)
  JOIN fiscal_period own ON own.period_id = x.period_id
  JOIN fiscal_period p ON own.end_on >= p.start_on AND own.end_on <= p.end_on
  JOIN payout_batch b ON b.period_id = p.period_id
  ORDER BY x.ord, p.start_on, b.batch_id
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'SPIFF "%" of period % (ending %) is paid with period %, which is settled (payout batch %): it cannot be %',
                    v_name, r.own_period, r.end_on, r.settled, r.batch_id,
                    CASE TG_OP WHEN 'INSERT' THEN 'added' WHEN 'UPDATE' THEN 'changed' ELSE 'deleted' END
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'A settled SPIFF is final: correct what it paid with an accepted dispute''s adjustment; a new SPIFF needs a period ending in one not yet settled.';
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
COMMENT ON FUNCTION spiff_check_settled() IS
'Trigger on spiff: a SPIFF whose payout is settled (a payout batch exists for a period containing the last day of the SPIFF''s period) cannot be inserted, changed, moved or deleted (55000).';
REVOKE ALL ON FUNCTION spiff_check_settled() FROM PUBLIC;
CREATE TRIGGER spiff_check_settled BEFORE INSERT OR UPDATE OR DELETE ON spiff
  FOR EACH ROW EXECUTE FUNCTION spiff_check_settled();
-- SPIFFs are written by managers and HR: audited like the other plans
CREATE TRIGGER spiff_audit AFTER INSERT OR UPDATE OR DELETE ON spiff
  FOR EACH ROW EXECUTE FUNCTION audit_row('spiff_id');
