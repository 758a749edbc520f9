-- The small org's appraisal cycle 2025 (after include/small_org.sql): the
-- quotas allocated, cycle 1 opened with its weights, the nine KPIs, their
-- weights and targets, grades A-D, reviews started.  Pulled in with
-- `\ir include/small_org_cycle.sql` (search_path = sales_supervisor, public);
-- sets :cycle.
SELECT count(*) AS quota_rows FROM allocate_quotas(2025, 1200000, basis => 'history', over_assignment_pct => '{0,10}', seasonal => 'plan') \gset
SELECT open_appraisal_cycle(2025, 'Appraisal 2025', 1, 5,
  '{"sales_rep": {"team_performance": 20, "individual_performance": 60, "customer_satisfaction": 20},
    "sales_customer_supervisor": {"team_performance": 50, "team_management": 30, "customer_satisfaction": 20}}') AS cycle \gset
INSERT INTO kpi_definition (kpi_id, code, name, metric, higher_is_better, curve, component) VALUES
  (1, 'sales', 'Sales', 'sales_amount', true, 'linear[(0.5,0),(1,100),(1.5,150)]', 'individual_performance'),
  (2, 'new_cust', 'New customers', 'new_customers', true, 'linear[(0,0),(1,100),(2,200)]', 'individual_performance'),
  (3, 'visits', 'Return visits', 'visit_completion', true, 'linear[(0,0),(1,100),(2,200)]', 'individual_performance'),
  (4, 'feedback', 'Feedback hours', 'feedback_hours', false, 'linear[(0,0),(1,100),(2,200)]', 'individual_performance'),
  (5, 'training', 'Training', 'training_hours', true, 'linear[(0,0),(1,100),(2,200)]', 'individual_performance'),
  (6, 'reports', 'Reports on time', 'on_time_reports', true, 'linear[(0,0),(1,100),(2,200)]', 'individual_performance'),
  (7, 'csat', 'CSAT', 'csat', true, 'linear[(0,0),(1,100),(2,200)]', 'customer_satisfaction'),
  (8, 'team_sales', 'Team sales', 'team_sales_amount', true, 'linear[(0.5,0),(1,100),(1.5,150)]', 'team_performance'),
  (9, 'nps', 'NPS', 'nps', true, 'linear[(0,0),(1,100),(2,200)]', 'customer_satisfaction');
INSERT INTO kpi_weight (cycle_id, level, kpi_id, weight)
SELECT :cycle, 'sales_rep'::member_level, k, CASE k WHEN 1 THEN 40 ELSE 10 END FROM generate_series(1, 7) k
UNION ALL SELECT :cycle, 'sales_customer_supervisor', 8, 60
UNION ALL SELECT :cycle, 'sales_customer_supervisor', 9, 40;
INSERT INTO kpi_target (cycle_id, kpi_id, level, target) VALUES
  (1, 2, 'sales_rep', 1), (1, 4, 'sales_rep', 48), (1, 5, 'sales_rep', 16), (1, 7, 'sales_rep', 80),
  (1, 9, 'sales_customer_supervisor', 40);
INSERT INTO grade_policy (cycle_id, grade, ordinal, distribution_pct, raise_pct, bonus_multiplier, reward_or_penalty) VALUES
  (1, 'A', 1, 20, 8, 1.5, 5000), (1, 'B', 2, 30, 5, 1.2, 2000), (1, 'C', 3, 40, 3, 1.0, 0), (1, 'D', 4, 10, 0, 0.5, -1000);
SELECT start_appraisal_reviews(1) IS NULL AS started \gset
