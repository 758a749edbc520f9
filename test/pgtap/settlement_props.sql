-- Properties of the accounts (issue 15), on random sales, credit notes,
-- payments and bounced payments (seeded):
--  * after every settlement conservation_violations() finds nothing;
--  * a statement's preview functions for one rep (settlement_member_*, by
--    the rep's indexes) give exactly the company's rows of that rep, every
--    month before its settlement, as of now and as of a moment before the
--    payments were recorded (each then recounted as late), and on two days;
--  * once every invoice is paid, earning on booking (with a clawback horizon),
--    on payment in full and pro rata to payment converge: each variant has
--    paid in total exactly what it earned, and nothing stays withheld.
-- Each "triple" is three reps with the same sales to three mirror customers,
-- billed and paid alike, whose plans differ only in earn_on.
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SELECT plan(13);

INSERT INTO team (team_id, name) VALUES (1, 'North');
INSERT INTO member (member_id, full_name, level, team_id, hire_date)
SELECT 10 * t + v, format('Rep %s.%s', t, v), 'sales_rep', 1, '2020-01-01'
FROM generate_series(1, 4) t CROSS JOIN generate_series(1, 3) v;
INSERT INTO visit_cadence (tier, every_days) VALUES ('A', 90);
INSERT INTO customer (customer_id, name, tier, team_id, owner_id, since)
SELECT member_id, 'c' || member_id, 'A', 1, member_id, '2020-01-01' FROM member;
INSERT INTO product_category (category_id, name) VALUES (1, 'Goods');
\ir include/fiscal_2025.sql
INSERT INTO commission_plan (member_id, period_id, tiers, earn_on, clawback_days)
SELECT m.member_id, p, 'marginal[(0,0.05),(8000,0.07)]',
       (ARRAY['booking', 'payment_in_full', 'payment_pro_rata'])[m.member_id % 10],
       CASE WHEN m.member_id % 10 = 1 THEN 10 END
FROM member m CROSS JOIN generate_series(6, 11) p;
-- the plans as known since yesterday (a fixture: the versions are append-only),
-- so that a preview as of a moment before the payments were recorded still
-- has its plans
ALTER TABLE commission_plan_version DISABLE TRIGGER commission_plan_version_append_only;
UPDATE commission_plan_version SET recorded_at = now() - interval '1 day';
ALTER TABLE commission_plan_version ENABLE TRIGGER commission_plan_version_append_only;

-- per triple 12 invoices issued January to May, 1 to 3 lines each; a fifth get a
-- partial credit note two weeks later; payments: in full, in two parts, or a
-- payment that bounces (reversed) and is paid again -- all by June 30
SELECT setseed(0.15);
CREATE TEMP TABLE inv AS
SELECT t, k, (date '2025-01-02' + floor(random() * 140)::integer) AS issued, 1 + floor(random() * 3)::integer AS n_lines,
       floor(random() * 3)::integer AS pattern, random() < 0.2 AS credit_note, random() AS r
FROM generate_series(1, 4) t CROSS JOIN generate_series(1, 12) k;
CREATE TEMP TABLE inv_line AS
SELECT i.t, i.k, g, round((100 + random() * 4900)::numeric, 2) AS amount FROM inv i CROSS JOIN LATERAL generate_series(1, i.n_lines) g;
INSERT INTO invoice (invoice_id, customer_id, issued_on, due_on)
SELECT 1000 * (10 * i.t + v) + i.k, 10 * i.t + v, i.issued, i.issued + 20
FROM inv i CROSS JOIN generate_series(1, 3) v;
INSERT INTO sale (sale_id, sold_on, member_id, customer_id, category_id, amount, invoice_id)
SELECT 100000 * (10 * l.t + v) + 10 * l.k + l.g, i.issued, 10 * l.t + v, 10 * l.t + v, 1, l.amount, 1000 * (10 * l.t + v) + l.k
FROM inv_line l JOIN inv i USING (t, k) CROSS JOIN generate_series(1, 3) v;
INSERT INTO sale (sold_on, member_id, customer_id, category_id, amount, refund_of, invoice_id)
SELECT s.sold_on + 14, s.member_id, s.customer_id, 1, -round(s.amount / 3, 2), s.sale_id, s.invoice_id
FROM sale s JOIN inv i ON s.invoice_id = 1000 * s.member_id + i.k AND i.t = s.member_id / 10
WHERE i.credit_note AND s.sale_id % 10 = 1;
INSERT INTO invoice_payment (invoice_id, paid_on, amount)
SELECT v.invoice_id, x.paid_on, x.amount
FROM (SELECT iv.invoice_id, iv.total, i.* FROM invoice iv JOIN inv i ON iv.invoice_id % 1000 = i.k
      AND i.t = iv.customer_id / 10) v
CROSS JOIN LATERAL (VALUES
    (least(v.issued + 30 + floor(v.r * 60)::integer, date '2025-06-30'),
     CASE WHEN v.pattern = 1 THEN round(v.total / 2, 2) ELSE v.total END),
    (CASE WHEN v.pattern = 1 THEN least(v.issued + 50 + floor(v.r * 70)::integer, date '2025-06-30') END,
     v.total - round(v.total / 2, 2))) x(paid_on, amount)
WHERE x.paid_on IS NOT NULL
ORDER BY v.invoice_id, x.paid_on;
-- the bounced ones (pattern 2): reversed ten days after, paid again by June 30
INSERT INTO invoice_payment (invoice_id, paid_on, amount, reverses_id)
SELECT p.invoice_id, least(p.paid_on + 10, date '2025-06-29'), -p.amount, p.payment_id
FROM invoice_payment p JOIN inv i ON p.invoice_id % 1000 = i.k AND i.t = p.invoice_id / 10000 WHERE i.pattern = 2;
INSERT INTO invoice_payment (invoice_id, paid_on, amount)
SELECT p.invoice_id, date '2025-06-30', -p.amount FROM invoice_payment p WHERE p.reverses_id IS NOT NULL;

SELECT is((SELECT count(*)::int FROM invoice WHERE paid <> total), 0, 'every invoice is paid by June 30, net of its credit notes');
SELECT ok((SELECT count(*) FROM invoice_payment WHERE reverses_id IS NOT NULL) > 0, 'some payments bounced and were paid again');

-- one rep's rows against the company's, for every rep: the rows in one and
-- not the other (as a bag), and how many rows the company's has
CREATE TEMP TABLE preview_check (what text, period_id integer, as_of timestamptz, company bigint, mismatched bigint);
-- the company's rows (query COMPANY) against every rep's (ONE_REP, with $3 the
-- rep), both with $1 and $2 for arguments
CREATE FUNCTION pg_temp.compare(what text, company text, one_rep text, p integer, a anyelement, t timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  reps text := 'SELECT r.* FROM sales_supervisor.member m CROSS JOIN LATERAL ('
               || replace(one_rep, '$3', 'm.member_id') || ') r';
BEGIN
  EXECUTE format('INSERT INTO preview_check SELECT %L, %s, $2, (SELECT count(*) FROM (%s) c), count(*)
                  FROM ((%s EXCEPT ALL %s) UNION ALL (%s EXCEPT ALL %s)) x',
                 what, p, company, company, reps, reps, company)
  USING a, t;
END
$$;
CREATE FUNCTION pg_temp.check_preview(p integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  t timestamptz;
  d date;
BEGIN
  FOREACH t IN ARRAY ARRAY[now(), now() - interval '1 second'] LOOP
    PERFORM pg_temp.compare('entries', 'SELECT * FROM sales_supervisor.settlement_entries($1, $2)',
                            'SELECT * FROM sales_supervisor.settlement_member_entries($1, $2, $3)', p, p, t);
    FOR d IN SELECT x FROM sales_supervisor.fiscal_period f, LATERAL (VALUES (f.start_on + 14), (f.end_on)) v(x)
             WHERE f.period_id = p LOOP
      PERFORM pg_temp.compare('unpaid', 'SELECT * FROM sales_supervisor.settlement_unpaid_credit($1, $2)',
                              'SELECT * FROM sales_supervisor.settlement_member_unpaid_credit($1, $2, $3)', p, d, t);
    END LOOP;
  END LOOP;
END
$$;

-- January to June: run, check the previews, settle, check
CREATE TEMP TABLE settled (period_id integer, violations integer);
CREATE FUNCTION pg_temp.month(p integer) RETURNS integer LANGUAGE plpgsql AS $$
BEGIN
  PERFORM sales_supervisor.run_commission(p);
  PERFORM pg_temp.check_preview(p);
  PERFORM sales_supervisor.settle_commission_period(p);
  RETURN (SELECT count(*) FROM sales_supervisor.conservation_violations());
END
$$;
SELECT is(pg_temp.month(p), 0, format('period %s run and settled: no violation', p)) FROM generate_series(6, 11) p;

SELECT is((SELECT sum(mismatched)::integer FROM preview_check), 0,
          'every month before its settlement, as of now and before the payments were recorded: each rep''s preview '
          || 'rows (entries, unpaid credit on two days) are exactly the company''s rows of that rep');
SELECT ok((SELECT count(*) FILTER (WHERE company > 0) FROM preview_check WHERE what = 'entries') >= 6
          AND (SELECT count(*) FILTER (WHERE company > 0) FROM preview_check WHERE what = 'unpaid') >= 12
          AND (SELECT count(*) FILTER (WHERE company > 0) FROM preview_check WHERE what = 'unpaid' AND as_of < now()) >= 6,
          'the previews compared are not empty');
SELECT ok((SELECT count(*) FROM commission_entry WHERE kind = 'held') > 0
          AND (SELECT count(*) FROM commission_entry WHERE kind = 'clawed_back') > 0,
          'commission was held and clawed back along the way');
SELECT is_empty($$SELECT member_id, sum(amount) FROM sales_supervisor.commission_entry
                  WHERE kind IN ('held', 'released', 'clawed_back') GROUP BY 1 HAVING sum(amount) <> 0$$,
                'once every invoice is paid nothing stays withheld: each rep''s holds and clawbacks are all released');
SELECT is_empty($$SELECT m.member_id / 10 AS triple, m.member_id % 10 AS variant, sum(b.paid) + min(b.closing) FILTER (WHERE b.period_id = 11)
                  FROM sales_supervisor.member m JOIN sales_supervisor.commission_balance b USING (member_id)
                  GROUP BY 1, 2
                  EXCEPT
                  SELECT m.member_id / 10, v, sum(po.amount)
                  FROM sales_supervisor.member m JOIN sales_supervisor.commission_payout po USING (member_id)
                  CROSS JOIN generate_series(1, 3) v WHERE m.member_id % 10 = 1
                  GROUP BY 1, 2$$,
                'the three ways of earning converge: every variant of a triple has been paid what booking earns');
SELECT * FROM finish();
ROLLBACK;
