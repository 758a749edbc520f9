-- generate_demo_org(changes => true): a year with the changes of a real one,
-- and the whole commission year over it conserved.
--  * every moved rep has two assignments, the second from their transfer day,
--    and their customers moved with them (owner within the customer's team);
--  * every new hire has a hire date in the year and no sales line before it;
--  * the leaves are in the year; prorate_quotas relieves the hires' months
--    before the hire and the leave days;
--  * after twelve runs with a late line and a split correction between them:
--    no conservation violation.
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SELECT plan(11);

SELECT ok((SELECT count(*) FROM generate_demo_org(seed => 5, teams => 7, depth => 2, reps => 40, customers => 200,
            sales_lines => 4000, surveys => 50, reviews_per_member => 1, changes => true)) > 0, 'demo org with changes');
CREATE TEMP TABLE moved AS
SELECT a.member_id, min(upper(a.valid)) AS moved_on FROM member_assignment a GROUP BY a.member_id HAVING count(*) > 1;
SELECT ok((SELECT count(*) FROM moved) BETWEEN 1 AND 6, 'a few reps moved team (about 5 % of 40, at least one)');
SELECT is_empty($$SELECT m.member_id FROM moved m JOIN sales_supervisor.member_assignment a USING (member_id)
                  WHERE upper(a.valid) IS NOT NULL AND (upper(a.valid) < '2025-03-01' OR upper(a.valid) > '2025-11-01')$$,
                'each moved between March and October');
SELECT is_empty($$SELECT c.customer_id FROM sales_supervisor.customer c JOIN moved m ON m.member_id = c.owner_id
                  JOIN sales_supervisor.member x ON x.member_id = c.owner_id WHERE c.team_id <> x.team_id$$,
                'their customers moved with them');
SELECT ok((SELECT count(*) FROM member WHERE hire_date BETWEEN '2025-01-01' AND '2025-12-31') >= 1,
          'new hires on days of the year');
SELECT is_empty($$SELECT s.sale_id FROM sales_supervisor.sale s JOIN sales_supervisor.member m USING (member_id)
                  WHERE s.sold_on < m.hire_date$$, 'nobody sells before their hire');
SELECT ok((SELECT count(*) FROM member_leave WHERE lower(during) >= '2025-02-01' AND upper(during) <= '2026-01-01') >= 1,
          'leaves in the year');

INSERT INTO commission_plan (member_id, period_id, tiers)
SELECT m.member_id, p.period_id, 'marginal[(0,0.02),(20000,0.03)]'
FROM member m CROSS JOIN fiscal_period p WHERE m.level = 'sales_rep' AND p.kind = 'month';
SELECT ok((SELECT count(*) FROM allocate_quotas(2025, 20000000, basis => 'equal')) > 0, 'quotas allocated');
SELECT ok((SELECT count(*) FROM prorate_quotas(2025) WHERE absent_days > 0) >= 2,
          'proration relieves the hires'' months and the leaves');
DO $$
DECLARE p record;
BEGIN
  FOR p IN SELECT period_id, month FROM sales_supervisor.fiscal_period WHERE kind = 'month' ORDER BY start_on LOOP
    PERFORM sales_supervisor.run_commission(p.period_id);
    IF p.month = 4 THEN   -- a late March line and a corrected January split, credited by the May run
      INSERT INTO sales_supervisor.sale (sold_on, member_id, customer_id, category_id, amount)
      SELECT '2025-03-20', c.owner_id, c.customer_id, 1, 777.77 FROM sales_supervisor.customer c ORDER BY c.customer_id LIMIT 1;
      PERFORM sales_supervisor.correct_sale_credit(x.sale_id, ARRAY[x.member_id], '{100}', 'demo correction')
      FROM (SELECT sc.sale_id, max(sc.member_id) AS member_id FROM sales_supervisor.sale_credit sc
            JOIN sales_supervisor.sale s USING (sale_id) WHERE s.sold_on < '2025-02-01' GROUP BY sc.sale_id
            ORDER BY sc.sale_id LIMIT 1) x;
    END IF;
  END LOOP;
END
$$;
SELECT is_empty('SELECT * FROM sales_supervisor.conservation_violations()',
                'the year with transfers, hires, leaves, a late line and a corrected split is conserved');

-- the credit by the team of the sale date (the KPIs' and the close's team figures), from the
-- ledger and the transfer months line by line, against the lines joined to the assignments
SELECT results_eq($$SELECT member_id, team_id, month, sum(amount) FROM sales_supervisor.credit_by_team_month('2025-01-01', '2025-12-31')
                    GROUP BY 1, 2, 3 HAVING sum(amount) <> 0 ORDER BY 1, 2, 3$$,
                  $$SELECT cs.member_id, coalesce(a.team_id, m.team_id), date_trunc('month', cs.sold_on::timestamp)::date, sum(cs.amount)
                    FROM sales_supervisor.credited_sales('2025-01-01', '2025-12-31') cs
                    JOIN sales_supervisor.member m ON m.member_id = cs.member_id
                    LEFT JOIN sales_supervisor.member_assignment a ON a.member_id = cs.member_id AND a.valid @> cs.sold_on
                    GROUP BY 1, 2, 3 HAVING sum(cs.amount) <> 0 ORDER BY 1, 2, 3$$,
                  'credit by the team of the sale date equals the lines joined to the assignments, per rep, team and month');

SELECT * FROM finish();
ROLLBACK;
