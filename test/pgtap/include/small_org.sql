-- The small org of sales_year_small_org.sql (every number there is worked out by
-- hand in its header): teams, members, customers, visits, feedback, surveys,
-- sales and splits, training, reports.  Pulled in with `\ir include/small_org.sql`
-- by the suites that compute on it (search_path = sales_supervisor, public).
INSERT INTO team (team_id, name) VALUES (1, 'North'), (2, 'South');
INSERT INTO member (member_id, full_name, level, team_id, manager_id, hire_date) VALUES
  (1, 'Sam', 'sales_customer_supervisor', 1, NULL, '2019-01-01'),
  (2, 'Sue', 'sales_customer_supervisor', 2, NULL, '2020-03-15'),
  (3, 'Ann', 'sales_rep', 1, 1, '2021-01-10'),
  (4, 'Bob', 'sales_rep', 1, 1, '2022-06-01'),
  (5, 'Cat', 'sales_rep', 1, 1, '2025-03-10'),
  (6, 'Dan', 'sales_rep', 2, 2, '2020-01-01'),
  (7, 'Eve', 'sales_rep', 2, 2, '2023-02-01');
INSERT INTO team_leader (team_id, member_id) VALUES (1, 1), (2, 2);
INSERT INTO visit_cadence (tier, every_days) VALUES ('A', 90), ('B', 180), ('C', 365);
INSERT INTO customer (customer_id, name, tier, team_id, owner_id, since) VALUES
  (1, 'c1', 'A', 1, 3, '2020-01-01'), (2, 'c2', 'B', 1, 3, '2020-01-01'), (3, 'c3', 'C', 1, 3, '2025-05-01'),
  (4, 'c4', 'A', 1, 4, '2020-01-01'), (5, 'c5', 'C', 1, 4, '2020-01-01'),
  (6, 'c6', 'B', 1, 5, '2020-01-01'), (7, 'c7', 'B', 1, 5, '2025-04-01'),
  (8, 'c8', 'A', 2, 6, '2020-01-01'), (9, 'c9', 'B', 2, 6, '2020-01-01'), (10, 'c10', 'C', 2, 6, '2025-02-01'),
  (11, 'c11', 'B', 2, 7, '2020-01-01'), (12, 'c12', 'C', 2, 7, '2020-01-01');
INSERT INTO product_category (category_id, name) VALUES (1, 'Goods');
-- the 2025 calendar: the year is period 1, quarters 2..5, months 6..17
\ir fiscal_2025.sql
INSERT INTO seasonal_distribution (name, fiscal_year, month, share_pct)
SELECT 'plan', 2025, m, (ARRAY[5, 5, 10, 10, 5, 5, 10, 10, 5, 5, 10, 20])[m] FROM generate_series(1, 12) m;

-- sales: 2024 history, then 2025
INSERT INTO sale (sale_id, sold_on, member_id, customer_id, category_id, amount, refund_of) VALUES
  (1, '2024-06-01', 3, 1, 1, 300000, NULL), (2, '2024-06-01', 4, 4, 1, 200000, NULL),
  (3, '2024-06-01', 6, 8, 1, 250000, NULL), (4, '2024-06-01', 7, 11, 1, 250000, NULL),
  (10, '2025-01-20', 3, 1, 1, 200000, NULL),
  (11, '2025-02-10', 6, 8, 1, 150000, NULL),
  (12, '2025-03-03', 7, 11, 1, 100000, NULL),
  (13, '2025-04-15', 3, 2, 1, 10000.01, NULL),
  (14, '2025-04-10', 5, 6, 1, 41560, NULL),
  (15, '2025-05-05', 4, 4, 1, 108652, NULL),
  (16, '2025-06-30', 3, 2, 1, 183861.99, NULL),
  (17, '2025-07-15', 6, 9, 1, 114000, NULL),
  (18, '2025-08-05', 6, 9, 1, 6000, NULL),
  (19, '2025-08-20', 6, 9, 1, -6000, 18),
  (20, '2025-09-09', 5, 7, 1, 200000, NULL),
  (21, '2025-11-11', 7, 12, 1, 100000, NULL),
  (22, '2025-11-25', 7, 12, 1, -2000, 21),
  (23, '2025-12-01', 4, 5, 1, 100000, NULL);
INSERT INTO sale_credit (sale_id, member_id, share_pct) VALUES (13, 3, 60), (13, 4, 40);

-- visits: (customer, done, planned but not done)
INSERT INTO customer_visit (customer_id, member_id, planned_on, done_at)
SELECT v.c, cu.owner_id, make_date(2025, k, 10), make_date(2025, k, 10) + time '10:00'
FROM (VALUES (1, 3), (2, 2), (3, 1), (4, 4), (5, 2), (6, 1), (7, 1), (8, 4), (9, 2), (12, 1)) v(c, n)
JOIN customer cu ON cu.customer_id = v.c
CROSS JOIN generate_series(1, v.n) k;
INSERT INTO customer_visit (customer_id, member_id, planned_on) VALUES (11, 7, '2025-12-15');

-- feedback
INSERT INTO feedback (customer_id, member_id, kind, status, summary, opened_at, resolved_at) VALUES
  (1, 3, 'complaint', 'resolved', 'late delivery', '2025-03-01 09:00', '2025-03-02 09:00'),
  (4, 4, 'complaint', 'resolved', 'wrong invoice', '2025-06-01 00:00', '2025-06-05 00:00'),
  (8, 6, 'suggestion', 'resolved', 'new colour', '2025-04-01 08:00', '2025-04-01 20:00'),
  (9, 6, 'complaint', 'rejected', 'price', '2025-05-01 00:00', '2025-05-03 12:00'),
  (11, 7, 'complaint', 'open', 'broken part', '2025-12-30 00:00', NULL);

-- surveys (csat, nps); one of 2024 that must not count
INSERT INTO survey_response (customer_id, member_id, answered_at, csat, nps) VALUES
  (1, 3, '2024-12-01 12:00', 1, 0),
  (1, 3, '2025-02-01 12:00', 5, 10), (1, 3, '2025-05-01 12:00', 4, 9), (2, 3, '2025-06-01 12:00', 4, 7),
  (3, 3, '2025-09-01 12:00', 2, 3),
  (4, 4, '2025-03-01 12:00', 5, 10), (5, 4, '2025-10-01 12:00', 5, 10),
  (8, 6, '2025-02-01 12:00', 5, 9), (8, 6, '2025-03-01 12:00', 4, 8), (9, 6, '2025-04-01 12:00', 3, 6),
  (9, 6, '2025-05-01 12:00', 2, 5), (10, 6, '2025-06-01 12:00', 1, 10),
  (11, 7, '2025-02-01 12:00', 4, 9), (11, 7, '2025-03-01 12:00', 4, 9), (12, 7, '2025-04-01 12:00', 4, 7),
  (12, 7, '2025-05-01 12:00', 4, 0), (12, 7, '2025-06-01 12:00', 4, 10);

-- training
INSERT INTO training_session (session_id, title, held_on, hours, team_id) VALUES
  (1, 'old', '2024-11-01', 8, 1), (2, 'negotiation', '2025-02-10', 8, 1),
  (3, 'product', '2025-06-10', 8, 2), (4, 'crm', '2025-09-10', 4, NULL);
INSERT INTO training_attendance (session_id, member_id, attended) VALUES
  (1, 3, true), (2, 3, true), (2, 4, true), (2, 5, false), (3, 6, true), (3, 7, true),
  (4, 3, true), (4, 5, true), (4, 6, true);

-- work reports: (member, quarter, submitted date or NULL)
INSERT INTO work_report (member_id, kind, due_on, submitted_at)
SELECT v.m, 'quarterly', (make_date(2025, 3 * v.q, 1) + interval '1 month' - interval '1 day')::date, v.s::timestamptz
FROM (VALUES (3, 1, '2025-03-31 17:00'), (3, 2, '2025-06-30 17:00'), (3, 3, '2025-09-30 17:00'), (3, 4, '2025-12-31 17:00'),
             (4, 1, '2025-03-31 17:00'), (4, 2, '2025-06-30 17:00'), (4, 3, '2025-09-30 17:00'), (4, 4, '2026-01-03 10:00'),
             (5, 2, '2025-07-02 09:00'), (5, 3, '2025-09-30 17:00'), (5, 4, NULL),
             (6, 1, '2025-03-31 17:00'), (6, 2, '2025-06-30 17:00'), (6, 3, '2025-09-30 17:00'), (6, 4, '2025-12-31 17:00'),
             (7, 1, '2025-03-31 17:00'), (7, 2, '2025-07-01 09:00'), (7, 3, '2025-09-30 17:00'), (7, 4, '2026-01-02 09:00'))
     v(m, q, s);
