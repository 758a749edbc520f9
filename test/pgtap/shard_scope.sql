-- Issue 18, part 5 (docs/scale-out.md, "Security across servers"): on a
-- coordinator the shards' lines a sales role reads are selected on each shard
-- by a condition (shard_scope_qual over the parameters of shard_line_scope,
-- and the credited lines of shard_scope_ids_query) that must select exactly
-- the rows the policies of sale select on one server.  Checked here on a
-- single server, where both can be run over the same lines: for every member
-- of the org, as a login of their level (rep, supervisor, manager), the rows
-- of credited_line and of sale under row-level security must equal the rows
-- the shipped condition selects as the owner (with shard_scope_ids_query run
-- on this server's schema).  The system test shards_year.t does the same
-- across servers.
--
-- The org: generate_demo_org(seed 13, teams 4, depth 2, reps 9, 1200 lines,
-- changes => true: transfers mid-year, so supervisors have moved reps whose
-- lines they read on some days only), as in shards_year.t; some lines are
-- split across teams.
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SELECT plan(9);

CREATE TEMP TABLE demo AS SELECT * FROM generate_demo_org(seed => 13, teams => 4, depth => 2, reps => 9, customers => 40,
                                                          sales_lines => 1200, surveys => 0, changes => true);
-- a login per member: department leaders managers, other leaders
-- supervisors, the others reps; the first supervisor also a rep
CREATE TEMP TABLE who AS
SELECT m.member_id, 'ss_scope_' || m.member_id AS login,
       CASE WHEN EXISTS (SELECT 1 FROM team_leader tl JOIN team t USING (team_id)
                         WHERE tl.member_id = m.member_id AND t.parent_id IS NULL) THEN 'manager'
            WHEN EXISTS (SELECT 1 FROM team_leader tl WHERE tl.member_id = m.member_id) THEN 'supervisor'
            ELSE 'rep' END AS grp
FROM member m;
DO $$
DECLARE w record;
BEGIN
  FOR w IN SELECT * FROM who LOOP
    EXECUTE format('CREATE ROLE %I NOLOGIN', w.login);
    EXECUTE format('GRANT %I TO %I', 'sales_supervisor_' || w.grp, w.login);
  END LOOP;
  EXECUTE format('GRANT sales_supervisor_rep TO %I', (SELECT min(login) FROM who WHERE grp = 'supervisor'));
END
$$;
UPDATE member m SET login_role = w.login FROM who w WHERE w.member_id = m.member_id;
CREATE ROLE ss_scope_nobody NOLOGIN;           -- a rep login mapped to no member: reads nothing
GRANT sales_supervisor_rep TO ss_scope_nobody;

-- per login: the rows under row-level security and the rows the condition selects
CREATE TEMP TABLE seen (login text, grp text, view text, rls text, qual text, rls_rows bigint, qual_rows bigint,
                        moved integer, credited integer);
GRANT ALL ON seen TO PUBLIC;
CREATE FUNCTION pg_temp.compare(p_login text, p_grp text) RETURNS void LANGUAGE plpgsql AS $f$
DECLARE
  sc record;
  v_ids bigint[];
  v_rls text; v_qual text; n_rls bigint; n_qual bigint;
  v text;
BEGIN
  sc := sales_supervisor.shard_line_scope(p_login);
  EXECUTE 'SELECT coalesce(array_agg(DISTINCT x.sale_id), ''{}'') FROM (' || shard_scope_ids_query('sales_supervisor') || ') x'
    INTO v_ids USING sc.credit_ids, '-infinity'::date, 'infinity'::date;
  FOREACH v IN ARRAY ARRAY['credited_line', 'sale'] LOOP
    EXECUTE format('SELECT count(*), md5(string_agg(x::text, %L ORDER BY x::text)) FROM (SELECT l.sale_id, l.member_id, l.amount
                    FROM sales_supervisor.%I l WHERE %s) x', ',', v,
                   shard_scope_qual('l', CASE v WHEN 'sale' THEN 'member_id' ELSE 'booked_member_id' END, 1))
      INTO n_qual, v_qual USING sc.booked_ids, sc.moved_ids, sc.moved_dates, v_ids;
    EXECUTE format('SET LOCAL ROLE %I', p_login);
    EXECUTE format('SELECT count(*), md5(string_agg(x::text, %L ORDER BY x::text)) FROM (SELECT l.sale_id, l.member_id, l.amount
                    FROM sales_supervisor.%I l) x', ',', v)
      INTO n_rls, v_rls;
    RESET ROLE;
    INSERT INTO seen VALUES (p_login, p_grp, v, v_rls, v_qual, n_rls, n_qual, cardinality(sc.moved_ids), cardinality(v_ids));
  END LOOP;
END
$f$;
SELECT pg_temp.compare(w.login, w.grp) FROM who w;
SELECT pg_temp.compare('ss_scope_nobody', 'rep');

SELECT is((SELECT string_agg(login || ' ' || view || ' ' || rls_rows || '/' || qual_rows, ', ') FROM seen
           WHERE rls IS DISTINCT FROM qual), NULL,
          'for every login, credited_line and sale: the rows the shipped condition selects = the rows row-level security shows');
SELECT is((SELECT count(DISTINCT login)::int FROM seen), (SELECT count(*)::int + 1 FROM member), 'every member compared, and a login of no member');
SELECT is((SELECT string_agg(DISTINCT grp, ' ' ORDER BY grp) FROM seen), 'manager rep supervisor', 'reps, supervisors and managers among them');
-- not trivial: each arm of the condition is used
SELECT ok((SELECT bool_and(rls_rows > 0) FROM seen WHERE login <> 'ss_scope_nobody'), 'every member login reads some rows');
SELECT ok((SELECT bool_and(rls_rows < (SELECT count(*) FROM credited_line)) FROM seen WHERE grp = 'supervisor' AND view = 'credited_line'),
          'a supervisor reads fewer rows than the company''s');
SELECT ok((SELECT bool_or(moved > 0) FROM seen WHERE grp IN ('supervisor', 'manager')),
          'some supervisor or manager has moved reps (read on some days only)');
SELECT ok((SELECT bool_or(credited > 0) FROM seen WHERE grp = 'rep'),
          'some rep reads lines booked to another rep, credited to them');
SELECT is((SELECT rls_rows || '/' || qual_rows FROM seen WHERE login = 'ss_scope_nobody' AND view = 'credited_line'), '0/0',
          'a rep login of no member: no row either way');
-- the owner reads all, with no condition
SELECT is((SELECT reads_all || ' ' || cardinality(booked_ids) FROM shard_line_scope(current_user)), 'true 0',
          'the owner (a superuser here) reads every line: no condition');

SELECT * FROM finish();
ROLLBACK;
