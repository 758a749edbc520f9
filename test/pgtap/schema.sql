-- The data model's schema: tables, keys, comments, pg_dump registration, roles,
-- row-level security and policies, and function hygiene (search_path).
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SELECT plan(85);

SELECT tables_are('sales_supervisor', ARRAY[
  'team', 'member', 'member_assignment', 'team_leader', 'team_leadership', 'visit_cadence', 'customer', 'customer_contact', 'customer_visit',
  'feedback', 'survey_response', 'product_category', 'sale', 'sale_credit', 'opportunity',
  'fiscal_period', 'quota', 'seasonal_distribution', 'forecast', 'task', 'training_session',
  'training_attendance', 'work_report', 'appraisal_cycle', 'appraisal_component_weight',
  'kpi_definition', 'kpi_weight', 'kpi_result', 'review', 'review_score', 'grade_policy',
  'appraisal_result', 'promotion_rule', 'promotion_candidate', 'promotion', 'pay',
  'commission_plan', 'commission_period_lock', 'commission_credit', 'commission_payout', 'audit_log',
  'commission_late_sale', 'commission_run_gate', 'job_setting', 'ops_setting', 'job_log', 'visit_overdue_flag', 'feedback_overdue_flag',
  'ops_time_zone', 'job_month', 'kpi_target', 'appraisal_consequence', 'bonus_target', 'commission_plan_version', 'sale_credit_correction', 'quota_relief', 'member_leave',
  'invoice', 'invoice_payment', 'spiff', 'payout_batch', 'payout_batch_line', 'commission_dispute', 'commission_entry',
  'commission_balance', 'invoice_credit_window', 'invoice_credit', 'invoice_credit_stale', 'calibration_baseline', 'calibration_session', 'calibration_adjustment', 'appraisal_publication',
  'salary_band', 'merit_matrix', 'merit_budget', 'merit_override', 'merit_raise',
  'potential_rating', 'appraisal_template', 'customer_risk_setting', 'customer_risk_flag',
  'pace_team_setting', 'team_opening', 'pace_snapshot', 'team_risk_flag', 'pace_backtest', 'shard_write_batch', 'shard_late_sale'],
  'the data model''s tables');
SELECT views_are('sales_supervisor', ARRAY['overdue_visit', 'v_org_summary', 'v_rep_sales_month', 'v_rep_attainment',
  'v_team_attainment', 'v_pipeline', 'v_forecast_accuracy', 'v_customer_health', 'v_team_scorecard',
  'v_commission_statement', 'v_payout_export',
  'v_grade_distribution', 'v_promotion_pipeline', 'v_pay_summary', 'v_job_status', 'v_job_health', 'quota_rollup',
  'commission_credit_line', 'nine_box', 'v_customer_risk', 'credited_line', 'credit_moves', 'v_pace_to_quota', 'v_team_risk',
  'v_pace_backtest'], 'the data model''s views');

-- keys, comments, pg_dump
SELECT is((SELECT array_agg(c.relname::text ORDER BY c.relname) FROM pg_class c
           WHERE c.relnamespace = 'sales_supervisor'::regnamespace AND c.relkind = 'r'
             AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p')),
          NULL, 'every table has a primary key');
SELECT is((SELECT array_agg(c.relname::text ORDER BY c.relname) FROM pg_class c
           WHERE c.relnamespace = 'sales_supervisor'::regnamespace AND c.relkind IN ('r', 'v')
             AND obj_description(c.oid, 'pg_class') IS NULL),
          NULL, 'every table and view has a comment');
SELECT is((SELECT array_agg(c.relname || '.' || a.attname ORDER BY c.relname, a.attname) FROM pg_class c
           JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
           WHERE c.relnamespace = 'sales_supervisor'::regnamespace AND c.relkind IN ('r', 'v')
             AND col_description(c.oid, a.attnum) IS NULL),
          NULL, 'every column has a comment');
SELECT is((SELECT array_agg(c.relname::text ORDER BY c.relname) FROM pg_class c
           WHERE c.relnamespace = 'sales_supervisor'::regnamespace AND c.relkind IN ('r', 'S')
             AND c.oid <> ALL ((SELECT extconfig FROM pg_extension WHERE extname = 'sales_supervisor')::oid[])),
          NULL, 'every table and sequence is registered with pg_extension_config_dump');
SELECT is((SELECT count(*)::int FROM pg_class c
           WHERE c.relnamespace = 'sales_supervisor'::regnamespace AND c.relkind = 'S'), 41,
          'the 41 identity sequences exist, one per table with a generated key (and are registered, above)');
SELECT is((SELECT array_agg(t.typname::text ORDER BY t.typname) FROM pg_type t
           WHERE t.typnamespace = 'sales_supervisor'::regnamespace AND t.typtype = 'e'
             AND obj_description(t.oid, 'pg_type') IS NULL), NULL, 'every enum has a comment');

-- a few tables in detail
SELECT columns_are('sales_supervisor', 'member', ARRAY['member_id', 'full_name', 'email', 'level', 'team_id',
  'manager_id', 'hire_date', 'left_on', 'active', 'login_role'], 'member columns');
SELECT col_is_unique('sales_supervisor', 'member', ARRAY['login_role'], 'a login maps to one member');
SELECT col_type_is('sales_supervisor', 'member', 'level', 'sales_supervisor', 'member_level', 'member level is the ladder enum');
SELECT enum_has_labels('sales_supervisor', 'member_level',
  ARRAY['sales_rep', 'sales_customer_supervisor', 'sales_manager', 'sales_director', 'customer_director'],
  'the career ladder in order');
SELECT columns_are('sales_supervisor', 'sale', ARRAY['sale_id', 'sold_on', 'member_id', 'customer_id',
  'category_id', 'amount', 'refund_of', 'invoice_id', 'quantity'], 'sale columns');
SELECT col_type_is('sales_supervisor', 'sale', 'amount', 'numeric(14,2)', 'money is exact numeric');
SELECT fk_ok('sales_supervisor', 'sale', 'customer_id', 'sales_supervisor', 'customer', 'customer_id', 'sale -> customer');
SELECT fk_ok('sales_supervisor', 'sale', 'member_id', 'sales_supervisor', 'member', 'member_id', 'sale -> member');
SELECT fk_ok('sales_supervisor', 'sale_credit', 'sale_id', 'sales_supervisor', 'sale', 'sale_id', 'sale_credit -> sale');
SELECT fk_ok('sales_supervisor', 'customer', 'tier', 'sales_supervisor', 'visit_cadence', 'tier', 'customer tier -> cadence');
SELECT fk_ok('sales_supervisor', 'appraisal_result', ARRAY['cycle_id', 'grade'],
             'sales_supervisor', 'grade_policy', ARRAY['cycle_id', 'grade'], 'a result''s grade is a grade of its cycle');
SELECT columns_are('sales_supervisor', 'review', ARRAY['review_id', 'cycle_id', 'reviewer_id', 'reviewee_id',
  'rater_role', 'comment', 'submitted_at'], 'review columns');
SELECT col_is_pk('sales_supervisor', 'review_score', ARRAY['review_id', 'criterion'], 'one score per review and criterion');
SELECT columns_are('sales_supervisor', 'appraisal_result', ARRAY['cycle_id', 'member_id', 'level', 'team_performance',
  'individual_performance', 'team_management', 'customer_satisfaction', 'final_score', 'rank', 'percentile',
  'grade', 'computed_at', 'template_id', 'self_assessment', 'supervisor_review', 'days_in_cycle', 'withheld',
  'not_graded_reason'],
  'appraisal_result columns: the four components, final score, rank, percentile, grade; template, self-assessment, supervisors'' review, days, withheld, why not graded');
SELECT columns_are('sales_supervisor', 'audit_log', ARRAY['audit_id', 'table_name', 'row_key', 'action', 'changed_by',
  'acting_role', 'changed_at', 'txid', 'old_row', 'new_row', 'reason'], 'audit_log columns');
SELECT col_is_pk('sales_supervisor', 'appraisal_result', ARRAY['cycle_id', 'member_id'], 'one result per cycle and member');
SELECT has_index('sales_supervisor', 'sale', 'sale_member_idx', ARRAY['member_id', 'sold_on', 'category_id'], 'sales by rep, date and category');
SELECT has_index('sales_supervisor', 'customer_visit', 'customer_visit_pending_idx', 'planned visits not yet done');
SELECT has_index('sales_supervisor', 'appraisal_cycle', 'appraisal_cycle_one_unclosed_per_year', 'one unclosed cycle per year');

-- ON DELETE: CASCADE only for pure children
SELECT is((SELECT array_agg(conrelid::regclass::text || '.' || conname ORDER BY conrelid::regclass::text, conname) FROM pg_constraint
           WHERE contype = 'f' AND confdeltype = 'c' AND connamespace = 'sales_supervisor'::regnamespace),
          ARRAY['appraisal_component_weight.appraisal_component_weight_cycle_id_fkey',
                'commission_late_sale.commission_late_sale_sale_id_fkey',
                'commission_plan_version.commission_plan_version_plan_id_fkey',
                'customer_contact.customer_contact_customer_id_fkey',
                'grade_policy.grade_policy_cycle_id_fkey',
                'kpi_target.kpi_target_cycle_id_fkey',
                'kpi_weight.kpi_weight_cycle_id_fkey',
                'member_assignment.member_assignment_member_id_fkey',
                'merit_budget.merit_budget_cycle_id_fkey',
                'merit_matrix.merit_matrix_grade_fk',
                'review_score.review_score_review_id_fkey',
                'sale_credit.sale_credit_sale_id_fkey',
                'team_leader.team_leader_team_id_fkey',
                'team_leadership.team_leadership_team_id_fkey',
                'training_attendance.training_attendance_session_id_fkey'],
          'only pure children cascade; everything else restricts');
SELECT is((SELECT count(*)::int FROM pg_constraint
           WHERE contype = 'f' AND confdeltype NOT IN ('c', 'r') AND connamespace = 'sales_supervisor'::regnamespace),
          0, 'every other foreign key is ON DELETE RESTRICT');

-- triggers that keep bad data out
SELECT has_trigger('sales_supervisor', 'review_score', 'review_score_check_cycle', 'scores within the cycle scale');
SELECT has_trigger('sales_supervisor', 'sale_credit', 'sale_credit_sum_100', 'credit split sums to 100');
SELECT has_trigger('sales_supervisor', 'seasonal_distribution', 'seasonal_distribution_complete', 'seasonality sums to 100');
SELECT has_trigger('sales_supervisor', 'appraisal_result', 'appraisal_result_check_state', 'closed results frozen');
SELECT has_trigger('sales_supervisor', 'audit_log', 'audit_log_append_only', 'audit log append-only');
SELECT has_trigger('sales_supervisor', 'quota', 'quota_audit', 'quotas audited');
SELECT has_trigger('sales_supervisor', 'promotion', 'promotion_audit', 'promotions audited');
SELECT has_trigger('sales_supervisor', 'appraisal_result', 'appraisal_result_audit', 'results audited');

-- roles
SELECT is((SELECT array_agg(rolname::text ORDER BY rolname) FROM pg_roles
           WHERE rolname LIKE 'sales\_supervisor\_%' AND NOT rolcanlogin AND NOT rolsuper),
          ARRAY['sales_supervisor_bi', 'sales_supervisor_hr', 'sales_supervisor_manager', 'sales_supervisor_rep',
                'sales_supervisor_supervisor'], 'the five NOLOGIN group roles exist');
SELECT is((SELECT count(*)::int FROM information_schema.role_table_grants
           WHERE table_schema = 'sales_supervisor' AND grantee = 'PUBLIC'), 0, 'nothing is granted to PUBLIC on tables');
SELECT is((SELECT array_agg(table_name::text ORDER BY table_name) FROM information_schema.role_table_grants
           WHERE table_schema = 'sales_supervisor' AND grantee = 'sales_supervisor_bi'),
          ARRAY['v_customer_health', 'v_forecast_accuracy', 'v_grade_distribution', 'v_job_status', 'v_org_summary',
                'v_pace_backtest', 'v_pace_to_quota', 'v_pay_summary', 'v_pipeline', 'v_promotion_pipeline', 'v_rep_attainment', 'v_rep_sales_month',
                'v_team_attainment', 'v_team_risk', 'v_team_scorecard'],
          'the BI role reads the documented views only (information_schema leaves out the materialized one)');

-- row-level security
SELECT is((SELECT array_agg(relname::text ORDER BY relname) FROM pg_class
           WHERE relnamespace = 'sales_supervisor'::regnamespace AND relkind = 'r' AND relrowsecurity),
          ARRAY['appraisal_consequence', 'appraisal_publication', 'appraisal_result', 'appraisal_template', 'audit_log',
                'calibration_adjustment', 'calibration_baseline', 'calibration_session', 'commission_balance', 'commission_credit',
                'commission_dispute', 'commission_entry', 'commission_late_sale',
                'commission_payout', 'commission_plan', 'commission_plan_version',
                'customer', 'customer_contact', 'customer_risk_flag', 'customer_risk_setting', 'customer_visit', 'feedback', 'feedback_overdue_flag', 'forecast',
                'invoice', 'invoice_credit', 'invoice_credit_stale', 'invoice_credit_window', 'invoice_payment', 'job_log', 'job_month', 'job_setting', 'kpi_result', 'member', 'member_assignment', 'member_leave',
                'merit_budget', 'merit_matrix', 'merit_override', 'merit_raise', 'opportunity', 'ops_setting', 'ops_time_zone', 'pace_backtest', 'pace_snapshot', 'pace_team_setting', 'pay', 'payout_batch_line',
                'potential_rating', 'promotion', 'promotion_candidate', 'quota', 'quota_relief', 'review', 'review_score', 'salary_band', 'sale', 'sale_credit', 'sale_credit_correction', 'shard_late_sale', 'shard_write_batch', 'survey_response',
                'task', 'team', 'team_leader', 'team_leadership', 'team_opening', 'team_risk_flag', 'training_attendance', 'visit_overdue_flag', 'work_report'],
          'row-level security on every table with personal or customer data, and on the org structure that decides scope');
SELECT is((SELECT array_agg(relname::text ORDER BY relname) FROM pg_class c
           WHERE relnamespace = 'sales_supervisor'::regnamespace AND relkind = 'r' AND NOT relrowsecurity
             AND EXISTS (SELECT 1 FROM information_schema.role_table_grants g
                         WHERE g.table_schema = 'sales_supervisor' AND g.table_name = c.relname)),
          -- (commission_run_gate holds no data: only its owner's functions touch it)
          ARRAY['appraisal_component_weight', 'appraisal_cycle', 'bonus_target', 'commission_period_lock',
                'commission_run_gate', 'fiscal_period',
                'grade_policy', 'kpi_definition', 'kpi_target', 'kpi_weight', 'payout_batch', 'product_category',
                'promotion_rule', 'seasonal_distribution', 'spiff', 'training_session', 'visit_cadence'],
          'the granted tables without row-level security are reference data only (and payout batch headers)');
SELECT policies_are('sales_supervisor', 'member', ARRAY['member_own', 'member_subtree', 'member_hr'], 'member policies');
SELECT policies_are('sales_supervisor', 'customer', ARRAY['customer_own', 'customer_subtree'], 'customer policies');
SELECT policies_are('sales_supervisor', 'customer_visit', ARRAY['customer_visit_via_customer'], 'visit policies');
SELECT policies_are('sales_supervisor', 'sale', ARRAY['sale_own', 'sale_subtree', 'sale_subtree_dated'], 'sale policies');
SELECT policies_are('sales_supervisor', 'sale_credit', ARRAY['sale_credit_via_sale'], 'sale_credit policies');
SELECT policies_are('sales_supervisor', 'quota', ARRAY['quota_own', 'quota_subtree'], 'quota policies');
SELECT policies_are('sales_supervisor', 'task', ARRAY['task_own', 'task_subtree'], 'task policies');
SELECT policies_are('sales_supervisor', 'review', ARRAY['review_reviewer', 'review_hr'], 'review policies');
SELECT policies_are('sales_supervisor', 'review_score', ARRAY['review_score_via_review', 'review_score_hr'], 'review_score policies');
SELECT policies_are('sales_supervisor', 'appraisal_result',
                    ARRAY['appraisal_result_own', 'appraisal_result_subtree', 'appraisal_result_hr'], 'appraisal_result policies');
SELECT policies_are('sales_supervisor', 'appraisal_consequence',
                    ARRAY['appraisal_consequence_own', 'appraisal_consequence_subtree', 'appraisal_consequence_hr'],
                    'appraisal_consequence policies');
SELECT policies_are('sales_supervisor', 'calibration_adjustment',
                    ARRAY['calibration_adjustment_own', 'calibration_adjustment_scope', 'calibration_adjustment_hr'],
                    'calibration_adjustment policies: the member once published, the scope and the session''s viewers, HR');
SELECT policies_are('sales_supervisor', 'pay', ARRAY['pay_own', 'pay_hr'], 'pay policies');
SELECT policies_are('sales_supervisor', 'appraisal_template', ARRAY['appraisal_template_read', 'appraisal_template_hr'],
                    'appraisal_template policies: everybody reads the templates, HR writes them');
SELECT policies_are('sales_supervisor', 'audit_log', ARRAY['audit_log_hr'], 'audit_log policies');
SELECT policies_are('sales_supervisor', 'team', ARRAY['team_read', 'team_hr', 'team_manager_insert', 'team_manager_update'],
                    'team policies: everybody reads the tree; HR, or a manager inside their department, changes it');
SELECT policies_are('sales_supervisor', 'team_leader',
                    ARRAY['team_leader_read', 'team_leader_hr', 'team_leader_manager_insert', 'team_leader_manager_update',
                          'team_leader_manager_delete'],
                    'team_leader policies: everybody reads; HR, or a manager inside their department, appoints');
SELECT policy_roles_are('sales_supervisor', 'customer', 'customer_own', ARRAY['sales_supervisor_rep'], 'customer_own is for reps');
SELECT policy_roles_are('sales_supervisor', 'customer', 'customer_subtree',
                        ARRAY['sales_supervisor_supervisor', 'sales_supervisor_manager'], 'customer_subtree is for supervisors and managers');
SELECT policy_roles_are('sales_supervisor', 'sale', 'sale_own', ARRAY['sales_supervisor_rep'], 'sale_own is for reps');
SELECT policy_roles_are('sales_supervisor', 'review', 'review_reviewer',
                        ARRAY['sales_supervisor_rep', 'sales_supervisor_supervisor', 'sales_supervisor_manager'],
                        'review_reviewer is for everybody who writes reviews');
SELECT policy_roles_are('sales_supervisor', 'review', 'review_hr', ARRAY['sales_supervisor_hr'], 'review_hr is for HR');
SELECT policy_roles_are('sales_supervisor', 'appraisal_result', 'appraisal_result_hr', ARRAY['sales_supervisor_hr'],
                        'appraisal_result_hr is for HR');
SELECT policy_roles_are('sales_supervisor', 'pay', 'pay_own',
                        ARRAY['sales_supervisor_rep', 'sales_supervisor_supervisor', 'sales_supervisor_manager'],
                        'pay_own: everyone sees their own pay');
SELECT policy_cmd_is('sales_supervisor', 'audit_log', 'audit_log_hr', 'select', 'audit_log_hr is read-only');
SELECT policies_are('sales_supervisor', 'merit_raise', ARRAY['merit_raise_own', 'merit_raise_hr'],
                    'merit_raise policies: one''s own raise, HR all (written by merit_apply only)');
SELECT policies_are('sales_supervisor', 'potential_rating', ARRAY['potential_rating_subtree', 'potential_rating_hr'],
                    'potential_rating policies: the member''s supervisors and managers, and HR; never the member');
SELECT is((SELECT reloptions FROM pg_class WHERE oid = 'sales_supervisor.nine_box'::regclass),
          ARRAY['security_invoker=true'], 'nine_box runs with the caller''s row-level security');
SELECT is((SELECT count(*)::int FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
           WHERE c.relnamespace = 'sales_supervisor'::regnamespace AND 0 = ANY (p.polroles)), 0,
          'no policy applies to PUBLIC');

-- functions: fixed search_path, definer functions not executable by PUBLIC
SELECT is((SELECT array_agg(p.proname::text ORDER BY p.proname) FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
           WHERE p.pronamespace = 'sales_supervisor'::regnamespace AND l.lanname IN ('sql', 'plpgsql')
             AND p.prosqlbody IS NULL
             -- run_job commits, and PostgreSQL refuses COMMIT in a procedure with a SET clause:
             -- it qualifies every name instead (tested in operations.sql)
             AND p.oid <> 'sales_supervisor.run_job(text)'::regprocedure
             AND NOT coalesce(p.proconfig::text[] @> ARRAY['search_path=pg_catalog, sales_supervisor, pg_temp'], false)),
          NULL, 'every SQL/PL/pgSQL function has a fixed search_path (but run_job), or a body parsed at creation');
-- a generic plan is costed without its arguments, and JIT compiles again at
-- every execution: a function kept to generic plans turns JIT off (one rep's
-- statement cost 470 000 and took 30-40 ms more a call under the default
-- settings; test/system/jit_small_calls.t watches it happen)
SELECT is((SELECT array_agg(p.proname::text ORDER BY p.proname) FROM pg_proc p
           WHERE p.pronamespace = 'sales_supervisor'::regnamespace
             AND p.proconfig::text[] @> ARRAY['plan_cache_mode=force_generic_plan']
             AND NOT p.proconfig::text[] @> ARRAY['jit=off']),
          NULL, 'every function kept to generic plans runs with JIT off');
SELECT ok((SELECT count(*) FROM pg_proc p WHERE p.pronamespace = 'sales_supervisor'::regnamespace
           AND p.proconfig::text[] @> ARRAY['plan_cache_mode=force_generic_plan']) >= 5,
          'the rule above has functions to check (the statement and its one-rep parts)');
SELECT is((SELECT array_agg(p.proname::text ORDER BY p.proname) FROM pg_proc p
           WHERE p.pronamespace = 'sales_supervisor'::regnamespace AND p.prosecdef
             AND has_function_privilege('public', p.oid, 'EXECUTE')),
          NULL, 'no SECURITY DEFINER function is executable by PUBLIC');
SELECT is((SELECT array_agg(p.proname::text ORDER BY p.proname) FROM pg_proc p
           WHERE p.pronamespace = 'sales_supervisor'::regnamespace AND p.prosecdef),
          ARRAY['add_shard', 'adjust_final_score', 'allocate_quotas', 'appraisal_consequence_check_state', 'appraisal_cycle_check_policy', 'appraisal_cycle_check_state',
                'appraisal_template_check', 'appraisal_what_if',
                'approve_payout_batch', 'approve_promotion', 'audit_row', 'calibrate_appraisal_cycle', 'calibration_raters', 'calibration_scores',
                'close_appraisal_cycle', 'close_calibration_session', 'commission_check_period', 'commission_credit_check_period', 'commission_dispute_check_state', 'commission_entry_check_period',
                'commission_plan_record_version', 'commission_statement', 'correct_sale_credit', 'credited_sale_ids', 'current_member_id', 'customer_check_team', 'cycle_rows_check_state',
                'decide_dispute', 'file_dispute', 'invoice_credit_split_changed',
                'invoice_track_lines', 'invoice_track_payments', 'led_team_ids', 'lock_quotas', 'managed_team_ids', 'member_assignment_check_cover',
                'member_assignment_follow_member', 'member_assignment_on_hire', 'merit_apply', 'merit_preview',
                'open_appraisal_cycle', 'open_calibration_session', 'pace_to_quota', 'payout_batch_check_approval', 'promotion_candidates', 'prorate_quotas', 'publish_appraisal_cycle', 'quota_what_if', 'recalculate_commission', 'reopen_appraisal_cycle', 'require_role', 'reverse_payout_line',
                'review_check_cycle', 'review_summary', 'run_commission', 'sale_check_credited',
                'sale_credit_check_credited', 'sale_credit_check_sum',
                'sale_queue_late_lines', 'sale_scope_member_ids', 'sale_scope_moved', 'sale_scope_moved_dates',
                'sale_scope_moved_ids', 'scope_root_team_ids', 'score_kpis', 'seasonal_distribution_check', 'self_assessment_comparison', 'settle_commission_period', 'shard_commission_lines', 'shard_credit_by_team_month', 'shard_credited_sales_by_month', 'shard_customer_sales_as_of', 'shard_forecast_accuracy', 'shard_half_writes', 'shard_kpi_measure', 'shard_line_rows', 'shard_repair_writes', 'shard_status', 'shard_survey_metrics', 'shard_write_sales', 'spiff_check_settled', 'start_appraisal_reviews',
                'team_check_tree', 'team_leadership_follow', 'team_risk', 'transfer_member', 'visible_member_ids', 'year_end_pay'],
          'exactly the functions that must cross the security lines are SECURITY DEFINER');
SELECT is((SELECT provolatile::text FROM pg_proc WHERE oid = 'sales_supervisor.generate_demo_org'::regproc), 'v',
          'the generator is VOLATILE');
SELECT is((SELECT provolatile::text || proparallel::text FROM pg_proc WHERE oid = 'sales_supervisor.demo_random'::regproc), 'is',
          'demo_random is IMMUTABLE and PARALLEL SAFE');
SELECT is((SELECT array_agg(p.proname::text ORDER BY p.proname) FROM pg_proc p
           WHERE p.pronamespace = 'sales_supervisor'::regnamespace AND obj_description(p.oid, 'pg_proc') IS NULL),
          NULL, 'every function has a comment');
SELECT is((SELECT reloptions FROM pg_class WHERE oid = 'sales_supervisor.overdue_visit'::regclass),
          ARRAY['security_invoker=true'], 'overdue_visit runs with the caller''s row-level security');
SELECT is((SELECT reloptions FROM pg_class WHERE oid = 'sales_supervisor.v_customer_risk'::regclass),
          ARRAY['security_invoker=true'], 'v_customer_risk runs with the caller''s row-level security');
SELECT policies_are('sales_supervisor', 'customer_risk_setting',
                    ARRAY['customer_risk_setting_read', 'customer_risk_setting_manager_insert',
                          'customer_risk_setting_manager_update', 'customer_risk_setting_manager_delete'],
                    'customer_risk_setting policies: the roles that see customers read, managers write');
SELECT has_function('sales_supervisor', 'generate_demo_org',
  ARRAY['integer', 'integer', 'integer', 'integer', 'integer', 'integer', 'integer', 'integer', 'integer', 'boolean', 'boolean', 'boolean'],
  'generate_demo_org(seed, teams, depth, reps, customers, sales_lines, surveys, reviews_per_member, year, replace, changes, billing)');
SELECT has_function('sales_supervisor', 'reopen_appraisal_cycle', ARRAY['integer', 'text', 'name'], 'reopen_appraisal_cycle');
SELECT has_function('sales_supervisor', 'review_summary', ARRAY['integer', 'integer', 'name'], 'review_summary');

SELECT * FROM finish();
ROLLBACK;
