-- Layer 2, the data model (5 of 5): integrity triggers, the rules a CHECK cannot
-- state (tree without cycles, shares summing to 100, scores within the
-- scale, frozen closed cycles and locked periods, append-only ledgers).

-- A trigger that judges a row against OTHER rows (the team tree, the member's
-- team, the cycle's state, the locks, the other shares) must see every row it
-- judges, whoever writes: under the caller's row-level security a supervisor
-- would not see a member outside their subtree and would let the rule pass
-- (or fail) where the owner would not.  So each such trigger function is
-- SECURITY DEFINER (owned by the extension owner, which bypasses row-level
-- security) with a fixed search_path, and REVOKEd from PUBLIC.  What it does
-- on the caller's behalf widens nothing: it only reads, its messages name the
-- ids and values the rule is about, and nothing it reads is returned.  (The
-- identity of the caller is unchanged for what records it: audit_row() writes
-- session_user and the role, work_report_stamp stays SECURITY INVOKER.)
-- A deferred constraint trigger runs at commit with whatever role is current
-- then; as a security definer it judges the same way.

-- is_restoring(): pg_restore of a dump is running in this session.  pg_dump
-- carries the rows of the extension's tables as data of configuration tables,
-- and pg_restore loads them with the triggers enabled.  The triggers that guard
-- the workflow (a closed cycle takes no new results, a locked period no new
-- commission lines, visits only by the customer's current team, audit entries)
-- would refuse or duplicate history that was valid when it was written, so they
-- let pg_restore through.  Only a superuser can be restoring (the extension is
-- untrusted, so its dump is restored by a superuser, who can disable triggers
-- anyway); a normal role that sets application_name gains nothing.
CREATE FUNCTION is_restoring()
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
RETURN pg_catalog.current_setting('application_name') OPERATOR(pg_catalog.=) 'pg_restore'
       AND pg_catalog.current_setting('is_superuser') OPERATOR(pg_catalog.=) 'on';
COMMENT ON FUNCTION is_restoring() IS
'True while pg_restore (application_name pg_restore, as a superuser) loads a dump: the workflow triggers then accept historical rows as they were dumped and write no audit entries.';

-- team_is_within(ancestor, team): true when team is ancestor or lies in its subtree.
CREATE FUNCTION team_is_within(ancestor integer, team integer)
RETURNS boolean
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  WITH RECURSIVE up(team_id, parent_id, depth) AS (
    SELECT t.team_id, t.parent_id, 0 FROM sales_supervisor.team t WHERE t.team_id = team
    UNION ALL
    SELECT t.team_id, t.parent_id, up.depth + 1
    FROM sales_supervisor.team t JOIN up ON t.team_id = up.parent_id
    WHERE up.depth < 1000)
  SELECT EXISTS (SELECT 1 FROM up WHERE up.team_id = ancestor)
$$;
COMMENT ON FUNCTION team_is_within(integer, integer) IS
'True when team is the team ancestor or lies in its subtree (walks parent_id upwards).';

CREATE FUNCTION team_check_tree()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
BEGIN
  IF NEW.parent_id IS NOT NULL AND team_is_within(NEW.team_id, NEW.parent_id) THEN
    RAISE EXCEPTION 'team % cannot be placed under team %, which lies in its own subtree',
                    NEW.team_id, NEW.parent_id
      USING ERRCODE = 'check_violation',
            DETAIL = 'Teams form a tree; a cycle of parents is not allowed.';
  END IF;
  RETURN NEW;
END
$$;
COMMENT ON FUNCTION team_check_tree() IS 'Trigger: refuses a team parent that would close a cycle in the team tree.';
CREATE TRIGGER team_check_tree BEFORE UPDATE OF parent_id ON team
  FOR EACH ROW EXECUTE FUNCTION team_check_tree();
REVOKE ALL ON FUNCTION team_check_tree() FROM PUBLIC;

-- A customer's owner, and a visit's member, must belong to the customer's team
-- or to a team above it (a supervisor or manager may visit).
CREATE FUNCTION customer_check_team()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_member_team integer;
  v_customer_team integer;
  v_member integer;
BEGIN
  IF is_restoring() THEN
    RETURN NEW;
  END IF;
  IF TG_TABLE_NAME = 'customer' THEN
    v_member := NEW.owner_id;
    v_customer_team := NEW.team_id;
  ELSE
    v_member := NEW.member_id;
    SELECT c.team_id INTO v_customer_team FROM customer c WHERE c.customer_id = NEW.customer_id;
  END IF;
  SELECT m.team_id INTO v_member_team FROM member m WHERE m.member_id = v_member;
  IF v_member_team IS NULL OR v_customer_team IS NULL THEN
    RETURN NEW;                       -- the foreign keys report missing rows
  END IF;
  IF NOT team_is_within(v_member_team, v_customer_team) THEN
    IF TG_TABLE_NAME = 'customer' THEN
      RAISE EXCEPTION 'member % of team % cannot own customer % of team %',
                      v_member, v_member_team, NEW.customer_id, v_customer_team
        USING ERRCODE = 'check_violation',
              DETAIL = 'A customer''s owner must belong to the customer''s team or to a team above it.';
    ELSE
      RAISE EXCEPTION 'member % of team % cannot visit customer % of team %',
                      v_member, v_member_team, NEW.customer_id, v_customer_team
        USING ERRCODE = 'check_violation',
              DETAIL = 'Visits are made by the customer''s team or by a team above it.';
    END IF;
  END IF;
  RETURN NEW;
END
$$;
COMMENT ON FUNCTION customer_check_team() IS
'Trigger on customer and customer_visit: the owner or visiting member must belong to the customer''s team or a team above it.';
CREATE TRIGGER customer_check_team BEFORE INSERT OR UPDATE OF owner_id, team_id ON customer
  FOR EACH ROW EXECUTE FUNCTION customer_check_team();
CREATE TRIGGER customer_visit_check_team BEFORE INSERT OR UPDATE OF member_id, customer_id ON customer_visit
  FOR EACH ROW EXECUTE FUNCTION customer_check_team();
REVOKE ALL ON FUNCTION customer_check_team() FROM PUBLIC;

-- ---------------------------------------------------------------------------
-- member_assignment: the effective-dated team and level of each member
-- ---------------------------------------------------------------------------
-- member.team_id and member.level are maintained as the assignment in force
-- today: inserting a member opens its first assignment on hire_date;
-- UPDATE member SET team_id / level records a change dated today; changes of
-- hire_date and left_on move the ends of the history.  transfer_member()
-- (33_assignments.sql) dates a change in the past or the future, and
-- apply_due_assignments() brings member up to date when a future-dated row
-- comes into force.  While pg_restore loads a dump the history is loaded as
-- dumped, so these triggers stand aside.

-- assignment_current(member): the row member.team_id / level stand for -- the
-- one in force today, else the latest one begun before today (the member
-- left), else the first one (not hired yet).
CREATE FUNCTION assignment_current(p_member integer)
RETURNS member_assignment
LANGUAGE sql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  SELECT a.* FROM sales_supervisor.member_assignment a
  WHERE a.member_id = p_member
  ORDER BY lower(a.valid) <= CURRENT_DATE DESC,
           CASE WHEN lower(a.valid) <= CURRENT_DATE THEN lower(a.valid) END DESC NULLS LAST,
           lower(a.valid)
  LIMIT 1
$$;
COMMENT ON FUNCTION assignment_current(integer) IS
'Internal: the member_assignment row member.team_id and member.level stand for -- in force today, else the latest begun before today, else the first; NULL fields when the member has none.';
REVOKE ALL ON FUNCTION assignment_current(integer) FROM PUBLIC;

-- assignment_split: from the day effective, the member is in team p_team at
-- p_level (NULL: the level in force that day) until the next recorded change.
-- The row in force that day is cut in two (or rewritten when it starts that
-- day); later rows are kept.  Returns the id of the row in force that day.
CREATE FUNCTION assignment_split(p_member integer, p_team integer, p_level member_level,
                                 p_effective date, p_reason text, p_quota_policy text DEFAULT 'carry')
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  r member_assignment;
  v_id integer;
BEGIN
  SELECT * INTO r FROM member_assignment a
  WHERE a.member_id = p_member AND a.valid @> p_effective FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'member % has no assignment in force on %', p_member, p_effective
      USING ERRCODE = 'check_violation',
            DETAIL = (SELECT format('Member %s was hired on %s%s.', m.member_id, m.hire_date,
                                    coalesce(' and left on ' || m.left_on, ''))
                      FROM member m WHERE m.member_id = p_member),
            HINT = 'Date a transfer within the member''s employment (hire_date .. left_on).';
  END IF;
  IF r.team_id = p_team AND r.level = coalesce(p_level, r.level) THEN
    RETURN r.assignment_id;                     -- nothing changes
  END IF;
  IF lower(r.valid) = p_effective THEN
    UPDATE member_assignment a
    SET team_id = p_team, level = coalesce(p_level, r.level), reason = p_reason,
        recorded_at = now(), recorded_by = session_user, quota_policy = p_quota_policy
    WHERE a.assignment_id = r.assignment_id;
    RETURN r.assignment_id;
  END IF;
  UPDATE member_assignment a SET valid = daterange(lower(r.valid), p_effective)
  WHERE a.assignment_id = r.assignment_id;
  INSERT INTO member_assignment (member_id, team_id, level, valid, reason, quota_policy)
  VALUES (p_member, p_team, coalesce(p_level, r.level), daterange(p_effective, upper(r.valid)), p_reason, p_quota_policy)
  RETURNING assignment_id INTO v_id;
  RETURN v_id;
END
$$;
COMMENT ON FUNCTION assignment_split(integer, integer, member_level, date, text, text) IS
'Internal: records that from p_effective the member is in team p_team at p_level (NULL: unchanged), the quota going by p_quota_policy (carry or leave), until the next recorded change, cutting the assignment in force that day in two (or rewriting it when it starts that day). Returns the id of the row in force on p_effective; 23514 when the member has none that day.';
REVOKE ALL ON FUNCTION assignment_split(integer, integer, member_level, date, text, text) FROM PUBLIC;

-- assignment_sync_member: member.team_id and member.level := the row in force
-- today (assignment_current).  True when the member row changed.
CREATE FUNCTION assignment_sync_member(p_member integer)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  r member_assignment := assignment_current(p_member);
BEGIN
  UPDATE member m SET team_id = r.team_id, level = r.level
  WHERE m.member_id = p_member AND r.assignment_id IS NOT NULL
    AND (m.team_id, m.level) IS DISTINCT FROM (r.team_id, r.level);
  RETURN FOUND;
END
$$;
COMMENT ON FUNCTION assignment_sync_member(integer) IS
'Internal: sets member.team_id and member.level to the member_assignment row in force today (assignment_current); true when the member row changed.';
REVOKE ALL ON FUNCTION assignment_sync_member(integer) FROM PUBLIC;

-- Inserted members: the first assignment, from hire_date to left_on or open.
CREATE FUNCTION member_assignment_on_hire()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
BEGIN
  IF is_restoring() THEN
    RETURN NULL;                      -- the dump carries the history
  END IF;
  INSERT INTO member_assignment (member_id, team_id, level, valid, reason)
  SELECT n.member_id, n.team_id, n.level, daterange(n.hire_date, n.left_on + 1), 'hired'
  FROM new_members n;
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION member_assignment_on_hire() IS
'Statement trigger on member: each inserted member gets its first member_assignment row, team and level as inserted, from hire_date to left_on (or open-ended).';
REVOKE ALL ON FUNCTION member_assignment_on_hire() FROM PUBLIC;
CREATE TRIGGER member_assignment_on_hire AFTER INSERT ON member
  REFERENCING NEW TABLE AS new_members
  FOR EACH STATEMENT EXECUTE FUNCTION member_assignment_on_hire();

-- Updated members: a new hire_date or left_on moves the ends of the history
-- (rows wholly outside the employment are deleted); a new team_id or level
-- that is not the row in force today is a change dated today (or the nearest
-- day of the employment).
CREATE FUNCTION member_assignment_follow_member()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_span daterange := daterange(NEW.hire_date, NEW.left_on + 1);
  r member_assignment;
BEGIN
  IF is_restoring() THEN
    RETURN NULL;
  END IF;
  IF (OLD.hire_date, OLD.left_on) IS DISTINCT FROM (NEW.hire_date, NEW.left_on) THEN
    DELETE FROM member_assignment a WHERE a.member_id = NEW.member_id AND NOT a.valid && v_span;
    UPDATE member_assignment a SET valid = daterange(NEW.hire_date, upper(a.valid))
    WHERE a.member_id = NEW.member_id
      AND lower(a.valid) = (SELECT min(lower(b.valid)) FROM member_assignment b WHERE b.member_id = NEW.member_id);
    UPDATE member_assignment a SET valid = daterange(lower(a.valid), NEW.left_on + 1)
    WHERE a.member_id = NEW.member_id
      AND lower(a.valid) = (SELECT max(lower(b.valid)) FROM member_assignment b WHERE b.member_id = NEW.member_id);
    IF NOT FOUND THEN                 -- nothing was left of the old history
      INSERT INTO member_assignment (member_id, team_id, level, valid, reason)
      VALUES (NEW.member_id, NEW.team_id, NEW.level, v_span, 'employment dates changed');
    END IF;
  END IF;
  IF (OLD.team_id, OLD.level) IS DISTINCT FROM (NEW.team_id, NEW.level) THEN
    r := assignment_current(NEW.member_id);
    IF (r.team_id, r.level) IS DISTINCT FROM (NEW.team_id, NEW.level) THEN
      PERFORM assignment_split(NEW.member_id, NEW.team_id, NEW.level,
                               greatest(NEW.hire_date, least(CURRENT_DATE, NEW.left_on)),
                               'member updated');
    END IF;
  END IF;
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION member_assignment_follow_member() IS
'Trigger on member: a changed hire_date or left_on moves the ends of the member''s member_assignment history; a changed team_id or level that is not the assignment in force today is recorded as a change dated today (clamped to the employment).';
REVOKE ALL ON FUNCTION member_assignment_follow_member() FROM PUBLIC;
CREATE TRIGGER member_assignment_follow_member AFTER UPDATE OF team_id, level, hire_date, left_on ON member
  FOR EACH ROW
  WHEN ((OLD.team_id, OLD.level, OLD.hire_date, OLD.left_on) IS DISTINCT FROM (NEW.team_id, NEW.level, NEW.hire_date, NEW.left_on))
  EXECUTE FUNCTION member_assignment_follow_member();

-- assignment_spans_employment: does this one row cover the member's whole
-- employment?  The deferred check below is queued for an inserted row only
-- when it does not (or a restore runs): the first row of a new member needs no
-- check, and queues no trigger event -- a pending event would make a later
-- TRUNCATE in the same transaction fail (generate_demo_org(replace => true)).
-- Security invoker: only the owner writes member_assignment (the triggers and
-- transfer_member are security definers), so the WHEN runs as the owner.
CREATE FUNCTION assignment_spans_employment(p_member integer, p_valid daterange)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  SELECT sales_supervisor.is_restoring()
         OR EXISTS (SELECT 1 FROM sales_supervisor.member m
                    WHERE m.member_id = p_member AND p_valid = daterange(m.hire_date, m.left_on + 1))
$$;
COMMENT ON FUNCTION assignment_spans_employment(integer, daterange) IS
'Internal (WHEN of member_assignment_cover_ins): true when the range is exactly the member''s employment (hire_date .. left_on, or open), so the inserted row needs no coverage check; true while pg_restore runs.';
REVOKE ALL ON FUNCTION assignment_spans_employment(integer, daterange) FROM PUBLIC;

-- No gaps: at commit, each member's assignments cover every day from
-- hire_date to left_on (or open-ended), and none lies outside.
CREATE FUNCTION member_assignment_check_cover()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_member integer;
  m member;
  v_span datemultirange;
  v_cover datemultirange;
BEGIN
  IF is_restoring() THEN
    RETURN NULL;
  END IF;
  FOREACH v_member IN ARRAY CASE TG_OP WHEN 'INSERT' THEN ARRAY[NEW.member_id]
                                       WHEN 'DELETE' THEN ARRAY[OLD.member_id]
                                       ELSE ARRAY[OLD.member_id, NEW.member_id] END
  LOOP
    SELECT * INTO m FROM member x WHERE x.member_id = v_member;
    CONTINUE WHEN NOT FOUND;          -- the member was deleted (its rows with it)
    v_span := datemultirange(daterange(m.hire_date, m.left_on + 1));
    SELECT coalesce(range_agg(a.valid), '{}') INTO v_cover FROM member_assignment a WHERE a.member_id = v_member;
    IF NOT isempty(v_span - v_cover) THEN
      RAISE EXCEPTION 'member % has no assignment on %', v_member, v_span - v_cover
        USING ERRCODE = 'check_violation',
              DETAIL = format('The assignments of member %s must cover every day from hire_date %s to %s without a gap.',
                              v_member, m.hire_date, coalesce('left_on ' || m.left_on, 'today and on')),
              HINT = 'Change a member''s team or level with transfer_member(), which splits the assignment in force.';
    END IF;
    IF NOT isempty(v_cover - v_span) THEN
      RAISE EXCEPTION 'member % has assignments outside their employment: %', v_member, v_cover - v_span
        USING ERRCODE = 'check_violation',
              DETAIL = format('Member %s was hired on %s%s.', v_member, m.hire_date, coalesce(' and left on ' || m.left_on, ''));
    END IF;
  END LOOP;
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION member_assignment_check_cover() IS
'Deferred constraint trigger on member_assignment: at commit the assignments of each member written cover every day from hire_date to left_on (or open-ended) without a gap and none lies outside (23514, naming the member and the days).';
REVOKE ALL ON FUNCTION member_assignment_check_cover() FROM PUBLIC;
CREATE CONSTRAINT TRIGGER member_assignment_cover_ins AFTER INSERT ON member_assignment
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (NOT sales_supervisor.assignment_spans_employment(NEW.member_id, NEW.valid))
  EXECUTE FUNCTION member_assignment_check_cover();
CREATE CONSTRAINT TRIGGER member_assignment_cover AFTER UPDATE OR DELETE ON member_assignment
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION member_assignment_check_cover();

-- team_leadership follows team_leader: an appointment (INSERT, or UPDATE of
-- the member or the date) from its since date on rewrites the history from
-- that day (rows from then on deleted, the one running then cut) and opens a
-- row; a removal (DELETE) ends the leadership yesterday.  Security definer:
-- managers change the leaders of their subtree and have no grant on the history.
CREATE FUNCTION team_leadership_follow()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_team integer := CASE WHEN TG_OP = 'DELETE' THEN OLD.team_id ELSE NEW.team_id END;
  v_from date := CASE WHEN TG_OP = 'INSERT' THEN NEW.since
                      WHEN TG_OP = 'DELETE' THEN CURRENT_DATE
                      WHEN NEW.since IS DISTINCT FROM OLD.since THEN NEW.since
                      ELSE CURRENT_DATE END;
BEGIN
  IF is_restoring() THEN
    RETURN NULL;                      -- the dump carries the history
  END IF;
  IF TG_OP = 'UPDATE' AND (OLD.team_id, OLD.member_id, OLD.since) IS NOT DISTINCT FROM (NEW.team_id, NEW.member_id, NEW.since) THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'UPDATE' AND OLD.team_id <> NEW.team_id THEN   -- the leadership of the old team ends
    DELETE FROM team_leadership l WHERE l.team_id = OLD.team_id AND lower(l.valid) >= CURRENT_DATE;
    UPDATE team_leadership l SET valid = daterange(lower(l.valid), CURRENT_DATE)
    WHERE l.team_id = OLD.team_id AND l.valid @> CURRENT_DATE;
  END IF;
  DELETE FROM team_leadership l WHERE l.team_id = v_team AND lower(l.valid) >= v_from;
  UPDATE team_leadership l SET valid = daterange(lower(l.valid), v_from)
  WHERE l.team_id = v_team AND l.valid @> v_from;
  IF TG_OP <> 'DELETE' THEN
    INSERT INTO team_leadership (team_id, member_id, valid) VALUES (NEW.team_id, NEW.member_id, daterange(v_from, NULL));
  END IF;
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION team_leadership_follow() IS
'Trigger on team_leader: records each appointment in team_leadership from its since date (rewriting the history from that day) and ends the leadership on removal (up to yesterday); stands aside while pg_restore runs.';
REVOKE ALL ON FUNCTION team_leadership_follow() FROM PUBLIC;
CREATE TRIGGER team_leadership_follow AFTER INSERT OR UPDATE OR DELETE ON team_leader
  FOR EACH ROW EXECUTE FUNCTION team_leadership_follow();

-- Shares of a split sale sum to 100 (deferred: a split is written row by row).
CREATE FUNCTION sale_credit_check_sum()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_sale bigint;
  v_sum numeric;
BEGIN
  FOREACH v_sale IN ARRAY CASE TG_OP WHEN 'INSERT' THEN ARRAY[NEW.sale_id]
                                      WHEN 'DELETE' THEN ARRAY[OLD.sale_id]
                                      ELSE ARRAY[OLD.sale_id, NEW.sale_id] END
  LOOP
    SELECT sum(share_pct) INTO v_sum FROM sale_credit WHERE sale_id = v_sale;
    IF v_sum IS NOT NULL AND v_sum <> 100 THEN
      RAISE EXCEPTION 'credit shares of sale % sum to %, not 100', v_sale, v_sum
        USING ERRCODE = 'check_violation',
              DETAIL = 'A sale with credit rows must split exactly 100 percent between reps.',
              HINT = 'Write all the shares of the sale in one transaction.';
    END IF;
  END LOOP;
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION sale_credit_check_sum() IS 'Deferred constraint trigger: the credit shares of each sale with credit rows sum to exactly 100.';
CREATE CONSTRAINT TRIGGER sale_credit_sum_100 AFTER INSERT OR UPDATE OR DELETE ON sale_credit
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION sale_credit_check_sum();
REVOKE ALL ON FUNCTION sale_credit_check_sum() FROM PUBLIC;

CREATE FUNCTION seasonal_distribution_check()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_name text := CASE WHEN TG_OP = 'DELETE' THEN OLD.name ELSE NEW.name END;
  v_year integer := CASE WHEN TG_OP = 'DELETE' THEN OLD.fiscal_year ELSE NEW.fiscal_year END;
  v_n integer;
  v_sum numeric;
BEGIN
  SELECT count(*), sum(share_pct) INTO v_n, v_sum
  FROM seasonal_distribution WHERE name = v_name AND fiscal_year = v_year;
  IF v_n > 0 AND (v_n <> 12 OR v_sum <> 100) THEN
    RAISE EXCEPTION 'seasonal distribution "%" of % covers % months summing to %, not 12 months summing to 100',
                    v_name, v_year, v_n, v_sum
      USING ERRCODE = 'check_violation',
            DETAIL = 'A seasonal distribution must cover every month of the year and sum to 100 percent.';
  END IF;
  IF TG_OP = 'UPDATE' AND (OLD.name, OLD.fiscal_year) IS DISTINCT FROM (NEW.name, NEW.fiscal_year) THEN
    SELECT count(*), sum(share_pct) INTO v_n, v_sum
    FROM seasonal_distribution WHERE name = OLD.name AND fiscal_year = OLD.fiscal_year;
    IF v_n > 0 AND (v_n <> 12 OR v_sum <> 100) THEN
      RAISE EXCEPTION 'seasonal distribution "%" of % covers % months summing to %, not 12 months summing to 100',
                      OLD.name, OLD.fiscal_year, v_n, v_sum
        USING ERRCODE = 'check_violation';
    END IF;
  END IF;
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION seasonal_distribution_check() IS 'Deferred constraint trigger: each named seasonal distribution of a year has 12 months summing to 100 percent.';
CREATE CONSTRAINT TRIGGER seasonal_distribution_complete AFTER INSERT OR UPDATE OR DELETE ON seasonal_distribution
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION seasonal_distribution_check();
REVOKE ALL ON FUNCTION seasonal_distribution_check() FROM PUBLIC;

-- A locked quota cannot change (except being unlocked) nor be deleted.
CREATE FUNCTION quota_check_lock()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
BEGIN
  IF OLD.locked AND (TG_OP = 'DELETE'
                     OR (OLD.period_id, OLD.member_id, OLD.team_id, OLD.amount, OLD.method)
                        IS DISTINCT FROM
                        (NEW.period_id, NEW.member_id, NEW.team_id, NEW.amount, NEW.method)) THEN
    RAISE EXCEPTION 'quota % is locked', OLD.quota_id
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Unlock it first (UPDATE ... SET locked = false); the change is audited.';
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
COMMENT ON FUNCTION quota_check_lock() IS 'Trigger: a locked quota can only be unlocked, not changed or deleted.';
CREATE TRIGGER quota_check_lock BEFORE UPDATE OR DELETE ON quota
  FOR EACH ROW EXECUTE FUNCTION quota_check_lock();

-- Scores lie within the rating scale of the review's cycle; reviews of a cycle
-- that is calibrating or closed cannot change.
CREATE FUNCTION review_check_cycle()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_review bigint;
  v_cycle integer;
  v_boss integer;
  v_sub integer;
  c appraisal_cycle;
  t record;
BEGIN
  -- a supervisor review is written by someone above the reviewee (their line
  -- manager, or the leader of their team or of a team above it), a
  -- subordinate review by someone below
  IF TG_TABLE_NAME = 'review' AND TG_OP <> 'DELETE' THEN
    IF NEW.rater_role IN ('supervisor', 'subordinate') AND NOT is_restoring() THEN
      v_boss := CASE WHEN NEW.rater_role = 'supervisor' THEN NEW.reviewer_id ELSE NEW.reviewee_id END;
      v_sub := CASE WHEN NEW.rater_role = 'supervisor' THEN NEW.reviewee_id ELSE NEW.reviewer_id END;
      IF NOT EXISTS (SELECT 1 FROM member m
                     WHERE m.member_id = v_sub
                       AND (m.manager_id = v_boss
                            OR EXISTS (SELECT 1 FROM team_leader tl
                                       WHERE tl.member_id = v_boss AND team_is_within(tl.team_id, m.team_id)))) THEN
        RAISE EXCEPTION 'member % is not above member % in the organisation: a % review needs that',
                        v_boss, v_sub, NEW.rater_role
          USING ERRCODE = 'check_violation',
                DETAIL = 'A supervisor review is written by the reviewee''s manager or a leader of their team or a team above it; a subordinate review by someone they lead.';
      END IF;
    END IF;
  END IF;
  IF TG_TABLE_NAME = 'review' THEN
    v_cycle := CASE WHEN TG_OP = 'DELETE' THEN OLD.cycle_id ELSE NEW.cycle_id END;
    v_review := CASE WHEN TG_OP = 'DELETE' THEN OLD.review_id ELSE NEW.review_id END;
    IF TG_OP = 'UPDATE' AND OLD.cycle_id <> NEW.cycle_id THEN
      RAISE EXCEPTION 'review % cannot move from cycle % to cycle %', OLD.review_id, OLD.cycle_id, NEW.cycle_id
        USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
  ELSE
    v_review := CASE WHEN TG_OP = 'DELETE' THEN OLD.review_id ELSE NEW.review_id END;
    SELECT r.cycle_id INTO v_cycle FROM review r WHERE r.review_id = v_review;
  END IF;
  SELECT * INTO c FROM appraisal_cycle WHERE cycle_id = v_cycle;
  IF NOT FOUND THEN
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;   -- the foreign keys report it
  END IF;
  IF c.state IN ('calibrating', 'closed') AND NOT is_restoring() THEN
    RAISE EXCEPTION 'reviews of appraisal cycle % cannot change: the cycle is %', c.cycle_id, c.state
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = format('review %s', v_review);
  END IF;
  IF TG_TABLE_NAME = 'review_score' AND TG_OP <> 'DELETE' THEN
    IF NEW.score < c.rating_scale_min OR NEW.score > c.rating_scale_max THEN
      RAISE EXCEPTION 'score % for criterion "%" is outside the rating scale %..% of appraisal cycle %',
                      NEW.score, NEW.criterion, c.rating_scale_min, c.rating_scale_max, c.cycle_id
        USING ERRCODE = 'check_violation';
    END IF;
    -- the template of the reviewee's level on the last day of the cycle's year
    -- (their latest assignment by then) may narrow the scale (issue 16)
    SELECT tp.name, tp.level, tp.rating_scale_min, tp.rating_scale_max INTO t
    FROM review r JOIN member m ON m.member_id = r.reviewee_id
    JOIN appraisal_template tp ON tp.level = coalesce(
      (SELECT a.level FROM member_assignment a
       WHERE a.member_id = r.reviewee_id
         AND lower(a.valid) <= coalesce((SELECT p.end_on FROM fiscal_period p
                                         WHERE p.kind = 'year' AND p.fiscal_year = c.fiscal_year),
                                        make_date(c.fiscal_year, 12, 31))
       ORDER BY lower(a.valid) DESC LIMIT 1), m.level)
    WHERE r.review_id = v_review;
    IF FOUND AND (NEW.score < t.rating_scale_min OR NEW.score > t.rating_scale_max) THEN
      RAISE EXCEPTION 'score % for criterion "%" is outside the rating scale %..% of the appraisal template "%" (level %)',
                      NEW.score, NEW.criterion, t.rating_scale_min, t.rating_scale_max, t.name, t.level
        USING ERRCODE = 'check_violation',
              DETAIL = format('review %s; the reviewee''s level on the last day of fiscal year %s selects the template', v_review, c.fiscal_year);
    END IF;
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
COMMENT ON FUNCTION review_check_cycle() IS
'Trigger on review and review_score: scores lie within the cycle''s rating scale and the scale of the reviewee''s appraisal template (their level on the last day of the cycle''s year); reviews of a calibrating or closed cycle are frozen; supervisor and subordinate reviews follow the organisation.';
CREATE TRIGGER review_check_cycle BEFORE INSERT OR UPDATE OR DELETE ON review
  FOR EACH ROW EXECUTE FUNCTION review_check_cycle();
CREATE TRIGGER review_score_check_cycle BEFORE INSERT OR UPDATE OR DELETE ON review_score
  FOR EACH ROW EXECUTE FUNCTION review_check_cycle();
REVOKE ALL ON FUNCTION review_check_cycle() FROM PUBLIC;

-- Results of a closed cycle are frozen for everyone; weights only change while open.
CREATE FUNCTION cycle_rows_check_state()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_state cycle_state;
  v_cycle integer;
BEGIN
  IF TG_OP = 'INSERT' AND is_restoring() THEN
    RETURN NEW;
  END IF;
  FOREACH v_cycle IN ARRAY CASE TG_OP WHEN 'INSERT' THEN ARRAY[NEW.cycle_id]
                                       WHEN 'DELETE' THEN ARRAY[OLD.cycle_id]
                                       ELSE ARRAY[OLD.cycle_id, NEW.cycle_id] END
  LOOP
    SELECT state INTO v_state FROM appraisal_cycle WHERE cycle_id = v_cycle;
    IF TG_TABLE_NAME IN ('appraisal_result', 'kpi_result') AND v_state = 'closed' THEN
      RAISE EXCEPTION 'appraisal cycle % is closed: its % rows cannot be inserted, updated or deleted',
                      v_cycle, TG_TABLE_NAME
        USING ERRCODE = 'object_not_in_prerequisite_state',
              HINT = 'HR can reopen it with reopen_appraisal_cycle(cycle_id, reason), which is audited.';
    ELSIF TG_TABLE_NAME IN ('appraisal_component_weight', 'kpi_weight') AND v_state <> 'open' THEN
      RAISE EXCEPTION 'appraisal cycle % is %: its weights can only change while it is open',
                      v_cycle, v_state
        USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
  END LOOP;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
COMMENT ON FUNCTION cycle_rows_check_state() IS
'Trigger: results (appraisal_result, kpi_result) of a closed cycle are frozen; weights change only while the cycle is open.';
CREATE TRIGGER appraisal_result_check_state BEFORE INSERT OR UPDATE OR DELETE ON appraisal_result
  FOR EACH ROW EXECUTE FUNCTION cycle_rows_check_state();
CREATE TRIGGER kpi_result_check_state BEFORE INSERT OR UPDATE OR DELETE ON kpi_result
  FOR EACH ROW EXECUTE FUNCTION cycle_rows_check_state();
CREATE TRIGGER appraisal_component_weight_check_state BEFORE INSERT OR UPDATE OR DELETE ON appraisal_component_weight
  FOR EACH ROW EXECUTE FUNCTION cycle_rows_check_state();
CREATE TRIGGER kpi_weight_check_state BEFORE INSERT OR UPDATE OR DELETE ON kpi_weight
  FOR EACH ROW EXECUTE FUNCTION cycle_rows_check_state();
REVOKE ALL ON FUNCTION cycle_rows_check_state() FROM PUBLIC;

-- Appraisal templates (issue 16): the KPIs a template names exist, its
-- criteria are lower-case identifiers like review_score.criterion.
CREATE FUNCTION appraisal_template_check()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_bad text;
BEGIN
  IF is_restoring() THEN
    RETURN NEW;   -- a dump holds the templates as they were (kpi_definition may come later)
  END IF;
  SELECT k::text INTO v_bad FROM unnest(NEW.kpi_ids) k
  WHERE NOT EXISTS (SELECT 1 FROM kpi_definition d WHERE d.kpi_id = k) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'appraisal template "%" names KPI %, which does not exist', NEW.name, v_bad
      USING ERRCODE = 'foreign_key_violation', HINT = 'kpi_ids are kpi_definition.kpi_id values.';
  END IF;
  SELECT x INTO v_bad FROM unnest(NEW.criteria) x WHERE x !~ '^[a-z][a-z0-9_]*$' LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'appraisal template "%" has criterion "%", not a lower-case identifier', NEW.name, v_bad
      USING ERRCODE = 'check_violation', HINT = 'Criteria are named like review_score.criterion, for example teamwork.';
  END IF;
  RETURN NEW;
END
$$;
COMMENT ON FUNCTION appraisal_template_check() IS
'Trigger on appraisal_template: every KPI id of kpi_ids exists (23503) and every criterion is a lower-case identifier (23514); stands aside while pg_restore runs.';
CREATE TRIGGER appraisal_template_check BEFORE INSERT OR UPDATE ON appraisal_template
  FOR EACH ROW EXECUTE FUNCTION appraisal_template_check();
REVOKE ALL ON FUNCTION appraisal_template_check() FROM PUBLIC;

-- The policy of a closed cycle (issue 16: anonymity threshold, minimum days,
-- short-stay policy) is frozen with its results.
CREATE FUNCTION appraisal_cycle_check_policy()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
BEGIN
  IF OLD.state = 'closed' AND NEW.state = 'closed'
     AND (OLD.min_anonymous_reviews, OLD.min_days_in_cycle, OLD.short_stay_policy)
         IS DISTINCT FROM (NEW.min_anonymous_reviews, NEW.min_days_in_cycle, NEW.short_stay_policy) THEN
    RAISE EXCEPTION 'appraisal cycle % is closed: its anonymity threshold and short-stay policy cannot change', OLD.cycle_id
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Reopen it with reopen_appraisal_cycle(cycle_id, reason), which is audited.';
  END IF;
  RETURN NEW;
END
$$;
COMMENT ON FUNCTION appraisal_cycle_check_policy() IS
'Trigger on appraisal_cycle: min_anonymous_reviews, min_days_in_cycle and short_stay_policy of a closed cycle cannot change (55000).';
CREATE TRIGGER appraisal_cycle_check_policy BEFORE UPDATE ON appraisal_cycle
  FOR EACH ROW EXECUTE FUNCTION appraisal_cycle_check_policy();
REVOKE ALL ON FUNCTION appraisal_cycle_check_policy() FROM PUBLIC;

-- Append-only ledgers; commission lines only for unlocked periods.
CREATE FUNCTION refuse_change()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege',
          HINT = CASE WHEN TG_TABLE_NAME = 'audit_log' THEN 'The audit log is never changed.'
                      WHEN TG_TABLE_NAME = 'quota_relief' THEN 'Take it back with a relief row of the opposite sign.'
                      WHEN TG_TABLE_NAME IN ('commission_plan_version', 'sale_credit_correction')
                        THEN 'It is history: correct the plan (a new version) or the split (correct_sale_credit) instead.'
                      ELSE 'Add a reversal line (reverses_id) instead.' END;
END
$$;
COMMENT ON FUNCTION refuse_change() IS 'Trigger: refuses UPDATE, DELETE and TRUNCATE on append-only tables.';
CREATE TRIGGER commission_credit_append_only BEFORE UPDATE OR DELETE ON commission_credit
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER commission_payout_append_only BEFORE UPDATE OR DELETE ON commission_payout
  FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- commission_check_period: a payout line may not go into a locked period; it
-- pays the commission of its own period unless it names another
-- (for_period_id: an adjustment of a locked period, or the reversed line's
-- period for a reversal); a payout reversal negates the line it reverses (row
-- trigger: a run writes one payout line per plan).
CREATE FUNCTION commission_check_period()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
BEGIN
  IF is_restoring() THEN
    RETURN NEW;
  END IF;
  IF EXISTS (SELECT 1 FROM commission_period_lock l WHERE l.period_id = NEW.period_id) THEN
    RAISE EXCEPTION 'commission period % is locked', NEW.period_id
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Book the correction in an open period as a reversal line.';
  END IF;
  IF NEW.reverses_id IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM commission_payout p WHERE p.payout_id = NEW.reverses_id
                     AND p.member_id = NEW.member_id AND p.amount = -NEW.amount) THEN
    RAISE EXCEPTION 'payout line % does not reverse line %: member and the negated amount must match',
                    NEW.payout_id, NEW.reverses_id
      USING ERRCODE = 'check_violation';
  END IF;
  NEW.for_period_id := coalesce(NEW.for_period_id,
                                (SELECT p.for_period_id FROM commission_payout p WHERE p.payout_id = NEW.reverses_id),
                                NEW.period_id);
  IF NEW.reverses_id IS NULL AND NEW.for_period_id <> NEW.period_id
     AND NOT EXISTS (SELECT 1 FROM commission_period_lock l WHERE l.period_id = NEW.for_period_id) THEN
    RAISE EXCEPTION 'payout line for period % adjusts period %, which is not locked', NEW.period_id, NEW.for_period_id
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'An adjustment pays the difference of a period that was run and locked.',
            HINT = 'Leave for_period_id empty: the line pays its own period.';
  END IF;
  RETURN NEW;
END
$$;
COMMENT ON FUNCTION commission_check_period() IS 'Trigger: no payout line for a locked commission period; for_period_id defaults to the reversed line''s period, else the line''s own, and names a locked period when it is another; a reversal line negates the line it reverses.';
CREATE TRIGGER commission_payout_check_period BEFORE INSERT ON commission_payout
  FOR EACH ROW EXECUTE FUNCTION commission_check_period();
REVOKE ALL ON FUNCTION commission_check_period() FROM PUBLIC;

-- commission_plan_record_version: every state of a commission plan is kept as
-- a numbered version (issue 14.3) -- the plan as inserted is version 1, each
-- UPDATE that changes its tiers or on-target figure adds the next, with the
-- transaction's sales_supervisor.change_reason.  A plan that has paid cannot
-- move to another member or period (its payouts name its versions).
CREATE FUNCTION commission_plan_record_version()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
BEGIN
  IF is_restoring() THEN   -- the dump carries the versions
    RETURN NULL;
  END IF;
  IF TG_OP = 'UPDATE' THEN
    IF (NEW.member_id, NEW.period_id, NEW.plan_id) IS DISTINCT FROM (OLD.member_id, OLD.period_id, OLD.plan_id)
       AND EXISTS (SELECT 1 FROM commission_payout p WHERE p.plan_id = OLD.plan_id) THEN
      RAISE EXCEPTION 'commission plan % has paid: its member and period cannot change', OLD.plan_id
        USING ERRCODE = 'object_not_in_prerequisite_state',
              HINT = 'Correct its tiers (a new version), or give the member a plan of its own for the other period.';
    END IF;
    IF (NEW.tiers, NEW.on_target, NEW.earn_on, NEW.clawback_days, NEW.draw_kind, NEW.draw_amount,
        NEW.draw_recovery_limit, NEW.pay_negative)
       IS NOT DISTINCT FROM (OLD.tiers, OLD.on_target, OLD.earn_on, OLD.clawback_days, OLD.draw_kind, OLD.draw_amount,
                             OLD.draw_recovery_limit, OLD.pay_negative)
       AND (NEW.member_id, NEW.period_id) IS NOT DISTINCT FROM (OLD.member_id, OLD.period_id) THEN
      RETURN NULL;
    END IF;
  END IF;
  INSERT INTO commission_plan_version (plan_id, version, member_id, period_id, tiers, on_target, reason,
                                       earn_on, clawback_days, draw_kind, draw_amount, draw_recovery_limit, pay_negative)
  SELECT NEW.plan_id, coalesce(max(v.version), 0) + 1, NEW.member_id, NEW.period_id, NEW.tiers, NEW.on_target,
         nullif(btrim(current_setting('sales_supervisor.change_reason', true)), ''),
         NEW.earn_on, NEW.clawback_days, NEW.draw_kind, NEW.draw_amount, NEW.draw_recovery_limit, NEW.pay_negative
  FROM commission_plan_version v WHERE v.plan_id = NEW.plan_id;
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION commission_plan_record_version() IS
'Trigger on commission_plan: records the plan as inserted, and each change of its tiers, on-target figure or payment terms (earn_on, clawback, draw, pay_negative), as the next numbered commission_plan_version (reason: the setting sales_supervisor.change_reason); refuses moving a plan that has paid to another member or period (55000).';
CREATE TRIGGER commission_plan_record_version AFTER INSERT OR UPDATE ON commission_plan
  FOR EACH ROW EXECUTE FUNCTION commission_plan_record_version();
REVOKE ALL ON FUNCTION commission_plan_record_version() FROM PUBLIC;
CREATE TRIGGER commission_plan_version_append_only BEFORE UPDATE ON commission_plan_version
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER sale_credit_correction_append_only BEFORE UPDATE OF sale_id, member_id, delta, line_change, reason,
  corrected_at, corrected_by, txid OR DELETE ON sale_credit_correction
  FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- commission_credit_check_period: no credit line for a locked period.  A
-- statement trigger over the inserted lines, so a run's thousands of ledger
-- lines cost one check, not one per line.
CREATE FUNCTION commission_credit_check_period()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_period integer;
BEGIN
  IF is_restoring() THEN
    RETURN NULL;
  END IF;
  SELECT min(n.period_id) INTO v_period
  FROM new_lines n JOIN commission_period_lock l ON l.period_id = n.period_id;
  IF v_period IS NOT NULL THEN
    RAISE EXCEPTION 'commission period % is locked', v_period
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Late sales and refunds are credited by the run of the next open period.';
  END IF;
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION commission_credit_check_period() IS 'Statement trigger: no commission_credit line for a locked commission period.';
CREATE TRIGGER commission_credit_check_period AFTER INSERT ON commission_credit
  REFERENCING NEW TABLE AS new_lines
  FOR EACH STATEMENT EXECUTE FUNCTION commission_credit_check_period();
REVOKE ALL ON FUNCTION commission_credit_check_period() FROM PUBLIC;

-- commission_credit_own_period: a credit line written without for_period_id
-- is for the period it is booked in (what every line was before 0.3.0; the
-- runs name the period of each line themselves).
CREATE FUNCTION commission_credit_own_period()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
BEGIN
  NEW.for_period_id := coalesce(NEW.for_period_id, NEW.period_id);
  RETURN NEW;
END
$$;
COMMENT ON FUNCTION commission_credit_own_period() IS 'Trigger: a commission_credit line without for_period_id is for the period it is booked in.';
REVOKE ALL ON FUNCTION commission_credit_own_period() FROM PUBLIC;
CREATE TRIGGER commission_credit_own_period BEFORE INSERT ON commission_credit
  FOR EACH ROW WHEN (NEW.for_period_id IS NULL) EXECUTE FUNCTION commission_credit_own_period();

-- commission_credited_through: the last sale date any commission run has
-- credited (NULL before the first run).  A writer of sales lines outside READ
-- COMMITTED first locks the run gate FOR SHARE: if a run committed after the
-- writer's snapshot, that fails with 40001 (retry), so the writer never acts
-- on a state of the locks older than the runs that already read the sales.
-- (In READ COMMITTED each statement sees every committed run, and a run
-- holds a SHARE lock on sale, so no run is in flight while lines are written.)
CREATE FUNCTION commission_credited_through()
RETURNS date
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    PERFORM 1 FROM commission_run_gate FOR SHARE;
    IF NOT FOUND THEN   -- made after this snapshot (by the update to 0.2.0): as stale as a run
      RAISE EXCEPTION 'could not serialize access: the commission run gate was made after this transaction began'
        USING ERRCODE = 'serialization_failure', HINT = 'Retry the transaction.';
    END IF;
  END IF;
  RETURN (SELECT max(l.credited_through) FROM commission_period_lock l);
END
$$;
COMMENT ON FUNCTION commission_credited_through() IS
'The last sale date a commission run has credited (NULL before any run); outside READ COMMITTED it first locks commission_run_gate FOR SHARE, which fails with 40001 if a run committed after the snapshot.';

-- date_is_credited: does a sale date lie in the window of a commission run?
-- (The one place the window test is written; the triggers and sale_is_credited call it.)
CREATE FUNCTION date_is_credited(sold_on date)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
  SELECT EXISTS (SELECT 1 FROM sales_supervisor.commission_period_lock l
                 WHERE date_is_credited.sold_on BETWEEN l.credited_from AND l.credited_through);
END;
COMMENT ON FUNCTION date_is_credited(date) IS
'True when the date lies in the window of a commission run (commission_period_lock.credited_from .. credited_through).';

-- sale_is_credited: has a commission run credited this sales line?  Either
-- it was queued as a late line and a run credited it, or it was never queued
-- and its date lies in the window of a run.
CREATE FUNCTION sale_is_credited(sale bigint, sold_on date)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  SELECT CASE WHEN q.sale_id IS NOT NULL THEN q.credited_period_id IS NOT NULL
              ELSE sales_supervisor.date_is_credited(sale_is_credited.sold_on) END
  FROM (SELECT 1) one
  LEFT JOIN sales_supervisor.commission_late_sale q ON q.sale_id = sale_is_credited.sale
$$;
COMMENT ON FUNCTION sale_is_credited(bigint, date) IS
'True when a commission run has credited the sales line: a queued late line once a run credited it, any other line when its date lies in a run''s window (commission_period_lock.credited_from .. credited_through).';

-- sale_queue_late_lines: lines inserted into sale dates a run already credited
-- are queued for the next run (statement trigger: a bulk load is checked in
-- one pass, and not at all before the first run).  Security definer: whoever
-- may insert sales lines need not be granted the queue.
CREATE FUNCTION sale_queue_late_lines()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_through date;
BEGIN
  IF is_restoring() THEN
    RETURN NULL;
  END IF;
  v_through := commission_credited_through();
  IF v_through IS NULL THEN
    RETURN NULL;
  END IF;
  INSERT INTO commission_late_sale (sale_id)
  SELECT n.sale_id FROM new_lines n
  WHERE n.sold_on <= v_through AND date_is_credited(n.sold_on);
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION sale_queue_late_lines() IS
'Statement trigger on sale: queues in commission_late_sale the inserted lines dated in a window a commission run already credited, so the next run credits them as late lines.';
CREATE TRIGGER sale_queue_late_lines AFTER INSERT ON sale
  REFERENCING NEW TABLE AS new_lines
  FOR EACH STATEMENT EXECUTE FUNCTION sale_queue_late_lines();

-- sale_check_credited: a credited sales line is history.  Its date, rep,
-- amount and refund link cannot change and it cannot be deleted (book a
-- refund line instead); a line not credited yet that an update moves into a
-- credited window is queued as late (and unqueued if moved out of them).
-- Customer and category may be corrected.
CREATE FUNCTION sale_check_credited()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_through date;
BEGIN
  IF is_restoring() THEN
    RETURN coalesce(NEW, OLD);
  END IF;
  IF TG_OP = 'UPDATE' AND NEW.sale_id = OLD.sale_id AND NEW.sold_on = OLD.sold_on AND NEW.member_id = OLD.member_id
     AND NEW.amount = OLD.amount AND NEW.refund_of IS NOT DISTINCT FROM OLD.refund_of THEN
    RETURN NEW;
  END IF;
  v_through := commission_credited_through();
  IF v_through IS NULL THEN
    RETURN coalesce(NEW, OLD);
  END IF;
  IF sale_is_credited(OLD.sale_id, OLD.sold_on) THEN
    RAISE EXCEPTION 'sales line % is credited in a locked commission period: % is not allowed', OLD.sale_id, TG_OP
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'Only its customer and category may be corrected.',
            HINT = 'Book a refund line (refund_of) and, if needed, a new line; the next commission run credits both.';
  END IF;
  IF TG_OP = 'UPDATE' THEN
    IF NEW.sold_on <= v_through AND date_is_credited(NEW.sold_on) THEN
      INSERT INTO commission_late_sale (sale_id) VALUES (NEW.sale_id) ON CONFLICT (sale_id) DO NOTHING;
    ELSE   -- moved out of the credited windows: its own period's run will credit it
      DELETE FROM commission_late_sale q WHERE q.sale_id = OLD.sale_id AND q.credited_period_id IS NULL;
    END IF;
  END IF;
  RETURN coalesce(NEW, OLD);
END
$$;
COMMENT ON FUNCTION sale_check_credited() IS
'Trigger on sale: a line a commission run credited keeps its date, rep, amount and refund link and is not deleted (55000); an uncredited line moved into a credited window is queued as late.';
CREATE TRIGGER sale_check_credited BEFORE UPDATE OR DELETE ON sale
  FOR EACH ROW EXECUTE FUNCTION sale_check_credited();

-- sale_credit_correcting: is this transaction correcting the split of the
-- line through correct_sale_credit()?  It recorded the change first, in
-- sale_credit_correction, which nobody else may write.
CREATE FUNCTION sale_credit_correcting(sale bigint)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  SELECT EXISTS (SELECT 1 FROM sales_supervisor.sale_credit_correction c
                 WHERE c.sale_id = sale_credit_correcting.sale AND c.txid = pg_catalog.txid_current_if_assigned())
$$;
COMMENT ON FUNCTION sale_credit_correcting(bigint) IS
'True when the current transaction recorded a correction of the sales line''s split (sale_credit_correction, written by correct_sale_credit): the split trigger then lets the split of the credited line change.';
REVOKE ALL ON FUNCTION sale_credit_correcting(bigint) FROM PUBLIC;

-- sale_credit_check_credited: the split of a credited line is history too
-- (statement trigger: bulk loads of splits are checked in one pass); only
-- correct_sale_credit() changes it, recording the change.
CREATE FUNCTION sale_credit_check_credited()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_sale bigint;
BEGIN
  IF is_restoring() OR commission_credited_through() IS NULL THEN
    RETURN NULL;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    SELECT min(s.sale_id) INTO v_sale FROM (SELECT DISTINCT n.sale_id FROM new_rows n) x
    JOIN sale s ON s.sale_id = x.sale_id WHERE sale_is_credited(s.sale_id, s.sold_on)
      AND NOT sale_credit_correcting(s.sale_id);
  END IF;
  IF v_sale IS NULL AND TG_OP IN ('UPDATE', 'DELETE') THEN
    SELECT min(s.sale_id) INTO v_sale FROM (SELECT DISTINCT o.sale_id FROM old_rows o) x
    JOIN sale s ON s.sale_id = x.sale_id WHERE sale_is_credited(s.sale_id, s.sold_on)
      AND NOT sale_credit_correcting(s.sale_id);
  END IF;
  IF v_sale IS NOT NULL THEN
    RAISE EXCEPTION 'sales line % is credited in a locked commission period: its split cannot change', v_sale
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Correct it with correct_sale_credit(): the change is recorded and the next commission run credits it.';
  END IF;
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION sale_credit_check_credited() IS
'Statement trigger on sale_credit: the split of a sales line a commission run credited cannot be inserted, changed or deleted (55000).';
REVOKE ALL ON FUNCTION sale_queue_late_lines(), sale_check_credited(), sale_credit_check_credited() FROM PUBLIC;
CREATE TRIGGER sale_credit_check_credited_ins AFTER INSERT ON sale_credit
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION sale_credit_check_credited();
CREATE TRIGGER sale_credit_check_credited_upd AFTER UPDATE ON sale_credit
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION sale_credit_check_credited();
CREATE TRIGGER sale_credit_check_credited_del AFTER DELETE ON sale_credit
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION sale_credit_check_credited();

-- The audit log is append-only for everyone.
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- Cycle state machine: one step forward, or one step back before closing;
-- leaving open checks the weights; leaving closed needs an audited reopen
-- (an audit_log REOPEN row written in the same transaction, which only
-- reopen_appraisal_cycle() can write: nobody is granted INSERT on audit_log).
CREATE FUNCTION appraisal_cycle_check_state()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  bad record;
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.state <> 'open' AND NOT is_restoring() THEN
      RAISE EXCEPTION 'a new appraisal cycle must start open, not %', NEW.state
        USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN NEW;
  END IF;
  IF TG_OP = 'DELETE' THEN
    IF OLD.state <> 'open' THEN
      RAISE EXCEPTION 'appraisal cycle % is %: only an open cycle can be deleted', OLD.cycle_id, OLD.state
        USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN OLD;
  END IF;
  IF OLD.state <> 'open' AND (OLD.fiscal_year, OLD.rating_scale_min, OLD.rating_scale_max)
                             IS DISTINCT FROM (NEW.fiscal_year, NEW.rating_scale_min, NEW.rating_scale_max) THEN
    RAISE EXCEPTION 'appraisal cycle % is %: its year and rating scale can only change while it is open',
                    OLD.cycle_id, OLD.state
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  IF NEW.state = OLD.state THEN
    RETURN NEW;
  END IF;
  IF OLD.state = 'closed' THEN
    IF NEW.state <> 'calibrating' OR NOT EXISTS (
         SELECT 1 FROM audit_log a
         WHERE a.table_name = 'appraisal_cycle' AND a.action = 'REOPEN'
           AND a.row_key = jsonb_build_object('cycle_id', OLD.cycle_id)
           AND a.txid = pg_catalog.txid_current()) THEN
      RAISE EXCEPTION 'appraisal cycle % is closed', OLD.cycle_id
        USING ERRCODE = 'object_not_in_prerequisite_state',
              HINT = 'Use reopen_appraisal_cycle(cycle_id, reason): reopening is audited.';
    END IF;
  ELSIF abs((array_position(enum_range(NULL::cycle_state), NEW.state)
             - array_position(enum_range(NULL::cycle_state), OLD.state))) <> 1 THEN
    RAISE EXCEPTION 'appraisal cycle % cannot go from % to %', OLD.cycle_id, OLD.state, NEW.state
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'The state moves one step at a time: open -> reviewing -> calibrating -> closed.';
  END IF;
  IF OLD.state = 'open' THEN
    SELECT 'component' AS what, w.level, sum(w.weight) AS total INTO bad
    FROM appraisal_component_weight w WHERE w.cycle_id = NEW.cycle_id
    GROUP BY w.level HAVING sum(w.weight) <> 100 ORDER BY w.level LIMIT 1;
    IF NOT FOUND THEN
      SELECT 'KPI' AS what, w.level, sum(w.weight) AS total INTO bad
      FROM kpi_weight w WHERE w.cycle_id = NEW.cycle_id
      GROUP BY w.level HAVING sum(w.weight) <> 100 ORDER BY w.level LIMIT 1;
    END IF;
    IF FOUND THEN
      RAISE EXCEPTION '% weights of appraisal cycle % for level % sum to %, not 100',
                      bad.what, NEW.cycle_id, bad.level, bad.total
        USING ERRCODE = 'check_violation',
              DETAIL = 'The weights of each career level must sum to 100 percent before reviewing starts.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM appraisal_component_weight w WHERE w.cycle_id = NEW.cycle_id) THEN
      RAISE EXCEPTION 'appraisal cycle % has no component weights', NEW.cycle_id
        USING ERRCODE = 'check_violation',
              HINT = 'Insert appraisal_component_weight rows for each level before reviewing starts.';
    END IF;
  END IF;
  NEW.closed_at := CASE WHEN NEW.state = 'closed' THEN now() END;
  RETURN NEW;
END
$$;
COMMENT ON FUNCTION appraisal_cycle_check_state() IS
'Trigger: appraisal cycle state machine (one step at a time), weight sums checked when leaving open, scale frozen after open, closed left only through an audited reopen.';
CREATE TRIGGER appraisal_cycle_check_state BEFORE INSERT OR UPDATE OR DELETE ON appraisal_cycle
  FOR EACH ROW EXECUTE FUNCTION appraisal_cycle_check_state();
REVOKE ALL ON FUNCTION appraisal_cycle_check_state() FROM PUBLIC;

-- Consequences of a closed cycle are frozen like its results.
CREATE FUNCTION appraisal_consequence_check_state()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_cycle integer;
BEGIN
  IF TG_OP = 'INSERT' AND is_restoring() THEN
    RETURN NEW;
  END IF;
  FOREACH v_cycle IN ARRAY CASE TG_OP WHEN 'INSERT' THEN ARRAY[NEW.cycle_id]
                                       WHEN 'DELETE' THEN ARRAY[OLD.cycle_id]
                                       ELSE ARRAY[OLD.cycle_id, NEW.cycle_id] END LOOP
    IF EXISTS (SELECT 1 FROM appraisal_cycle c WHERE c.cycle_id = v_cycle AND c.state = 'closed') THEN
      RAISE EXCEPTION 'appraisal cycle % is closed: its appraisal_consequence rows cannot be inserted, updated or deleted', v_cycle
        USING ERRCODE = 'object_not_in_prerequisite_state',
              HINT = 'HR can reopen it with reopen_appraisal_cycle(cycle_id, reason), which is audited.';
    END IF;
  END LOOP;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
COMMENT ON FUNCTION appraisal_consequence_check_state() IS
'Trigger: appraisal_consequence rows of a closed cycle are frozen for everyone.';
CREATE TRIGGER appraisal_consequence_check_state BEFORE INSERT OR UPDATE OR DELETE ON appraisal_consequence
  FOR EACH ROW EXECUTE FUNCTION appraisal_consequence_check_state();
REVOKE ALL ON FUNCTION appraisal_consequence_check_state() FROM PUBLIC;
