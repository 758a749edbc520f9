-- Layer 4, the sales year: changes to the past -- split corrections, exact
-- recalculation, the ledger as known on a date and as it should be, and
-- what-if plans (PRODUCT.md section 5; issue 14, items 3-6).
--
-- The principle: a locked period is never rewritten.  What changes after it
-- was paid -- a late line, a corrected split, a corrected plan -- reaches the
-- rep as new lines in an open period, each naming the period it is for
-- (for_period_id) and why (cause), so that for every locked period
--   credit for it  = its window's lines with today's splits, and
--   paid for it    = round(tiered_commission(that credit, its plan's current
--                    version), 2)
-- once the change is credited (by the next run, or by a recalculation).
-- run_commission settles the changes it knows of (late lines, corrections,
-- plan versions); recalculate_commission recomputes every period from the
-- lines themselves, so it also repairs what no trigger saw.
--
--   correct_sale_credit       change the split of a line, credited or not
--   commission_should_credit  each period's credit from the lines (one statement per window)
--   recalculate_commission    post the differences into the open period
--   commission_as_known       the ledger as it stood at a moment
--   commission_as_it_should_be  each period's credit, due and paid, today
--   commission_what_if        the same under variant tier tables, no writes

-- sale_credit_change: what re-splitting sales line s by members and shares
-- changes, per rep: the old credit (credited_sales, as the ledger has it),
-- the new one (the same exact cents by allocate_quota), and the difference.
CREATE FUNCTION sale_credit_change(s sale, members integer[], shares numeric[])
RETURNS TABLE (member_id integer, old_credit numeric, new_credit numeric, delta numeric)
LANGUAGE sql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
  SELECT coalesce(o.member_id, n.member_id), o.amount, n.amount, coalesce(n.amount, 0) - coalesce(o.amount, 0)
  FROM (SELECT cs.member_id, cs.amount FROM sales_supervisor.credited_sales(s.sold_on, s.sold_on) cs
        WHERE cs.sale_id = s.sale_id) o
  FULL JOIN (SELECT u.m AS member_id,
                    sign(s.amount) * sales_supervisor.allocate_quota(abs(s.amount), u.share, 0.01) OVER (ORDER BY u.m) AS amount
             FROM unnest(members, shares) u(m, share)) n ON n.member_id = o.member_id
  ORDER BY 1
$fn$;
COMMENT ON FUNCTION sale_credit_change(sale, integer[], numeric[]) IS
'Internal: per rep, the credit of sales line s under its current split and under members/shares (exact cents, allocate_quota as credited_sales does), and the change.';
REVOKE ALL ON FUNCTION sale_credit_change(sale, integer[], numeric[]) FROM PUBLIC;

-- correct_sale_credit: the split of a sales line, replaced.  For a line no
-- run has credited it is an ordinary edit of sale_credit.  For a credited
-- line the change of each rep's credit (the new split minus the old, both in
-- exact cents by allocate_quota) is recorded first in sale_credit_correction,
-- which lets the split trigger through, and the next run credits it.
CREATE FUNCTION correct_sale_credit(sale bigint, members integer[], shares numeric[], reason text,
                                    login name DEFAULT current_user)
RETURNS TABLE (member_id integer, old_credit numeric, new_credit numeric, delta numeric)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
  s sales_supervisor.sale;
BEGIN
  IF sale IS NULL OR members IS NULL OR shares IS NULL OR reason IS NULL THEN
    RAISE EXCEPTION 'sale, members, shares and reason must not be null' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  PERFORM commission_company_step(login, 'correct credited splits');
  PERFORM correct_sale_credit_check(members, shares, reason);
  LOCK TABLE commission_credit, commission_payout, commission_late_sale IN SHARE ROW EXCLUSIVE MODE;
  SELECT * INTO s FROM sales_supervisor.sale x WHERE x.sale_id = correct_sale_credit.sale FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'sales line % does not exist', correct_sale_credit.sale USING ERRCODE = 'no_data_found';
  END IF;
  RETURN QUERY SELECT * FROM sale_credit_change(s, members, shares);   -- (kept now, before the split changes)
  IF sale_is_credited(s.sale_id, s.sold_on) THEN
    INSERT INTO sale_credit_correction (sale_id, member_id, delta, line_change, reason)
    SELECT s.sale_id, c.member_id, c.delta, (c.new_credit IS NOT NULL)::int - (c.old_credit IS NOT NULL)::int, reason
    FROM sale_credit_change(s, members, shares) c
    WHERE c.delta <> 0 OR (c.new_credit IS NULL) <> (c.old_credit IS NULL);
    IF NOT FOUND THEN
      RAISE EXCEPTION 'the new split of sales line % credits every rep as the old one does', s.sale_id
        USING ERRCODE = 'invalid_parameter_value', HINT = 'Nothing to correct.';
    END IF;
  END IF;
  DELETE FROM sale_credit sc WHERE sc.sale_id = s.sale_id;
  INSERT INTO sale_credit (sale_id, member_id, share_pct)
  SELECT s.sale_id, u.m, u.share FROM unnest(members, shares) u(m, share);
END
$fn$;
COMMENT ON FUNCTION correct_sale_credit(bigint, integer[], numeric[], text, name) IS
'Replaces the split of a sales line by members and shares (percent, summing to 100), with a reason. For a line a commission run has credited the change of each rep''s credit (new split minus old, exact cents by allocate_quota) is recorded in sale_credit_correction and credited by the next run (or recalculate_commission) for the period the line was sold in; an uncredited line is simply re-split. Returns per rep the old and new credit and the change. A company-wide step (manager of the whole organisation or the extension owner), READ COMMITTED.';
REVOKE ALL ON FUNCTION correct_sale_credit(bigint, integer[], numeric[], text, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION correct_sale_credit(bigint, integer[], numeric[], text, name) TO sales_supervisor_manager;

-- correct_sale_credit_check: the new split is a split -- as many shares as
-- members, no member twice, each share in (0, 100], together exactly 100 --
-- and the reason says something.
CREATE FUNCTION correct_sale_credit_check(members integer[], shares numeric[], reason text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
BEGIN
  IF cardinality(members) = 0 OR cardinality(members) <> cardinality(shares) THEN
    RAISE EXCEPTION 'a split needs one share per member: % members, % shares', cardinality(members), cardinality(shares)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF array_position(members, NULL) IS NOT NULL OR array_position(shares, NULL) IS NOT NULL THEN
    RAISE EXCEPTION 'members and shares must not contain null' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF (SELECT count(DISTINCT m) FROM unnest(members) m) <> cardinality(members) THEN
    RAISE EXCEPTION 'a member appears twice in the split %', members USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF EXISTS (SELECT 1 FROM unnest(shares) x WHERE x <= 0 OR x > 100 OR x <> round(x, 2))
     OR (SELECT sum(x) FROM unnest(shares) x) <> 100 THEN
    RAISE EXCEPTION 'shares % must each be above 0 and at most 100, in hundredths, and sum to 100', shares
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF btrim(reason) = '' THEN
    RAISE EXCEPTION 'a correction needs a reason' USING ERRCODE = 'invalid_parameter_value';
  END IF;
END
$fn$;
COMMENT ON FUNCTION correct_sale_credit_check(integer[], numeric[], text) IS
'Internal: refuses a split that is no split (22023: shares and members of different lengths or empty, a member twice, a share outside (0, 100] or finer than hundredths, shares not summing to 100; 22004: a NULL element) and a blank reason.';
REVOKE ALL ON FUNCTION correct_sale_credit_check(integer[], numeric[], text) FROM PUBLIC;

-- commission_should_credit: what each locked period from p_from on should
-- have credited, from the lines as they are today: per period, rep, month of
-- sale and sign, the lines dated in the period's run window with today's
-- splits.  One pass over those windows' lines (credited_sales_by_month per
-- window).
CREATE FUNCTION commission_should_credit(p_from date)
RETURNS TABLE (for_period_id integer, member_id integer, month date, refunds boolean, lines bigint, amount numeric)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  w      record;
  v_read text;
BEGIN
  -- one statement per window, each planned for its dates (EXECUTE: the BRIN
  -- index on sold_on reads the window's pages; a plan for any dates, or a
  -- lateral call per window, read every line for each window)
  -- On a coordinator the windows' lines are the shards' (shard_credit_month_rows)
  v_read := CASE WHEN shards_registered() THEN 'shard_credit_month_rows' ELSE 'credited_sales_by_month' END;
  FOR w IN SELECT l.period_id, l.credited_from, l.credited_through FROM commission_period_lock l
           WHERE l.credited_from IS NOT NULL AND l.credited_through >= p_from ORDER BY l.credited_from LOOP
    RETURN QUERY EXECUTE format(
      'SELECT $1, b.member_id, b.month, b.refunds, b.lines, b.amount
       FROM sales_supervisor.%I($2, $3) b', v_read)
    USING w.period_id, w.credited_from, w.credited_through;
  END LOOP;
END
$fn$;
COMMENT ON FUNCTION commission_should_credit(date) IS
'Per commission period whose run window ends on or after p_from, rep, month of sale and refunds (false: sales lines, true: refund lines), the credit of the lines dated in the window with today''s splits (lines and exact amount) -- what a fresh run of every period on today''s lines would credit. Security invoker: row-level security of the caller applies (commission_as_it_should_be reads it).';
REVOKE ALL ON FUNCTION commission_should_credit(date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION commission_should_credit(date)
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager;

-- commission_recalculate_credit: the credit step of a recalculation -- each
-- locked period's credit in the ledger (every line for it, whatever period
-- booked it) against the lines (commission_should_credit); a difference is
-- posted in p_into as a recalculated line for the period.  After the waiting
-- late lines and corrections are credited nothing differs, unless lines or
-- splits were changed behind the triggers' back.
CREATE FUNCTION commission_recalculate_credit(p_into integer, p_from date)
RETURNS void
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
  INSERT INTO sales_supervisor.commission_credit (period_id, member_id, kind, sold_in, lines, amount, for_period_id)
  SELECT p_into, coalesce(e.member_id, g.member_id), 'recalculated', coalesce(e.month, g.sold_in),
         coalesce(e.lines, 0) - coalesce(g.lines, 0), coalesce(e.amount, 0) - coalesce(g.amount, 0),
         coalesce(e.for_period_id, g.for_period_id)
  FROM (SELECT w.for_period_id, w.member_id, w.month, sum(w.lines) AS lines, sum(w.amount) AS amount
        FROM sales_supervisor.commission_should_credit(p_from) w GROUP BY 1, 2, 3) e
  FULL JOIN (SELECT cc.for_period_id, cc.member_id, cc.sold_in, sum(cc.lines) AS lines, sum(cc.amount) AS amount
             FROM sales_supervisor.commission_credit cc
             JOIN sales_supervisor.commission_period_lock l ON l.period_id = cc.for_period_id
             WHERE l.credited_through >= p_from
             GROUP BY 1, 2, 3) g
    ON g.for_period_id = e.for_period_id AND g.member_id = e.member_id AND g.sold_in = e.month
  WHERE coalesce(e.amount, 0) <> coalesce(g.amount, 0) OR coalesce(e.lines, 0) <> coalesce(g.lines, 0)
  ORDER BY 7, 2, 4
$fn$;
COMMENT ON FUNCTION commission_recalculate_credit(integer, date) IS
'Internal, the credit step of recalculate_commission: for every locked period whose window ends on or after p_from, rep and month of sale where the ledger''s credit for the period differs from its window''s lines today (commission_should_credit), a recalculated credit line in period p_into for the difference.';
REVOKE ALL ON FUNCTION commission_recalculate_credit(integer, date) FROM PUBLIC;

-- commission_open_period: the period a recalculation posts into when none is
-- named -- the next one run_commission would run: the first period of the
-- kind of the last locked one that is not locked and ends after the last
-- credited date.
CREATE FUNCTION commission_open_period()
RETURNS integer
LANGUAGE sql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
  SELECT p.period_id
  FROM sales_supervisor.fiscal_period p
  WHERE p.kind = (SELECT fp.kind FROM sales_supervisor.commission_period_lock l
                  JOIN sales_supervisor.fiscal_period fp ON fp.period_id = l.period_id
                  ORDER BY l.credited_through DESC NULLS LAST LIMIT 1)
    AND p.end_on > (SELECT max(l.credited_through) FROM sales_supervisor.commission_period_lock l)
    AND NOT EXISTS (SELECT 1 FROM sales_supervisor.commission_period_lock l WHERE l.period_id = p.period_id)
  ORDER BY p.start_on
  LIMIT 1
$fn$;
COMMENT ON FUNCTION commission_open_period() IS
'Internal: the next commission period to run -- the first unlocked period of the kind of the last locked one ending after the last credited sale date; NULL when there is none.';
REVOKE ALL ON FUNCTION commission_open_period() FROM PUBLIC;

-- recalculate_commission: every locked period from from_period on, recomputed
-- from today's inputs, and only the differences posted into an open period.
CREATE FUNCTION recalculate_commission(from_period integer, into_period integer DEFAULT NULL,
                                       login name DEFAULT current_user)
RETURNS TABLE (ledger text, line_id bigint, for_period_id integer, member_id integer, kind text,
               amount numeric, cause text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
  v_from   date;
  v_into   integer;
  v_credit bigint;
  v_payout bigint;
BEGIN
  IF from_period IS NULL THEN
    RAISE EXCEPTION 'from_period must not be null' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  PERFORM commission_company_step(login, 'recalculate commissions');
  PERFORM 1 FROM fiscal_period fp WHERE fp.period_id = coalesce(into_period, -1) FOR NO KEY UPDATE;
  LOCK TABLE sale, sale_credit IN SHARE MODE;
  LOCK TABLE commission_credit, commission_payout, commission_late_sale IN SHARE ROW EXCLUSIVE MODE;
  PERFORM shard_fact_lock();   -- on a coordinator: no write to the shards under it, every shard there
  v_from := (SELECT l.credited_from FROM commission_period_lock l WHERE l.period_id = from_period);
  IF v_from IS NULL THEN
    RAISE EXCEPTION 'commission period % has not been run', from_period
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Recalculation starts at a period run_commission has run and locked.';
  END IF;
  v_into := coalesce(into_period, commission_open_period());
  IF v_into IS NULL OR NOT EXISTS (SELECT 1 FROM fiscal_period fp WHERE fp.period_id = v_into)
     OR EXISTS (SELECT 1 FROM commission_period_lock l WHERE l.period_id = v_into) THEN
    RAISE EXCEPTION 'no open commission period to post into (%)', coalesce(v_into::text, 'none after the last run')
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Name an existing period that is not locked as into_period, or add the next fiscal period.';
  END IF;
  v_credit := (SELECT coalesce(max(cc.credit_id), 0) FROM commission_credit cc);
  v_payout := (SELECT coalesce(max(po.payout_id), 0) FROM commission_payout po);
  PERFORM commission_credit_waiting(v_into);
  PERFORM commission_recalculate_credit(v_into, v_from);
  PERFORM commission_settle(v_into, ARRAY(SELECT l.period_id FROM commission_period_lock l
                                          WHERE l.credited_through >= v_from),
                            format('recalculation from period %s', from_period));
  RETURN QUERY
  SELECT 'credit', cc.credit_id, cc.for_period_id, cc.member_id, cc.kind, cc.amount, NULL::text
  FROM commission_credit cc WHERE cc.credit_id > v_credit
  UNION ALL
  SELECT 'payout', po.payout_id, po.for_period_id, po.member_id, 'adjustment', po.amount, po.cause
  FROM commission_payout po WHERE po.payout_id > v_payout
  ORDER BY 1, 3, 4, 2;
END
$fn$;
COMMENT ON FUNCTION recalculate_commission(integer, integer, name) IS
'Recomputes every locked commission period whose run window ends on or after that of from_period from today''s inputs -- late lines and split corrections still waiting, the lines and splits themselves, the plans'' current versions -- and posts only the differences into into_period (default: the next period to run, which must not be locked): the waiting lines as late_sales / late_refunds / corrections credit, any other difference between a period''s credit and its lines as recalculated credit, and per rep and period the difference between round(tiered_commission(credit, current plan version), 2) and what the period was paid as an adjustment payout line naming the period, plan version and cause. Locked lines are never changed; a second call with no new change posts nothing. Returns the lines written. A company-wide step (manager of the whole organisation or the extension owner), READ COMMITTED.';
REVOKE ALL ON FUNCTION recalculate_commission(integer, integer, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION recalculate_commission(integer, integer, name) TO sales_supervisor_manager;

-- commission_as_known: the ledger as it stood at a moment -- per period and
-- rep, the credit and the payout lines for the period written by then, and
-- the plan version in force then.  The ledger is append-only and every line
-- carries its time, so any past statement can be reproduced exactly.
CREATE FUNCTION commission_as_known(as_of timestamptz)
RETURNS TABLE (for_period_id integer, member_id integer, credit numeric, paid numeric,
               plan_version integer, tiers tier_table)
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
  SELECT x.for_period_id, x.member_id, sum(x.credit), sum(x.paid), v.version, v.tiers
  FROM (SELECT cc.for_period_id, cc.member_id, cc.amount AS credit, 0 AS paid
        FROM sales_supervisor.commission_credit cc WHERE cc.created_at <= as_of
        UNION ALL
        SELECT po.for_period_id, po.member_id, 0, po.amount
        FROM sales_supervisor.commission_payout po WHERE po.created_at <= as_of) x
  LEFT JOIN sales_supervisor.commission_plan cp ON cp.period_id = x.for_period_id AND cp.member_id = x.member_id
  LEFT JOIN LATERAL (SELECT pv.version, pv.tiers FROM sales_supervisor.commission_plan_version pv
                     WHERE pv.plan_id = cp.plan_id AND pv.recorded_at <= as_of
                     ORDER BY pv.version DESC LIMIT 1) v ON true
  GROUP BY x.for_period_id, x.member_id, v.version, v.tiers
  ORDER BY x.for_period_id, x.member_id
$fn$;
COMMENT ON FUNCTION commission_as_known(timestamptz) IS
'The commission ledger as known at as_of: per period and rep, the credit and the payouts for the period (for_period_id) in the lines written by then, and the plan version in force then (commission_plan_version recorded by then). What a statement said on that date; the ledger being append-only, it never changes for a past as_of. Row-level security of the caller applies.';
GRANT EXECUTE ON FUNCTION commission_as_known(timestamptz)
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager;

-- commission_as_it_should_be: per locked period from from_period on and rep,
-- the credit in the ledger and from the lines today, what the period is due
-- under today's plan version, what it was paid, and the difference a
-- recalculation would post.  Nothing is written.
CREATE FUNCTION commission_as_it_should_be(from_period integer)
RETURNS TABLE (for_period_id integer, member_id integer, credit_in_ledger numeric, credit numeric,
               due numeric, paid numeric, difference numeric)
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
  WITH w AS (SELECT l.period_id, l.credited_from, l.credited_through FROM sales_supervisor.commission_period_lock l
             WHERE l.credited_from IS NOT NULL
               AND l.credited_through >= (SELECT f.credited_from FROM sales_supervisor.commission_period_lock f
                                          WHERE f.period_id = from_period)),
  x AS (SELECT b.for_period_id AS period_id, b.member_id, 0 AS ledger, b.amount AS should, 0 AS paid
        FROM sales_supervisor.commission_should_credit((SELECT f.credited_from FROM sales_supervisor.commission_period_lock f
                                                        WHERE f.period_id = from_period)) b
        UNION ALL
        SELECT cc.for_period_id, cc.member_id, cc.amount, 0, 0
        FROM sales_supervisor.commission_credit cc WHERE cc.for_period_id IN (SELECT w.period_id FROM w)
        UNION ALL
        SELECT po.for_period_id, po.member_id, 0, 0, po.amount
        FROM sales_supervisor.commission_payout po WHERE po.for_period_id IN (SELECT w.period_id FROM w)
        UNION ALL
        SELECT cp.period_id, cp.member_id, 0, 0, 0
        FROM sales_supervisor.commission_plan cp WHERE cp.period_id IN (SELECT w.period_id FROM w))
  SELECT s.period_id, s.member_id, s.ledger, s.should, d.due, s.paid, d.due - s.paid
  FROM (SELECT x.period_id, x.member_id, sum(x.ledger) AS ledger, sum(x.should) AS should, sum(x.paid) AS paid
        FROM x GROUP BY 1, 2) s
  LEFT JOIN sales_supervisor.commission_plan cp ON cp.period_id = s.period_id AND cp.member_id = s.member_id
  CROSS JOIN LATERAL (SELECT CASE WHEN cp.plan_id IS NULL THEN 0
                                  ELSE round(sales_supervisor.tiered_commission(s.should, cp.tiers), 2) END AS due) d
  ORDER BY 1, 2
$fn$;
COMMENT ON FUNCTION commission_as_it_should_be(integer) IS
'Per locked commission period whose window ends on or after that of from_period and rep: the credit for the period in the ledger, its credit from the window''s lines today (today''s splits, late lines included), what it is due (round(tiered_commission(credit, the plan''s current version), 2); 0 without a plan), what it was paid, and the difference recalculate_commission would post. Writes nothing, takes no lock. Row-level security of the caller applies (a rep sees their own rows).';
GRANT EXECUTE ON FUNCTION commission_as_it_should_be(integer)
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager;

-- What-if: a variant plan is a set of tier tables, each for a rep and period,
-- a rep, a period, or everyone (NULL = any); the most specific row applies.
CREATE TYPE commission_variant AS (variant text, member_id integer, period_id integer, tiers tier_table);
COMMENT ON TYPE commission_variant IS
'One row of a what-if plan for commission_what_if: the tier table a variant gives to a rep (member_id, NULL for every rep) in a period (period_id, NULL for every period).';

-- commission_what_if_check: variants are named, have tiers, and name each
-- (rep, period) at most once per variant.
CREATE FUNCTION commission_what_if_check(variants commission_variant[])
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  d record;
BEGIN
  IF variants IS NULL OR cardinality(variants) = 0 THEN
    RAISE EXCEPTION 'commission_what_if needs at least one variant'
      USING ERRCODE = CASE WHEN variants IS NULL THEN 'null_value_not_allowed' ELSE 'invalid_parameter_value' END;
  END IF;
  IF EXISTS (SELECT 1 FROM unnest(variants) v WHERE v IS NULL OR v.variant IS NULL OR btrim(v.variant) = '' OR v.tiers IS NULL) THEN
    RAISE EXCEPTION 'every variant row needs a name and a tier table'
      USING ERRCODE = 'null_value_not_allowed', HINT = 'ROW(''name'', member_id or NULL, period_id or NULL, ''flat 0.05''::tier_table)::commission_variant';
  END IF;
  SELECT v.variant, v.member_id, v.period_id INTO d FROM unnest(variants) v
  GROUP BY 1, 2, 3 HAVING count(*) > 1 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'variant "%" names rep % in period % twice', d.variant, coalesce(d.member_id::text, '(every)'),
                    coalesce(d.period_id::text, '(every)')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
END
$fn$;
COMMENT ON FUNCTION commission_what_if_check(commission_variant[]) IS
'Internal: refuses an empty or NULL variant list, a row without name or tiers (22004), and a variant naming the same rep and period twice (22023).';
REVOKE ALL ON FUNCTION commission_what_if_check(commission_variant[]) FROM PUBLIC;

-- commission_what_if: every locked period from from_period on, paid under
-- each variant instead of the current plans, on the credit as it should be
-- (the lines today); per variant and rep the current and simulated
-- commission and the difference, and per variant the totals (member_id
-- NULL): the cost of the plan change.  Writes nothing, takes no lock.
CREATE FUNCTION commission_what_if(from_period integer, variants commission_variant[])
RETURNS TABLE (variant text, member_id integer, current numeric, simulated numeric, difference numeric)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
#variable_conflict use_column
BEGIN
  IF from_period IS NULL THEN
    RAISE EXCEPTION 'from_period must not be null' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  PERFORM commission_what_if_check(variants);
  RETURN QUERY
  WITH base AS (SELECT s.for_period_id, s.member_id, s.credit, s.due, cp.tiers
                FROM commission_as_it_should_be(from_period) s
                LEFT JOIN commission_plan cp ON cp.period_id = s.for_period_id AND cp.member_id = s.member_id),
  r AS (SELECT * FROM unnest(variants)),
  sim AS (
    SELECT n.variant, b.member_id, b.due,
           coalesce(round(tiered_commission(b.credit, coalesce(r1.tiers, r2.tiers, r3.tiers, r4.tiers)), 2), b.due) AS simulated
    FROM base b
    CROSS JOIN (SELECT DISTINCT r.variant FROM r) n
    LEFT JOIN r r1 ON r1.variant = n.variant AND r1.member_id = b.member_id AND r1.period_id = b.for_period_id
    LEFT JOIN r r2 ON r2.variant = n.variant AND r2.member_id = b.member_id AND r2.period_id IS NULL
    LEFT JOIN r r3 ON r3.variant = n.variant AND r3.member_id IS NULL AND r3.period_id = b.for_period_id
    LEFT JOIN r r4 ON r4.variant = n.variant AND r4.member_id IS NULL AND r4.period_id IS NULL)
  SELECT sim.variant, sim.member_id, sum(sim.due), sum(sim.simulated), sum(sim.simulated) - sum(sim.due)
  FROM sim
  GROUP BY GROUPING SETS ((sim.variant, sim.member_id), (sim.variant))
  ORDER BY 1, 2 NULLS LAST;
END
$fn$;
COMMENT ON FUNCTION commission_what_if(integer, commission_variant[]) IS
'What-if of commission plans: every locked period whose window ends on or after that of from_period, paid on its credit as it should be (commission_as_it_should_be) under each variant -- a set of tier tables per rep and period, rep, period or everyone, the most specific applying; reps and periods a variant does not name keep their current plan -- instead of the current plans. Returns per variant and rep the current and simulated commission and the difference, and per variant a total row (member_id NULL): the cost of the change. Several variants in one call; writes nothing, takes no lock. Row-level security of the caller applies.';
GRANT EXECUTE ON FUNCTION commission_what_if(integer, commission_variant[])
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager;

-- ---------------------------------------------------------------------------
-- What-if of an appraisal: appraisal_what_if runs variants of a cycle's
-- settings over its current inputs (the stored KPI attainments and scores,
-- the reviews, the surveys) through the very functions closing uses
-- (appraisal_ranking and its parts), each given the variant instead of NULL.
-- A variant is a JSON object; every key is optional:
--   "kpi_weights":       {"level": {"KPI code or id": weight, ...}, ...}
--   "curves":            {"KPI code or id": "score curve", ...}
--   "component_weights": {"level": {"component": weight, ...}, ...}
--   "grades":            {"grade": distribution_pct, ...}   (every grade of the cycle)
--   "group_by":          "level" or "team"
-- A level a variant names gets exactly the weights it gives (each in
-- (0, 100], summing to 100); the others keep the cycle's.
-- ---------------------------------------------------------------------------

-- appraisal_what_if_check_weights: one weights section of every variant
-- ("kpi_weights" or "component_weights") is {"level": {"key": weight}} with
-- levels the cycle weighs in that section, keys it knows (KPIs measured for
-- the level in the cycle; appraisal components), weights in (0, 100] summing
-- to 100 per level.  22023 naming the variant, level and key otherwise.
CREATE FUNCTION appraisal_what_if_check_weights(cycle integer, variants jsonb, section text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  bad record;
BEGIN
  SELECT v.key AS variant, l.key AS level, jsonb_typeof(l.value) AS t INTO bad
  FROM jsonb_each(variants) v CROSS JOIN LATERAL jsonb_each(coalesce(v.value -> section, '{}')) l
  WHERE jsonb_typeof(l.value) <> 'object' OR l.value = '{}' OR NOT EXISTS (
          SELECT 1 FROM kpi_weight kw WHERE section = 'kpi_weights' AND kw.cycle_id = cycle AND kw.level::text = l.key
          UNION ALL
          SELECT 1 FROM appraisal_component_weight cw
          WHERE section = 'component_weights' AND cw.cycle_id = cycle AND cw.level::text = l.key)
  ORDER BY 1, 2 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'variant "%": % of level "%" must be a non-empty object, for a level appraisal cycle % weighs',
                    bad.variant, section, bad.level, cycle
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'A what-if reweights the levels the cycle has weights for; it cannot add a level.';
  END IF;
  SELECT v.key AS variant, l.key AS level, k.key, k.value INTO bad
  FROM jsonb_each(variants) v CROSS JOIN LATERAL jsonb_each(coalesce(v.value -> section, '{}')) l
  CROSS JOIN LATERAL jsonb_each(l.value) k
  CROSS JOIN LATERAL (SELECT CASE WHEN jsonb_typeof(k.value) = 'number' THEN (k.value #>> '{}')::numeric END AS w) n
  WHERE NOT coalesce(n.w > 0 AND n.w <= 100, false)
     OR NOT EXISTS (
          SELECT 1 FROM kpi_weight kw JOIN kpi_definition d ON d.kpi_id = kw.kpi_id
          WHERE section = 'kpi_weights' AND kw.cycle_id = cycle AND kw.level::text = l.key
            AND (d.code = k.key OR d.kpi_id::text = k.key)
          UNION ALL
          SELECT 1 FROM unnest(enum_range(NULL::appraisal_component)) c
          WHERE section = 'component_weights' AND c::text = k.key)
  ORDER BY 1, 2, 3 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'variant "%": bad weight % for "%" of level "%" in %', bad.variant, bad.value, bad.key, bad.level, section
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = CASE section WHEN 'kpi_weights'
                       THEN 'A KPI weight names a KPI (code or id) appraisal cycle ' || cycle || ' measures for the level, with a number in (0, 100].'
                       ELSE 'Components: ' || array_to_string(enum_range(NULL::appraisal_component), ', ') || '; a weight is a number in (0, 100].' END;
  END IF;
  SELECT v.key AS variant, l.key AS level, sum((k.value #>> '{}')::numeric) AS total INTO bad
  FROM jsonb_each(variants) v CROSS JOIN LATERAL jsonb_each(coalesce(v.value -> section, '{}')) l
  CROSS JOIN LATERAL jsonb_each(l.value) k
  GROUP BY 1, 2 HAVING sum((k.value #>> '{}')::numeric) <> 100 ORDER BY 1, 2 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'variant "%": % of level "%" sum to %, not 100', bad.variant, section, bad.level, bad.total
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
END
$fn$;
COMMENT ON FUNCTION appraisal_what_if_check_weights(integer, jsonb, text) IS
'Internal, part of appraisal_what_if_check: refuses (22023) a variant whose kpi_weights or component_weights (section) names a level the cycle has no such weights for, a KPI not measured for the level in the cycle or an unknown component, a weight that is no number in (0, 100], or weights of a level not summing to 100.';
REVOKE ALL ON FUNCTION appraisal_what_if_check_weights(integer, jsonb, text) FROM PUBLIC;

-- appraisal_what_if_check: the variants are a non-empty object of named
-- objects with known keys only; curves name known KPIs and parse as score
-- curves; grades name every grade of the cycle's policy, each share in
-- [0, 100], summing to 100; group_by is level or team; then the weights.
CREATE FUNCTION appraisal_what_if_check(cycle integer, variants jsonb)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  bad record;
BEGIN
  IF variants IS NULL THEN
    RAISE EXCEPTION 'variants must not be null' USING ERRCODE = 'null_value_not_allowed',
      HINT = 'Pass a JSON object of named variants, for example {"as is": {}}.';
  END IF;
  IF jsonb_typeof(variants) <> 'object' OR variants = '{}'
     OR EXISTS (SELECT 1 FROM jsonb_each(variants) v WHERE jsonb_typeof(v.value) <> 'object' OR btrim(v.key) = '') THEN
    RAISE EXCEPTION 'variants must be a non-empty JSON object of named variants, each an object, got %', variants
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'For example {"more sales": {"kpi_weights": {"sales_rep": {"sales": 60, ...}}}}.';
  END IF;
  SELECT v.key AS variant, k.key INTO bad
  FROM jsonb_each(variants) v CROSS JOIN LATERAL jsonb_each(v.value) k
  WHERE k.key NOT IN ('kpi_weights', 'curves', 'component_weights', 'grades', 'group_by')
     OR (k.key <> 'group_by' AND jsonb_typeof(k.value) <> 'object')
     OR (k.key = 'group_by' AND coalesce(k.value #>> '{}', '') NOT IN ('level', 'team'))
  ORDER BY 1, 2 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'variant "%": unknown key or bad value "%"', bad.variant, bad.key
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'Keys: kpi_weights, curves, component_weights, grades (objects) and group_by ("level" or "team").';
  END IF;
  SELECT v.key AS variant, c.key INTO bad
  FROM jsonb_each(variants) v CROSS JOIN LATERAL jsonb_each(coalesce(v.value -> 'curves', '{}')) c
  WHERE jsonb_typeof(c.value) <> 'string'
     OR NOT EXISTS (SELECT 1 FROM kpi_definition d WHERE d.code = c.key OR d.kpi_id::text = c.key)
  ORDER BY 1, 2 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'variant "%": curve of unknown KPI "%", or not a string', bad.variant, bad.key
      USING ERRCODE = 'invalid_parameter_value', HINT = 'For example {"curves": {"sales": "linear[(0.5,0),(1,100),(1.5,150)]"}}.';
  END IF;
  PERFORM (c.value #>> '{}')::score_curve   -- a bad curve is refused by the type
  FROM jsonb_each(variants) v CROSS JOIN LATERAL jsonb_each(coalesce(v.value -> 'curves', '{}')) c;
  SELECT v.key AS variant, array_to_string(array_agg(g.key ORDER BY g.key), ', ') AS grades, sum(n.s) AS total INTO bad
  FROM jsonb_each(variants) v CROSS JOIN LATERAL jsonb_each(v.value -> 'grades') g
  CROSS JOIN LATERAL (SELECT CASE WHEN jsonb_typeof(g.value) = 'number' THEN (g.value #>> '{}')::numeric END AS s) n
  GROUP BY v.key
  HAVING array_agg(g.key ORDER BY g.key) IS DISTINCT FROM
           (SELECT array_agg(gp.grade ORDER BY gp.grade) FROM grade_policy gp WHERE gp.cycle_id = cycle)
      OR NOT bool_and(coalesce(n.s BETWEEN 0 AND 100, false)) OR sum(n.s) IS DISTINCT FROM 100
  ORDER BY 1 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'variant "%": grades % with shares summing to % are not a distribution of the grades of appraisal cycle %',
                    bad.variant, bad.grades, coalesce(bad.total::text, 'NULL'), cycle
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('The grades are %s; each needs a share in [0, 100], together 100.',
                            (SELECT string_agg(gp.grade, ', ' ORDER BY gp.ordinal) FROM grade_policy gp WHERE gp.cycle_id = cycle));
  END IF;
  PERFORM appraisal_what_if_check_weights(cycle, variants, 'kpi_weights');
  PERFORM appraisal_what_if_check_weights(cycle, variants, 'component_weights');
END
$fn$;
COMMENT ON FUNCTION appraisal_what_if_check(integer, jsonb) IS
'Internal: refuses NULL variants (22004) and (22023) variants that are no non-empty object of named objects, an unknown key, group_by other than level or team, a curve of an unknown KPI or that is no score curve, grades other than the cycle''s grades or shares outside [0, 100] or not summing to 100, and bad weights (appraisal_what_if_check_weights).';
REVOKE ALL ON FUNCTION appraisal_what_if_check(integer, jsonb) FROM PUBLIC;

-- appraisal_what_if: each variant's ranking next to the current one, both
-- by appraisal_ranking (current: variant NULL, the cycle's own grades,
-- shares and the group_by it was closed with), per member with the cost of
-- a changed grade where pay data exists -- the difference in raise,
-- round(base x (raise_pct sim - cur) / 100, 2), and in year-end bonus,
-- year_end_pay's formula at company factor 1: greatest(0, round(target bonus
-- x multiplier, 2) + reward or penalty), 0 without a grade -- and a total row
-- per variant.  Writes nothing, locks nothing.
CREATE FUNCTION appraisal_what_if(cycle integer, variants jsonb, group_by text DEFAULT 'level',
                                  login name DEFAULT current_user)
RETURNS TABLE (variant text, member_id integer, level member_level, current_score float8,
               simulated_score float8, score_difference numeric, current_grade text, simulated_grade text,
               grade_changes bigint, raise_cost numeric, bonus_cost numeric)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
  c appraisal_cycle;
  y record;
  v_grades text[];
  v_shares numeric[];
BEGIN
  PERFORM require_role(login, ARRAY['sales_supervisor_hr'], 'simulate an appraisal cycle');
  IF cycle IS NULL OR group_by IS NULL THEN
    RAISE EXCEPTION 'cycle must not be null, nor group_by' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  SELECT * INTO c FROM appraisal_cycle a WHERE a.cycle_id = appraisal_what_if.cycle;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'appraisal cycle % does not exist', cycle USING ERRCODE = 'no_data_found';
  END IF;
  IF group_by NOT IN ('level', 'team') THEN
    RAISE EXCEPTION 'group_by must be level or team, got %', group_by USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM appraisal_what_if_check(cycle, variants);
  SELECT * INTO y FROM year_bounds(c.fiscal_year);
  SELECT array_agg(g.grade ORDER BY g.ordinal), array_agg(g.distribution_pct ORDER BY g.ordinal)
    INTO v_grades, v_shares FROM grade_policy g WHERE g.cycle_id = appraisal_what_if.cycle;
  IF v_grades IS NULL OR array_position(v_shares, NULL) IS NOT NULL THEN
    RAISE EXCEPTION 'appraisal cycle % has no forced distribution in its grade policy', cycle
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  RETURN QUERY
  WITH cur AS MATERIALIZED (
    SELECT * FROM appraisal_ranking(c.cycle_id, group_by, v_grades, v_shares, y.start_on, y.end_on, NULL)),
  sim AS (
    SELECT v.key AS variant, r.*
    FROM jsonb_each(variants) v
    CROSS JOIN LATERAL appraisal_ranking(
      c.cycle_id, coalesce(v.value ->> 'group_by', group_by), v_grades,
      ARRAY(SELECT coalesce((v.value -> 'grades' ->> g)::numeric, s) FROM unnest(v_grades, v_shares) u(g, s)),
      y.start_on, y.end_on, v.value) r),
  pair AS (
    SELECT s.variant, s.member_id, cu.level, cu.final_score AS cur_score, s.final_score AS sim_score,
           cu.grade AS cur_grade, s.grade AS sim_grade, p.base_salary,
           round(p.base_salary * coalesce(b.target_bonus_pct, 0) / 100, 2) AS target_bonus,
           gc.raise_pct AS cur_raise, gs.raise_pct AS sim_raise,
           CASE WHEN cu.grade IS NULL THEN 0
                ELSE greatest(0, round(round(p.base_salary * coalesce(b.target_bonus_pct, 0) / 100, 2) * gc.bonus_multiplier, 2)
                                 + gc.reward_or_penalty) END AS cur_bonus,
           CASE WHEN s.grade IS NULL THEN 0
                ELSE greatest(0, round(round(p.base_salary * coalesce(b.target_bonus_pct, 0) / 100, 2) * gs.bonus_multiplier, 2)
                                 + gs.reward_or_penalty) END AS sim_bonus
    FROM sim s
    JOIN cur cu ON cu.member_id = s.member_id
    LEFT JOIN grade_policy gc ON gc.cycle_id = c.cycle_id AND gc.grade = cu.grade
    LEFT JOIN grade_policy gs ON gs.cycle_id = c.cycle_id AND gs.grade = s.grade
    LEFT JOIN pay p ON p.member_id = s.member_id AND p.fiscal_year = c.fiscal_year
    LEFT JOIN bonus_target b ON b.fiscal_year = c.fiscal_year AND b.level = cu.level)
  SELECT x.variant, x.member_id,
         CASE WHEN grouping(x.member_id) = 0 THEN max(x.level) END,
         CASE WHEN grouping(x.member_id) = 0 THEN max(x.cur_score) END,
         CASE WHEN grouping(x.member_id) = 0 THEN max(x.sim_score) END,
         CASE WHEN grouping(x.member_id) = 0 THEN max(x.sim_score)::numeric - max(x.cur_score)::numeric END,
         CASE WHEN grouping(x.member_id) = 0 THEN max(x.cur_grade) END,
         CASE WHEN grouping(x.member_id) = 0 THEN max(x.sim_grade) END,
         count(*) FILTER (WHERE x.cur_grade IS DISTINCT FROM x.sim_grade),
         sum(round(x.base_salary * (coalesce(x.sim_raise, 0) - coalesce(x.cur_raise, 0)) / 100, 2)),
         sum(CASE WHEN x.base_salary IS NOT NULL THEN x.sim_bonus - x.cur_bonus END)
  FROM pair x
  GROUP BY GROUPING SETS ((x.variant, x.member_id), (x.variant))
  ORDER BY 1, 2 NULLS LAST;
END
$fn$;
COMMENT ON FUNCTION appraisal_what_if(integer, jsonb, text, name) IS
'What-if of an appraisal cycle: runs each variant -- a JSON object of named variants, each overriding any of kpi_weights {"level": {"KPI code or id": weight}}, curves {"KPI code or id": "curve"} (KPIs rescored from their stored attainment), component_weights {"level": {"component": weight}}, grades {"grade": distribution_pct} (every grade of the cycle) and group_by -- over the cycle''s current inputs, through the same computation as closing, next to the current settings (group_by: the grouping the cycle was calibrated or closed with). Returns per variant and member appraised the current and simulated final score and grade and the score difference, grade_changes (1 when the grade changes), and where a pay row exists the cost of the grade change: raise_cost = round(base x (raise_pct simulated - current) / 100, 2), bonus_cost = the difference in year-end bonus at company factor 1 (greatest(0, round(target bonus x multiplier, 2) + reward or penalty), 0 without a grade); and per variant a total row (member_id NULL): members changing grade and the summed costs. Writes nothing, takes no lock. HR only.';
REVOKE ALL ON FUNCTION appraisal_what_if(integer, jsonb, text, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION appraisal_what_if(integer, jsonb, text, name) TO sales_supervisor_hr;
