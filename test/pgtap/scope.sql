-- Scope cannot be widened by the people it limits (issue 12.4), and the
-- company-wide sales-year calls act within the caller's scope or are reserved
-- to the roles whose scope is the whole organisation (issue 12.5).
--
-- The org of test/pgtap/security.sql (generate_demo_org(seed 11, teams 7,
-- depth 3, reps 12, customers 60)): departments 1 {1, 3, 4, 7} and 2 {2, 5, 6};
-- member k (1..7) leads team k; reps 8..19 round-robin over the leaf teams
-- 4, 5, 6, 7: team 4 = {8, 12, 16}, 5 = {9, 13, 17}, 6 = {10, 14, 18},
-- 7 = {11, 15, 19}; customer c is owned by rep 8 + (c - 1) % 12.
-- So, by hand: manager 1 sees 10 members {1, 3, 4, 7, 8, 11, 12, 15, 16, 19}
-- and 30 customers; supervisor 3 (subtree {3, 7}) sees {3, 7, 11, 15, 19} and
-- 15 customers; rep 8 sees 1 member and 5 customers.
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SELECT plan(69);

-- pg_temp.affected(sql): rows a statement touches, run as the current role
\ir include/affected.sql
-- what the current role sees: members and customers
CREATE FUNCTION pg_temp.sight() RETURNS text LANGUAGE sql AS $$
  SELECT (SELECT count(*) FROM sales_supervisor.member) || ' members, '
      || (SELECT count(*) FROM sales_supervisor.customer) || ' customers'
$$;
-- an attempt the current role must not achieve, how it is refused: 'hidden'
-- (row-level security hides every row it aims at: it runs and touches
-- nothing) or 'denied' (42501: no privilege, or a policy refuses the new row)
CREATE FUNCTION pg_temp.refused(how text, stmt text, what text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  CASE how
    WHEN 'hidden' THEN RETURN is(pg_temp.affected(stmt), 0::bigint, what);
    WHEN 'denied' THEN RETURN throws_ok(stmt, '42501', NULL, what);
  END CASE;
END $$;
-- the org structure, as the superuser sees it (compared before and after)
CREATE FUNCTION pg_temp.org() RETURNS text LANGUAGE sql SECURITY DEFINER AS $$
  SELECT (SELECT string_agg(team_id || '<' || coalesce(parent_id::text, '-'), ' ' ORDER BY team_id) FROM sales_supervisor.team)
      || ' | ' || (SELECT string_agg(team_id || ':' || member_id, ' ' ORDER BY team_id) FROM sales_supervisor.team_leader)
      || ' | ' || (SELECT string_agg(member_id || '@' || team_id || coalesce('=' || login_role, ''), ' ' ORDER BY member_id)
                   FROM sales_supervisor.member)
      || ' | ' || (SELECT md5(string_agg(customer_id || ':' || owner_id || ':' || team_id, ' ' ORDER BY customer_id))
                   FROM sales_supervisor.customer)
$$;

SELECT is((SELECT count(*)::int FROM generate_demo_org(seed => 11, teams => 7, depth => 3, reps => 12,
            customers => 60, sales_lines => 600, surveys => 50, reviews_per_member => 4)),
          18, 'demo org generated');
SELECT results_eq('SELECT team_id, parent_id FROM sales_supervisor.team ORDER BY 1',
                  $$VALUES (1, NULL::int), (2, NULL), (3, 1), (4, 1), (5, 2), (6, 2), (7, 3)$$,
                  'the tree the comments describe');

-- (the cycle's id: sequences do not roll back with the suites before this one)
CREATE TEMP TABLE cyc AS SELECT min(cycle_id) AS id FROM appraisal_cycle;
GRANT SELECT ON cyc TO PUBLIC;
CREATE ROLE ss_demo_8 NOLOGIN;  CREATE ROLE ss_demo_3 NOLOGIN;  CREATE ROLE ss_demo_1 NOLOGIN;
CREATE ROLE ss_scope_hr NOLOGIN;
GRANT sales_supervisor_rep TO ss_demo_8;
GRANT sales_supervisor_supervisor TO ss_demo_3;
GRANT sales_supervisor_manager TO ss_demo_1;
GRANT sales_supervisor_hr TO ss_scope_hr;
GRANT EXECUTE ON FUNCTION pg_temp.org() TO PUBLIC;
CREATE TEMP TABLE org_before AS SELECT pg_temp.org() AS o;
GRANT SELECT ON org_before TO PUBLIC;

-- ------------------------------------------------------------ the rep
SET LOCAL ROLE ss_demo_8;
SELECT is(pg_temp.sight(), '1 members, 5 customers', 'rep: sees 1 member and 5 customers');
SELECT pg_temp.refused(how, stmt, 'rep: ' || what) FROM (VALUES
  (1, 'denied', 'UPDATE sales_supervisor.team SET parent_id = 4 WHERE team_id = 5', 'cannot re-parent a team'),
  (2, 'denied', 'INSERT INTO sales_supervisor.team_leader VALUES (5, 8)', 'cannot lead a team'),
  (3, 'denied', 'UPDATE sales_supervisor.team_leader SET member_id = 8 WHERE team_id = 2', 'cannot take over a department'),
  (4, 'denied', 'UPDATE sales_supervisor.member SET team_id = 5 WHERE member_id = 8',
   'cannot move themselves to another team'),
  (5, 'denied', $$UPDATE sales_supervisor.member SET login_role = 'ss_demo_8' WHERE member_id = 1$$,
   'cannot map their login to a manager'),
  (6, 'denied', 'UPDATE sales_supervisor.customer SET owner_id = 8', 'cannot take customers over')
) AS t(n, how, stmt, what) ORDER BY n;
SELECT is(pg_temp.sight(), '1 members, 5 customers', 'rep: still sees 1 member and 5 customers');
RESET ROLE;

-- ------------------------------------------------------------ the supervisor
SET LOCAL ROLE ss_demo_3;
SELECT is(pg_temp.sight(), '5 members, 15 customers', 'supervisor: sees 5 members and 15 customers');
SELECT pg_temp.refused(how, stmt, 'supervisor: ' || what) FROM (VALUES
  (1, 'denied', 'UPDATE sales_supervisor.team SET parent_id = 3 WHERE team_id = 6', 'cannot pull a team under theirs'),
  (2, 'denied', 'UPDATE sales_supervisor.team_leader SET member_id = 3 WHERE team_id = 2', 'cannot take over a department'),
  (3, 'denied', 'INSERT INTO sales_supervisor.team_leader VALUES (4, 3)', 'cannot add a leadership'),
  (4, 'denied', 'UPDATE sales_supervisor.member SET team_id = 7 WHERE member_id = 9', 'cannot move a rep into their team'),
  (5, 'denied', $$UPDATE sales_supervisor.member SET login_role = 'ss_demo_3' WHERE member_id = 1$$,
   'cannot map their login to their manager'),
  (6, 'hidden', 'UPDATE sales_supervisor.customer SET team_id = 7, owner_id = 11 WHERE owner_id = 9',
   'cannot take over customers of another team (none in sight)'),
  (7, 'denied', 'UPDATE sales_supervisor.customer SET owner_id = 9, team_id = 5 WHERE owner_id = 11',
   'cannot hand their customers to another department'),
  (8, 'denied', $$INSERT INTO sales_supervisor.customer (name, tier, team_id, owner_id) VALUES ('x', 'A', 5, 9)$$,
   'cannot create customers outside their scope')
) AS t(n, how, stmt, what) ORDER BY n;
SELECT is(pg_temp.sight(), '5 members, 15 customers', 'supervisor: still sees 5 members and 15 customers');
RESET ROLE;

-- ------------------------------------------------------------ the manager
SET LOCAL ROLE ss_demo_1;
SELECT is(pg_temp.sight(), '10 members, 30 customers', 'manager: sees 10 members and 30 customers');
SELECT is(managed_team_ids(), ARRAY[3, 4, 7], 'manager: may restructure the teams strictly inside department 1');
SELECT pg_temp.refused(how, stmt, 'manager: ' || what) FROM (VALUES
  -- the route of the issue: lead another department's team
  (1, 'hidden', 'UPDATE sales_supervisor.team_leader SET member_id = 1 WHERE team_id = 2',
   'cannot take over another department''s leadership (issue 12.4)'),
  (2, 'hidden', 'UPDATE sales_supervisor.team_leader SET member_id = 1 WHERE team_id = 5',
   'cannot take over a team of another department'),
  (3, 'hidden', 'DELETE FROM sales_supervisor.team_leader WHERE team_id = 5', 'cannot remove another department''s leader'),
  (4, 'hidden', 'DELETE FROM sales_supervisor.team_leader WHERE team_id = 1', 'cannot remove the leadership of their own root'),
  (5, 'hidden', 'UPDATE sales_supervisor.team_leader SET member_id = 8 WHERE team_id = 1', 'cannot hand their own department over'),
  (6, 'denied', 'UPDATE sales_supervisor.team_leader SET member_id = 9 WHERE team_id = 7',
   'cannot appoint a leader from outside their scope'),
  (7, 'denied', 'UPDATE sales_supervisor.team_leader SET team_id = 5 WHERE team_id = 7',
   'cannot move a leadership out of their subtree'),
  -- the tree
  (8, 'hidden', 'UPDATE sales_supervisor.team SET parent_id = 3 WHERE team_id = 5',
   'cannot pull another department''s team into theirs'),
  (9, 'hidden', 'UPDATE sales_supervisor.team SET parent_id = 3 WHERE team_id = 2', 'cannot pull another department under theirs'),
  (10, 'hidden', 'UPDATE sales_supervisor.team SET parent_id = 2 WHERE team_id = 1', 'cannot move their own root'),
  (11, 'denied', 'UPDATE sales_supervisor.team SET parent_id = NULL WHERE team_id = 3', 'cannot make a team of theirs a department'),
  (12, 'denied', 'UPDATE sales_supervisor.team SET parent_id = 5 WHERE team_id = 7',
   'cannot move a team of theirs into another department'),
  (13, 'denied', $$INSERT INTO sales_supervisor.team (name, parent_id) VALUES ('Annex', 5)$$,
   'cannot add a team to another department'),
  (14, 'denied', $$INSERT INTO sales_supervisor.team (name, parent_id) VALUES ('Top', NULL)$$, 'cannot add a department'),
  -- membership and logins are HR's
  (15, 'denied', 'UPDATE sales_supervisor.member SET team_id = 4 WHERE member_id = 8', 'cannot move members (HR does)'),
  (16, 'denied', $$UPDATE sales_supervisor.member SET login_role = 'ss_demo_1' WHERE member_id = 2$$,
   'cannot map their login to another member'),
  (17, 'denied', 'INSERT INTO sales_supervisor.member (full_name, level, team_id, hire_date) VALUES (''x'', ''sales_rep'', 5, now())',
   'cannot create members'),
  -- customers
  (18, 'denied', 'UPDATE sales_supervisor.customer SET owner_id = 9, team_id = 5 WHERE owner_id = 8',
   'cannot move customers to another department'),
  (19, 'hidden', 'UPDATE sales_supervisor.customer SET owner_id = 8, team_id = 4 WHERE owner_id = 9',
   'cannot take another department''s customers')
) AS t(n, how, stmt, what) ORDER BY n;
SELECT is(pg_temp.sight(), '10 members, 30 customers', 'manager: still sees 10 members and 30 customers');
SELECT is((SELECT o FROM org_before), pg_temp.org(), 'nothing of the org structure changed by the refused attempts');
-- what a manager may do inside the subtree
SELECT is(pg_temp.affected($$INSERT INTO sales_supervisor.team (team_id, name, parent_id) VALUES (90, 'New desk', 3)$$), 1::bigint,
          'manager: adds a team inside their department');
SELECT is(pg_temp.affected('UPDATE sales_supervisor.team SET parent_id = 4 WHERE team_id = 7'), 1::bigint,
          'manager: moves a team within their department');
SELECT is(pg_temp.affected('UPDATE sales_supervisor.team_leader SET member_id = 11 WHERE team_id = 7'), 1::bigint,
          'manager: appoints a member of their scope to lead a team inside it');
SELECT is(pg_temp.affected('INSERT INTO sales_supervisor.team_leader (team_id, member_id) VALUES (90, 12)'), 1::bigint,
          'manager: appoints the leader of the new team');
SELECT is(pg_temp.sight(), '10 members, 30 customers', 'manager: the same 10 members and 30 customers after restructuring');
RESET ROLE;

-- ------------------------------------------------------------ HR
SET LOCAL ROLE ss_scope_hr;
SELECT is(pg_temp.affected('UPDATE sales_supervisor.member SET team_id = 5 WHERE member_id = 16'), 1::bigint,
          'HR: moves a rep to another team');
SELECT is(pg_temp.affected($$INSERT INTO sales_supervisor.team_leader (team_id, member_id) VALUES (90, 12)
                              ON CONFLICT (team_id) DO UPDATE SET member_id = 16$$), 1::bigint,
          'HR: changes a leadership anywhere');
SELECT throws_ok('SELECT count(*) FROM sales_supervisor.customer', '42501', NULL,
                 'HR: sees no customers, whatever the structure');
RESET ROLE;

-- ------------------------------------------------------------ sales-year calls (12.5)
-- a manager allocates their department's target and writes nothing outside it
SET LOCAL ROLE ss_demo_1;
CREATE TEMP TABLE mgr_alloc AS SELECT * FROM allocate_quotas(2025, 1000000, basis => 'equal');
RESET ROLE;
SELECT is((SELECT array_agg(DISTINCT team_id ORDER BY team_id) FROM mgr_alloc WHERE team_id IS NOT NULL),
          ARRAY[1, 3, 4, 7, 90], 'allocate_quotas as manager 1: the nodes of department 1 only (and no others returned)');
SELECT is((SELECT count(*)::int FROM quota q JOIN member m USING (member_id) WHERE m.team_id IN (2, 5, 6))
          + (SELECT count(*)::int FROM quota WHERE team_id IN (2, 5, 6)), 0,
          'allocate_quotas as manager 1 wrote no quota of department 2 (issue 12.5)');
SELECT is((SELECT amount FROM quota WHERE team_id = 1 AND period_id = 1), 1000000::numeric,
          'department 1 gets the whole target of its manager');
-- equal basis, by hand: team 1 splits over 3 and 4; 4 holds reps 8, 12 and team 7
-- (moved above) with 11, 15, 19 -- the reps of department 1 add up to the target
SELECT is((SELECT sum(q.amount) FROM quota q JOIN member m USING (member_id)
           WHERE q.period_id = 1 AND m.team_id IN (1, 3, 4, 7, 90)), 1000000::numeric,
          'the reps of department 1 share exactly its target');
SELECT lives_ok($$SELECT * FROM allocate_quotas(2025, 3000000, basis => 'equal')$$,
                'the extension owner allocates the company target');
SELECT is((SELECT sum(amount) FROM quota WHERE team_id IN (1, 2) AND period_id = 1), 3000000::numeric,
          '... to both departments');
SET LOCAL ROLE ss_demo_1;
SELECT is(lock_quotas(2025), (SELECT count(*) FROM quota q LEFT JOIN member m USING (member_id)
                              WHERE q.team_id IN (1, 3, 4, 7, 90) OR m.team_id IN (1, 3, 4, 7, 90)),
          'lock_quotas as manager 1 locks the quotas of department 1 ...');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM quota q LEFT JOIN member m USING (member_id)
           WHERE q.locked AND (q.team_id IN (2, 5, 6) OR m.team_id IN (2, 5, 6))), 0,
          '... and none of department 2');
-- company-wide steps
SET LOCAL ROLE ss_demo_1;
SELECT throws_ok('SELECT * FROM sales_supervisor.run_commission(6)', '42501', NULL,
                 'a department manager cannot run the company''s commission');
SELECT throws_ok('SELECT * FROM sales_supervisor.score_kpis((SELECT id FROM cyc))', '42501', NULL,
                 'a department manager cannot score everybody''s KPIs');
SELECT throws_ok('SELECT * FROM sales_supervisor.calibrate_appraisal_cycle((SELECT id FROM cyc))', '42501', NULL,
                 'a department manager cannot calibrate the company''s cycle');
SELECT throws_ok('SELECT * FROM sales_supervisor.close_appraisal_cycle((SELECT id FROM cyc))', '42501', NULL,
                 'a department manager cannot close the company''s cycle');
SELECT throws_ok('SELECT * FROM sales_supervisor.promotion_candidates((SELECT id FROM cyc))', '42501', NULL,
                 'a department manager cannot list everybody''s promotion candidates');
RESET ROLE;
INSERT INTO kpi_target (cycle_id, kpi_id, level, target)
SELECT c.id, v.kpi_id, v.level::member_level, v.target FROM cyc c,
  (VALUES (3, 'sales_rep', 0.2), (4, 'sales_customer_supervisor', 80), (4, 'sales_manager', 80)) v(kpi_id, level, target);
SET LOCAL ROLE ss_scope_hr;
SELECT throws_ok('SELECT * FROM sales_supervisor.run_commission(6)', '42501', NULL,
                 'HR cannot run commissions (it would return per-rep credited sales)');
SELECT lives_ok('SELECT * FROM sales_supervisor.score_kpis((SELECT id FROM cyc))', 'HR scores the KPIs');
RESET ROLE;
-- a manager who leads every department acts for the whole organisation
INSERT INTO team_leader VALUES (2, 1) ON CONFLICT (team_id) DO UPDATE SET member_id = 1;
SELECT is(scope_root_team_ids('ss_demo_1'), NULL::integer[], 'leading both departments is the whole organisation');
SET LOCAL ROLE ss_demo_1;
SELECT ok((SELECT count(*) FROM run_commission(6)) > 0, '... and may run the company''s commission');
RESET ROLE;

-- whatever this scenario did, money and quota are conserved (as the owner)
RESET ROLE;
SELECT is_empty('SELECT * FROM sales_supervisor.conservation_violations()',
                'conservation_violations() finds nothing at the end of the scenario');

SELECT * FROM finish();
ROLLBACK;
