-- Layer 3, security of merit pay and talent (issue 16, items 2 and 6): the
-- grants, row-level security and audit triggers of the tables of
-- 27_model_merit.sql.  (Kept out of 30_security.sql, after 35_audit.sql for
-- audit_row; the policies are written out per table, as there.)
--
--   salary_band, merit_matrix  reference data: everybody in the organisation reads, HR writes
--   merit_budget               HR only
--   merit_override             HR only (read and write); the approver is the writer
--   merit_raise                personal, like pay: the member reads their own, HR all;
--                              written by merit_apply only
--   potential_rating           the member's supervisors and managers (their subtree,
--                              never their own row) and HR; the member never sees it

GRANT SELECT ON salary_band, merit_matrix
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;
GRANT INSERT, UPDATE, DELETE ON salary_band, merit_matrix TO sales_supervisor_hr;
GRANT SELECT, INSERT, UPDATE, DELETE ON merit_budget, merit_override TO sales_supervisor_hr;
GRANT SELECT ON merit_raise
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;
GRANT SELECT, INSERT, UPDATE, DELETE ON potential_rating
  TO sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;

ALTER TABLE salary_band ENABLE ROW LEVEL SECURITY;
CREATE POLICY salary_band_read ON salary_band FOR SELECT
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr
  USING (true);
CREATE POLICY salary_band_hr ON salary_band TO sales_supervisor_hr USING (true) WITH CHECK (true);

ALTER TABLE merit_matrix ENABLE ROW LEVEL SECURITY;
CREATE POLICY merit_matrix_read ON merit_matrix FOR SELECT
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr
  USING (true);
CREATE POLICY merit_matrix_hr ON merit_matrix TO sales_supervisor_hr USING (true) WITH CHECK (true);

ALTER TABLE merit_budget ENABLE ROW LEVEL SECURITY;
CREATE POLICY merit_budget_hr ON merit_budget TO sales_supervisor_hr USING (true) WITH CHECK (true);

ALTER TABLE merit_override ENABLE ROW LEVEL SECURITY;
CREATE POLICY merit_override_hr ON merit_override TO sales_supervisor_hr
  USING (true) WITH CHECK (approved_by = current_user);

ALTER TABLE merit_raise ENABLE ROW LEVEL SECURITY;
CREATE POLICY merit_raise_own ON merit_raise FOR SELECT
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager
  USING (member_id = (SELECT sales_supervisor.current_member_id()));
CREATE POLICY merit_raise_hr ON merit_raise FOR SELECT TO sales_supervisor_hr USING (true);

ALTER TABLE potential_rating ENABLE ROW LEVEL SECURITY;
CREATE POLICY potential_rating_subtree ON potential_rating
  TO sales_supervisor_supervisor, sales_supervisor_manager
  USING (member_id = ANY ((SELECT sales_supervisor.visible_member_ids())::integer[])
         AND member_id IS DISTINCT FROM (SELECT sales_supervisor.current_member_id()))
  WITH CHECK (member_id = ANY ((SELECT sales_supervisor.visible_member_ids())::integer[])
              AND member_id IS DISTINCT FROM (SELECT sales_supervisor.current_member_id())
              AND rated_by = current_user);
CREATE POLICY potential_rating_hr ON potential_rating TO sales_supervisor_hr
  USING (true) WITH CHECK (rated_by = current_user);

-- Overrides, applied raises and potential ratings are audited (who, when,
-- the row before and after: the reason of an override is in it).
CREATE TRIGGER merit_override_audit AFTER INSERT OR UPDATE OR DELETE ON merit_override
  FOR EACH ROW EXECUTE FUNCTION audit_row('cycle_id', 'member_id');
CREATE TRIGGER merit_raise_audit AFTER INSERT OR UPDATE OR DELETE ON merit_raise
  FOR EACH ROW EXECUTE FUNCTION audit_row('cycle_id', 'member_id');
CREATE TRIGGER potential_rating_audit AFTER INSERT OR UPDATE OR DELETE ON potential_rating
  FOR EACH ROW EXECUTE FUNCTION audit_row('cycle_id', 'member_id');
CREATE TRIGGER salary_band_audit AFTER INSERT OR UPDATE OR DELETE ON salary_band
  FOR EACH ROW EXECUTE FUNCTION audit_row('fiscal_year', 'level');
CREATE TRIGGER merit_matrix_audit AFTER INSERT OR UPDATE OR DELETE ON merit_matrix
  FOR EACH ROW EXECUTE FUNCTION audit_row('cycle_id', 'grade', 'compa_from');
CREATE TRIGGER merit_budget_audit AFTER INSERT OR UPDATE OR DELETE ON merit_budget
  FOR EACH ROW EXECUTE FUNCTION audit_row('cycle_id', 'team_id');
