-- Layer 4, the sales year: quota relief and proration (issue 14.2).
--
-- A rep who was not there for part of a month -- hired on the 17th, left on
-- the 9th, on leave (member_leave) -- is relieved of that part of the month's
-- quota: prorate_quotas(year) writes, per rep and month, a quota_relief
-- reduction of the absent days' share, split exactly: the month's quota is
-- divided by allocate_quota(quota, [present days, absent days], 0.01), so the
-- present part and the relief add up to the quota to the cent, never a
-- rounded share.  It is idempotent: it writes only the difference to the
-- proration reliefs already recorded (a leave entered or corrected later is
-- a new row, the history stays).  Managers record other relief (a territory
-- handed over, a credited amount) as rows of their own; no quota is edited.
-- The relief of a period counts for every period containing it
-- (quota_relief_for, 32_sales_year_helpers.sql: the KPIs and views read it).

-- quota_absent_days: per monthly rep quota of the fiscal year (of the given
-- members, NULL for all): the month's days, the days the rep was not there --
-- outside [hire_date, left_on] or on leave -- and why, in words.
CREATE FUNCTION quota_absent_days(p_year integer, p_members integer[])
RETURNS TABLE (member_id integer, period_id integer, quota numeric, days integer, absent integer, why text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
  SELECT q.member_id, q.period_id, q.amount, x.days, x.days - x.present,
         concat_ws('; ',
           CASE WHEN m.hire_date > p.start_on THEN 'hired on ' || m.hire_date END,
           CASE WHEN m.left_on < p.end_on THEN 'left on ' || m.left_on END,
           CASE WHEN x.leave_days > 0 THEN x.leave_days || ' days on leave' END)
  FROM sales_supervisor.quota q
  JOIN sales_supervisor.fiscal_period p ON p.period_id = q.period_id AND p.kind = 'month' AND p.fiscal_year = p_year
  JOIN sales_supervisor.member m ON m.member_id = q.member_id
  CROSS JOIN LATERAL (
    SELECT (p.end_on - p.start_on + 1) AS days,
           (SELECT coalesce(sum(upper(r) - lower(r)), 0)::int
            FROM unnest(datemultirange(daterange(p.start_on, p.end_on, '[]') * daterange(m.hire_date, m.left_on, '[]'))
                        - coalesce(l.leaves, '{}'::datemultirange)) r) AS present,
           (SELECT coalesce(sum(upper(r) - lower(r)), 0)::int
            FROM unnest(datemultirange(daterange(p.start_on, p.end_on, '[]') * daterange(m.hire_date, m.left_on, '[]'))
                        * coalesce(l.leaves, '{}'::datemultirange)) r) AS leave_days
    FROM (SELECT range_agg(ml.during) AS leaves FROM sales_supervisor.member_leave ml
          WHERE ml.member_id = m.member_id) l) x
  WHERE p_members IS NULL OR q.member_id = ANY (p_members)
$fn$;
COMMENT ON FUNCTION quota_absent_days(integer, integer[]) IS
'Internal, part of prorate_quotas: per monthly rep quota of the fiscal year (of p_members, NULL for all), the month''s days, the days the rep was not there (before hire_date, after left_on, on leave) and why.';
REVOKE ALL ON FUNCTION quota_absent_days(integer, integer[]) FROM PUBLIC;

-- prorate_quotas: the proration reliefs of a fiscal year, brought up to date.
CREATE FUNCTION prorate_quotas(fiscal_year integer, login name DEFAULT current_user)
RETURNS TABLE (member_id integer, period_id integer, quota numeric, days integer, absent_days integer,
               relief numeric, written numeric)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
  v_roots   integer[];
  v_members integer[];
BEGIN
  PERFORM require_role(login, ARRAY['sales_supervisor_manager'], 'prorate quotas');
  IF fiscal_year IS NULL THEN
    RAISE EXCEPTION 'fiscal_year must not be null' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  v_roots := scope_root_team_ids(login);
  IF v_roots IS NOT NULL THEN
    v_members := visible_member_ids(login);
  END IF;
  LOCK TABLE quota_relief IN SHARE ROW EXCLUSIVE MODE;   -- two prorations do not both write a difference
  RETURN QUERY
  WITH due AS (
    SELECT a.member_id, a.period_id, a.quota, a.days, a.absent, a.why,
           CASE WHEN a.absent = 0 THEN 0::numeric
                ELSE (allocate_quota(a.quota, ARRAY[a.days - a.absent, a.absent]::numeric[], 0.01))[2] END AS relief,
           coalesce((SELECT sum(r.amount) FROM quota_relief r
                     WHERE r.member_id = a.member_id AND r.period_id = a.period_id AND r.source = 'proration'), 0) AS recorded
    FROM quota_absent_days(prorate_quotas.fiscal_year, v_members) a),
  ins AS (
    INSERT INTO quota_relief (member_id, period_id, kind, amount, reason, source)
    SELECT d.member_id, d.period_id, 'reduction', d.relief - d.recorded,
           format('not there %s of %s days (%s)', d.absent, d.days, coalesce(nullif(d.why, ''), 'back for the whole month')),
           'proration'
    FROM due d WHERE d.relief <> d.recorded
    ORDER BY d.member_id, d.period_id
    RETURNING quota_relief.member_id, quota_relief.period_id, quota_relief.amount)
  SELECT d.member_id, d.period_id, d.quota, d.days, d.absent, d.relief, i.amount
  FROM due d LEFT JOIN ins i ON i.member_id = d.member_id AND i.period_id = d.period_id
  WHERE d.absent > 0 OR i.amount IS NOT NULL
  ORDER BY d.member_id, d.period_id;
END
$fn$;
COMMENT ON FUNCTION prorate_quotas(integer, name) IS
'Brings the proration reliefs of a fiscal year up to date: per rep and monthly quota, the share of the days the rep was not there (before hire_date, after left_on, on leave in member_leave), split exactly with allocate_quota(quota, [present days, absent days], 0.01), recorded as a quota_relief reduction (source proration) for the difference to what is recorded already. Returns per rep and month with absent days (or a relief written) the quota, days, absent days, the relief due and the amount written (NULL when nothing changed). Managers, within their scope (the whole organisation for the owner or a manager leading every department).';
REVOKE ALL ON FUNCTION prorate_quotas(integer, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION prorate_quotas(integer, name) TO sales_supervisor_manager;
