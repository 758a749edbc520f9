-- sales_supervisor 0.2.0 -> 0.3.0 (manual part; scripts/gen_upgrade.py fills
-- in every "--@ replace" line with the definitions of the install script).
-- Write here only what cannot be generated: schema and data migration, and
-- the DROP of a function whose signature or result type changes.  Keep one
-- section per change, in the order the install script needs them.
--
-- What changes:
--  * Cached plan values (tier tables, score curves) are keyed on the exact
--    bytes of each call's argument, never "a constant of the query" (C only).
--  * Security definer functions and policy helpers refuse a NULL login
--    (22004) instead of skipping their role check (12.2).
--  * run_job decides it runs at top level by transaction_control_allowed(),
--    not by the English text of an error (12.7).
--  * Effective-dated assignments: member_assignment, one open-ended row per
--    member migrated from member.team_id / level (14.1).

\echo Use "ALTER EXTENSION sales_supervisor UPDATE TO '0.3.0'" to load this file. \quit

-- ---------------------------------------------------------------------------
-- Security definer functions refuse NULL in what they check (issue 12.2)
-- ---------------------------------------------------------------------------

-- current_member_id refuses a NULL login; the helpers and require_role fail
-- closed; review_summary and reopen_appraisal_cycle check the resolved login.
--@ replace function current_member_id, led_team_ids, visible_member_ids, credited_sale_ids
--@ replace function review_summary, require_role, reopen_appraisal_cycle

-- ---------------------------------------------------------------------------
-- Integrity triggers see every row they judge (issue 12.3)
-- ---------------------------------------------------------------------------

-- The trigger functions that judge a row against other rows become SECURITY
-- DEFINER (not executable by PUBLIC); CREATE OR REPLACE keeps the triggers.
--@ replace function team_check_tree, customer_check_team, sale_credit_check_sum, seasonal_distribution_check
--@ replace function review_check_cycle, cycle_rows_check_state, commission_check_period
--@ replace function commission_credit_check_period, appraisal_cycle_check_state, appraisal_consequence_check_state

-- ---------------------------------------------------------------------------
-- Scope: who changes the org structure; sales-year calls within scope (12.4, 12.5)
-- ---------------------------------------------------------------------------

-- The org structure: HR, or a manager strictly inside their own subtree.
--@ replace function managed_team_ids
--@ create policies on team, team_leader

-- Company-wide steps: scoped (quotas), or the whole organisation's roles only.
--@ replace function scope_root_team_ids, lock_quotas
--@ replace function score_kpis, calibrate_appraisal_cycle, close_appraisal_cycle, promotion_candidates
REVOKE EXECUTE ON FUNCTION run_commission(integer, name) FROM sales_supervisor_hr;
REVOKE EXECUTE ON FUNCTION score_kpis(integer, name), calibrate_appraisal_cycle(integer, text, name),
  close_appraisal_cycle(integer, text, name), promotion_candidates(integer, name),
  reopen_appraisal_cycle(integer, text, name) FROM sales_supervisor_manager;

-- ---------------------------------------------------------------------------
-- Grants as documented (issue 12.6)
-- ---------------------------------------------------------------------------

-- ---------------------------------------------------------------------------
-- Scheduled jobs: top level decided without message text (issue 12.7)
-- ---------------------------------------------------------------------------

-- run_job asks transaction_control_allowed() (C) instead of comparing SQLERRM
-- with an English message.
--@ replace function transaction_control_allowed
--@ replace procedure run_job

-- ---------------------------------------------------------------------------
-- Quota relief, leaves of absence and proration (issue 14.2)
-- ---------------------------------------------------------------------------
--@ create table quota_relief, member_leave
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.quota_relief', '');
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.quota_relief_relief_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.member_leave', '');
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.member_leave_leave_id_seq', '');
--@ create policies on quota_relief, member_leave
--@ create trigger quota_relief_audit, quota_relief_append_only, member_leave_audit
--@ replace function quota_relief_for, refuse_change

-- ---------------------------------------------------------------------------
-- Effective-dated assignments (issue 14.1)
-- ---------------------------------------------------------------------------
-- (Before the reporting views: v_team_attainment, replaced below, reads
-- member_assignment.)  The history table, one open-ended row per member with
-- the team and level it has today, from hire_date to left_on; then the
-- triggers that keep member and the history in step, the helpers that read the
-- team in force on a date, transfer_member, apply_due_assignments, and the sale
-- policy that follows the history.  90_pg_dump registers tables at install
-- only: the new table and its identity sequence are registered here.
--@ create table member_assignment
SELECT pg_catalog.pg_extension_config_dump('member_assignment', '');
SELECT pg_catalog.pg_extension_config_dump('member_assignment_assignment_id_seq', '');
INSERT INTO member_assignment (member_id, team_id, level, valid, reason)
SELECT m.member_id, m.team_id, m.level, daterange(m.hire_date, m.left_on + 1), 'team and level at the update to 0.3.0'
FROM member m ORDER BY m.member_id;
--@ replace function assignment_current, assignment_split, assignment_sync_member
--@ replace function member_assignment_on_hire, member_assignment_follow_member, assignment_spans_employment, member_assignment_check_cover
CREATE TRIGGER member_assignment_on_hire AFTER INSERT ON member
  REFERENCING NEW TABLE AS new_members
  FOR EACH STATEMENT EXECUTE FUNCTION member_assignment_on_hire();
CREATE TRIGGER member_assignment_follow_member AFTER UPDATE OF team_id, level, hire_date, left_on ON member
  FOR EACH ROW
  WHEN ((OLD.team_id, OLD.level, OLD.hire_date, OLD.left_on) IS DISTINCT FROM (NEW.team_id, NEW.level, NEW.hire_date, NEW.left_on))
  EXECUTE FUNCTION member_assignment_follow_member();
CREATE CONSTRAINT TRIGGER member_assignment_cover_ins AFTER INSERT ON member_assignment
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (NOT sales_supervisor.assignment_spans_employment(NEW.member_id, NEW.valid))
  EXECUTE FUNCTION member_assignment_check_cover();
CREATE CONSTRAINT TRIGGER member_assignment_cover AFTER UPDATE OR DELETE ON member_assignment
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION member_assignment_check_cover();
-- read like member; written through transfer_member and the triggers only
--@ create policies on member_assignment
--@ replace function sale_scope_moved, sale_scope_member_ids, sale_scope_moved_ids, sale_scope_moved_dates
DROP POLICY sale_own ON sale;
DROP POLICY sale_subtree ON sale;
--@ create policies on sale
--@ replace function member_team_days, member_team_on, credit_by_team_month
--@ replace function transfer_member, apply_due_assignments
-- team_leadership: one open-ended row per leadership of today, from its since
--@ create table team_leadership
SELECT pg_catalog.pg_extension_config_dump('team_leadership', '');
SELECT pg_catalog.pg_extension_config_dump('team_leadership_leadership_id_seq', '');
INSERT INTO team_leadership (team_id, member_id, valid)
SELECT tl.team_id, tl.member_id, daterange(tl.since, NULL) FROM team_leader tl ORDER BY tl.team_id;
--@ replace function team_leadership_follow
CREATE TRIGGER team_leadership_follow AFTER INSERT OR UPDATE OR DELETE ON team_leader
  FOR EACH ROW EXECUTE FUNCTION team_leadership_follow();
--@ create policies on team_leadership
--@ replace procedure apply_assignments_for_day
INSERT INTO job_setting (job_name, schedule, command, description) VALUES
  ('assignments_due', '5 0 * * *', 'CALL sales_supervisor.apply_assignments_for_day()',
   'Daily: member.team_id and member.level become the assignment in force today (future-dated transfers; procedure of the sales-year layer).')
ON CONFLICT (job_name) DO NOTHING;

-- ---------------------------------------------------------------------------
-- Reporting views: statistics, column types, comments (issue 12.8, 12.9)
-- ---------------------------------------------------------------------------

-- Declared column types (counts bigint, money numeric(38,2), ratios
-- numeric(38,6), percentages numeric(5,2)) and comments with units on every
-- reporting view; one GRANT per view; v_org_summary moves to the reports
-- part.  The views reading the materialized view go first so that it can be
-- re-created (its credited_amount becomes numeric(38,2)).
DROP VIEW v_team_scorecard, v_forecast_accuracy, v_team_attainment, v_rep_attainment, v_rep_sales_month;
-- (the materialized view reads credited_sales_daily, issue 18 part 4, which
-- asks shards_registered: created here, before the view is filled)
--@ replace function shards_registered, credited_sales_daily
--@ replace materialized view v_credited_sales_daily
-- (CREATE MATERIALIZED VIEW ... AS populated it, so no REFRESH is needed.)
ANALYZE v_credited_sales_daily;
--@ replace view v_rep_sales_month, v_rep_attainment, v_team_attainment, v_pipeline, v_forecast_accuracy, v_customer_health, v_team_scorecard, v_grade_distribution, v_promotion_pipeline, v_pay_summary, v_job_status, v_org_summary

-- Statistics: refresh_reports analyzes the materialized view after the
-- refresh, generate_demo_org the tables it filled; autovacuum analyzes the
-- small tables the views read after their first change (base threshold 0).
--@ replace procedure refresh_reports
ALTER TABLE team SET (autovacuum_analyze_threshold = 0);
ALTER TABLE member SET (autovacuum_analyze_threshold = 0);
ALTER TABLE visit_cadence SET (autovacuum_analyze_threshold = 0);
ALTER TABLE fiscal_period SET (autovacuum_analyze_threshold = 0);
ALTER TABLE quota SET (autovacuum_analyze_threshold = 0);
ALTER TABLE appraisal_cycle SET (autovacuum_analyze_threshold = 0);
ALTER TABLE grade_policy SET (autovacuum_analyze_threshold = 0);
ALTER TABLE appraisal_result SET (autovacuum_analyze_threshold = 0);
ALTER TABLE promotion_rule SET (autovacuum_analyze_threshold = 0);
ALTER TABLE promotion_candidate SET (autovacuum_analyze_threshold = 0);
ALTER TABLE promotion SET (autovacuum_analyze_threshold = 0);
ALTER TABLE pay SET (autovacuum_analyze_threshold = 0);
ALTER TABLE job_setting SET (autovacuum_analyze_threshold = 0);
ALTER TABLE job_log SET (autovacuum_analyze_threshold = 0);
ALTER TABLE visit_overdue_flag SET (autovacuum_analyze_threshold = 0);
ALTER TABLE feedback_overdue_flag SET (autovacuum_analyze_threshold = 0);
-- The upgraded database's tables, never analyzed below the old threshold.
ANALYZE team, member, visit_cadence, fiscal_period, quota, appraisal_cycle, grade_policy, appraisal_result,
  promotion_rule, promotion_candidate, promotion, pay, job_setting, job_log, visit_overdue_flag, feedback_overdue_flag;

-- ---------------------------------------------------------------------------
-- generate_demo_org in short functions; its reset reads pg_extension (issue 13.2)
-- ---------------------------------------------------------------------------

-- generate_demo_org keeps its signature and output and calls one new function
-- per part (not executable by PUBLIC); the reset truncates the tables
-- registered in pg_extension.extconfig instead of a list written by hand.
-- (0.3.0 adds the argument changes: the old signature goes first)
DROP FUNCTION generate_demo_org(integer, integer, integer, integer, integer, integer, integer, integer, integer, boolean);
--@ replace function generate_demo_org, demo_org_reset, demo_org_reference, demo_org_teams, demo_org_members
--@ replace function demo_org_customers, demo_org_visits_feedback_surveys, demo_org_sales, demo_org_split_credits
--@ replace function demo_org_pipeline_forecasts, demo_org_tasks_training_reports, demo_org_appraisal_setup
--@ replace function demo_org_reviews, demo_org_pay, demo_org_sequences_statistics

-- ---------------------------------------------------------------------------
-- Comments that named what no longer exists
-- ---------------------------------------------------------------------------
COMMENT ON TABLE review IS
'360-degree reviews: one per cycle, reviewer, reviewee and rater role. A member reviews themself only as rater_role self, and self reviews are only of oneself. Reviewers see what they wrote; reviewees and their supervisors see only aggregates (review_summary), never who the peer reviewers were.';

-- ---------------------------------------------------------------------------
-- kpi_measure and appraisal_compute in short functions (issue 13.2)
-- ---------------------------------------------------------------------------
-- The same computation in one function per metric family and per appraisal
-- component; the metric list is written once, in kpi_metrics().  No schema
-- change: kpi_definition.metric keeps its CHECK (non-blank only).
--@ replace function kpi_measure, kpi_metrics, kpi_measure_check, kpi_measure_sales, kpi_measure_customers, kpi_measure_service, kpi_measure_development, kpi_measure_forecast
--@ replace function appraisal_compute, appraisal_who, appraisal_kpi_components, appraisal_team_scores, appraisal_survey_satisfaction, appraisal_components, appraisal_ranking
-- (appraisal_team_management of 13.2 became appraisal_review_marks, _supervisor_days and
-- _review_components in issue 16: created in its section at the end)

-- ---------------------------------------------------------------------------
-- One lookup of the appraisal cycle for every step (issue 13; 22004 for NULL)
-- ---------------------------------------------------------------------------
-- score_kpis and promotion_candidates, replaced above, call it too.
--@ replace function appraisal_cycle_row, start_appraisal_reviews, appraisal_prepare, year_end_pay

-- ---------------------------------------------------------------------------
-- Quota parts add up to their parent, provably (issue 14.7): allocate_quotas
-- records each yearly quota's parent and what the parts of a team quota add
-- up to; quotas allocated by 0.2.0 carry no link (the next allocation links
-- them), so the new rule quota_split reports nothing on them.
-- ---------------------------------------------------------------------------
ALTER TABLE quota ADD COLUMN parent_quota_id integer REFERENCES quota ON DELETE RESTRICT,
  ADD COLUMN parts_total numeric(14,2) CHECK (parts_total >= 0),
  ADD CONSTRAINT quota_parent_not_self CHECK (parent_quota_id <> quota_id);
CREATE INDEX quota_parent_idx ON quota (parent_quota_id) WHERE parent_quota_id IS NOT NULL;
--@ comments on table quota

-- ---------------------------------------------------------------------------
-- allocate_quotas and run_commission in short functions (issue 13.2)
-- ---------------------------------------------------------------------------
--@ replace function allocate_quotas, quota_year, quota_tree, quota_weights, quota_level_split, quota_spread, quota_link_parts
--@ replace function run_commission, commission_run_window, commission_run_credit, commission_run_payout

-- ---------------------------------------------------------------------------
-- Plan versions, the period each ledger line is for, split corrections,
-- recalculation, as-of and what-if (issue 14.3-14.6)
-- ---------------------------------------------------------------------------
-- Every plan gets version 1 (recorded when it first paid, else now); every
-- credit and payout line is for the period it was booked in -- which is how
-- 0.2.0 paid late lines (on top of the period that credited them).  From 0.3.0
-- a late line is paid at the tier of its own period; recalculate_commission
-- from the first period moves 0.2.0's late lines there and pays the
-- difference (conservation_violations reports them as credit_for_period
-- until then).
--@ create table commission_plan_version, sale_credit_correction
INSERT INTO commission_plan_version (plan_id, version, member_id, period_id, tiers, on_target, recorded_at, reason)
SELECT cp.plan_id, 1, cp.member_id, cp.period_id, cp.tiers, cp.on_target,
       coalesce((SELECT min(po.created_at) FROM commission_payout po
                 WHERE po.member_id = cp.member_id AND po.period_id = cp.period_id), now()),
       'the plan as the update to 0.3.0 found it'
FROM commission_plan cp ORDER BY cp.plan_id;

ALTER TABLE commission_credit DISABLE TRIGGER commission_credit_append_only;
ALTER TABLE commission_credit ADD COLUMN for_period_id integer REFERENCES fiscal_period ON DELETE RESTRICT;
UPDATE commission_credit SET for_period_id = period_id;
ALTER TABLE commission_credit ALTER COLUMN for_period_id SET NOT NULL;
ALTER TABLE commission_credit ENABLE TRIGGER commission_credit_append_only;
ALTER TABLE commission_credit DROP CONSTRAINT commission_credit_one_per_kind,
  DROP CONSTRAINT commission_credit_kind, DROP CONSTRAINT commission_credit_sign,
  DROP CONSTRAINT commission_credit_lines_check;
ALTER TABLE commission_credit
  ADD CONSTRAINT commission_credit_kind CHECK (kind IN ('sales', 'refunds', 'late_sales', 'late_refunds',
                                                        'corrections', 'recalculated')),
  ADD CONSTRAINT commission_credit_sign CHECK (CASE WHEN kind IN ('sales', 'late_sales') THEN amount >= 0
                                                    WHEN kind IN ('refunds', 'late_refunds') THEN amount <= 0
                                                    ELSE true END),
  ADD CONSTRAINT commission_credit_lines CHECK (lines > 0 OR kind IN ('corrections', 'recalculated')),
  ADD CONSTRAINT commission_credit_own_window CHECK (kind NOT IN ('sales', 'refunds') OR for_period_id = period_id);
CREATE INDEX commission_credit_for_period_idx ON commission_credit (for_period_id, member_id);

ALTER TABLE commission_payout DISABLE TRIGGER commission_payout_append_only;
ALTER TABLE commission_payout
  ADD COLUMN for_period_id integer REFERENCES fiscal_period ON DELETE RESTRICT,
  ADD COLUMN plan_id integer,
  ADD COLUMN plan_version integer,
  ADD COLUMN credit_base numeric(16,2),
  ADD COLUMN cause text;
UPDATE commission_payout po SET for_period_id = po.period_id;
UPDATE commission_payout po
SET plan_id = cp.plan_id, plan_version = 1,
    credit_base = coalesce((SELECT sum(cc.amount) FROM commission_credit cc
                            WHERE cc.period_id = po.period_id AND cc.member_id = po.member_id), 0)
FROM commission_plan cp
WHERE cp.member_id = po.member_id AND cp.period_id = po.period_id AND po.reverses_id IS NULL
  AND po.note LIKE 'tiered commission on net credit %';
ALTER TABLE commission_payout ALTER COLUMN for_period_id SET NOT NULL;
ALTER TABLE commission_payout ENABLE TRIGGER commission_payout_append_only;
ALTER TABLE commission_payout
  ADD CONSTRAINT commission_payout_plan_version_fk FOREIGN KEY (plan_id, plan_version)
    REFERENCES commission_plan_version (plan_id, version) ON DELETE RESTRICT,
  ADD CONSTRAINT commission_payout_plan_both CHECK ((plan_id IS NULL) = (plan_version IS NULL)),
  ADD CONSTRAINT commission_payout_adjustment_cause CHECK (for_period_id = period_id OR reverses_id IS NOT NULL OR cause IS NOT NULL);
CREATE INDEX commission_payout_for_period_idx ON commission_payout (for_period_id, member_id);

SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.commission_plan_version', '');
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.sale_credit_correction', '');
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.sale_credit_correction_correction_id_seq', '');

--@ create type commission_variant
--@ comments on table commission_credit, commission_payout
--@ create trigger commission_plan_version_append_only, sale_credit_correction_append_only

--@ replace function commission_check_period, commission_plan_record_version, sale_credit_correcting, sale_credit_check_credited
--@ create trigger commission_plan_record_version
--@ replace function commission_credit_own_period
--@ create trigger commission_credit_own_period
--@ create policies on commission_plan_version, sale_credit_correction
-- (issue 18, part 3: the late-line queue of the shards, which the functions
-- below read -- conservation_credit_violations is SQL, checked when created)
--@ create table shard_late_sale
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.shard_late_sale', '');
--@ create policies on shard_late_sale
--@ replace function shard_late_lines
--@ replace function credit_by_month, credited_sales_by_month
--@ replace function commission_company_step, commission_run_window, commission_run_credit, commission_credit_waiting
--@ replace function commission_run_payout, commission_period_due, commission_settle, commission_plan_corrected_periods, run_commission
-- (issue 18, part 4: commission_credit_line and credited_line read the
-- shards' lines on a coordinator through these, created before the views)
--@ replace function shards_registered, shard_line_rows, shard_commission_lines
--@ replace view commission_credit_line
--@ replace function sale_credit_change, correct_sale_credit, correct_sale_credit_check, commission_should_credit
--@ replace function commission_recalculate_credit, commission_open_period, recalculate_commission
--@ replace function commission_as_known, commission_as_it_should_be, commission_what_if_check, commission_what_if
--@ replace function conservation_credit_violations, conservation_payout_violations

-- ---------------------------------------------------------------------------
-- The appraisal's plans audited, and any audited table as of a moment (14.3)
-- ---------------------------------------------------------------------------
--@ create trigger kpi_definition_audit, kpi_weight_audit, kpi_target_audit, appraisal_component_weight_audit, grade_policy_audit
--@ replace function audit_rows_as_of

-- ---------------------------------------------------------------------------
-- Proration of quotas (issue 14.2; relief itself is above, before the views)
-- ---------------------------------------------------------------------------
--@ replace function quota_absent_days, prorate_quotas
--@ replace function demo_org_changes

-- ---------------------------------------------------------------------------
-- What-if of an appraisal (issue 14.6): the parts of appraisal_compute take an
-- optional variant (their new signatures come with the directive of issue
-- 13.2 above: those parts are new in 0.3.0, so nothing to drop), and the
-- helpers and the what-if itself
-- ---------------------------------------------------------------------------
--@ replace function appraisal_kpi_weights, appraisal_component_weights
--@ replace function appraisal_what_if_check_weights, appraisal_what_if_check, appraisal_what_if

-- ---------------------------------------------------------------------------
-- What-if of another quota split (issue 14.6): allocate_quotas' checks shared
-- ---------------------------------------------------------------------------
--@ create type quota_allocation_args
--@ replace function quota_args_check, allocate_quotas, quota_what_if_args, quota_what_if


-- A promotion is dated in the member's history from its effective date (14.1)
--@ replace function approve_promotion

-- ---------------------------------------------------------------------------
-- From credit to payout (issue 15): invoices and payments, payment terms of
-- the plans, the reps' accounts, payout batches, SPIFFs and disputes.
-- Existing plans earn on booking, without clawback or draw, and carry no
-- negative balance; existing lines have no invoice (paid when booked); the
-- accounts open at zero with the first settlement.
-- ---------------------------------------------------------------------------
-- cents_sum(numeric): the ledgers' grouped sums in whole hundredths (its
-- support functions, then the aggregate, before the functions using it)
--@ replace function cents_sum_agg_trans, cents_sum_agg_final
--@ create aggregate cents_sum
-- entry_kind_sums(kind, amount): a commission account's entries summed per
-- kind in one aggregate state (the accounts' check, replaced further down,
-- reads it; see the section on issue 15's check at the end)
--@ replace function entry_kind_sums_trans, entry_kind_sums_final
--@ create aggregate entry_kind_sums
--@ create table invoice
ALTER TABLE sale ADD COLUMN invoice_id bigint, ADD COLUMN quantity numeric(12,3),
  ADD CONSTRAINT sale_invoice_fk FOREIGN KEY (invoice_id) REFERENCES invoice ON DELETE RESTRICT,
  ADD CONSTRAINT sale_quantity_positive CHECK (quantity > 0);
CREATE INDEX sale_invoice_idx ON sale (invoice_id, sold_on) WHERE invoice_id IS NOT NULL;
--@ comments on table sale
ALTER TABLE commission_plan ADD COLUMN earn_on text NOT NULL DEFAULT 'booking', ADD COLUMN clawback_days integer,
  ADD COLUMN draw_kind text, ADD COLUMN draw_amount numeric(14,2), ADD COLUMN draw_recovery_limit numeric(14,2),
  ADD COLUMN pay_negative boolean NOT NULL DEFAULT false,
  ADD CONSTRAINT commission_plan_earn_on CHECK (earn_on IN ('booking', 'payment_in_full', 'payment_pro_rata')),
  ADD CONSTRAINT commission_plan_clawback_days CHECK (clawback_days >= 0),
  ADD CONSTRAINT commission_plan_draw CHECK (draw_kind IN ('recoverable', 'guarantee')
                                             AND (draw_kind IS NULL) = (draw_amount IS NULL) AND draw_amount > 0),
  ADD CONSTRAINT commission_plan_draw_recovery CHECK (draw_recovery_limit >= 0);
-- (commission_plan_version is new in 0.3.0: created above with these columns)
--@ comments on table commission_plan
--@ replace function commission_plan_record_version
--@ create table invoice_payment, spiff, payout_batch, payout_batch_line, commission_dispute, commission_entry, commission_balance
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.invoice', '');
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.invoice_payment', '');
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.spiff', '');
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.payout_batch', '');
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.payout_batch_line', '');
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.commission_dispute', '');
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.commission_entry', '');
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.commission_balance', '');
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.invoice_invoice_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.invoice_payment_payment_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.spiff_spiff_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.payout_batch_batch_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.payout_batch_line_line_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.commission_dispute_dispute_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.commission_entry_entry_id_seq', '');
-- the settlement's cache of invoice credit (kept in step by the triggers on
-- sale and sale_credit below)
--@ create table invoice_credit_window, invoice_credit, invoice_credit_stale
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.invoice_credit_window', '');
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.invoice_credit', '');
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.invoice_credit_stale', '');
--@ replace function invoice_track_lines, invoice_track_payments, invoice_check_totals, invoice_credit_split_changed
--@ create trigger invoice_credit_split_insert, invoice_credit_split_update, invoice_credit_split_delete
--@ replace function commission_entry_check_period, payout_batch_check_approval
--@ create trigger invoice_track_lines_insert, invoice_track_lines_update, invoice_track_lines_delete
--@ create trigger invoice_track_payments, invoice_payment_append_only, invoice_check_totals
--@ create trigger commission_entry_check_period, commission_entry_append_only, commission_balance_append_only
--@ create trigger payout_batch_line_append_only, payout_batch_check_approval, payout_batch_line_check_approval
--@ create policies on invoice, invoice_payment, commission_entry, commission_balance, payout_batch_line, commission_dispute
--@ replace function settlement_open_period

-- SPIFFs (issue 15): what each rep earns from the SPIFFs paid with a period's
-- settlement; managers and HR write SPIFFs (the grant comes with spiff above),
-- audited, and a SPIFF whose payout is settled is final.
--@ replace function spiff_member_earnings, spiff_earnings, spiff_check_settled
--@ create trigger spiff_check_settled, spiff_audit
--@ replace function settlement_plan_terms, settlement_cache_fill, settlement_invoice_state, settlement_unpaid_credit, settlement_withheld_entries
--@ replace function settlement_entries, settlement_walk, settlement_check, settle_commission_period, commission_statement, approve_payout_batch, reverse_payout_line
--@ replace view v_commission_statement, v_payout_export
-- conservation_violations reads the accounts too (so it is replaced here, after them)
--@ replace function conservation_settlement_violations, conservation_invoice_violations, conservation_violations
-- Disputes (issue 15): a member files, their manager or HR decides once
-- (accepting posts an adjustment entry in the open period); audited.
--@ replace function dispute_check_subject, file_dispute, dispute_for_decision, decide_dispute, commission_dispute_check_state
--@ create trigger commission_dispute_check_state, commission_dispute_audit
-- the demo organisation bills its sales (generate_demo_org(billing => true))
--@ replace function demo_org_billing

-- ---------------------------------------------------------------------------
-- Issue 16, item 1: calibration sessions and the publication of a cycle.
-- The ranking before calibration (calibration_baseline), the sessions, their
-- adjustments (audited) and the publication; appraisal_compute (replaced
-- above, issue 13.2) calls the calibration hook.  Members read their own
-- results only once the cycle is closed and published: the policies of
-- appraisal_result and appraisal_consequence (made by a DO loop in 0.2.0) are
-- dropped and written out again.  A cycle closed before the upgrade was
-- visible to its members: it counts as published when it was closed (before
-- the audit trigger exists, so the upgrade writes no audit entry).
-- ---------------------------------------------------------------------------
--@ create table calibration_baseline, calibration_session, calibration_adjustment, appraisal_publication
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.calibration_baseline', '');
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.calibration_session', '');
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.calibration_adjustment', '');
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.appraisal_publication', '');
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.calibration_session_session_id_seq', '');
INSERT INTO appraisal_publication (cycle_id, published_at, published_by)
SELECT c.cycle_id, c.closed_at, 'upgrade to 0.3.0' FROM appraisal_cycle c WHERE c.state = 'closed' ORDER BY c.cycle_id;
--@ replace function published_cycle_ids
DROP POLICY appraisal_result_own ON appraisal_result;
DROP POLICY appraisal_result_subtree ON appraisal_result;
DROP POLICY appraisal_result_hr ON appraisal_result;
DROP POLICY appraisal_consequence_own ON appraisal_consequence;
DROP POLICY appraisal_consequence_subtree ON appraisal_consequence;
DROP POLICY appraisal_consequence_hr ON appraisal_consequence;
--@ create policies on appraisal_result, appraisal_consequence
--@ create policies on appraisal_publication, calibration_session, calibration_baseline, calibration_adjustment
--@ replace function calibration_apply, appraisal_calibration_hook
--@ replace function calibration_session_row, calibration_scope_members, calibration_viewer, calibration_check_opener, calibration_check_settings
--@ replace function open_calibration_session, close_calibration_session, adjust_check, adjust_final_score
--@ replace function calibration_raters, calibration_scores, publish_appraisal_cycle
--@ create trigger calibration_session_audit, calibration_adjustment_audit, appraisal_publication_audit
-- Merit raises within a budget, and the 9-box (issue 16, items 2 and 6):
-- salary bands, the merit matrix, budgets, overrides, applied raises and
-- potential ratings (new tables, nothing to migrate), their row-level
-- security and audit, merit_preview / merit_apply and the view nine_box.
-- ---------------------------------------------------------------------------
--@ create table salary_band, merit_matrix, merit_budget, merit_override, merit_raise, potential_rating
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.salary_band', '');
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.merit_matrix', '');
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.merit_budget', '');
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.merit_override', '');
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.merit_raise', '');
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.potential_rating', '');
--@ create policies on salary_band, merit_matrix, merit_budget, merit_override, merit_raise, potential_rating
--@ create trigger merit_override_audit, merit_raise_audit, potential_rating_audit
--@ create trigger salary_band_audit, merit_matrix_audit, merit_budget_audit
--@ replace function merit_scope
--@ replace function merit_budget_amount
--@ replace function merit_check
--@ replace function merit_compute
--@ replace function merit_result
--@ replace function merit_preview, merit_apply
--@ replace view nine_box

-- ---------------------------------------------------------------------------
-- Issue 16, items 3-5 (the scoring pipeline): anonymity thresholds, mid-cycle
-- joiners and leavers, appraisal templates per level and the self-assessment.
-- The cycle gets its policy (existing cycles: threshold 3, as review_summary
-- had it, no minimum days); results get the template applied, the
-- self-assessment, the supervisors' review, the days in the cycle, what was
-- withheld and why someone is not graded (existing results: empty).  The
-- functions of the pipeline that are new in 0.3.0 come in their current form
-- with the directive of issue 13.2 above; they are named again here, after the
-- columns and the table they read, for the LANGUAGE sql ones.
-- ---------------------------------------------------------------------------
ALTER TABLE appraisal_cycle
  ADD COLUMN min_anonymous_reviews smallint NOT NULL DEFAULT 3
    CONSTRAINT appraisal_cycle_min_anonymous_reviews CHECK (min_anonymous_reviews BETWEEN 1 AND 100),
  ADD COLUMN min_days_in_cycle smallint NOT NULL DEFAULT 0
    CONSTRAINT appraisal_cycle_min_days_in_cycle CHECK (min_days_in_cycle BETWEEN 0 AND 366),
  ADD COLUMN short_stay_policy text NOT NULL DEFAULT 'not_graded'
    CONSTRAINT appraisal_cycle_short_stay_policy CHECK (short_stay_policy IN ('not_graded', 'prorate'));
--@ comments on table appraisal_cycle
--@ create table appraisal_template
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.appraisal_template', '');
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.appraisal_template_template_id_seq', '');
--@ create policies on appraisal_template
ALTER TABLE appraisal_result
  ADD COLUMN template_id integer CONSTRAINT appraisal_result_template_fk REFERENCES appraisal_template ON DELETE RESTRICT,
  ADD COLUMN self_assessment double precision
    CONSTRAINT appraisal_result_self_assessment CHECK (self_assessment BETWEEN 0 AND 100),
  ADD COLUMN supervisor_review double precision
    CONSTRAINT appraisal_result_supervisor_review CHECK (supervisor_review BETWEEN 0 AND 100),
  ADD COLUMN days_in_cycle integer CONSTRAINT appraisal_result_days_in_cycle CHECK (days_in_cycle >= 0),
  ADD COLUMN withheld text[] NOT NULL DEFAULT '{}',
  ADD COLUMN not_graded_reason text;
--@ comments on table appraisal_result
--@ replace function appraisal_template_check, appraisal_cycle_check_policy
--@ create trigger appraisal_template_check, appraisal_cycle_check_policy, appraisal_template_audit
--@ replace function review_check_cycle, review_summary, audit_rows_as_of
--@ replace function member_days_in, kpi_measure_who, kpi_metrics, kpi_measure
--@ replace function appraisal_who, appraisal_kpi_components, appraisal_review_marks, appraisal_supervisor_days, appraisal_review_components
--@ replace function appraisal_survey_satisfaction, appraisal_components, appraisal_ranking, appraisal_compute, start_appraisal_reviews
--@ replace function self_assessment_comparison

-- ---------------------------------------------------------------------------
-- Issue 17, items 1-5: scheduled jobs people can leave alone.  Single-flight
-- (an advisory lock per job), a statement timeout and retries per job, the
-- monthly chain (KPI snapshot -> commission run -> report refresh, per month,
-- with catch-up: job_month), schedules in the company's time zone
-- (ops_time_zone, converted to UTC for pg_cron and re-registered hourly by the
-- new local_schedules job), alerts (NOTIFY sales_supervisor_job, v_job_health).
-- The default jobs of the chain get their new order (02:00, 03:00, 04:00 on the
-- 1st) unless their schedule was changed.
-- ---------------------------------------------------------------------------
ALTER TABLE job_setting
  ADD COLUMN statement_timeout interval,
  ADD COLUMN retries integer NOT NULL DEFAULT 0,
  ADD COLUMN retry_backoff interval NOT NULL DEFAULT '30 seconds',
  ADD COLUMN per_month boolean NOT NULL DEFAULT false,
  ADD COLUMN depends_on text REFERENCES job_setting (job_name) ON UPDATE CASCADE ON DELETE RESTRICT,
  ADD CONSTRAINT job_setting_statement_timeout_10ms_to_24h
    CHECK (statement_timeout IS NULL OR statement_timeout BETWEEN interval '10 milliseconds' AND interval '24 hours'),
  ADD CONSTRAINT job_setting_retries_0_to_10 CHECK (retries BETWEEN 0 AND 10),
  ADD CONSTRAINT job_setting_retry_backoff_0_to_1h CHECK (retry_backoff BETWEEN interval '0' AND interval '1 hour'),
  ADD CONSTRAINT job_setting_depends_on_needs_per_month_job
    CHECK (depends_on IS NULL OR (per_month AND depends_on <> job_name));
--@ comments on table job_setting
ALTER TABLE job_log
  ADD COLUMN attempt integer NOT NULL DEFAULT 1 CHECK (attempt >= 1),
  ADD COLUMN month date CHECK (month = date_trunc('month', month)::date);
--@ comments on table job_log
-- v_job_status expanded job_log's columns (SELECT *) when it was created
--@ replace view v_job_status
--@ replace function is_known_time_zone
--@ create table ops_time_zone, job_month
INSERT INTO ops_time_zone (time_zone) VALUES ('UTC');
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.ops_time_zone', '');
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.job_month', '');
--@ replace function settings_restore_merge
--@ create trigger ops_time_zone_restore_merge
--@ replace function company_time_zone, company_month, company_today
--@ replace function job_timeout_arm, job_timeout_disarm, job_lock_key, job_lock_holder, job_log_write, job_month_param
--@ replace function job_run_once, job_run_months, job_execute, execute_job, job_retry_wait
--@ replace procedure run_job
--@ replace function cron_shift_days, local_cron_to_utc, cron_max_gap, schedule_jobs
--@ replace procedure sync_local_schedules
--@ replace view v_job_health
--@ replace procedure score_kpis_for_month, run_commission_for_month, close_due_appraisal_cycles
UPDATE job_setting SET per_month = true, schedule = CASE WHEN schedule = '0 3 1 * *' THEN '0 2 1 * *' ELSE schedule END,
       description = 'Monthly chain, step 1: score the KPIs of the open cycles as of the month just ended (procedure of the sales-year layer).'
WHERE job_name = 'kpi_snapshot';
UPDATE job_setting SET per_month = true, depends_on = 'kpi_snapshot',
       schedule = CASE WHEN schedule = '0 4 1 * *' THEN '0 3 1 * *' ELSE schedule END,
       description = 'Monthly chain, step 2: commission run of the ended months through the month just ended (procedure of the sales-year layer).'
WHERE job_name = 'commission_run' AND EXISTS (SELECT 1 FROM job_setting j WHERE j.job_name = 'kpi_snapshot');
UPDATE job_setting SET per_month = true, depends_on = 'commission_run',
       schedule = CASE WHEN schedule = '0 2 1 * *' THEN '0 4 1 * *' ELSE schedule END,
       description = 'Monthly chain, step 3: REFRESH MATERIALIZED VIEW CONCURRENTLY of the reporting views that aggregate the sales lines.'
WHERE job_name = 'refresh_reports' AND EXISTS (SELECT 1 FROM job_setting j WHERE j.job_name = 'commission_run');
INSERT INTO job_setting (job_name, schedule, command, description) VALUES
  ('local_schedules', '7 * * * *', 'CALL sales_supervisor.sync_local_schedules()',
   'Hourly: re-register in pg_cron the jobs whose UTC schedule changed with the company time zone''s offset (daylight saving).')
ON CONFLICT (job_name) DO NOTHING;

-- ---------------------------------------------------------------------------
-- Issue 19, part 1: customer risk.  The purchase rhythm aggregate (C), the
-- weights (customer_risk_setting, no row: the defaults), customer_risk(day)
-- and its phases, the flags of the daily customer_risk job and the view
-- v_customer_risk.  New objects only, nothing to migrate.
-- ---------------------------------------------------------------------------
--@ create type purchase_rhythm_result
--@ replace function purchase_rhythm_trans, purchase_rhythm_combine, purchase_rhythm_serialize, purchase_rhythm_deserialize, purchase_rhythm_final
--@ create aggregate purchase_rhythm
--@ create type customer_sales_row
--@ replace function customer_sales_trans, customer_sales_final
--@ create aggregate customer_sales_scan
--@ create table customer_risk_setting, customer_risk_flag
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.customer_risk_setting', '');
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.customer_risk_flag', '');
--@ create policies on customer_risk_setting, customer_risk_flag
--@ replace function customer_risk_settings, customer_sales_as_of, customer_contact_as_of, customer_rhythm_as_of, customer_risk_facts, customer_risk_at, customer_risk
--@ replace procedure flag_customer_risk
INSERT INTO job_setting (job_name, schedule, command, description) VALUES
  ('customer_risk', '30 1 * * *', 'CALL sales_supervisor.flag_customer_risk()',
   'Daily: refresh customer_risk_flag, the customers at risk of drifting away (customer_risk as of today).')
ON CONFLICT (job_name) DO NOTHING;
--@ replace view v_customer_risk

-- ---------------------------------------------------------------------------
-- Issue 18, part 1 (scale-out, first slice; 58_shards): month_start, shippable
-- to shards; add_shard, shard_status, shard_credited_sales_by_month and their
-- helpers; the view credited_line the shards aggregate.  New functions and a
-- new view only: no table, no data.
--@ replace view credited_line
--@ replace function month_start, shard_servers, shard_check_args, shard_probe, shard_require_ready
--@ replace function shard_create_objects, add_shard, shard_status, shard_credit_query, shard_credited_sales_by_month
-- ---------------------------------------------------------------------------
-- Issue 19, parts 2 and 3 (pace to quota, team risk; 57_risk_pace_team.sql):
-- new settings, open positions, the daily job's tables (nothing to migrate),
-- their functions, row-level security, the job risk_pace_team and the BI views.
-- ---------------------------------------------------------------------------
--@ create table pace_team_setting, team_opening, pace_snapshot, team_risk_flag, pace_backtest
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.pace_team_setting', '');
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.team_opening', '');
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.team_opening_opening_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.pace_snapshot', '');
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.team_risk_flag', '');
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.pace_backtest', '');
--@ replace function pace_team_setting_check
--@ create trigger pace_team_setting_check
INSERT INTO pace_team_setting DEFAULT VALUES;
--@ create type pace_line_row
--@ replace function pace_line_trans, pace_line_final
--@ create aggregate pace_line_scan
--@ replace function pace_require_settings, kpi_gate, pace_gate, pace_share, pace_points_sales, pace_points_pipeline, pace_points_quota
--@ replace function pace_team_closure, pace_points, pace_compute, pace_reason, pace_sees_all, pace_to_quota
--@ replace function team_risk_members, team_risk_below_gate, team_risk_training, team_risk_reviews
--@ replace function team_risk_dispersion, team_risk_openings, team_risk_compute, team_risk
--@ replace function refresh_pace_backtest, flag_pace_snapshot, flag_team_risk
--@ replace procedure flag_pace_and_team_risk
INSERT INTO job_setting (job_name, schedule, command, description) VALUES
  ('risk_pace_team', '30 1 * * *', 'CALL sales_supervisor.flag_pace_and_team_risk()',
   'Daily: refresh pace_snapshot (pace to quota of every rep and team), team_risk_flag and pace_backtest.')
ON CONFLICT (job_name) DO NOTHING;
--@ create policies on pace_team_setting, team_opening, pace_snapshot, team_risk_flag, pace_backtest
--@ replace view v_pace_to_quota, v_team_risk, v_pace_backtest
-- ---------------------------------------------------------------------------
-- Issue 18, part 2 (scale-out: the other heavy reads on the shards, writes
-- through the coordinator, half-committed batches; 59_shard_reads.sql,
-- 59_shard_writes.sql).  add_shard (part 1's directive above, from the install
-- script) imports survey_response and shard_write_batch too.  New functions
-- and one new table, empty on every server (nothing to migrate).
-- ---------------------------------------------------------------------------
--@ replace function nps_from_counts, csat_from_counts, shard_require_all, shard_survey_query, shard_survey_metrics
--@ replace function shard_forecast_query, shard_forecast_accuracy, shard_day_query, shard_credit_by_team_month
--@ replace function shard_kpi_measure
--@ create table shard_write_batch
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.shard_write_batch', '');
--@ create policies on shard_write_batch
--@ replace function shard_write_parse, shard_write_refund_homes, shard_write_place, shard_write_send, shard_write_sales
--@ replace function shard_write_parts, shard_half_writes, shard_repair_writes
-- ---------------------------------------------------------------------------
-- Issue 15, performance: the run caches its window's credit per invoice for
-- the settlement (one pass over the lines instead of two); windows run
-- before this release are still credited by the first settlement reaching them.
-- ---------------------------------------------------------------------------
--@ replace function commission_window_credit, commission_run_credit, run_commission, settlement_cache_fill
-- ---------------------------------------------------------------------------
-- issue 19 performance (2): pace_line_scan splits the split lines itself
-- (exact cents, allocate_quota's rule) from sale_credit's rows packed by the
-- new aggregate pace_credit_rows, so pace_points_sales has no second phase;
-- pace_line_row loses its sale_id.  pace_line_scan, its type and transition
-- function are new in this release: their section above creates the new ones
-- (the aggregate's own definition is written there).
-- ---------------------------------------------------------------------------
--@ replace function pace_credit_trans, pace_credit_final
--@ create aggregate pace_credit_rows
--@ replace function pace_points_sales
-- ---------------------------------------------------------------------------
-- Issue 18, part 3 (scale-out: on a coordinator the sales-year steps read the
-- shards -- the commission run's credit, recalculation and the conservation
-- checks, credit_by_month and the KPI measures; 31_shard_facts.sql).  The
-- shard catalog functions moved to 31_shard_facts.sql unchanged (created
-- above); credited_line gains invoice_id; the late-line queue of the shards
-- (shard_late_sale, shard_late_lines) is created further up, before the
-- conservation function that reads it; a single server keeps its plans.
-- ---------------------------------------------------------------------------
--@ replace view credited_line
--@ replace function shards_registered, shard_read_failed, shard_credit_month_rows
--@ replace function shard_day_rows, shard_window_credit, shard_fact_lock
--@ replace function credit_by_month, credit_by_team_month_shards, kpi_measure, commission_run_credit, run_commission
--@ replace function commission_should_credit, recalculate_commission, shard_write_place, shard_write_send, shard_write_sales
--@ replace function commission_credit_waiting, conservation_credit_violations, shard_kpi_measure
-- ---------------------------------------------------------------------------
-- Issue 18, part 4 (scale-out: the BI views on the sales lines on a
-- coordinator).  v_credited_sales_daily reads credited_sales_daily (created
-- with the view, further up): on a coordinator the shards' lines, grouped per
-- rep and day on each shard; the views built on it follow.  A single server
-- runs the statement the view ran before.
-- ---------------------------------------------------------------------------
-- credited_line and commission_credit_line gain a branch with the shards'
-- lines (shard_line_rows, shard_commission_lines: created further up,
-- before the views); shards_registered reads the
-- catalog itself (the sales roles may not execute shard_servers).
--@ replace function shard_daily_query, shard_credited_daily_rows
-- The daily risk jobs' sales phases read the shards on a coordinator (one
-- shards_registered check per call on a single server); they and their
-- callers become parallel restricted (the shards' reads belong to the leader).
--@ replace function shard_customer_sales_as_of, customer_sales_as_of, customer_rhythm_as_of, customer_risk_facts
--@ replace function customer_risk_at, customer_risk
--@ replace function shard_pace_points_sales, pace_points_sales, pace_points, pace_compute, team_risk_below_gate
--@ replace function team_risk_dispersion, team_risk_compute
-- ---------------------------------------------------------------------------
-- Issue 18, part 5 (scale-out: row-level security over the shards' lines).
-- On a coordinator credited_line, commission_credit_line and customer_risk
-- read the shards' lines that the caller reads on one server, the policies
-- of sale shipped to each shard as a condition (shard_line_scope,
-- shard_scope_qual, shard_scope_ids_query, shard_scope_sale_ids,
-- shard_line_query); shard_line_rows, shard_commission_lines and
-- shard_customer_sales_as_of become security definer with the caller's
-- login (their new signatures are created further up, where the views and
-- customer_sales_as_of first need them); credited_line gains
-- booked_member_id (further up) and shard_require_line_reader is gone (it
-- never shipped).  SQL functions here read shard_servers: created after it.
-- ---------------------------------------------------------------------------
--@ replace function shard_line_scope, shard_scope_qual, shard_scope_ids_query, shard_scope_sale_ids, shard_line_query
-- ---------------------------------------------------------------------------
-- Issue 15, performance (3): the accounts' check pivots each statement's
-- entries with entry_kind_sums (created further up, beside cents_sum, before
-- the check first needs it) instead of ten filtered sums; invoice gains
-- first_paid_on (in its definition further up: the table is new in this
-- release), kept by invoice_track_payments, guarded by invoice_check_totals
-- and checked by conservation_invoice_violations, so that the invoices'
-- state on a day reads the payments only of the invoices paid something by
-- then.
-- ---------------------------------------------------------------------------
--@ replace function conservation_settlement_violations, conservation_invoice_violations
--@ replace function invoice_track_payments, invoice_check_totals, settlement_invoice_state
-- ---------------------------------------------------------------------------
-- Issue 15, a statement's preview of a month paying a SPIFF (December's year-
-- end SPIFF at 10 M lines): one rep's SPIFF share is spiff_member_earnings
-- (PL/pgSQL, one generic plan per session; created with spiff_earnings
-- further up, which calls it with p_member); settlement_entries calls it for
-- a preview.  sale_member_idx gains the category as a third column (a rep's
-- lines of a category are picked in the index) and sale_credit_member_idx
-- the line (a rep's split lines listed from the index alone): both rebuilt.
-- ---------------------------------------------------------------------------
DROP INDEX sale_member_idx;
CREATE INDEX sale_member_idx ON sale (member_id, sold_on, category_id);
DROP INDEX sale_credit_member_idx;
CREATE INDEX sale_credit_member_idx ON sale_credit (member_id, sale_id);
--@ replace function spiff_member_earnings, spiff_earnings, settlement_entries
-- ---------------------------------------------------------------------------
-- Issue 18 (scale-out: the year's credited sales on the shards).  A shard
-- sums its credit_moves for a span of 62 days or more (its lines scanned
-- once, each split line probed by key) and groups its credited_line for a
-- shorter one (shard_credit_query); add_shard imports credit_moves and has
-- the shard plan the coordinator's cursors for all their rows
-- (cursor_tuple_fraction 1).  No 0.2.0 server has shards: nothing to
-- re-register.
--@ replace view credit_moves
--@ replace function shard_credit_query, shard_create_objects, add_shard
-- ---------------------------------------------------------------------------
-- Issue 15, a statement's preview planned once per session: one rep's unpaid
-- credit, withheld entries and entries are functions of their own
-- (settlement_member_*, generic plans read by the rep's indexes); the
-- company's settlement_invoice_state, settlement_unpaid_credit,
-- settlement_withheld_entries and settlement_entries lose p_member (the
-- preview was its only user; created further up with their current
-- definitions); the withheld entry's rule and the entries' notes are shared
-- (settlement_withheld_entry, settlement_payout_note, settlement_spiff_note);
-- settlement_plan_terms and settlement_walk read one rep's rows by key in a
-- generic plan, and commission_statement plans generically.
-- ---------------------------------------------------------------------------
--@ replace function settlement_withheld_entry, settlement_payout_note, settlement_spiff_note
--@ replace function settlement_member_unpaid_credit, settlement_member_withheld_entries, settlement_member_entries
--@ replace function settlement_plan_terms, settlement_walk, commission_statement
-- ---------------------------------------------------------------------------
-- Issue 15, settling: the settlement's cache of invoice credit is keyed by rep
-- (PRIMARY KEY (member_id, for_period_id, invoice_id), in its definition
-- further up: the table is new in this release), one index fewer for each run
-- to write; the run writes it in that order.  The company's SPIFF probes each
-- split line once and splits it from sale_credit directly.
-- ---------------------------------------------------------------------------
--@ replace function commission_run_credit, spiff_earnings
