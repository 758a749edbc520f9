#!/usr/bin/python3
# The BI role through a real client over TCP (psycopg2, as Metabase or Superset
# would connect): a LOGIN role with a password in the sales_supervisor_bi group
# connects to host=localhost port=$PGPORT with password authentication, lists
# the reporting views with their comments from the catalog (and the columns'
# comments), reads every view (with rows, and the column names the catalog
# announced), gets a figure equal to the one the superuser computes from the
# raw tables, and is refused every raw table with permission denied (42501).
# Runs inside the throw-away cluster (PGHOST etc. set); prints TAP.
import os
import sys

import psycopg2
import psycopg2.errors

pid = os.getpid()
DB = "ss_bi_%d" % pid
ROLE = "ss_bi_login_%d" % pid
PASSWORD = "bi-pw-%d-secret" % pid
VIEWS = ['v_credited_sales_daily', 'v_customer_health', 'v_forecast_accuracy', 'v_grade_distribution',
         'v_job_status', 'v_org_summary', 'v_pace_backtest', 'v_pace_to_quota', 'v_pay_summary', 'v_pipeline',
         'v_promotion_pipeline', 'v_rep_attainment', 'v_rep_sales_month', 'v_team_attainment', 'v_team_risk',
         'v_team_scorecard']
RAW = ['sale', 'sale_credit', 'customer', 'member', 'pay', 'review', 'appraisal_result', 'quota', 'job_log',
       'job_setting', 'visit_overdue_flag']

n = 0
tests = 8 + len(VIEWS) + len(RAW)
print("1..%d" % tests)


def ok(cond, desc):
    global n
    n += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", n, desc))
    sys.stdout.flush()
    return cond


def admin(dbname):
    c = psycopg2.connect(dbname=dbname)       # superuser, from PGHOST/PGPORT/PGUSER/PGPASSWORD
    c.autocommit = True
    return c


root = admin("postgres")
try:
    with root.cursor() as cur:
        cur.execute("CREATE DATABASE %s" % DB)
        cur.execute("CREATE ROLE %s LOGIN PASSWORD %%s IN ROLE sales_supervisor_bi" % ROLE, (PASSWORD,))
    setup = admin(DB)
    with setup.cursor() as cur:
        cur.execute("CREATE EXTENSION sales_supervisor")
        cur.execute("SET search_path = sales_supervisor")
        cur.execute("SELECT count(*) FROM generate_demo_org(seed => 3, teams => 7, depth => 3, reps => 12,"
                    " customers => 60, sales_lines => 800, surveys => 60)")
        cur.execute("INSERT INTO quota (period_id, member_id, amount, method)"
                    " SELECT 1, member_id, 200000, 'manual' FROM member WHERE level = 'sales_rep'")
        cur.execute("UPDATE appraisal_cycle SET state = 'calibrating'")
        cur.execute("INSERT INTO appraisal_result (cycle_id, member_id, level, final_score, grade)"
                    " SELECT c.cycle_id, m.member_id, m.level, m.member_id, (ARRAY['A','B','C','D'])[1 + m.member_id % 4]"
                    " FROM member m CROSS JOIN appraisal_cycle c")
        # the refresh on demand, outside the monthly chain (commission_run is not run here)
        cur.execute("UPDATE job_setting SET per_month = false, depends_on = NULL WHERE job_name = 'refresh_reports'")
        for job in ('refresh_reports', 'overdue_visits', 'overdue_feedback'):
            cur.execute("SELECT status FROM execute_job(%s)", (job,))
            if cur.fetchone()[0] != 'success':
                raise RuntimeError("setup job %s failed" % job)
        # the risk job's tables as of a day of the demo year (the job itself runs as of today)
        cur.execute("INSERT INTO quota (period_id, member_id, amount, method)"
                    " SELECT p.period_id, m.member_id, 20000, 'manual' FROM member m CROSS JOIN fiscal_period p"
                    " WHERE m.level = 'sales_rep' AND p.kind = 'month'")
        cur.execute("SELECT flag_pace_snapshot('2025-06-15'), flag_team_risk('2025-06-15'),"
                    " refresh_pace_backtest('2026-01-01')")
        cur.execute("SELECT sum(amount) FROM sale")
        total_sales = cur.fetchone()[0]
    setup.close()

    # ------------------------------------------------------------ the BI login, over TCP with a password
    try:
        bi = psycopg2.connect(host="localhost", port=os.environ.get("PGPORT", "5432"), dbname=DB,
                              user=ROLE, password=PASSWORD, application_name="bi_client.t")
        bi.autocommit = True
        connected = True
    except psycopg2.Error as e:
        print("# connect failed: %s" % e)
        connected = False
    ok(connected, "BI login connects over TCP to localhost with its password")
    if not connected:
        sys.exit(1)
    cur = bi.cursor()
    cur.execute("SELECT inet_server_addr() IS NOT NULL, current_user, pg_has_role(current_user, 'sales_supervisor_bi', 'MEMBER')")
    tcp, who, member = cur.fetchone()
    ok(tcp and who == ROLE and member, "the session is TCP, as %s, a member of sales_supervisor_bi" % who)

    # the catalog as a BI tool reads it
    cur.execute("""
        SELECT c.relname, c.relkind, obj_description(c.oid, 'pg_class')
        FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
        WHERE s.nspname = 'sales_supervisor' AND c.relkind IN ('v', 'm', 'r', 'p')
          AND has_table_privilege(c.oid, 'SELECT')
        ORDER BY c.relname""")
    listed = cur.fetchall()
    ok([r[0] for r in listed] == VIEWS, "the catalog lists exactly the %d reporting views the BI role may read" % len(VIEWS))
    ok(all(r[2] and len(r[2]) > 40 for r in listed), "each of them has a comment")
    for r in listed:
        print("#   %-24s %s  %s" % (r[0], 'materialized' if r[1] == 'm' else 'view        ', r[2][:70]))
    cur.execute("""
        SELECT c.relname, a.attname, col_description(c.oid, a.attnum)
        FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE c.relnamespace = 'sales_supervisor'::regnamespace AND c.relname = ANY (%s)
        ORDER BY c.relname, a.attnum""", (VIEWS,))
    cols = cur.fetchall()
    missing = [r[0] + "." + r[1] for r in cols if not r[2]]
    ok(len(cols) > 100 and not missing, "all %d columns of the views have comments %s" % (len(cols), missing or ""))
    cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'sales_supervisor' ORDER BY 1")
    ok([r[0] for r in cur.fetchall()] == [v for v in VIEWS if v != 'v_credited_sales_daily'],
       "information_schema.tables shows the BI role the plain views (materialized views are not in it)")

    # every view reads, with rows, and the columns the catalog announced
    bycols = {}
    for r in cols:
        bycols.setdefault(r[0], []).append(r[1])
    for v in VIEWS:
        try:
            cur.execute("SELECT * FROM sales_supervisor.%s" % v)
            rows = cur.fetchall()
            names = [d[0] for d in cur.description]
            ok(len(rows) > 0 and names == bycols[v], "BI reads %s: %d rows, %d columns" % (v, len(rows), len(names)))
        except psycopg2.Error as e:
            ok(False, "BI reads %s: %s" % (v, e.pgerror))

    # a figure through the client equals the superuser's from the raw tables
    cur.execute("SELECT sum(credited_amount) FROM sales_supervisor.v_rep_sales_month")
    got = cur.fetchone()[0]
    ok(got == total_sales, "the credited sales the BI client reads (%s) equal the raw sales total (%s)" % (got, total_sales))
    cur.execute("SELECT grade, actual_count, target_count FROM sales_supervisor.v_grade_distribution ORDER BY ordinal")
    grades = cur.fetchall()
    ok(sum(r[1] for r in grades) == 19 and sum(r[2] for r in grades) == 19,
       "the grade distribution counts the 19 graded members, targets adding up to 19 (%s)" % grades)

    # and no raw table
    for t in RAW:
        try:
            cur.execute("SELECT * FROM sales_supervisor.%s LIMIT 1" % t)
            cur.fetchall()
            ok(False, "BI cannot read the raw table %s (it could)" % t)
        except psycopg2.errors.InsufficientPrivilege as e:
            ok(e.pgcode == '42501' and ('permission denied for table %s' % t) in e.pgerror,
               "BI cannot read the raw table %s: 42501 permission denied" % t)
        except psycopg2.Error as e:
            ok(False, "BI cannot read the raw table %s: unexpected %s %s" % (t, e.pgcode, e.pgerror))
    bi.close()
finally:
    with root.cursor() as cur:
        cur.execute("DROP DATABASE IF EXISTS %s WITH (FORCE)" % DB)
        cur.execute("DROP ROLE IF EXISTS %s" % ROLE)
    root.close()
