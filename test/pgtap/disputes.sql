-- Disputes of the commission account (issue 15): file_dispute, decide_dispute,
-- the state trigger and the audit, as each role.
--
-- ORG (fiscal 2025 calendar months: March is period 8, April 9, December 17)
--   team 1 North: 1 Mia (manager, leads 1; login ss_dsp_mia)
--     team 2 North-A (under 1): 2 Sid (supervisor, leads 2; ss_dsp_sid),
--                               4 Ann (rep; ss_dsp_ann), 5 Bob (rep; ss_dsp_bob)
--   team 3 South: 3 Sue (supervisor, leads 3; ss_dsp_sue) -- Ann and Bob are
--     outside her scope
--   HR: ss_dsp_hr, no member.
-- Customers: 1 owned by Ann, 2 owned by Bob (both team 2).
-- Sales lines: 101 Ann -> customer 1; 102 Bob -> customer 1 (Ann's customer:
--   the line she says is missing); 103 Bob -> customer 2.
-- Account: entry 201 Ann 20.00 in March, 202 Bob 30.00 (adjustments); March is
--   settled (payout batch), so an adjustment decided for March goes to April.
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SELECT plan(45);

\ir include/fiscal_2025.sql
INSERT INTO team (team_id, name, parent_id) VALUES (1, 'North', NULL), (2, 'North-A', 1), (3, 'South', NULL);
INSERT INTO member (member_id, full_name, team_id, hire_date, level, login_role) VALUES
  (1, 'Mia', 1, '2018-01-01', 'sales_manager', 'ss_dsp_mia'),
  (2, 'Sid', 2, '2019-01-01', 'sales_customer_supervisor', 'ss_dsp_sid'),
  (3, 'Sue', 3, '2019-01-01', 'sales_customer_supervisor', 'ss_dsp_sue'),
  (4, 'Ann', 2, '2020-01-01', 'sales_rep', 'ss_dsp_ann'),
  (5, 'Bob', 2, '2020-01-01', 'sales_rep', 'ss_dsp_bob');
INSERT INTO team_leader (team_id, member_id) VALUES (1, 1), (2, 2), (3, 3);
INSERT INTO visit_cadence (tier, every_days) VALUES ('A', 90);
INSERT INTO customer (customer_id, name, tier, team_id, owner_id) VALUES (1, 'Acme', 'A', 2, 4), (2, 'Bolt', 'A', 2, 5);
INSERT INTO product_category (category_id, name) VALUES (1, 'Widgets');
INSERT INTO sale (sale_id, sold_on, member_id, customer_id, category_id, amount) VALUES
  (101, '2025-03-05', 4, 1, 1, 1000.00), (102, '2025-03-06', 5, 1, 1, 500.00), (103, '2025-03-07', 5, 2, 1, 700.00);
INSERT INTO commission_entry (entry_id, member_id, period_id, kind, amount) OVERRIDING SYSTEM VALUE VALUES
  (201, 4, 8, 'adjustment', 20.00), (202, 5, 8, 'adjustment', 30.00);
INSERT INTO payout_batch (period_id) VALUES (8);

CREATE ROLE ss_dsp_mia NOLOGIN; CREATE ROLE ss_dsp_sid NOLOGIN; CREATE ROLE ss_dsp_sue NOLOGIN;
CREATE ROLE ss_dsp_ann NOLOGIN; CREATE ROLE ss_dsp_bob NOLOGIN; CREATE ROLE ss_dsp_hr NOLOGIN;
GRANT sales_supervisor_manager TO ss_dsp_mia;
GRANT sales_supervisor_supervisor TO ss_dsp_sid, ss_dsp_sue;
GRANT sales_supervisor_rep TO ss_dsp_ann, ss_dsp_bob;
GRANT sales_supervisor_hr TO ss_dsp_hr;

-- ---------------------------------------------------------------- filing, as Ann
SET LOCAL ROLE ss_dsp_ann;
SELECT file_dispute(8, 'wrong_rate', 'my March rate should be 2.5 %', entry => 201, claimed => 25.00) AS d_entry \gset
SELECT file_dispute(8, 'missing_sale', 'the Acme order of 6 March was mine', sale => 102) AS d_missing \gset
SELECT file_dispute(8, 'wrong_amount', 'the amount of my line 101', sale => 101) AS d_own_sale \gset
SELECT isnt(:d_entry, NULL, 'a rep files against an entry of their own account');
SELECT results_eq('SELECT member_id, period_id, entry_id, sale_id, reason_code, claimed, state FROM sales_supervisor.commission_dispute ORDER BY dispute_id',
                  $$VALUES (4, 8, 201::bigint, NULL::bigint, 'wrong_rate', 25.00, 'open'),
                           (4, 8, NULL, 102, 'missing_sale', NULL, 'open'),
                           (4, 8, NULL, 101, 'wrong_amount', NULL, 'open')$$,
                  'the rep sees their three disputes: an entry, a missing sale (Bob''s line to her customer), their own line');
SELECT throws_ok($$SELECT sales_supervisor.file_dispute(8, 'wrong_amount', 'x', entry => 202)$$, 'P0002',
                 'commission entry 202 is not in your account for period 8', 'another rep''s entry is refused ...');
SELECT throws_ok($$SELECT sales_supervisor.file_dispute(8, 'wrong_amount', 'x', entry => 999999)$$, 'P0002',
                 'commission entry 999999 is not in your account for period 8', '... as an entry that does not exist is');
SELECT throws_ok($$SELECT sales_supervisor.file_dispute(9, 'wrong_amount', 'x', entry => 201)$$, 'P0002',
                 'commission entry 201 is not in your account for period 9', 'an own entry of another period is refused');
SELECT throws_ok($$SELECT sales_supervisor.file_dispute(8, 'missing_sale', 'x', sale => 103)$$, 'P0002',
                 'sales line 103 is not one you may dispute', 'a missing sale to another rep''s customer is refused ...');
SELECT throws_ok($$SELECT sales_supervisor.file_dispute(8, 'missing_sale', 'x', sale => 999999)$$, 'P0002',
                 'sales line 999999 is not one you may dispute', '... as a line that does not exist is');
SELECT throws_ok($$SELECT sales_supervisor.file_dispute(8, 'wrong_split', 'x', sale => 102)$$, 'P0002',
                 'sales line 102 is not one you may dispute', 'another rep''s line to her customer only under missing_sale');
SELECT throws_ok($$SELECT sales_supervisor.file_dispute(8, 'bogus', 'x', sale => 101)$$, '22023',
                 'unknown dispute reason code "bogus"', 'an unknown reason code is refused');
SELECT throws_ok($$SELECT sales_supervisor.file_dispute(8, 'wrong_amount', '  ', sale => 101)$$, '22023',
                 'a dispute needs a detail: what is wrong', 'a blank detail is refused');
SELECT throws_ok($$SELECT sales_supervisor.file_dispute(8, 'wrong_amount', 'x')$$, '22023',
                 'a dispute of reason wrong_amount names an account entry or a sales line', 'a dispute needs a subject (but other)');
SELECT throws_ok($$SELECT sales_supervisor.file_dispute(NULL, 'other', 'x')$$, '22004', NULL, 'a NULL period is refused');
SELECT throws_ok($$SELECT sales_supervisor.file_dispute(8, 'other', 'x', login => NULL)$$, '22004', NULL, 'a NULL login is refused');
SELECT throws_ok($$SELECT sales_supervisor.file_dispute(4242, 'other', 'x')$$, 'P0002',
                 'fiscal period 4242 does not exist', 'an unknown period is refused');
SELECT throws_ok($$SELECT sales_supervisor.file_dispute(8, 'other', 'x', claimed => 1.005)$$, '22023',
                 'claimed amount 1.005 is finer than cents', 'a claim finer than cents is refused');
SELECT throws_ok(format('SELECT sales_supervisor.decide_dispute(%s, true, %L, 5)', :d_entry, 'mine'), '42501',
                 'permission denied for function decide_dispute', 'a rep cannot decide, not even their own');
RESET ROLE;

-- a rep files for nobody else: a session of Ann cannot act as Bob
SET SESSION AUTHORIZATION ss_dsp_ann;
SELECT throws_ok($$SELECT sales_supervisor.file_dispute(8, 'other', 'for Bob', login => 'ss_dsp_bob')$$, '42501',
                 'session user "ss_dsp_ann" may not act as role "ss_dsp_bob"', 'a rep cannot file for another rep');
RESET SESSION AUTHORIZATION;

SET LOCAL ROLE ss_dsp_bob;
SELECT file_dispute(8, 'other', 'my March statement is missing a bonus') AS d_bob \gset
SELECT results_eq('SELECT count(*)::int, count(*) FILTER (WHERE member_id = 4)::int FROM sales_supervisor.commission_dispute',
                  $$VALUES (1, 0)$$, 'another rep sees only their own dispute, none of Ann''s');
RESET ROLE;
SET LOCAL ROLE ss_dsp_mia;
SELECT file_dispute(8, 'other', 'the manager''s own override') AS d_mia \gset
RESET ROLE;
SET LOCAL ROLE ss_dsp_hr;
SELECT throws_ok($$SELECT sales_supervisor.file_dispute(8, 'other', 'x')$$, '42501',
                 'permission denied for function file_dispute', 'HR does not file disputes');
RESET ROLE;

-- ---------------------------------------------------------------- who reads and decides
SET LOCAL ROLE ss_dsp_sid;
SELECT results_eq('SELECT member_id, count(*)::int FROM sales_supervisor.commission_dispute GROUP BY 1 ORDER BY 1',
                  $$VALUES (4, 3), (5, 1)$$, 'the supervisor reads the disputes of their team, not the manager''s');
RESET ROLE;
SET LOCAL ROLE ss_dsp_sue;
SELECT is((SELECT count(*)::int FROM sales_supervisor.commission_dispute), 0, 'a supervisor of another team reads none');
SELECT throws_ok(format('SELECT sales_supervisor.decide_dispute(%s, false, %L)', :d_missing, 'no'), '42501',
                 format('role "ss_dsp_sue" may not decide dispute %s', :d_missing),
                 'a supervisor outside the scope cannot decide ...');
SELECT throws_ok('SELECT sales_supervisor.decide_dispute(999999, false, ''no'')', '42501',
                 'role "ss_dsp_sue" may not decide dispute 999999', '... refused as a dispute that does not exist');
RESET ROLE;

SET LOCAL ROLE ss_dsp_mia;
SELECT throws_ok(format('SELECT sales_supervisor.decide_dispute(%s, false, %L)', :d_mia, 'mine'), '42501',
                 format('role "ss_dsp_mia" may not decide dispute %s: it is their own', :d_mia),
                 'a manager cannot decide their own dispute');
SELECT throws_ok(format('SELECT sales_supervisor.decide_dispute(%s, true, %L, 0)', :d_entry, 'zero'), '22023', NULL,
                 'an acceptance of zero is refused');
SELECT throws_ok(format('SELECT sales_supervisor.decide_dispute(%s, true, %L)', :d_entry, 'how much?'), '22004', NULL,
                 'an acceptance without an adjustment is refused');
SELECT throws_ok(format('SELECT sales_supervisor.decide_dispute(%s, false, %L, 5)', :d_entry, 'no, but'), '22023', NULL,
                 'a rejection with an adjustment is refused');
SELECT throws_ok(format('SELECT sales_supervisor.decide_dispute(%s, false, %L)', :d_entry, ' '), '22023', NULL,
                 'a decision without a resolution is refused');
SELECT decide_dispute(:d_entry, true, 'rate table corrected from March', 5.00) AS adj_entry \gset
SELECT results_eq(format('SELECT entry_id, member_id, period_id, kind, amount FROM sales_supervisor.commission_entry WHERE dispute_id = %s', :d_entry),
                  format('VALUES (%s::bigint, 4, 9, %L, 5.00)', :adj_entry, 'adjustment'),
                  'the manager accepts: one adjustment entry of 5.00 for Ann in April, the open period (March is settled)');
SELECT is((SELECT note FROM sales_supervisor.commission_entry WHERE dispute_id = :d_entry),
          format('dispute %s (wrong_rate, period 8) accepted: rate table corrected from March', :d_entry),
          'the entry''s note names the dispute and the resolution');
SELECT results_eq(format('SELECT state, resolution, adjustment, decided_at IS NOT NULL, decided_by = session_user FROM sales_supervisor.commission_dispute WHERE dispute_id = %s', :d_entry),
                  $$VALUES ('accepted', 'rate table corrected from March', 5.00, true, true)$$,
                  'the dispute records the decision');
SELECT throws_ok(format('SELECT sales_supervisor.decide_dispute(%s, true, %L, 5)', :d_entry, 'again'), '55000',
                 format('commission dispute %s is accepted already: a dispute is decided once', :d_entry),
                 'a dispute is decided once');
RESET ROLE;

SET LOCAL ROLE ss_dsp_sid;
SELECT is(decide_dispute(:d_missing, false, 'line 102 was Bob''s deal'), NULL, 'the supervisor rejects: no entry id ...');
SELECT is((SELECT count(*)::int FROM sales_supervisor.commission_entry WHERE dispute_id = :d_missing), 0,
          '... and no entry posted');
SELECT throws_ok(format('SELECT sales_supervisor.decide_dispute(%s, true, %L, 1)', :d_missing, 'on second thoughts'), '55000',
                 NULL, 'a rejected dispute cannot be accepted afterwards');
RESET ROLE;

SET LOCAL ROLE ss_dsp_ann;
SELECT results_eq('SELECT entry_id, amount FROM sales_supervisor.commission_entry WHERE kind = ''adjustment'' AND dispute_id IS NOT NULL',
                  format('VALUES (%s::bigint, 5.00)', :adj_entry), 'Ann reads the adjustment in her account');
SELECT results_eq('SELECT state, count(*)::int FROM sales_supervisor.commission_dispute GROUP BY 1 ORDER BY 1',
                  $$VALUES ('accepted', 1), ('open', 1), ('rejected', 1)$$, '... and the outcome of her disputes');
RESET ROLE;

-- HR decides any dispute, the manager's own too; December settled: nowhere to post
INSERT INTO payout_batch (period_id) VALUES (17);
SET LOCAL ROLE ss_dsp_bob;
SELECT file_dispute(17, 'other', 'December') AS d_dec \gset
RESET ROLE;
SET LOCAL ROLE ss_dsp_hr;
SELECT is(decide_dispute(:d_mia, false, 'no override this year'), NULL, 'HR decides the manager''s dispute');
SELECT throws_ok(format('SELECT sales_supervisor.decide_dispute(%s, true, %L, 10)', :d_dec, 'yes'), '55000',
                 format('no period from period 17 on is open to post the adjustment of dispute %s into', :d_dec),
                 'no unsettled period from the dispute''s on: refused (define the fiscal calendar further)');
SELECT throws_ok('SELECT sales_supervisor.decide_dispute(999999, false, ''no'')', 'P0002',
                 'commission dispute 999999 does not exist', 'HR: an unknown dispute is P0002');
RESET ROLE;

-- ---------------------------------------------------------------- the state trigger, as the owner
SELECT throws_ok(format('UPDATE sales_supervisor.commission_dispute SET detail = %L WHERE dispute_id = %s', 'edited', :d_bob),
                 '55000', NULL, 'an open dispute is not edited');
SELECT throws_ok(format('DELETE FROM sales_supervisor.commission_dispute WHERE dispute_id = %s', :d_bob),
                 '55000', NULL, 'a dispute is never deleted');
SELECT throws_ok(format($$UPDATE sales_supervisor.commission_dispute SET state = 'accepted', resolution = 'x',
                          adjustment = 7, decided_at = now(), decided_by = session_user WHERE dispute_id = %s$$, :d_bob),
                 '23514', NULL, 'an acceptance without its adjustment entry is refused');

-- ---------------------------------------------------------------- audited
SELECT results_eq($$SELECT action, count(*)::int FROM sales_supervisor.audit_log WHERE table_name = 'commission_dispute'
                    GROUP BY 1 ORDER BY 1$$,
                  $$VALUES ('INSERT', 6), ('UPDATE', 3)$$, 'every filing and every decision is audited');
SELECT is((SELECT string_agg(acting_role || ' ' || (new_row->>'state'), '; ') FROM sales_supervisor.audit_log
           WHERE table_name = 'commission_dispute' AND action = 'UPDATE' AND row_key = jsonb_build_object('dispute_id', :d_entry)),
          'ss_dsp_mia accepted', 'the acceptance is audited as the manager''s');

SELECT * FROM finish();
ROLLBACK;
