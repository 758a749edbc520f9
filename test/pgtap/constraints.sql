-- Bad data is refused with a clear error and SQLSTATE; good data passes.
-- Org: generate_demo_org(seed 11, teams 7, depth 3, reps 12, customers 60):
-- member k leads team k (1..7); rep 8 is in team 4, rep 9 in team 5, rep 11 in
-- team 7 (under team 3, under department 1); customer c is owned by rep
-- 8 + (c - 1) % 12, so customer 2 belongs to rep 9 / team 5 and customer 4 to
-- rep 11 / team 7.
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SELECT plan(63);

SELECT is((SELECT count(*)::int FROM generate_demo_org(seed => 11, teams => 7, depth => 3, reps => 12,
            customers => 60, sales_lines => 600, surveys => 50, reviews_per_member => 4)),
          18, 'demo org generated');
CREATE TEMP TABLE k AS SELECT (SELECT cycle_id FROM appraisal_cycle) AS cyc,
  (SELECT review_id FROM review WHERE reviewer_id = 12 AND reviewee_id = 8) AS rev,
  (SELECT min(sale_id) FROM sale WHERE refund_of IS NULL
     AND sale_id NOT IN (SELECT sale_id FROM sale_credit)) AS sale;

-- ---- generator
SELECT throws_ok('SELECT * FROM sales_supervisor.generate_demo_org()', '55000',
                 'the data model already holds data', 'generator refuses a model that holds data');
SELECT throws_ok('SELECT * FROM sales_supervisor.generate_demo_org(teams => 0, replace => true)', '22023',
                 'teams must be between 1 and 100000, got 0', 'generator: bad size named');
SELECT throws_ok('SELECT * FROM sales_supervisor.generate_demo_org(year => 1800, replace => true)', '22023',
                 'year must be between 1901 and 9998, got 1800', 'generator: bad year named');

-- ---- reviews: scale, self-review, one per rater
-- the INSERT of a review in the demo cycle: reviewer, reviewee, rater role
CREATE FUNCTION pg_temp.review_of_cycle(reviewer int, reviewee int, rater_role text) RETURNS text LANGUAGE sql AS $$
  SELECT format('INSERT INTO sales_supervisor.review (cycle_id, reviewer_id, reviewee_id, rater_role) VALUES (%s, %s, %s, %L)',
                (SELECT cyc FROM pg_temp.k), reviewer, reviewee, rater_role)
$$;
SELECT throws_ok(format($$INSERT INTO sales_supervisor.review_score VALUES (%s, 'extra', 6)$$, (SELECT rev FROM k)),
                 '23514', format('score 6.00 for criterion "extra" is outside the rating scale 1.00..5.00 of appraisal cycle %s',
                                 (SELECT cyc FROM k)),
                 'a score above the cycle''s scale is refused');
SELECT throws_ok(format($$UPDATE sales_supervisor.review_score SET score = 0.5 WHERE review_id = %s$$, (SELECT rev FROM k)),
                 '23514', NULL, 'a score below the cycle''s scale is refused');
SELECT lives_ok(format($$INSERT INTO sales_supervisor.review_score VALUES (%s, 'extra', 5)$$, (SELECT rev FROM k)),
                'a score at the top of the scale is accepted');
SELECT throws_ok(pg_temp.review_of_cycle(8, 8, 'peer'),
                 '23514', 'new row for relation "review" violates check constraint "review_self_only_as_self"',
                 'a self-review disguised as a peer review is refused');
SELECT throws_ok(pg_temp.review_of_cycle(4, 8, 'self'),
                 '23514', 'new row for relation "review" violates check constraint "review_self_only_as_self"',
                 'a self review of somebody else is refused');
SELECT throws_ok(pg_temp.review_of_cycle(12, 8, 'peer'),
                 '23505', 'duplicate key value violates unique constraint "review_one_per_rater"',
                 'one review per cycle, reviewer, reviewee and role');

SELECT throws_ok(pg_temp.review_of_cycle(12, 16, 'supervisor'),
                 '23514', 'member 12 is not above member 16 in the organisation: a supervisor review needs that',
                 'a peer cannot review as a supervisor');
SELECT throws_ok(pg_temp.review_of_cycle(9, 4, 'subordinate'),
                 '23514', 'member 4 is not above member 9 in the organisation: a subordinate review needs that',
                 'a rep of team 5 is no subordinate of team 4''s leader');
SELECT lives_ok(pg_temp.review_of_cycle(1, 8, 'supervisor'),
                'the department''s manager may review a rep of a nested team as supervisor');

-- ---- cycles and weights
SELECT throws_ok(format($$INSERT INTO sales_supervisor.appraisal_component_weight VALUES (%s, 'sales_rep', 'team_management', 5)$$,
                        (SELECT cyc FROM k)),
                 '55000', format('appraisal cycle %s is reviewing: its weights can only change while it is open', (SELECT cyc FROM k)),
                 'weights are frozen once reviewing starts');
SELECT throws_ok($$INSERT INTO sales_supervisor.appraisal_cycle (fiscal_year, name) VALUES (2025, 'again')$$,
                 '23505', 'duplicate key value violates unique constraint "appraisal_cycle_one_unclosed_per_year"',
                 'one cycle per year that is not closed');
SELECT throws_ok($$INSERT INTO sales_supervisor.appraisal_cycle (fiscal_year, name, state) VALUES (2030, 'x', 'closed')$$,
                 '55000', 'a new appraisal cycle must start open, not closed', 'a cycle starts open');
SELECT throws_ok($$INSERT INTO sales_supervisor.appraisal_cycle (fiscal_year, name, rating_scale_min, rating_scale_max)
                   VALUES (2030, 'x', 5, 1)$$,
                 '23514', 'new row for relation "appraisal_cycle" violates check constraint "appraisal_cycle_scale"',
                 'the scale runs upwards');
INSERT INTO appraisal_cycle (cycle_id, fiscal_year, name, rating_scale_min, rating_scale_max)
  OVERRIDING SYSTEM VALUE VALUES (900, 2030, 'Appraisal 2030', 0, 10);
SELECT throws_ok($$UPDATE sales_supervisor.appraisal_cycle SET state = 'reviewing' WHERE cycle_id = 900$$,
                 '23514', 'appraisal cycle 900 has no component weights', 'a cycle without weights cannot start reviewing');
INSERT INTO appraisal_component_weight VALUES (900, 'sales_rep', 'individual_performance', 60),
                                              (900, 'sales_rep', 'customer_satisfaction', 30);
SELECT throws_ok($$UPDATE sales_supervisor.appraisal_cycle SET state = 'reviewing' WHERE cycle_id = 900$$,
                 '23514', 'component weights of appraisal cycle 900 for level sales_rep sum to 90.00, not 100',
                 'component weights summing to 90 are refused');
UPDATE appraisal_component_weight SET weight = 40 WHERE cycle_id = 900 AND component = 'customer_satisfaction';
INSERT INTO kpi_weight VALUES (900, 'sales_rep', 1, 60);
SELECT throws_ok($$UPDATE sales_supervisor.appraisal_cycle SET state = 'reviewing' WHERE cycle_id = 900$$,
                 '23514', 'KPI weights of appraisal cycle 900 for level sales_rep sum to 60.00, not 100',
                 'KPI weights summing to 60 are refused');
INSERT INTO kpi_weight VALUES (900, 'sales_rep', 2, 40);
SELECT throws_ok($$UPDATE sales_supervisor.appraisal_cycle SET state = 'calibrating' WHERE cycle_id = 900$$,
                 '55000', 'appraisal cycle 900 cannot go from open to calibrating', 'the state moves one step at a time');
SELECT lives_ok($$UPDATE sales_supervisor.appraisal_cycle SET state = 'reviewing' WHERE cycle_id = 900$$,
                'weights summing to 100 let the cycle start reviewing');
SELECT throws_ok($$UPDATE sales_supervisor.appraisal_cycle SET rating_scale_max = 5 WHERE cycle_id = 900$$,
                 '55000', 'appraisal cycle 900 is reviewing: its year and rating scale can only change while it is open',
                 'the scale is frozen once reviewing starts');
INSERT INTO review (review_id, cycle_id, reviewer_id, reviewee_id, rater_role) OVERRIDING SYSTEM VALUE
  VALUES (90000, 900, 12, 8, 'peer');
SELECT lives_ok($$INSERT INTO sales_supervisor.review_score VALUES (90000, 'results', 9)$$,
                'a 9 is within the 0..10 scale of cycle 900');
SELECT throws_ok($$INSERT INTO sales_supervisor.review_score VALUES (90000, 'growth', 11)$$, '23514',
                 'score 11.00 for criterion "growth" is outside the rating scale 0.00..10.00 of appraisal cycle 900',
                 'the scale is per cycle, not hard-coded to 5');
UPDATE appraisal_cycle SET state = 'calibrating' WHERE cycle_id = 900;
SELECT throws_ok($$UPDATE sales_supervisor.review_score SET score = 8 WHERE review_id = 90000$$, '55000',
                 'reviews of appraisal cycle 900 cannot change: the cycle is calibrating',
                 'reviews are frozen while calibrating');

-- ---- fiscal periods
SELECT throws_ok($$INSERT INTO sales_supervisor.fiscal_period (kind, fiscal_year, month, start_on, end_on)
                   VALUES ('month', 2024, 12, '2024-12-15', '2025-01-14')$$,
                 '23P01', 'conflicting key value violates exclusion constraint "fiscal_period_no_overlap_month"',
                 'overlapping months are refused');
SELECT throws_ok($$INSERT INTO sales_supervisor.fiscal_period (kind, fiscal_year, start_on, end_on)
                   VALUES ('year', 2026, '2025-07-01', '2026-06-30')$$,
                 '23P01', 'conflicting key value violates exclusion constraint "fiscal_period_no_overlap_year"',
                 'overlapping years are refused');
SELECT lives_ok($$INSERT INTO sales_supervisor.fiscal_period (kind, fiscal_year, start_on, end_on)
                  VALUES ('year', 2026, '2026-01-01', '2026-12-31')$$, 'the next year fits');
SELECT throws_ok($$INSERT INTO sales_supervisor.fiscal_period (kind, fiscal_year, quarter, start_on, end_on)
                   VALUES ('quarter', 2027, 1, '2027-03-31', '2027-01-01')$$,
                 '23514', 'new row for relation "fiscal_period" violates check constraint "fiscal_period_start_before_end"',
                 'a period ends after it starts');
SELECT throws_ok($$INSERT INTO sales_supervisor.fiscal_period (kind, fiscal_year, start_on, end_on)
                   VALUES ('month', 2027, '2027-01-01', '2027-01-31')$$,
                 '23514', 'new row for relation "fiscal_period" violates check constraint "fiscal_period_shape"',
                 'a month names its month');

-- ---- customers and visits within the team
SELECT throws_ok($$INSERT INTO sales_supervisor.customer_visit (customer_id, member_id, planned_on) VALUES (2, 8, '2025-06-01')$$,
                 '23514', 'member 8 of team 4 cannot visit customer 2 of team 5', 'a visit for a customer of another team is refused');
SELECT throws_ok($$INSERT INTO sales_supervisor.customer_visit (customer_id, member_id, planned_on) VALUES (4, 2, '2025-06-01')$$,
                 '23514', 'member 2 of team 2 cannot visit customer 4 of team 7', 'another department''s manager cannot visit either');
SELECT lives_ok($$INSERT INTO sales_supervisor.customer_visit (customer_id, member_id, planned_on) VALUES (4, 3, '2025-06-01')$$,
                'the supervisor of the team above may visit');
SELECT throws_ok($$UPDATE sales_supervisor.customer SET owner_id = 8 WHERE customer_id = 2$$,
                 '23514', 'member 8 of team 4 cannot own customer 2 of team 5', 'a customer is owned within its team');
SELECT throws_ok($$INSERT INTO sales_supervisor.survey_response (customer_id, answered_at, csat) VALUES (1, now(), 6)$$,
                 '23514', 'new row for relation "survey_response" violates check constraint "survey_response_csat_check"',
                 'CSAT is 1..5');
SELECT throws_ok($$INSERT INTO sales_supervisor.survey_response (customer_id, answered_at) VALUES (1, now())$$,
                 '23514', 'new row for relation "survey_response" violates check constraint "survey_response_has_answer"',
                 'a survey answer answers something');
SELECT throws_ok($$INSERT INTO sales_supervisor.feedback (customer_id, kind, status, summary) VALUES (1, 'complaint', 'resolved', 'late')$$,
                 '23514', 'new row for relation "feedback" violates check constraint "feedback_resolved_iff_final"',
                 'a resolved item has a resolve time');

-- ---- org tree
SELECT throws_ok($$UPDATE sales_supervisor.team SET parent_id = 7 WHERE team_id = 1$$,
                 '23514', 'team 1 cannot be placed under team 7, which lies in its own subtree', 'no cycle in the team tree');
SELECT throws_ok($$UPDATE sales_supervisor.member SET manager_id = 8 WHERE member_id = 8$$,
                 '23514', 'new row for relation "member" violates check constraint "member_not_own_manager"',
                 'nobody manages themself');

-- ---- sales, credit splits, seasonality
SELECT throws_ok(format($$INSERT INTO sales_supervisor.sale (sold_on, member_id, customer_id, category_id, amount, refund_of)
                          VALUES ('2025-05-05', 8, 1, 1, 10, %s)$$, (SELECT sale FROM k)),
                 '23514', 'new row for relation "sale" violates check constraint "sale_amount_sign"',
                 'a refund line is negative');
SET CONSTRAINTS sale_credit_sum_100, seasonal_distribution_complete IMMEDIATE;
SELECT throws_ok(format($$INSERT INTO sales_supervisor.sale_credit VALUES (%s, 8, 60)$$, (SELECT sale FROM k)),
                 '23514', format('credit shares of sale %s sum to 60.00, not 100', (SELECT sale FROM k)),
                 'credit shares must sum to 100');
SELECT lives_ok(format($$INSERT INTO sales_supervisor.sale_credit VALUES (%s, 8, 75), (%s, 12, 25)$$,
                       (SELECT sale FROM k), (SELECT sale FROM k)),
                'a 75/25 split is accepted');
SELECT throws_ok($$INSERT INTO sales_supervisor.seasonal_distribution
                   SELECT 'flat', 2025, m, CASE WHEN m = 12 THEN 8.0 ELSE 8.3 END FROM generate_series(1, 12) m$$,
                 '23514', 'seasonal distribution "flat" of 2025 covers 12 months summing to 99.3000, not 12 months summing to 100',
                 'a seasonal distribution must sum to 100');
SELECT throws_ok($$INSERT INTO sales_supervisor.seasonal_distribution
                   SELECT 'short', 2025, m, 100 / 11.0 FROM generate_series(1, 11) m$$,
                 '23514', NULL, 'a seasonal distribution must cover all 12 months');
SET CONSTRAINTS ALL DEFERRED;

-- ---- quotas, ledgers
INSERT INTO quota (quota_id, period_id, member_id, amount, method, locked) OVERRIDING SYSTEM VALUE
  VALUES (7001, 1, 8, 1200000, 'top_down', true);
SELECT throws_ok($$UPDATE sales_supervisor.quota SET amount = 1 WHERE quota_id = 7001$$, '55000', 'quota 7001 is locked',
                 'a locked quota cannot change');
SELECT throws_ok($$DELETE FROM sales_supervisor.quota WHERE quota_id = 7001$$, '55000', 'quota 7001 is locked',
                 'a locked quota cannot be deleted');
SELECT lives_ok($$UPDATE sales_supervisor.quota SET locked = false WHERE quota_id = 7001$$, 'a locked quota can be unlocked');
SELECT is((SELECT string_agg(action || ':' || (new_row->>'locked'), ',' ORDER BY audit_id) FROM audit_log
           WHERE table_name = 'quota' AND row_key = '{"quota_id": 7001}'),
          'INSERT:true,UPDATE:false', 'the quota''s insert and unlock are audited');
SELECT throws_ok($$INSERT INTO sales_supervisor.quota (period_id, member_id, team_id, amount, method) VALUES (1, 8, 4, 1, 'manual')$$,
                 '23514', 'new row for relation "quota" violates check constraint "quota_member_xor_team"',
                 'a quota is for a member or a team, not both');
INSERT INTO commission_credit (credit_id, period_id, member_id, kind, sold_in, lines, amount) OVERRIDING SYSTEM VALUE
  VALUES (5001, 6, 8, 'sales', '2025-01-01', 1, 12.34);
SELECT throws_ok($$UPDATE sales_supervisor.commission_credit SET amount = 0 WHERE credit_id = 5001$$, '42501',
                 'commission_credit is append-only: UPDATE is not allowed', 'credit lines are never edited');
SELECT throws_ok($$INSERT INTO sales_supervisor.commission_credit (period_id, member_id, kind, sold_in, lines, amount)
                   VALUES (7, 8, 'refunds', '2025-01-01', 1, 12.34)$$,
                 '23514', NULL, 'a refund (reversal) line is not positive');
SELECT throws_ok($$INSERT INTO sales_supervisor.commission_credit (period_id, member_id, kind, sold_in, lines, amount, for_period_id)
                   VALUES (7, 8, 'sales', '2025-01-01', 1, 1.00, 6)$$,
                 '23514', NULL, 'a sales line is for the period it is booked in (only late lines and corrections name another)');
SELECT throws_ok($$INSERT INTO sales_supervisor.commission_credit (period_id, member_id, kind, sold_in, lines, amount)
                   VALUES (7, 8, 'sales', '2025-01-15', 1, 1.00)$$,
                 '23514', NULL, 'the month of sale is a first day');
INSERT INTO commission_period_lock (period_id) VALUES (6);
SELECT throws_ok($$INSERT INTO sales_supervisor.commission_payout (member_id, period_id, amount) VALUES (8, 6, 100)$$,
                 '55000', 'commission period 6 is locked', 'no payout into a locked period');
SELECT throws_ok($$INSERT INTO sales_supervisor.commission_credit (period_id, member_id, kind, sold_in, lines, amount)
                   VALUES (7, 8, 'late_refunds', '2025-01-01', 1, -12.34), (6, 8, 'refunds', '2025-01-01', 1, -12.34)$$,
                 '55000', 'commission period 6 is locked', 'no credit line into a locked period (checked per statement)');
SELECT lives_ok($$INSERT INTO sales_supervisor.commission_credit (period_id, member_id, kind, sold_in, lines, amount)
                  VALUES (7, 8, 'refunds', '2025-01-01', 1, -12.34)$$,
                'a correction goes into an open period as a reversal line');

-- ---- pipeline, promotions
SELECT throws_ok($$INSERT INTO sales_supervisor.opportunity (customer_id, member_id, name, stage, amount, probability, expected_close, closed_on)
                   VALUES (1, 8, 'x', 'won', 10, 50, CURRENT_DATE + 1, CURRENT_DATE)$$,
                 '23514', 'new row for relation "opportunity" violates check constraint "opportunity_won_is_certain"',
                 'a won deal is certain');
SELECT throws_ok($$INSERT INTO sales_supervisor.promotion_rule (from_level, to_level, qualifying_grades)
                   VALUES ('sales_manager', 'sales_rep', '{A}')$$,
                 '23514', 'new row for relation "promotion_rule" violates check constraint "promotion_rule_upward"',
                 'a promotion rule goes up the ladder');

-- plans are typed values: a bad curve or tier table is refused when it is written,
-- not months later when the KPIs are scored or the commission is run
SELECT throws_ok($$INSERT INTO sales_supervisor.kpi_definition (kpi_id, code, name, metric, curve)
                  VALUES (900, 'bad_curve', 'Bad curve', 'sales_amount', 'step[(1,100),(0.5,50)]')$$,
                 '22023', NULL, 'a kpi_definition with an unsorted step curve is refused');
SELECT throws_ok($$INSERT INTO sales_supervisor.commission_plan (member_id, period_id, tiers)
                  SELECT min(m.member_id), min(p.period_id), 'marginal[(0,0.02),(1000,-0.01)]'
                  FROM sales_supervisor.member m, sales_supervisor.fiscal_period p$$,
                 '22023', NULL, 'a commission_plan with a negative rate is refused');
-- ---- the generator again, in the same transaction: its deferred checks of the
-- first org are pending, which TRUNCATE refused ("pending trigger events")
SELECT lives_ok($$SELECT * FROM sales_supervisor.generate_demo_org(seed => 2, teams => 2, depth => 1, reps => 3,
                  customers => 20, sales_lines => 50, surveys => 10, reviews_per_member => 1, replace => true);
                  SELECT * FROM sales_supervisor.generate_demo_org(seed => 3, teams => 3, depth => 2, reps => 4,
                  customers => 20, sales_lines => 50, surveys => 10, reviews_per_member => 1, replace => true)$$,
                'generate_demo_org(replace => true) twice in one transaction');
SELECT is((SELECT count(*)::int FROM member), 7, '... and the model holds the second org: 3 team leaders and 4 reps');

SELECT * FROM finish();
ROLLBACK;
