-- Layer 4, the sales year: disputes of a rep's commission account (issue 15).
--
-- A member (rep, supervisor or manager) files a dispute for themselves --
-- file_dispute(period, reason_code, detail, entry, sale, claimed) -- against
-- an entry of their own account or a sales line, with a reason code.  HR, or
-- a supervisor or manager whose scope holds the member (never the member
-- themselves), decides it once -- decide_dispute(dispute, accept, resolution,
-- adjustment): an acceptance posts an adjustment entry that names the dispute
-- into the first period of the dispute's kind not yet settled
-- (settlement_open_period), so settle_commission_period() pays it with that
-- period; a rejection posts nothing.  Rows are never deleted, only the
-- decision columns change, once (commission_dispute_check_state); every
-- change is audited (audit_row).  A rep reads only their own disputes
-- (row-level security, 30_security.sql).
--
-- Nothing is revealed about lines the filer cannot see: a sales line or an
-- entry that is not theirs is refused with the same SQLSTATE (P0002) and
-- message whether it exists or not.  The one line of someone else a member
-- may name is, under reason missing_sale, a sale to a customer they own (a
-- customer they see anyway): the sale they say should have been credited to
-- them.

-- dispute_check_subject: what a filing names is the filer's to dispute -- the
-- period exists; the entry is in their account for that period; the sales line
-- is booked or credited to them, or, for a missing sale, a sale to a customer
-- they own.  Every refusal of an entry or line reads the same whether it
-- exists or belongs to someone else (P0002), so a filing probes nothing.
CREATE FUNCTION dispute_check_subject(p_member integer, p_period integer, p_reason text,
                                      p_entry bigint, p_sale bigint)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM fiscal_period p WHERE p.period_id = p_period) THEN
    RAISE EXCEPTION 'fiscal period % does not exist', p_period
      USING ERRCODE = 'no_data_found', HINT = 'Name the period whose statement is disputed (fiscal_period).';
  END IF;
  IF p_reason <> 'other' AND p_entry IS NULL AND p_sale IS NULL THEN
    RAISE EXCEPTION 'a dispute of reason % names an account entry or a sales line', p_reason
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Pass entry or sale, or file it with reason other.';
  END IF;
  IF p_reason = 'missing_sale' AND p_sale IS NULL THEN
    RAISE EXCEPTION 'a missing_sale dispute names the sales line that is missing'
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Pass sale.';
  END IF;
  IF p_entry IS NOT NULL AND NOT EXISTS (SELECT 1 FROM commission_entry e WHERE e.entry_id = p_entry
                                         AND e.member_id = p_member AND e.period_id = p_period) THEN
    RAISE EXCEPTION 'commission entry % is not in your account for period %', p_entry, p_period
      USING ERRCODE = 'no_data_found', HINT = 'Name an entry of your own statement of that period.';
  END IF;
  IF p_sale IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM sale s WHERE s.sale_id = p_sale
                     AND (s.member_id = p_member
                          OR EXISTS (SELECT 1 FROM sale_credit sc WHERE sc.sale_id = s.sale_id AND sc.member_id = p_member)
                          OR (p_reason = 'missing_sale'
                              AND EXISTS (SELECT 1 FROM customer c WHERE c.customer_id = s.customer_id
                                          AND c.owner_id = p_member)))) THEN
    RAISE EXCEPTION 'sales line % is not one you may dispute', p_sale
      USING ERRCODE = 'no_data_found',
            DETAIL = 'A dispute names a line booked or credited to you or, for a missing sale, a sale to a customer you own.',
            HINT = 'Describe any other line in detail and file with reason other.';
  END IF;
END
$fn$;
COMMENT ON FUNCTION dispute_check_subject(integer, integer, text, bigint, bigint) IS
'Internal, part of file_dispute: the period exists (P0002); a dispute other than reason other names an entry or a sales line, missing_sale a line (22023); the entry is in p_member''s account for the period, the line booked or credited to p_member or, for missing_sale, a sale to a customer p_member owns -- refused otherwise with the same P0002 whether the entry or line exists or not.';
REVOKE ALL ON FUNCTION dispute_check_subject(integer, integer, text, bigint, bigint) FROM PUBLIC;

-- file_dispute: a member files a dispute of their own commission, checked
-- here so each refusal names the bad value (the table's CHECKs would only
-- name a constraint).  The dispute is the login's member's: nobody files for
-- someone else (the login must be one the session may act as).
CREATE FUNCTION file_dispute(period integer, reason_code text, detail text, entry bigint DEFAULT NULL,
                             sale bigint DEFAULT NULL, claimed numeric DEFAULT NULL,
                             login name DEFAULT current_user)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  v_me integer;
  v_id integer;
BEGIN
  v_me := require_role(login, ARRAY['sales_supervisor_rep', 'sales_supervisor_supervisor', 'sales_supervisor_manager'],
                       'file a commission dispute');
  IF v_me IS NULL THEN
    RAISE EXCEPTION 'role "%" is no active member: a dispute is filed by a member for their own commission', login
      USING ERRCODE = 'insufficient_privilege', HINT = 'Map the login to its member (member.login_role).';
  END IF;
  IF period IS NULL OR reason_code IS NULL OR detail IS NULL THEN
    RAISE EXCEPTION 'period, reason_code and detail must not be null' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF reason_code NOT IN ('missing_sale', 'wrong_split', 'wrong_rate', 'wrong_amount', 'hold', 'clawback', 'draw',
                         'spiff', 'other') THEN
    RAISE EXCEPTION 'unknown dispute reason code "%"', reason_code
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'One of missing_sale, wrong_split, wrong_rate, wrong_amount, hold, clawback, draw, spiff, other.';
  END IF;
  IF btrim(detail) = '' THEN
    RAISE EXCEPTION 'a dispute needs a detail: what is wrong' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF claimed <> round(claimed, 2) THEN
    RAISE EXCEPTION 'claimed amount % is finer than cents', claimed USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM dispute_check_subject(v_me, period, reason_code, entry, sale);
  INSERT INTO commission_dispute (member_id, period_id, entry_id, sale_id, reason_code, detail, claimed)
  VALUES (v_me, period, entry, sale, reason_code, detail, claimed)
  RETURNING dispute_id INTO v_id;
  RETURN v_id;
END
$fn$;
COMMENT ON FUNCTION file_dispute(integer, text, text, bigint, bigint, numeric, name) IS
'Files a dispute of the login''s own commission statement for period: reason_code (missing_sale, wrong_split, wrong_rate, wrong_amount, hold, clawback, draw, spiff, other), detail, optionally an entry of their account in that period, a sales line booked or credited to them (for missing_sale also a sale to a customer they own) and the amount claimed. Returns the dispute_id. Reps, supervisors and managers, for themselves only (42501 for a login that is no active member or that the session may not act as). 22004 NULL period, reason_code, detail or login; 22023 unknown reason code, blank detail, no subject, claimed finer than cents; P0002 unknown period, an entry or line that is not the caller''s (the same whether it exists or not).';
REVOKE ALL ON FUNCTION file_dispute(integer, text, text, bigint, bigint, numeric, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION file_dispute(integer, text, text, bigint, bigint, numeric, name)
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager;

-- dispute_for_decision: the open dispute a login may decide, locked.  Nobody
-- decides their own; HR (and a superuser, a member of every role) decides any;
-- a supervisor or manager only those of the members of their scope.  Outside
-- the scope, a dispute that exists and one that does not are refused alike
-- (42501), so the ids of other scopes' disputes stay unknown.
CREATE FUNCTION dispute_for_decision(p_dispute integer, p_login name, p_me integer)
RETURNS commission_dispute
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  d commission_dispute;
  v_found boolean;
  v_hr boolean := pg_has_role(p_login, 'sales_supervisor_hr', 'MEMBER');
BEGIN
  SELECT * INTO d FROM commission_dispute x WHERE x.dispute_id = p_dispute FOR UPDATE;
  v_found := FOUND;
  IF v_found AND d.member_id = p_me THEN
    RAISE EXCEPTION 'role "%" may not decide dispute %: it is their own', p_login, p_dispute
      USING ERRCODE = 'insufficient_privilege', HINT = 'Their manager or HR decides it.';
  END IF;
  IF v_hr IS NOT TRUE AND (NOT v_found OR NOT coalesce(d.member_id = ANY (visible_member_ids(p_login)), false)) THEN
    RAISE EXCEPTION 'role "%" may not decide dispute %', p_login, p_dispute
      USING ERRCODE = 'insufficient_privilege',
            DETAIL = 'A supervisor or manager decides the disputes of the members of their scope.',
            HINT = 'HR decides any dispute.';
  END IF;
  IF NOT v_found THEN
    RAISE EXCEPTION 'commission dispute % does not exist', p_dispute USING ERRCODE = 'no_data_found';
  END IF;
  IF d.state <> 'open' THEN
    RAISE EXCEPTION 'commission dispute % is % already: a dispute is decided once', p_dispute, d.state
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'File a new dispute to raise it again.';
  END IF;
  RETURN d;
END
$fn$;
COMMENT ON FUNCTION dispute_for_decision(integer, name, integer) IS
'Internal, part of decide_dispute: the dispute p_login (member p_me) may decide, locked FOR UPDATE. 42501 for the member''s own dispute and, unless p_login is HR, for a dispute outside visible_member_ids(p_login) or none (alike); P0002 unknown (HR); 55000 decided already.';
REVOKE ALL ON FUNCTION dispute_for_decision(integer, name, integer) FROM PUBLIC;

-- decide_dispute: accept (posting the adjustment entry) or reject, once.  The
-- entry goes into the first unsettled period of the dispute's kind; the batch
-- table is locked (SHARE) so no settlement of that period commits between
-- finding it open and posting into it, and READ COMMITTED so a settlement
-- waited for is seen.  The entry is written before the dispute is marked
-- accepted: the state trigger checks that the acceptance has it.
CREATE FUNCTION decide_dispute(dispute integer, accept boolean, resolution text, adjustment numeric DEFAULT NULL,
                               login name DEFAULT current_user)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  v_me    integer;
  d       commission_dispute;
  v_into  integer;
  v_entry bigint;
BEGIN
  v_me := require_role(login, ARRAY['sales_supervisor_supervisor', 'sales_supervisor_manager', 'sales_supervisor_hr'],
                       'decide a commission dispute');
  IF dispute IS NULL OR accept IS NULL OR resolution IS NULL OR (accept AND adjustment IS NULL) THEN
    RAISE EXCEPTION 'dispute, accept, resolution and (to accept) adjustment must not be null'
      USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF btrim(resolution) = '' THEN
    RAISE EXCEPTION 'deciding dispute % needs a resolution: why', dispute USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF accept AND (adjustment = 0 OR adjustment <> round(adjustment, 2)) OR NOT accept AND adjustment IS NOT NULL THEN
    RAISE EXCEPTION 'adjustment % does not fit the decision', coalesce(adjustment::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Accept with a non-zero adjustment in cents (negative takes money back); reject without one.';
  END IF;
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'cannot decide a commission dispute in a % transaction', current_setting('transaction_isolation')
      USING ERRCODE = 'invalid_transaction_state',
            HINT = 'Run it in a READ COMMITTED transaction (the default): it must see every settlement committed.';
  END IF;
  d := dispute_for_decision(dispute, login, v_me);
  IF accept THEN
    LOCK TABLE payout_batch IN SHARE MODE;
    v_into := settlement_open_period(d.period_id);
    IF v_into IS NULL THEN
      RAISE EXCEPTION 'no period from period % on is open to post the adjustment of dispute % into', d.period_id, dispute
        USING ERRCODE = 'object_not_in_prerequisite_state',
              HINT = 'Define the fiscal calendar further (fiscal_period): every period of the kind is settled.';
    END IF;
    INSERT INTO commission_entry (member_id, period_id, kind, amount, dispute_id, note)
    VALUES (d.member_id, v_into, 'adjustment', adjustment, dispute,
            format('dispute %s (%s, period %s) accepted: %s', dispute, d.reason_code, d.period_id, resolution))
    RETURNING entry_id INTO v_entry;
  END IF;
  UPDATE commission_dispute x
  SET state = CASE WHEN accept THEN 'accepted' ELSE 'rejected' END, resolution = decide_dispute.resolution,
      adjustment = decide_dispute.adjustment, decided_at = now(), decided_by = session_user
  WHERE x.dispute_id = decide_dispute.dispute;
  RETURN v_entry;
END
$fn$;
COMMENT ON FUNCTION decide_dispute(integer, boolean, text, numeric, name) IS
'Decides an open commission dispute, once: accept posts an adjustment entry of the member''s account (commission_entry kind adjustment naming the dispute, note with the resolution) of the given amount into the first period of the dispute''s kind, from its period on, not yet settled (settlement_open_period) and returns its entry_id; reject records the resolution and returns NULL. HR decides any dispute, a supervisor or manager those of the members of their scope; nobody their own (42501). 22004 NULL dispute, accept, resolution, login, or adjustment to accept; 22023 blank resolution, zero or sub-cent adjustment, an adjustment with a rejection; P0002 unknown dispute (HR); 55000 decided already, or no open period (define the fiscal calendar further); 25000 outside READ COMMITTED.';
REVOKE ALL ON FUNCTION decide_dispute(integer, boolean, text, numeric, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION decide_dispute(integer, boolean, text, numeric, name)
  TO sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;

-- commission_dispute_check_state: a dispute is decided once and never
-- deleted -- only open -> accepted or rejected, only the decision columns --
-- and an acceptance has its adjustment entry, of its amount.  Security
-- definer: it reads the account, which row-level security would filter.
CREATE FUNCTION commission_dispute_check_state()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
BEGIN
  IF is_restoring() THEN
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  END IF;
  IF TG_OP = 'DELETE' OR OLD.state <> 'open' OR NEW.state NOT IN ('accepted', 'rejected')
     OR (NEW.dispute_id, NEW.member_id, NEW.period_id, NEW.entry_id, NEW.sale_id, NEW.reason_code, NEW.detail,
         NEW.claimed, NEW.filed_at, NEW.filed_by)
        IS DISTINCT FROM (OLD.dispute_id, OLD.member_id, OLD.period_id, OLD.entry_id, OLD.sale_id, OLD.reason_code,
                          OLD.detail, OLD.claimed, OLD.filed_at, OLD.filed_by) THEN
    RAISE EXCEPTION 'commission dispute % (%) can only be decided, once: open -> accepted or rejected', OLD.dispute_id, OLD.state
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Decide it with decide_dispute(); a dispute is never deleted or edited.';
  END IF;
  IF NEW.state = 'accepted'
     AND NOT EXISTS (SELECT 1 FROM commission_entry e WHERE e.dispute_id = NEW.dispute_id
                     AND e.member_id = NEW.member_id AND e.amount = NEW.adjustment) THEN
    RAISE EXCEPTION 'commission dispute % is accepted without its adjustment entry of %', NEW.dispute_id, NEW.adjustment
      USING ERRCODE = 'check_violation', HINT = 'Accept it with decide_dispute(), which posts the entry.';
  END IF;
  RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION commission_dispute_check_state() IS
'Trigger on commission_dispute: only open -> accepted or rejected, changing only the decision columns; never deleted (55000); an accepted dispute has its adjustment entry (commission_entry naming it, its member, its amount; 23514).';
REVOKE ALL ON FUNCTION commission_dispute_check_state() FROM PUBLIC;
CREATE TRIGGER commission_dispute_check_state BEFORE UPDATE OR DELETE ON commission_dispute
  FOR EACH ROW EXECUTE FUNCTION commission_dispute_check_state();
CREATE TRIGGER commission_dispute_audit AFTER INSERT OR UPDATE OR DELETE ON commission_dispute
  FOR EACH ROW EXECUTE FUNCTION audit_row('dispute_id');
