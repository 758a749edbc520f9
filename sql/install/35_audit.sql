-- Layer 3, audit: an append-only log of changes to quotas, appraisal results,
-- promotions and appraisal-cycle states, and the audited reopen of a closed cycle.
--
-- Nobody is granted INSERT, UPDATE, DELETE or TRUNCATE on audit_log (a ledger
-- of the model, 23_model_ledgers.sql); rows are written only by the SECURITY
-- DEFINER trigger function audit_row() and by reopen_appraisal_cycle().
-- UPDATE, DELETE and TRUNCATE are refused by triggers even for the owner
-- (24_model_integrity.sql, short of disabling the triggers).

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_log_hr ON audit_log FOR SELECT TO sales_supervisor_hr USING (true);
GRANT SELECT ON audit_log TO sales_supervisor_hr;


-- audit_row(key columns...): AFTER ROW trigger writing one audit entry.
CREATE FUNCTION audit_row()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_row jsonb := CASE WHEN TG_OP = 'DELETE' THEN to_jsonb(OLD) ELSE to_jsonb(NEW) END;
  v_key jsonb := '{}';
  i integer;
BEGIN
  IF sales_supervisor.is_restoring() THEN
    RETURN NULL;                        -- the dumped audit_log already holds the history
  END IF;
  FOR i IN 0 .. TG_NARGS - 1 LOOP
    v_key := v_key || jsonb_build_object(TG_ARGV[i], v_row -> TG_ARGV[i]);
  END LOOP;
  IF TG_OP = 'UPDATE' AND to_jsonb(OLD) = to_jsonb(NEW) THEN
    RETURN NULL;                        -- nothing changed
  END IF;
  INSERT INTO sales_supervisor.audit_log (table_name, row_key, action, acting_role, old_row, new_row)
  VALUES (TG_TABLE_NAME, v_key, TG_OP,
          nullif(current_setting('role'), 'none'),
          CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END,
          CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END);
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION audit_row() IS
'AFTER ROW trigger: appends the change (key columns given as trigger arguments, old and new row as jsonb, session user, role) to audit_log. Security definer, so callers need no privilege on audit_log.';
REVOKE ALL ON FUNCTION audit_row() FROM PUBLIC;

CREATE TRIGGER quota_audit AFTER INSERT OR UPDATE OR DELETE ON quota
  FOR EACH ROW EXECUTE FUNCTION audit_row('quota_id');
CREATE TRIGGER appraisal_result_audit AFTER INSERT OR UPDATE OR DELETE ON appraisal_result
  FOR EACH ROW EXECUTE FUNCTION audit_row('cycle_id', 'member_id');
CREATE TRIGGER promotion_audit AFTER INSERT OR UPDATE OR DELETE ON promotion
  FOR EACH ROW EXECUTE FUNCTION audit_row('promotion_id');
CREATE TRIGGER appraisal_cycle_audit AFTER INSERT OR UPDATE OR DELETE ON appraisal_cycle
  FOR EACH ROW EXECUTE FUNCTION audit_row('cycle_id');
CREATE TRIGGER appraisal_consequence_audit AFTER INSERT OR UPDATE OR DELETE ON appraisal_consequence
  FOR EACH ROW EXECUTE FUNCTION audit_row('cycle_id', 'member_id');

-- The plans of the appraisal (issue 14.3): KPI definitions, their weights and
-- targets, the component weights and the grade policies are audited too, so
-- the version of each that produced a closed result stays recoverable
-- (audit_rows_as_of), however the cycle was corrected later.
CREATE TRIGGER kpi_definition_audit AFTER INSERT OR UPDATE OR DELETE ON kpi_definition
  FOR EACH ROW EXECUTE FUNCTION audit_row('kpi_id');
CREATE TRIGGER kpi_weight_audit AFTER INSERT OR UPDATE OR DELETE ON kpi_weight
  FOR EACH ROW EXECUTE FUNCTION audit_row('cycle_id', 'level', 'kpi_id');
CREATE TRIGGER kpi_target_audit AFTER INSERT OR UPDATE OR DELETE ON kpi_target
  FOR EACH ROW EXECUTE FUNCTION audit_row('cycle_id', 'kpi_id', 'level');
CREATE TRIGGER appraisal_component_weight_audit AFTER INSERT OR UPDATE OR DELETE ON appraisal_component_weight
  FOR EACH ROW EXECUTE FUNCTION audit_row('cycle_id', 'level', 'component');
CREATE TRIGGER grade_policy_audit AFTER INSERT OR UPDATE OR DELETE ON grade_policy
  FOR EACH ROW EXECUTE FUNCTION audit_row('cycle_id', 'grade');
-- issue 16: the appraisal templates (what each level is appraised on)
CREATE TRIGGER appraisal_template_audit AFTER INSERT OR UPDATE OR DELETE ON appraisal_template
  FOR EACH ROW EXECUTE FUNCTION audit_row('template_id');

-- Quota relief and leaves of absence are audited like quotas; relief rows are
-- never changed (a mistaken one is taken back by a row of the opposite sign).
CREATE TRIGGER quota_relief_audit AFTER INSERT OR UPDATE OR DELETE ON quota_relief
  FOR EACH ROW EXECUTE FUNCTION audit_row('relief_id');
CREATE TRIGGER quota_relief_append_only BEFORE UPDATE OR DELETE ON quota_relief
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER member_leave_audit AFTER INSERT OR UPDATE OR DELETE ON member_leave
  FOR EACH ROW EXECUTE FUNCTION audit_row('leave_id');

-- audit_rows_as_of: an audited table as it stood at a moment, from the audit
-- log -- per key, the row its last change up to as_of left (none after a
-- delete).  Rows written before the table was audited (before 0.3.0 for the
-- appraisal's plans) are not in the log.
CREATE FUNCTION audit_rows_as_of(table_name text, as_of timestamptz)
RETURNS TABLE (row_key jsonb, row_data jsonb, changed_at timestamptz, changed_by name)
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  SELECT x.row_key, x.new_row, x.changed_at, x.changed_by
  FROM (SELECT DISTINCT ON (a.row_key) a.row_key, a.new_row, a.changed_at, a.changed_by
        FROM sales_supervisor.audit_log a
        WHERE a.table_name = audit_rows_as_of.table_name AND a.changed_at <= as_of
        ORDER BY a.row_key, a.audit_id DESC) x
  WHERE x.new_row IS NOT NULL
  ORDER BY x.row_key
$$;
COMMENT ON FUNCTION audit_rows_as_of(text, timestamptz) IS
'An audited table (quota, quota_relief, member_leave, appraisal_result, appraisal_cycle, appraisal_consequence, promotion, kpi_definition, kpi_weight, kpi_target, appraisal_component_weight, grade_policy, appraisal_template) as it stood at as_of, from audit_log: per row key, the row its last change up to then left, who wrote it and when; rows deleted by then are absent. Reads the audit log: HR (who may read it) and the owner.';
REVOKE ALL ON FUNCTION audit_rows_as_of(text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_rows_as_of(text, timestamptz) TO sales_supervisor_hr;

CREATE FUNCTION reopen_appraisal_cycle(cycle integer, reason text, login name DEFAULT current_user)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  c sales_supervisor.appraisal_cycle;
BEGIN
  -- the role check of the sales-year steps: refuses a NULL login (which would
  -- also be audited as acting_role NULL) and a login the session may not act as
  PERFORM sales_supervisor.require_role(login, ARRAY['sales_supervisor_hr'], 'reopen an appraisal cycle');
  IF cycle IS NULL THEN
    RAISE EXCEPTION 'cycle must not be null'
      USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass the cycle_id of the closed appraisal cycle.';
  END IF;
  IF reason IS NULL OR btrim(reason) = '' THEN
    RAISE EXCEPTION 'a reason is required to reopen appraisal cycle %', cycle
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Pass why the closed results must change; it is written to audit_log.';
  END IF;
  SELECT * INTO c FROM sales_supervisor.appraisal_cycle a WHERE a.cycle_id = cycle FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'appraisal cycle % does not exist', cycle USING ERRCODE = 'no_data_found';
  END IF;
  IF c.state <> 'closed' THEN
    RAISE EXCEPTION 'appraisal cycle % is %, not closed', cycle, c.state
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  INSERT INTO sales_supervisor.audit_log (table_name, row_key, action, acting_role, old_row, new_row, reason)
  VALUES ('appraisal_cycle', jsonb_build_object('cycle_id', cycle), 'REOPEN', login,
          to_jsonb(c), jsonb_set(to_jsonb(c), '{state}', to_jsonb('calibrating'::text)), reason);
  UPDATE sales_supervisor.appraisal_cycle a SET state = 'calibrating' WHERE a.cycle_id = cycle;
END
$$;
COMMENT ON FUNCTION reopen_appraisal_cycle(integer, text, name) IS
'Reopens a closed appraisal cycle (back to calibrating) so its results can be corrected; HR only, like the close it undoes (a company-wide step; require_role: a NULL login is refused, never audited as acting_role NULL); the reason, who and when are written to audit_log. The only way to change a closed cycle.';
REVOKE ALL ON FUNCTION reopen_appraisal_cycle(integer, text, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION reopen_appraisal_cycle(integer, text, name) TO sales_supervisor_hr;
