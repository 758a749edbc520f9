-- Layer 4, the sales year: the demo organisation generator.
--
-- generate_demo_org() fills the empty data model with a realistic sales
-- organisation: a team tree, members with login-role names, customers with a
-- Pareto-like size skew, contacts, return visits, feedback, surveys, a year of
-- sales lines with seasonal months and a few top performers, split credits and
-- refunds, pipeline, forecasts, the fiscal calendar, tasks, training, work
-- reports, and an appraisal cycle (weights, KPIs, grades, promotion rules) in
-- the reviewing state with 360-degree reviews.
--
-- generate_demo_org checks its arguments and calls one short function per
-- part, in order (demo_org_reset, demo_org_reference, demo_org_teams, ...):
-- each part reads the scratch tables (pg_temp.demo_*, dropped at commit) of
-- the parts before it.  The parts are not executable by PUBLIC, and nobody is
-- granted them: like generate_demo_org, they are for the extension owner.
--
-- Determinism: every random draw is demo_random(seed, n, salt), a hash of the
-- seed, the row number and a per-draw salt (hashint8extended), so the result
-- does not depend on plan or evaluation order (and random() is not used at all).
-- Ids are assigned explicitly in row order and the identity sequences are moved
-- past them.

CREATE FUNCTION demo_random(seed integer, n bigint, salt integer)
RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN ((pg_catalog.hashint8extended(n OPERATOR(pg_catalog.*) 1009 OPERATOR(pg_catalog.+) salt, seed)
         OPERATOR(pg_catalog.&) 9007199254740991)::double precision)
       OPERATOR(pg_catalog./) 9007199254740992.0::double precision;
COMMENT ON FUNCTION demo_random(integer, bigint, integer) IS
'Deterministic uniform number in [0, 1) for the demo generator: a hash of (seed, n, salt). Same arguments, same number, on every plan and platform.';

-- The entry point: checks the arguments, then runs the parts in the order
-- their rows depend on each other, and reports the row counts.
CREATE FUNCTION generate_demo_org(seed integer DEFAULT 42, teams integer DEFAULT 12,
                                  depth integer DEFAULT 3, reps integer DEFAULT 60,
                                  customers integer DEFAULT 2000, sales_lines integer DEFAULT 100000,
                                  surveys integer DEFAULT 3000, reviews_per_member integer DEFAULT 4,
                                  year integer DEFAULT 2025, replace boolean DEFAULT false,
                                  changes boolean DEFAULT false, billing boolean DEFAULT false)
RETURNS TABLE (table_name text, row_count bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
  p_seed    integer := generate_demo_org.seed;
  p_teams   integer := generate_demo_org.teams;
  p_depth   integer := generate_demo_org.depth;
  p_reps    integer := generate_demo_org.reps;
  p_cust    integer := generate_demo_org.customers;
  p_lines   integer := generate_demo_org.sales_lines;
  p_surveys integer := generate_demo_org.surveys;
  p_rpm     integer := generate_demo_org.reviews_per_member;
  p_year    integer := generate_demo_org.year;
  v_cycle   integer;
  v_n       bigint;
  -- month shares in percent (sum 100): slow first quarter, strong year end
  v_season  numeric[] := ARRAY[6.5, 6.0, 7.5, 8.0, 8.0, 7.5, 7.0, 7.0, 8.5, 9.0, 10.5, 14.5];
  v_tab     text;
BEGIN
  -- ---- arguments
  IF p_seed IS NULL OR p_teams IS NULL OR p_depth IS NULL OR p_reps IS NULL OR p_cust IS NULL
     OR p_lines IS NULL OR p_surveys IS NULL OR p_rpm IS NULL OR p_year IS NULL OR replace IS NULL
     OR changes IS NULL OR billing IS NULL THEN
    RAISE EXCEPTION 'generate_demo_org arguments must not be null' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF p_teams < 1 OR p_teams > 100000 THEN
    RAISE EXCEPTION 'teams must be between 1 and 100000, got %', p_teams USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p_depth < 1 OR p_depth > 20 THEN
    RAISE EXCEPTION 'depth must be between 1 and 20, got %', p_depth USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p_reps < 1 THEN
    RAISE EXCEPTION 'reps must be at least 1, got %', p_reps USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p_cust < 1 THEN
    RAISE EXCEPTION 'customers must be at least 1, got %', p_cust USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p_lines < 0 OR p_surveys < 0 THEN
    RAISE EXCEPTION 'sales_lines and surveys must not be negative, got % and %', p_lines, p_surveys
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p_rpm < 0 OR p_rpm > 20 THEN
    RAISE EXCEPTION 'reviews_per_member must be between 0 and 20, got %', p_rpm USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p_year < 1901 OR p_year > 9998 THEN
    RAISE EXCEPTION 'year must be between 1901 and 9998, got %', p_year USING ERRCODE = 'invalid_parameter_value';
  END IF;

  -- ---- the parts, each reading the scratch tables of the ones before it
  PERFORM demo_org_reset(replace);
  PERFORM demo_org_reference(p_year, v_season);
  PERFORM demo_org_teams(p_teams, p_depth, p_year);
  PERFORM demo_org_members(p_seed, p_teams, p_reps, p_year);
  PERFORM demo_org_customers(p_seed, p_teams, p_reps, p_cust, p_lines, p_year);
  PERFORM demo_org_visits_feedback_surveys(p_seed, p_cust, p_surveys, p_year);
  PERFORM demo_org_sales(p_seed, p_year, v_season, billing);
  PERFORM demo_org_split_credits(p_seed);
  PERFORM demo_org_pipeline_forecasts(p_seed, p_cust, p_year);
  PERFORM demo_org_tasks_training_reports(p_seed, p_year);
  v_cycle := demo_org_appraisal_setup(p_year);
  PERFORM demo_org_reviews(p_seed, p_rpm, p_year, v_cycle);
  PERFORM demo_org_pay(p_seed, p_year);
  IF changes THEN
    PERFORM demo_org_changes(p_seed, p_year);
  END IF;
  IF billing THEN
    PERFORM demo_org_billing(p_seed, p_year);
  END IF;
  PERFORM demo_org_sequences_statistics();

  -- ---- what was made
  FOR v_tab IN SELECT unnest(ARRAY['team', 'member', 'customer', 'customer_contact', 'customer_visit',
                                   'feedback', 'survey_response', 'sale', 'sale_credit', 'opportunity',
                                   'forecast', 'task', 'training_session', 'training_attendance',
                                   'work_report', 'review', 'review_score', 'pay']
                                 || CASE WHEN billing THEN ARRAY['invoice', 'invoice_payment', 'spiff'] ELSE '{}' END) LOOP
    EXECUTE format('SELECT count(*) FROM sales_supervisor.%I', v_tab) INTO v_n;
    table_name := v_tab;
    row_count := v_n;
    RETURN NEXT;
  END LOOP;
END
$fn$;
COMMENT ON FUNCTION generate_demo_org(integer, integer, integer, integer, integer, integer, integer, integer, integer, boolean, boolean, boolean) IS
'Fills the empty data model with a deterministic demo organisation (same seed, same rows): teams in a tree of the given depth, leaders and reps with login-role names ss_demo_<member_id> (roles are not created), Pareto-sized customers, visits, feedback, surveys, a year of seasonal sales lines with top performers, split credits and refunds, pipeline, forecasts, fiscal periods, tasks, training, work reports, and an appraisal cycle in state reviewing with 360-degree reviews. Errors if data exists unless replace => true (which truncates every table but the audit log). With changes => true the year also has the changes of a real one: about 5 % of the reps move team on a day between March and October with their customers, about 2 % new reps are hired on days through the year (a customer and sales lines of their own after the hire), and about 2 % of the reps take a leave of 2 to 8 weeks. With billing => true the sales lines are billed: one invoice per customer and month (issued on its last day, due 30 days later; a refund line is a credit note on its line''s invoice), paid -- 80 % in full around the due date, 12 % half on time and the rest late, 5 % 40 to 90 days late, 3 % not at all -- and a year-end SPIFF (10 per line of the first category in the fourth quarter, at most 300 a rep). Run as the extension owner: it drops and re-creates the sales indexes and foreign keys around the bulk insert, and analyzes the extension''s tables at the end. Returns the row count of each table filled.';
REVOKE ALL ON FUNCTION generate_demo_org(integer, integer, integer, integer, integer, integer, integer, integer, integer, boolean, boolean, boolean) FROM PUBLIC;

-- demo_org_changes: the changes of a real year (generate_demo_org(changes =>
-- true)), seeded like the rest: about 5 % of the reps (at least one) move on
-- a day between March and October to the next leaf team, with their
-- customers (the territory is handed over) and their new team's leader as
-- manager (transfer_member records the dated assignment); about 2 % new reps
-- (at least one) are hired on days through the year, each with a customer of
-- their own, 30 sales lines after the hire and a pay row; about 2 % of the reps (at
-- least one) take a leave of 2 to 8 weeks (member_leave).
CREATE FUNCTION demo_org_changes(p_seed integer, p_year integer)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  r        record;
  v_hire   integer := greatest(1, round((SELECT count(*) FROM demo_member WHERE NOT is_leader) * 0.02)::integer);
  v_member integer := (SELECT max(member_id) FROM member);
  v_cust   integer := (SELECT max(customer_id) FROM customer);
BEGIN
  CREATE TEMP TABLE demo_leaf ON COMMIT DROP AS
  SELECT team_id, row_number() OVER (ORDER BY team_id) AS i, count(*) OVER () AS n FROM demo_team WHERE is_leaf;
  FOR r IN SELECT m.member_id, m.team_id AS from_team, l2.team_id AS to_team,
                  make_date(p_year, 3, 1) + floor(demo_random(p_seed, m.member_id, 32) * 245)::integer AS on_day
           FROM demo_member m JOIN demo_leaf l ON l.team_id = m.team_id JOIN demo_leaf l2 ON l2.i = l.i % l.n + 1
           WHERE NOT m.is_leader AND l.n > 1
             AND (demo_random(p_seed, m.member_id, 31) < 0.05
                  OR m.member_id = (SELECT min(x.member_id) FROM demo_member x WHERE NOT x.is_leader))
           ORDER BY m.member_id LOOP
    PERFORM transfer_member(r.member_id, r.to_team, r.on_day, 'demo: moved team');
    UPDATE member SET manager_id = r.to_team WHERE member_id = r.member_id;
    UPDATE customer SET team_id = r.to_team WHERE owner_id = r.member_id;
  END LOOP;
  INSERT INTO member (member_id, full_name, email, level, team_id, manager_id, hire_date, active, login_role)
  SELECT v_member + g, format('New Hire %s', g), format('member%s@demo.example', v_member + g), 'sales_rep',
         l.team_id, l.team_id, make_date(p_year, 1, 1) + floor(demo_random(p_seed, 900000 + g, 33) * 300)::integer,
         true, format('ss_demo_%s', v_member + g)
  FROM generate_series(1, v_hire) g JOIN demo_leaf l ON l.i = (g - 1) % l.n + 1;
  INSERT INTO customer (customer_id, name, industry, region, tier, team_id, owner_id, since)
  SELECT v_cust + g, format('New Account %s', g), 'Retail', 'North', (SELECT min(tier) FROM visit_cadence),
         m.team_id, m.member_id, m.hire_date
  FROM generate_series(1, v_hire) g JOIN member m ON m.member_id = v_member + g;
  INSERT INTO sale (sold_on, member_id, customer_id, category_id, amount)
  SELECT m.hire_date + floor(demo_random(p_seed, 950000 + 100 * g + k, 34) * (make_date(p_year, 12, 31) - m.hire_date + 1))::integer,
         m.member_id, v_cust + g, (SELECT min(category_id) FROM product_category),
         round((200 + demo_random(p_seed, 960000 + 100 * g + k, 35) * 3000)::numeric, 2)
  FROM generate_series(1, v_hire) g JOIN member m ON m.member_id = v_member + g
  CROSS JOIN generate_series(1, 30) k
  ORDER BY 1, 2;
  INSERT INTO pay (member_id, fiscal_year, base_salary, commission, year_end_bonus)
  SELECT m.member_id, p_year, 96000 + 1000 * floor(demo_random(p_seed, m.member_id, 130) * 24),
         round(0.03 * (SELECT sum(s.amount) FROM sale s WHERE s.member_id = m.member_id), 2), 0
  FROM generate_series(1, v_hire) g JOIN member m ON m.member_id = v_member + g;
  INSERT INTO member_leave (member_id, during, reason)
  SELECT m.member_id, daterange(d, d + 14 + floor(demo_random(p_seed, m.member_id, 37) * 43)::integer),
         'demo: leave of absence'
  FROM demo_member m
  CROSS JOIN LATERAL (SELECT make_date(p_year, 2, 1) + floor(demo_random(p_seed, m.member_id, 36) * 270)::integer AS d) x
  WHERE NOT m.is_leader
    AND (demo_random(p_seed, m.member_id, 38) < 0.02
         OR m.member_id = (SELECT max(y.member_id) FROM demo_member y WHERE NOT y.is_leader))
  ORDER BY m.member_id;
END
$fn$;
COMMENT ON FUNCTION demo_org_changes(integer, integer) IS
'Part of generate_demo_org (changes => true): about 5 % of the reps move team mid-year with their customers (transfer_member), about 2 % new reps are hired on days through the year with a customer and 30 sales lines after the hire, about 2 % of the reps take a leave of 2 to 8 weeks; seeded.';
REVOKE ALL ON FUNCTION demo_org_changes(integer, integer) FROM PUBLIC;

-- demo_org_billing: the payments of the invoices demo_org_sales billed
-- (generate_demo_org(billing => true)), seeded per invoice: 80 % paid in full
-- between 10 days before and 10 days after the due date; 12 % half by the
-- due date and the rest 30 to 60 days after it; 5 % in full 40 to 90 days
-- late (past a 30-day clawback horizon); 3 % not paid.  And a year-end SPIFF:
-- 10 per line of the first category sold in the fourth quarter, at most 300.
CREATE FUNCTION demo_org_billing(p_seed integer, p_year integer)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
BEGIN
  INSERT INTO invoice_payment (invoice_id, paid_on, amount, recorded_at)
  SELECT i.invoice_id, x.paid_on, x.amount, x.paid_on::timestamptz
  FROM invoice i
  CROSS JOIN LATERAL (SELECT demo_random(p_seed, i.invoice_id, 70) AS r, demo_random(p_seed, i.invoice_id, 71) AS d) k
  CROSS JOIN LATERAL (VALUES
      (CASE WHEN k.r < 0.80 THEN i.due_on - 10 + floor(k.d * 21)::integer
            WHEN k.r < 0.92 THEN i.due_on - floor(k.d * 10)::integer
            WHEN k.r < 0.97 THEN i.due_on + 40 + floor(k.d * 51)::integer END,
       CASE WHEN k.r < 0.80 OR k.r >= 0.92 THEN i.total ELSE round(i.total / 2, 2) END),
      (CASE WHEN k.r >= 0.80 AND k.r < 0.92 THEN i.due_on + 30 + floor(k.d * 31)::integer END,
       i.total - round(i.total / 2, 2))) x(paid_on, amount)
  WHERE i.total > 0 AND x.paid_on IS NOT NULL AND x.amount > 0
  ORDER BY i.invoice_id, x.paid_on;
  INSERT INTO spiff (name, category_id, period_id, per, amount, cap)
  SELECT 'Year-end push', (SELECT min(category_id) FROM product_category), fp.period_id, 'line', 10, 300
  FROM fiscal_period fp WHERE fp.kind = 'quarter' AND fp.fiscal_year = p_year AND fp.quarter = 4;
END
$fn$;
COMMENT ON FUNCTION demo_org_billing(integer, integer) IS
'Part of generate_demo_org (billing => true): the payments of the invoices -- 80 % in full around the due date, 12 % half on time and half 30 to 60 days late, 5 % 40 to 90 days late, 3 % unpaid -- each recorded on the day it is paid, and a fourth-quarter SPIFF (10 a line of the first category, at most 300); seeded.';
REVOKE ALL ON FUNCTION demo_org_billing(integer, integer) FROM PUBLIC;

-- demo_org_reset: the "empty model, or replace" step.  Refuses a model that
-- holds data unless replace; then truncates every table of the user's data.
-- Which tables those are is written down once, in the catalog: the install
-- script registers them with pg_extension_config_dump so that pg_dump carries
-- their rows (pg_extension.extconfig).  The list is that registry, in the
-- order of registration, less
--  * the tables registered with a filter (extcondition not ''): their rows are
--    the install script's own (commission_run_gate, 'WHERE false': its one row
--    is the lock every commission run takes), and
--  * the tables a new demo org deliberately keeps (v_kept, a reason each).
-- A table added to the data model later is truncated as soon as it is
-- registered for pg_dump.  Sequences are in extconfig too; only tables are
-- listed, and RESTART IDENTITY restarts the identity sequences they own.
-- Also drops the scratch tables an earlier call in this transaction left.
CREATE FUNCTION demo_org_reset(p_replace boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  v_kept text[] := ARRAY[
    'audit_log',                     -- the audit trail outlives the data it audits (and refuses TRUNCATE)
    'job_setting', 'ops_setting',    -- the operator's schedule and settings of the jobs, not org data
    'ops_time_zone',                 --   (and the company's time zone)
    'pace_team_setting',             -- the operator's risk settings (pace and team risk
    'customer_risk_setting',         --   read their one row), not org data
    'job_log', 'job_month',          -- the history of the scheduled jobs' runs (and the months done)
    'visit_overdue_flag',            -- derived, no foreign keys: the daily job clears the flags
    'feedback_overdue_flag'];        --   of rows that are gone at its next run
  v_list text;
  v_tab  text;
BEGIN
  IF EXISTS (SELECT 1 FROM team) OR EXISTS (SELECT 1 FROM member) OR EXISTS (SELECT 1 FROM customer)
     OR EXISTS (SELECT 1 FROM sale) OR EXISTS (SELECT 1 FROM fiscal_period)
     OR EXISTS (SELECT 1 FROM appraisal_cycle) OR EXISTS (SELECT 1 FROM visit_cadence)
     OR EXISTS (SELECT 1 FROM product_category) OR EXISTS (SELECT 1 FROM kpi_definition) THEN
    IF NOT p_replace THEN
      RAISE EXCEPTION 'the data model already holds data'
        USING ERRCODE = 'object_not_in_prerequisite_state',
              HINT = 'Call generate_demo_org(..., replace => true) to delete every row (the audit log is kept) and generate again.';
    END IF;
    SELECT string_agg(format('%I.%I', n.nspname, c.relname), ', ' ORDER BY x.ord) INTO v_list
    FROM pg_extension e
    CROSS JOIN LATERAL unnest(e.extconfig, e.extcondition) WITH ORDINALITY AS x(rel, cond, ord)
    JOIN pg_class c ON c.oid = x.rel
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE e.extname = 'sales_supervisor' AND c.relkind IN ('r', 'p') AND x.cond = ''
      AND c.relname <> ALL (v_kept);
    -- TRUNCATE refuses a table with pending trigger events: the deferred
    -- checks of rows written earlier in this transaction (an earlier call)
    -- run now, then the two constraint triggers are deferred again (their
    -- declared mode) for the rows this call writes.
    SET CONSTRAINTS sales_supervisor.sale_credit_sum_100, sales_supervisor.seasonal_distribution_complete IMMEDIATE;
    EXECUTE 'TRUNCATE ' || v_list || ' RESTART IDENTITY';
    SET CONSTRAINTS sales_supervisor.sale_credit_sum_100, sales_supervisor.seasonal_distribution_complete DEFERRED;
  END IF;

  -- scratch tables of an earlier call in the same transaction
  FOR v_tab IN SELECT unnest(ARRAY['demo_team', 'demo_member', 'demo_customer', 'demo_team_reps',
                                   'demo_split', 'demo_sold', 'demo_first_customer', 'demo_review']) LOOP
    IF to_regclass('pg_temp.' || v_tab) IS NOT NULL THEN
      EXECUTE format('DROP TABLE pg_temp.%I', v_tab);
    END IF;
  END LOOP;
END
$fn$;
COMMENT ON FUNCTION demo_org_reset(boolean) IS
'Part of generate_demo_org: errors if the data model holds data unless p_replace; then truncates (RESTART IDENTITY) every table registered for pg_dump in pg_extension.extconfig without a filter, except audit_log, job_setting, ops_setting, ops_time_zone, pace_team_setting, customer_risk_setting, job_log, job_month and the two overdue-flag tables; drops the generator''s scratch tables left by an earlier call in the transaction.';
REVOKE ALL ON FUNCTION demo_org_reset(boolean) FROM PUBLIC;

-- demo_org_reference: the vocabularies and the calendar every later part
-- refers to: visit cadences by tier, product categories, the fiscal year
-- with its quarters and months, and the seasonal distribution of p_season.
CREATE FUNCTION demo_org_reference(p_year integer, p_season numeric[])
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
BEGIN
  INSERT INTO visit_cadence (tier, every_days, description) VALUES
    ('A', 30, 'key account: visit monthly'),
    ('B', 60, 'important account: visit every two months'),
    ('C', 120, 'regular account: visit every four months');
  INSERT INTO product_category (category_id, name, description)
  SELECT i, n, d FROM (VALUES
    (1, 'Hardware', 'devices and spare parts'), (2, 'Software', 'licences'),
    (3, 'Subscriptions', 'recurring services'), (4, 'Consulting', 'projects and advice'),
    (5, 'Training', 'courses for customers'), (6, 'Support', 'support contracts'),
    (7, 'Consumables', 'supplies'), (8, 'Installation', 'on-site work')) v(i, n, d);

  INSERT INTO fiscal_period (period_id, kind, fiscal_year, quarter, month, start_on, end_on)
  SELECT 1, 'year'::period_kind, p_year, NULL::smallint, NULL::smallint, make_date(p_year, 1, 1), make_date(p_year, 12, 31)
  UNION ALL
  SELECT 1 + q, 'quarter', p_year, q::smallint, NULL, make_date(p_year, 3 * q - 2, 1),
         (make_date(p_year, 3 * q - 2, 1) + interval '3 months' - interval '1 day')::date
  FROM generate_series(1, 4) q
  UNION ALL
  SELECT 5 + m, 'month', p_year, ((m + 2) / 3)::smallint, m::smallint, make_date(p_year, m, 1),
         (make_date(p_year, m, 1) + interval '1 month' - interval '1 day')::date
  FROM generate_series(1, 12) m;

  INSERT INTO seasonal_distribution (name, fiscal_year, month, share_pct)
  SELECT 'default', p_year, m, x FROM unnest(p_season) WITH ORDINALITY AS u(x, m);
END
$fn$;
COMMENT ON FUNCTION demo_org_reference(integer, numeric[]) IS
'Part of generate_demo_org: visit cadences (tiers A, B, C), eight product categories, the fiscal periods of p_year (year, quarters, months) and its default seasonal distribution p_season (monthly shares in percent).';
REVOKE ALL ON FUNCTION demo_org_reference(integer, numeric[]) FROM PUBLIC;

-- demo_org_teams: the team tree, in the scratch table demo_team (parent and
-- leaf flag, read by the members and training parts) and in team.
CREATE FUNCTION demo_org_teams(p_teams integer, p_depth integer, p_year integer)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  v_roots   integer;
  v_branch  integer := 1;
BEGIN
  -- ---- team tree: v_roots departments, each team with v_branch children
  -- (heap order), enough levels to hold every team within depth levels.
  v_roots := CASE WHEN p_depth = 1 THEN p_teams ELSE greatest(1, ceil(p_teams / 6.0)::integer) END;
  IF p_depth > 1 THEN
    WHILE (SELECT sum(power(v_branch, l)) * v_roots FROM generate_series(0, p_depth - 1) l) < p_teams LOOP
      v_branch := v_branch + 1;
    END LOOP;
  END IF;
  CREATE TEMP TABLE demo_team ON COMMIT DROP AS
  SELECT k + 1 AS team_id,
         CASE WHEN k < v_roots THEN NULL ELSE (k - v_roots) / v_branch + 1 END AS parent_id
  FROM generate_series(0, p_teams - 1) k;
  ALTER TABLE demo_team ADD COLUMN is_leaf boolean;
  UPDATE demo_team t SET is_leaf = NOT EXISTS (SELECT 1 FROM demo_team c WHERE c.parent_id = t.team_id);

  INSERT INTO team (team_id, name, parent_id, created_on)
  SELECT t.team_id,
         CASE WHEN t.parent_id IS NULL THEN format('Sales Department %s', t.team_id)
              ELSE format('Team %s-%s', t.parent_id, t.team_id) END,
         t.parent_id, make_date(p_year - 6, 1, 1)
  FROM demo_team t ORDER BY t.team_id;
END
$fn$;
COMMENT ON FUNCTION demo_org_teams(integer, integer, integer) IS
'Part of generate_demo_org: p_teams teams in a tree at most p_depth levels deep (departments at the top, heap order), as team rows and the scratch table demo_team.';
REVOKE ALL ON FUNCTION demo_org_teams(integer, integer, integer) FROM PUBLIC;

-- demo_org_members: leaders and reps, in the scratch table demo_member (with
-- the talent that drives their sales and review scores) and in member and
-- team_leader.
CREATE FUNCTION demo_org_members(p_seed integer, p_teams integer, p_reps integer, p_year integer)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
BEGIN
  -- ---- members: the leader of team k is member k; reps follow, spread
  -- round-robin over the leaf teams.  talent drives sales: log-normal around 1,
  -- and 5 % top performers at 1.8x.
  CREATE TEMP TABLE demo_member ON COMMIT DROP AS
  SELECT t.team_id AS member_id, t.team_id, true AS is_leader,
         CASE WHEN t.parent_id IS NULL THEN 'sales_manager'::member_level
              ELSE 'sales_customer_supervisor'::member_level END AS level,
         (SELECT p.team_id FROM demo_team p WHERE p.team_id = t.parent_id) AS manager_id,
         1.0::double precision AS talent
  FROM demo_team t
  UNION ALL
  SELECT p_teams + r, l.team_id, false, 'sales_rep'::member_level, l.team_id,
         exp(0.3 * sqrt(-2 * ln(1 - demo_random(p_seed, r, 1))) * cos(2 * pi() * demo_random(p_seed, r, 2)))
           * CASE WHEN demo_random(p_seed, r, 3) < 0.05 THEN 1.8 ELSE 1 END
  FROM generate_series(1, p_reps) r
  JOIN (SELECT team_id, row_number() OVER (ORDER BY team_id) - 1 AS li, count(*) OVER () AS nl
        FROM demo_team WHERE is_leaf) l
    ON l.li = (r - 1) % l.nl;
  CREATE UNIQUE INDEX ON demo_member (member_id);

  INSERT INTO member (member_id, full_name, email, level, team_id, manager_id, hire_date, active, login_role)
  SELECT m.member_id,
         format('%s %s',
           (ARRAY['Wei','Fang','Li','Min','Jing','Lei','Yan','Tao','Hui','Jun','Anna','Ben','Chloe','David',
                  'Elena','Farid','Grace','Hugo','Ines','Jonas'])[1 + floor(demo_random(p_seed, m.member_id, 11) * 20)::integer],
           (ARRAY['Wang','Zhang','Liu','Chen','Yang','Huang','Zhao','Wu','Zhou','Xu','Smith','Garcia','Muller',
                  'Rossi','Novak','Silva','Kim','Nguyen','Okafor','Larsen'])[1 + floor(demo_random(p_seed, m.member_id, 12) * 20)::integer]),
         format('member%s@demo.example', m.member_id),
         m.level, m.team_id, m.manager_id,
         make_date(p_year, 1, 1) - (CASE WHEN m.is_leader THEN 1500 ELSE 30 END
                                    + floor(demo_random(p_seed, m.member_id, 13) * 3000))::integer,
         true,
         format('ss_demo_%s', m.member_id)
  FROM demo_member m ORDER BY m.member_id;
  INSERT INTO team_leader (team_id, member_id, since)
  SELECT t.team_id, t.team_id, make_date(p_year - 2, 1, 1) FROM demo_team t ORDER BY t.team_id;
END
$fn$;
COMMENT ON FUNCTION demo_org_members(integer, integer, integer, integer) IS
'Part of generate_demo_org: one leader per team (member k leads team k) and p_reps reps spread round-robin over the leaf teams, with login-role names ss_demo_<member_id>; the scratch table demo_member holds each one''s talent.';
REVOKE ALL ON FUNCTION demo_org_members(integer, integer, integer, integer) FROM PUBLIC;

-- demo_org_customers: customers and their contacts; the scratch table
-- demo_customer also holds each customer's share of the p_lines sales lines
-- (n_lines, first_line), which the sales part generates.
CREATE FUNCTION demo_org_customers(p_seed integer, p_teams integer, p_reps integer, p_cust integer,
                                   p_lines integer, p_year integer)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
BEGIN
  -- ---- customers: Pareto size (alpha 1.2, capped), owned round-robin by reps.
  CREATE TEMP TABLE demo_customer ON COMMIT DROP AS
  SELECT c AS customer_id,
         least(200.0, power(1 - demo_random(p_seed, c, 21), -1 / 1.2)) AS size,
         demo_random(p_seed, c, 22) AS u_tier,
         p_teams + 1 + (c - 1) % p_reps AS owner_id
  FROM generate_series(1, p_cust) c;
  ALTER TABLE demo_customer ADD COLUMN team_id integer, ADD COLUMN talent double precision,
    ADD COLUMN tier text, ADD COLUMN n_lines bigint, ADD COLUMN first_line bigint;
  UPDATE demo_customer c SET team_id = m.team_id, talent = m.talent,
         tier = CASE WHEN c.size >= 12 THEN 'A' WHEN c.size >= 3 THEN 'B' ELSE 'C' END
  FROM demo_member m WHERE m.member_id = c.owner_id;
  -- sales lines per customer in proportion to size x talent, exact total by largest remainder
  WITH w AS (SELECT customer_id, size * talent AS w, sum(size * talent) OVER () AS tw FROM demo_customer),
       s AS (SELECT customer_id, p_lines * w / tw AS share FROM w),
       f AS (SELECT customer_id, floor(share)::bigint AS base, share - floor(share) AS rem FROM s),
       r AS (SELECT customer_id, base, row_number() OVER (ORDER BY rem DESC, customer_id) AS rk,
                    p_lines - sum(base) OVER () AS left_over FROM f)
  UPDATE demo_customer c SET n_lines = r.base + CASE WHEN r.rk <= r.left_over THEN 1 ELSE 0 END
  FROM r WHERE r.customer_id = c.customer_id;
  WITH x AS (SELECT customer_id, sum(n_lines) OVER (ORDER BY customer_id) - n_lines AS before FROM demo_customer)
  UPDATE demo_customer c SET first_line = x.before + 1 FROM x WHERE x.customer_id = c.customer_id;

  INSERT INTO customer (customer_id, name, industry, region, tier, team_id, owner_id, since, profile, active)
  SELECT c.customer_id,
         format('%s %s %s',
           (ARRAY['Northern','Eastern','Golden','Blue','Pacific','United','Grand','Silver','Bright','Prime'])
             [1 + floor(demo_random(p_seed, c.customer_id, 23) * 10)::integer],
           (ARRAY['Textile','Foods','Logistics','Motors','Pharma','Retail','Energy','Machinery','Optics','Chemicals'])
             [1 + floor(demo_random(p_seed, c.customer_id, 24) * 10)::integer],
           c.customer_id),
         (ARRAY['manufacturing','retail','logistics','healthcare','energy','services'])
           [1 + floor(demo_random(p_seed, c.customer_id, 25) * 6)::integer],
         (ARRAY['North','South','East','West','Central'])[1 + floor(demo_random(p_seed, c.customer_id, 26) * 5)::integer],
         c.tier, c.team_id, c.owner_id,
         make_date(p_year, 1, 1) - floor(demo_random(p_seed, c.customer_id, 27) * 2500)::integer,
         format('size index %s', round(c.size::numeric, 2)),
         true
  FROM demo_customer c ORDER BY c.customer_id;

  INSERT INTO customer_contact (customer_id, full_name, job_title, email, phone, is_primary)
  SELECT c.customer_id, format('Contact %s-%s', c.customer_id, k),
         (ARRAY['Purchasing manager','CEO','CFO','Operations lead','IT manager'])[1 + (c.customer_id + k) % 5],
         format('contact%s.%s@customer.example', c.customer_id, k),
         format('+86 10 %s', 10000000 + c.customer_id * 7 + k),
         k = 1
  FROM demo_customer c
  CROSS JOIN LATERAL generate_series(1, 1 + floor(demo_random(p_seed, c.customer_id, 28) * 3)::integer) k
  ORDER BY c.customer_id, k;
END
$fn$;
COMMENT ON FUNCTION demo_org_customers(integer, integer, integer, integer, integer, integer) IS
'Part of generate_demo_org: p_cust customers (Pareto size, tier by size, owned round-robin by the reps) with one to three contacts each; the scratch table demo_customer splits the p_lines sales lines over them in proportion to size x owner talent.';
REVOKE ALL ON FUNCTION demo_org_customers(integer, integer, integer, integer, integer, integer) FROM PUBLIC;

-- demo_org_visits_feedback_surveys: what the customers see of the reps:
-- return visits at their tier's cadence, feedback items, survey answers.
CREATE FUNCTION demo_org_visits_feedback_surveys(p_seed integer, p_cust integer, p_surveys integer,
                                                 p_year integer)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
BEGIN
  -- ---- return visits at the tier's cadence through the year; 90 % done, the rest still planned
  INSERT INTO customer_visit (customer_id, member_id, planned_on, done_at, outcome)
  SELECT v.customer_id, v.owner_id, v.planned_on,
         CASE WHEN v.done THEN v.planned_on + time '10:00' + make_interval(days => v.delay) END,
         CASE WHEN v.done THEN (ARRAY['order discussed','needs collected','complaint handled','relationship call'])
                                 [1 + (v.customer_id + v.k) % 4] END
  FROM (SELECT c.customer_id, c.owner_id, k,
               make_date(p_year, 1, 1) + (k - 1) * vc.every_days
                 + floor(demo_random(p_seed, c.customer_id * 64 + k, 31) * 10)::integer AS planned_on,
               demo_random(p_seed, c.customer_id * 64 + k, 32) < 0.9 AS done,
               floor(demo_random(p_seed, c.customer_id * 64 + k, 33) * 4)::integer AS delay
        FROM demo_customer c JOIN visit_cadence vc ON vc.tier = c.tier
        CROSS JOIN LATERAL generate_series(1, 365 / vc.every_days) k) v
  ORDER BY v.customer_id, v.k;

  -- ---- feedback: about one item per ten customers
  INSERT INTO feedback (customer_id, member_id, kind, status, summary, opened_at, resolved_at)
  SELECT f.customer_id, f.owner_id, f.kind, f.status,
         format('%s about order %s', f.kind, f.i), f.opened_at,
         CASE WHEN f.status IN ('resolved', 'rejected')
              THEN f.opened_at + make_interval(hours => 2 + floor(demo_random(p_seed, f.i, 44) * 300)::integer) END
  FROM (SELECT i, c.customer_id, c.owner_id,
               (ARRAY['complaint','complaint','suggestion','praise'])[1 + floor(demo_random(p_seed, i, 41) * 4)::integer]::feedback_kind AS kind,
               (ARRAY['resolved','resolved','resolved','rejected','in_progress','open'])[1 + floor(demo_random(p_seed, i, 42) * 6)::integer]::feedback_status AS status,
               make_date(p_year, 1, 1) + time '09:00' + make_interval(days => floor(demo_random(p_seed, i, 43) * 360)::integer) AS opened_at
        FROM generate_series(1, greatest(1, p_cust / 10)) i
        JOIN demo_customer c ON c.customer_id = 1 + floor(demo_random(p_seed, i, 40) * p_cust)::integer) f
  ORDER BY f.i;

  -- ---- surveys: CSAT skewed to 4-5, NPS skewed high, talent nudges both
  INSERT INTO survey_response (customer_id, member_id, answered_at, csat, nps)
  SELECT c.customer_id, c.owner_id,
         make_date(p_year, 1, 1) + time '12:00' + make_interval(days => floor(demo_random(p_seed, i, 51) * 364)::integer),
         CASE WHEN demo_random(p_seed, i, 52) < 0.9 THEN
           least(5, greatest(1, round(3.9 + 0.6 * (c.talent - 1) + 1.1 * sqrt(-2 * ln(1 - demo_random(p_seed, i, 53)))
                                              * cos(2 * pi() * demo_random(p_seed, i, 54)))))::smallint END,
         CASE WHEN demo_random(p_seed, i, 55) < 0.8 THEN
           least(10, greatest(0, round(7.8 + 1.0 * (c.talent - 1) + 2.0 * sqrt(-2 * ln(1 - demo_random(p_seed, i, 56)))
                                               * cos(2 * pi() * demo_random(p_seed, i, 57)))))::smallint
           ELSE CASE WHEN demo_random(p_seed, i, 52) >= 0.9 THEN 8::smallint END END
  FROM generate_series(1, p_surveys) i
  JOIN demo_customer c ON c.customer_id = 1 + floor(demo_random(p_seed, i, 50) * p_cust)::integer
  ORDER BY i;
END
$fn$;
COMMENT ON FUNCTION demo_org_visits_feedback_surveys(integer, integer, integer, integer) IS
'Part of generate_demo_org: return visits through p_year at each tier''s cadence (90 % done), a feedback item per ten customers, and p_surveys survey responses (CSAT and NPS nudged by the owner''s talent).';
REVOKE ALL ON FUNCTION demo_org_visits_feedback_surveys(integer, integer, integer, integer) FROM PUBLIC;

-- demo_org_sales: the sales lines of p_year (months by p_season, the
-- cumulative shares v_cum) and 1 % refunds; the bulk insert runs without the
-- secondary indexes and foreign keys of sale, which it re-creates.
CREATE FUNCTION demo_org_sales(p_seed integer, p_year integer, p_season numeric[], p_billing boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  v_cum     double precision[];
BEGIN
  SELECT array_agg(s ORDER BY m)::double precision[] INTO v_cum
  FROM (SELECT m, sum(x) OVER (ORDER BY m) / 100 AS s
        FROM unnest(p_season) WITH ORDINALITY AS u(x, m)) c WHERE m < 12;

  -- ---- sales lines.  For speed on millions of rows the three foreign keys and
  -- the secondary indexes of sale are dropped and re-created (and so
  -- re-validated by PostgreSQL) after one set-based INSERT.
  PERFORM set_config('maintenance_work_mem', '512MB', true);
  ALTER TABLE sale DROP CONSTRAINT sale_member_fk, DROP CONSTRAINT sale_customer_fk,
    DROP CONSTRAINT sale_category_fk, DROP CONSTRAINT sale_invoice_fk;
  DROP INDEX sale_member_idx, sale_customer_idx, sale_sold_on_brin, sale_invoice_idx;
  PERFORM set_config('work_mem', '256MB', true);
  -- billed: an invoice per customer and month, id (customer - 1) x 12 + month,
  -- issued on the month's last day and due 30 days later (the empty ones are
  -- removed below)
  INSERT INTO invoice (invoice_id, customer_id, issued_on, due_on)
  SELECT (c.customer_id - 1)::bigint * 12 + m, c.customer_id, x.last_day, x.last_day + 30
  FROM demo_customer c CROSS JOIN generate_series(1, 12) m
  CROSS JOIN LATERAL (SELECT (make_date(p_year, m, 1) + interval '1 month' - interval '1 day')::date AS last_day) x
  WHERE p_billing AND c.n_lines > 0
  ORDER BY 1;
  INSERT INTO sale (sale_id, sold_on, member_id, customer_id, category_id, amount, invoice_id)
  SELECT row_number() OVER (ORDER BY l.sold_on, l.customer_id, l.g), l.sold_on, l.owner_id, l.customer_id,
         l.category, l.amount,
         CASE WHEN p_billing THEN (l.customer_id - 1)::bigint * 12 + extract(month FROM l.sold_on)::integer END
  FROM (
  SELECT c.customer_id, g, c.owner_id,
         make_date(p_year, x.month, 1)
           + floor(demo_random(p_seed, c.first_line + g, 62)
                   * extract(day from make_date(p_year, x.month, 1) + interval '1 month' - interval '1 day'))::integer
           AS sold_on,
         x.category,
         greatest(1.00, round((350 * c.talent * x.cat_factor
                               * exp(0.8 * sqrt(-2 * ln(1 - demo_random(p_seed, c.first_line + g, 64)))
                                         * cos(2 * pi() * demo_random(p_seed, c.first_line + g, 65))))::numeric, 2)) AS amount
  FROM demo_customer c
  CROSS JOIN LATERAL generate_series(1, c.n_lines) g
  CROSS JOIN LATERAL (
    SELECT width_bucket(demo_random(p_seed, c.first_line + g, 61), v_cum) + 1 AS month,
           k.category, k.cat_factor
    FROM (SELECT width_bucket(demo_random(p_seed, c.first_line + g, 63),
                              ARRAY[0.30, 0.45, 0.60, 0.70, 0.80, 0.88, 0.95]::double precision[]) + 1 AS category) k0
    CROSS JOIN LATERAL (SELECT k0.category,
                               (ARRAY[2.0, 1.5, 0.8, 3.0, 0.6, 0.9, 0.3, 1.2])[k0.category] AS cat_factor) k) x
  WHERE c.n_lines > 0) l
  ORDER BY l.sold_on, l.customer_id, l.g;
  PERFORM setval(pg_get_serial_sequence('sales_supervisor.sale', 'sale_id'),
                 greatest(1, (SELECT max(sale_id) FROM sale)), (SELECT count(*) > 0 FROM sale));

  -- refunds: 1 % of the lines are refunded in full two weeks later (within the year)
  INSERT INTO sale (sold_on, member_id, customer_id, category_id, amount, refund_of, invoice_id)
  SELECT least(s.sold_on + 14, make_date(p_year, 12, 31)), s.member_id, s.customer_id, s.category_id,
         -s.amount, s.sale_id, s.invoice_id
  FROM sale s
  WHERE demo_random(p_seed, s.sale_id, 66) < 0.01
  ORDER BY s.sale_id;
  DELETE FROM invoice i WHERE p_billing AND i.total = 0
    AND NOT EXISTS (SELECT 1 FROM sale s WHERE s.invoice_id = i.invoice_id);

  CREATE INDEX sale_member_idx ON sale (member_id, sold_on, category_id);
  CREATE INDEX sale_customer_idx ON sale (customer_id, sold_on);
  CREATE INDEX sale_sold_on_brin ON sale USING brin (sold_on);
  CREATE INDEX sale_invoice_idx ON sale (invoice_id, sold_on) WHERE invoice_id IS NOT NULL;
  ALTER TABLE sale
    ADD CONSTRAINT sale_member_fk FOREIGN KEY (member_id) REFERENCES member ON DELETE RESTRICT,
    ADD CONSTRAINT sale_customer_fk FOREIGN KEY (customer_id) REFERENCES customer ON DELETE RESTRICT,
    ADD CONSTRAINT sale_category_fk FOREIGN KEY (category_id) REFERENCES product_category ON DELETE RESTRICT,
    ADD CONSTRAINT sale_invoice_fk FOREIGN KEY (invoice_id) REFERENCES invoice ON DELETE RESTRICT;
END
$fn$;
COMMENT ON FUNCTION demo_org_sales(integer, integer, numeric[], boolean) IS
'Part of generate_demo_org: each customer''s sales lines of p_year (month by the seasonal shares p_season, category, amount by owner talent and category), ids in date order, and full refunds of 1 % of them; with p_billing, billed on one invoice per customer and month (a refund on its line''s); drops and re-creates sale''s secondary indexes and foreign keys around the bulk insert (run as the extension owner).';
REVOKE ALL ON FUNCTION demo_org_sales(integer, integer, numeric[], boolean) FROM PUBLIC;

-- demo_org_split_credits: shared credit on 3 % of the lines (refunds split
-- like their line), and the scratch table demo_sold (sales per rep and
-- quarter) that the forecasts and pay parts read.
CREATE FUNCTION demo_org_split_credits(p_seed integer)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
BEGIN
  -- split credit: 3 % of the sales lines are shared with a teammate (60/40 or 50/50)
  CREATE TEMP TABLE demo_team_reps ON COMMIT DROP AS
  SELECT team_id, array_agg(member_id ORDER BY member_id) AS reps
  FROM demo_member WHERE NOT is_leader GROUP BY team_id HAVING count(*) > 1;
  CREATE TEMP TABLE demo_split ON COMMIT DROP AS
  SELECT s.sale_id, s.member_id AS main_id,
         tr.reps[1 + (array_position(tr.reps, s.member_id) - 1
                      + 1 + floor(demo_random(p_seed, s.sale_id, 68) * (cardinality(tr.reps) - 1))::integer)
                     % cardinality(tr.reps)] AS other_id,
         CASE WHEN demo_random(p_seed, s.sale_id, 69) < 0.5 THEN 60.00 ELSE 50.00 END AS main_pct
  FROM sale s
  JOIN demo_member m ON m.member_id = s.member_id
  JOIN demo_team_reps tr ON tr.team_id = m.team_id
  WHERE s.refund_of IS NULL AND demo_random(p_seed, s.sale_id, 67) < 0.03;
  INSERT INTO sale_credit (sale_id, member_id, share_pct)
  SELECT sale_id, main_id, main_pct FROM demo_split
  UNION ALL
  SELECT sale_id, other_id, 100 - main_pct FROM demo_split
  ORDER BY 1, 2;
  -- a refund is split like the line it refunds
  INSERT INTO sale_credit (sale_id, member_id, share_pct)
  SELECT r.sale_id, sc.member_id, sc.share_pct
  FROM sale r JOIN sale_credit sc ON sc.sale_id = r.refund_of
  ORDER BY 1, 2;

  CREATE TEMP TABLE demo_sold ON COMMIT DROP AS
  SELECT s.member_id, extract(quarter FROM s.sold_on)::integer AS quarter, sum(s.amount) AS sold
  FROM sale s GROUP BY 1, 2;
END
$fn$;
COMMENT ON FUNCTION demo_org_split_credits(integer) IS
'Part of generate_demo_org: splits 3 % of the sales lines with a teammate (60/40 or 50/50) in sale_credit, each refund like the line it refunds; the scratch tables demo_team_reps (reps per team) and demo_sold (net sales per rep and quarter).';
REVOKE ALL ON FUNCTION demo_org_split_credits(integer) FROM PUBLIC;

-- demo_org_pipeline_forecasts: open and closed opportunities, and each
-- rep's quarterly forecasts near what they then sold (demo_sold).
CREATE FUNCTION demo_org_pipeline_forecasts(p_seed integer, p_cust integer, p_year integer)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
BEGIN
  -- ---- pipeline: one opportunity per five customers
  INSERT INTO opportunity (customer_id, member_id, name, stage, amount, probability, created_on, expected_close, closed_on)
  SELECT o.customer_id, o.owner_id, format('Deal %s', o.i), o.stage,
         round((2000 + 30000 * o.size / 10 * demo_random(p_seed, o.i, 73))::numeric, 2),
         CASE o.stage WHEN 'won' THEN 100 WHEN 'lost' THEN 0 WHEN 'prospecting' THEN 10
                      WHEN 'qualification' THEN 25 WHEN 'proposal' THEN 50 ELSE 75 END,
         o.created_on, o.created_on + 30 + floor(demo_random(p_seed, o.i, 74) * 120)::integer,
         CASE WHEN o.stage IN ('won', 'lost') THEN o.created_on + 20 + floor(demo_random(p_seed, o.i, 75) * 60)::integer END
  FROM (SELECT i, c.customer_id, c.owner_id, c.size,
               (ARRAY['prospecting','qualification','proposal','negotiation','won','won','lost','lost'])
                 [1 + floor(demo_random(p_seed, i, 71) * 8)::integer]::opportunity_stage AS stage,
               make_date(p_year, 1, 1) + floor(demo_random(p_seed, i, 72) * 300)::integer AS created_on
        FROM generate_series(1, greatest(1, p_cust / 5)) i
        JOIN demo_customer c ON c.customer_id = 1 + floor(demo_random(p_seed, i, 70) * p_cust)::integer) o
  ORDER BY o.i;

  -- ---- forecasts: each rep forecasts each quarter within -20 %..+25 % of what they then sold
  -- (0 for a quarter whose refunds exceed its sales: a forecast is never negative)
  INSERT INTO forecast (member_id, period_id, amount, submitted_at)
  SELECT m.member_id, fp.period_id,
         round(greatest(coalesce(a.sold, 0), 0) * (0.8 + 0.45 * demo_random(p_seed, m.member_id * 8 + fp.quarter, 80))::numeric, 2),
         fp.start_on - 7 + time '17:00'
  FROM demo_member m
  CROSS JOIN fiscal_period fp
  LEFT JOIN demo_sold a ON a.member_id = m.member_id AND a.quarter = fp.quarter
  WHERE NOT m.is_leader AND fp.kind = 'quarter'
  ORDER BY m.member_id, fp.period_id;
END
$fn$;
COMMENT ON FUNCTION demo_org_pipeline_forecasts(integer, integer, integer) IS
'Part of generate_demo_org: one opportunity per five customers (a quarter won, a quarter lost, the rest open), and each rep''s forecast of each quarter within -20 %..+25 % of what they sold.';
REVOKE ALL ON FUNCTION demo_org_pipeline_forecasts(integer, integer, integer) FROM PUBLIC;

-- demo_org_tasks_training_reports: the day-to-day records: tasks from the
-- line managers, two training sessions per leaf team with attendance, and
-- the monthly work reports.
CREATE FUNCTION demo_org_tasks_training_reports(p_seed integer, p_year integer)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
BEGIN
  -- ---- tasks, training, work reports
  CREATE TEMP TABLE demo_first_customer ON COMMIT DROP AS
  SELECT owner_id, min(customer_id) AS customer_id FROM demo_customer GROUP BY owner_id;
  CREATE UNIQUE INDEX ON demo_first_customer (owner_id);
  INSERT INTO task (title, assigned_to, assigned_by, customer_id, due_on, status, created_at, done_at)
  SELECT format('Follow up %s', t.k), t.member_id, t.manager_id,
         (SELECT fc.customer_id FROM demo_first_customer fc WHERE fc.owner_id = t.member_id),
         t.due_on, t.status, t.due_on - 14 + time '09:00',
         CASE WHEN t.status = 'done' THEN t.due_on - 1 + time '16:00' END
  FROM (SELECT m.member_id, m.manager_id, k,
               make_date(p_year, 1, 1) + 20 + k * 60 + floor(demo_random(p_seed, m.member_id * 8 + k, 90) * 20)::integer AS due_on,
               (ARRAY['done','done','done','in_progress','open','cancelled'])
                 [1 + floor(demo_random(p_seed, m.member_id * 8 + k, 91) * 6)::integer]::task_status AS status
        FROM demo_member m CROSS JOIN generate_series(1, 5) k
        WHERE m.manager_id IS NOT NULL) t
  ORDER BY t.member_id, t.k;

  INSERT INTO training_session (session_id, title, topic, held_on, hours, trainer_id, team_id)
  SELECT (t.team_id - 1) * 2 + k, format('%s training for team %s', tp, t.team_id), tp,
         make_date(p_year, 1 + 5 * k, 10) + (t.team_id % 20), 4 * k, t.team_id, t.team_id
  FROM demo_team t CROSS JOIN generate_series(1, 2) k
  CROSS JOIN LATERAL (SELECT (ARRAY['negotiation','product'])[k] AS tp) x
  WHERE t.is_leaf
  ORDER BY 1;
  INSERT INTO training_attendance (session_id, member_id, attended, score)
  SELECT ts.session_id, m.member_id, a.attended,
         CASE WHEN a.attended THEN round((55 + 45 * demo_random(p_seed, ts.session_id * 100000 + m.member_id, 101))::numeric, 1) END
  FROM training_session ts
  JOIN demo_member m ON m.team_id = ts.team_id AND NOT m.is_leader
  CROSS JOIN LATERAL (SELECT demo_random(p_seed, ts.session_id * 100000 + m.member_id, 100) < 0.9 AS attended) a
  ORDER BY 1, 2;

  INSERT INTO work_report (member_id, kind, due_on, submitted_at, body)
  SELECT w.member_id, 'monthly', w.due_on, w.submitted_at,
         CASE WHEN w.submitted_at IS NOT NULL THEN format('report of %s for %s', w.member_id, to_char(w.due_on, 'YYYY-MM')) END
  FROM (SELECT m.member_id, fp.end_on AS due_on,
               CASE WHEN demo_random(p_seed, m.member_id * 16 + fp.month, 110) < 0.95
                    THEN fp.end_on + time '18:00'
                         + make_interval(days => floor(demo_random(p_seed, m.member_id * 16 + fp.month, 111) * 3)::integer
                                                 * (demo_random(p_seed, m.member_id * 16 + fp.month, 112) < 0.2)::integer - 1)
               END AS submitted_at
        FROM demo_member m JOIN fiscal_period fp ON fp.kind = 'month') w
  ORDER BY w.member_id, w.due_on;
END
$fn$;
COMMENT ON FUNCTION demo_org_tasks_training_reports(integer, integer) IS
'Part of generate_demo_org: five tasks per member with a manager, two training sessions per leaf team (90 % attendance, scores), and a monthly work report per member (95 % submitted, a few late).';
REVOKE ALL ON FUNCTION demo_org_tasks_training_reports(integer, integer) FROM PUBLIC;

-- demo_org_appraisal_setup: the appraisal cycle of p_year and its
-- configuration (component weights, KPIs and their weights, grades,
-- promotion rules), left in state reviewing; returns the cycle's id for the
-- reviews part.
CREATE FUNCTION demo_org_appraisal_setup(p_year integer)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  v_cycle   integer;
BEGIN
  -- ---- appraisal configuration
  INSERT INTO appraisal_cycle (fiscal_year, name, rating_scale_min, rating_scale_max, opened_at)
  VALUES (p_year, format('Appraisal %s', p_year), 1, 5, make_date(p_year, 12, 1) + time '09:00')
  RETURNING cycle_id INTO v_cycle;

  INSERT INTO appraisal_component_weight (cycle_id, level, component, weight)
  SELECT v_cycle, l::member_level, c::appraisal_component, w
  FROM (VALUES
    ('sales_rep', 'team_performance', 10), ('sales_rep', 'individual_performance', 60),
    ('sales_rep', 'customer_satisfaction', 30),
    ('sales_customer_supervisor', 'team_performance', 40), ('sales_customer_supervisor', 'individual_performance', 20),
    ('sales_customer_supervisor', 'team_management', 25), ('sales_customer_supervisor', 'customer_satisfaction', 15),
    ('sales_manager', 'team_performance', 50), ('sales_manager', 'team_management', 30),
    ('sales_manager', 'customer_satisfaction', 20),
    ('sales_director', 'team_performance', 60), ('sales_director', 'team_management', 40),
    ('customer_director', 'team_performance', 30), ('customer_director', 'team_management', 30),
    ('customer_director', 'customer_satisfaction', 40)) v(l, c, w);

  INSERT INTO kpi_definition (kpi_id, code, name, metric, higher_is_better, curve, component, unit) VALUES
    (1, 'sales_amount', 'Sales against quota', 'sales_amount', true,
        'linear[(0.5,0),(1,100),(1.5,150)]', 'individual_performance', 'CNY'),
    (2, 'visits_done', 'Return visits done against plan', 'visits_done', true,
        'linear[(0,0),(1,100)]', 'individual_performance', 'visits'),
    (3, 'forecast_error', 'Forecast error (WAPE) against tolerance', 'forecast_wape', false,
        'linear[(0,0),(1,100),(1.2,110)]', 'individual_performance', 'ratio'),
    (4, 'csat', 'Share of satisfied customers against target', 'csat', true,
        'linear[(0.8,0),(1,100),(1.1,120)]', 'customer_satisfaction', 'percent'),
    (5, 'team_sales', 'Team sales against team quota', 'team_sales_amount', true,
        'linear[(0.5,0),(1,100),(1.5,150)]', 'team_performance', 'CNY');
  INSERT INTO kpi_weight (cycle_id, level, kpi_id, weight)
  SELECT v_cycle, l::member_level, k, w
  FROM (VALUES ('sales_rep', 1, 60), ('sales_rep', 2, 20), ('sales_rep', 3, 20),
               ('sales_customer_supervisor', 5, 70), ('sales_customer_supervisor', 4, 30),
               ('sales_manager', 5, 80), ('sales_manager', 4, 20)) v(l, k, w);

  INSERT INTO grade_policy (cycle_id, grade, ordinal, distribution_pct, raise_pct, bonus_multiplier, reward_or_penalty)
  VALUES (v_cycle, 'A', 1, 20, 8, 1.5, 5000), (v_cycle, 'B', 2, 30, 5, 1.2, 2000),
         (v_cycle, 'C', 3, 40, 3, 1.0, 0), (v_cycle, 'D', 4, 10, 0, 0.5, -1000);
  INSERT INTO promotion_rule (from_level, to_level, qualifying_grades, consecutive_years, min_tenure_months) VALUES
    ('sales_rep', 'sales_customer_supervisor', '{A}', 2, 24),
    ('sales_customer_supervisor', 'sales_manager', '{A}', 2, 36),
    ('sales_manager', 'sales_director', '{A}', 3, 60),
    ('sales_manager', 'customer_director', '{A}', 3, 60);

  UPDATE appraisal_cycle SET state = 'reviewing' WHERE cycle_id = v_cycle;
  RETURN v_cycle;
END
$fn$;
COMMENT ON FUNCTION demo_org_appraisal_setup(integer) IS
'Part of generate_demo_org: the appraisal cycle of p_year with component weights per level, five KPIs and their weights, grades A-D and promotion rules, moved to state reviewing; returns its cycle_id.';
REVOKE ALL ON FUNCTION demo_org_appraisal_setup(integer) FROM PUBLIC;

-- demo_org_reviews: the 360-degree reviews of cycle p_cycle and their
-- scores, driven by the reviewee's talent.
CREATE FUNCTION demo_org_reviews(p_seed integer, p_rpm integer, p_year integer, p_cycle integer)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
BEGIN
  -- reviews: a self review, then up to reviews_per_member reviews by others:
  -- the supervisor (line manager) first, then peers from the same team (reps)
  -- or subordinates (leaders).
  CREATE TEMP TABLE demo_review ON COMMIT DROP AS
  WITH plan AS (
    SELECT m.member_id AS reviewee_id, m.member_id AS reviewer_id, 'self'::rater_role AS rater_role, 1 AS ord
    FROM demo_member m
    UNION ALL
    SELECT m.member_id, m.manager_id, 'supervisor', 2 FROM demo_member m WHERE m.manager_id IS NOT NULL
    UNION ALL
    SELECT m.member_id, tr.reps[1 + (array_position(tr.reps, m.member_id) - 1 + k) % cardinality(tr.reps)],
           'peer', 2 + k
    FROM demo_member m JOIN demo_team_reps tr ON tr.team_id = m.team_id
    CROSS JOIN generate_series(1, least(cardinality(tr.reps) - 1, greatest(p_rpm - 1, 0))) k
    WHERE NOT m.is_leader
    UNION ALL
    SELECT l.member_id, s.member_id, 'subordinate', 2 + s.rk
    FROM demo_member l
    JOIN (SELECT member_id, manager_id, row_number() OVER (PARTITION BY manager_id ORDER BY member_id) AS rk
          FROM demo_member) s ON s.manager_id = l.member_id AND s.rk <= greatest(p_rpm - 1, 0)
    WHERE l.is_leader)
  SELECT row_number() OVER (ORDER BY reviewee_id, ord, reviewer_id) AS review_id, p.*
  FROM plan p
  WHERE ord <= p_rpm + 1;
  INSERT INTO review (review_id, cycle_id, reviewer_id, reviewee_id, rater_role, comment, submitted_at)
  SELECT r.review_id, p_cycle, r.reviewer_id, r.reviewee_id, r.rater_role,
         format('%s review of member %s', r.rater_role, r.reviewee_id),
         make_date(p_year, 12, 5) + time '10:00' + make_interval(hours => (r.review_id % 200)::integer)
  FROM demo_review r ORDER BY r.review_id;
  INSERT INTO review_score (review_id, criterion, score)
  SELECT r.review_id, cr,
         least(5, greatest(1, round((3.2 + 1.2 * (m.talent - 1)
                                    + CASE WHEN r.rater_role = 'self' THEN 0.4 ELSE 0 END
                                    + 0.8 * (demo_random(p_seed, r.review_id * 8 + ci, 120) - 0.5) * 2)::numeric, 1)))
  FROM demo_review r
  JOIN demo_member m ON m.member_id = r.reviewee_id
  CROSS JOIN unnest(ARRAY['results','customer_focus','teamwork','growth']) WITH ORDINALITY AS c(cr, ci)
  ORDER BY r.review_id, ci;
END
$fn$;
COMMENT ON FUNCTION demo_org_reviews(integer, integer, integer, integer) IS
'Part of generate_demo_org: for each member a self review and up to p_rpm reviews by others (supervisor first, then peers or subordinates) in cycle p_cycle, each scored on four criteria.';
REVOKE ALL ON FUNCTION demo_org_reviews(integer, integer, integer, integer) FROM PUBLIC;

-- demo_org_pay: the pay of p_year, base by level and commission from the
-- net sales in demo_sold.
CREATE FUNCTION demo_org_pay(p_seed integer, p_year integer)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
BEGIN
  -- ---- pay: base by level, commission about 3 % of net sales
  INSERT INTO pay (member_id, fiscal_year, base_salary, commission, year_end_bonus)
  SELECT m.member_id, p_year,
         CASE m.level WHEN 'sales_rep' THEN 96000 WHEN 'sales_customer_supervisor' THEN 156000 ELSE 240000 END
           + 1000 * floor(demo_random(p_seed, m.member_id, 130) * 24),
         round(0.03 * coalesce((SELECT sum(d.sold) FROM demo_sold d WHERE d.member_id = m.member_id), 0), 2),
         0
  FROM demo_member m ORDER BY m.member_id;
END
$fn$;
COMMENT ON FUNCTION demo_org_pay(integer, integer) IS
'Part of generate_demo_org: each member''s pay of p_year: base salary by level, commission about 3 % of net sales, no year-end bonus yet.';
REVOKE ALL ON FUNCTION demo_org_pay(integer, integer) FROM PUBLIC;

-- demo_org_sequences_statistics: the last part: identity sequences continue
-- after the explicit ids, and the planner gets statistics of what was made.
CREATE FUNCTION demo_org_sequences_statistics()
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  v_tab     text;
  v_col     text;
BEGIN
  -- ---- identity sequences continue after the explicit ids
  FOR v_tab, v_col IN SELECT * FROM (VALUES ('team', 'team_id'), ('member', 'member_id'),
      ('product_category', 'category_id'), ('fiscal_period', 'period_id'), ('customer', 'customer_id'),
      ('sale', 'sale_id'), ('training_session', 'session_id'), ('kpi_definition', 'kpi_id'),
      ('review', 'review_id')) v LOOP
    EXECUTE format('SELECT setval(pg_get_serial_sequence(%L, %L), greatest(1, (SELECT max(%I) FROM sales_supervisor.%I)))',
                   'sales_supervisor.' || v_tab, v_col, v_col, v_tab);
  END LOOP;

  -- ---- statistics: the planner's view of what was just made (autovacuum
  -- would come round later, and never to tables below its threshold)
  FOR v_tab IN SELECT c.relname FROM pg_class c
               WHERE c.relnamespace = 'sales_supervisor'::regnamespace AND c.relkind IN ('r', 'p', 'm')
               ORDER BY c.relname LOOP
    EXECUTE format('ANALYZE sales_supervisor.%I', v_tab);
  END LOOP;
END
$fn$;
COMMENT ON FUNCTION demo_org_sequences_statistics() IS
'Part of generate_demo_org: moves the identity sequences of the tables filled with explicit ids past the largest id, and analyzes every table and materialized view of the extension.';
REVOKE ALL ON FUNCTION demo_org_sequences_statistics() FROM PUBLIC;
