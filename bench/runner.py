"""Benchmark runner: see bench/run.  Reads bench/<name>.sql files of the form

    -- setup:
    CREATE TABLE ... {rows} ...;          (run once; {rows} is --rows)
    -- case: <title>
    -- set: max_parallel_workers_per_gather = 2      (optional, per case)
    -- ours:
    SELECT ...;
    -- sql:
    SELECT ...;
    -- floor:
    SELECT ...;

and prints, per case, the median of each query and the ratios that matter:
ours/floor, sql/floor and sql/ours (how much faster ours is than the SQL).
Queries are run through psql so the runner needs nothing but Debian's psql;
each timing is the server-side execution of the whole statement, measured with
EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON)'s "Execution Time", which excludes
client transfer and parse/plan noise.
"""
import argparse
import glob
import os
import re
import statistics
import subprocess
import sys

DB = "sales_supervisor_bench"


def psql(sql, db=DB):
    out = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                          "-d", db, "-c", sql],
                         check=True, capture_output=True, text=True)
    return out.stdout


def parse(path):
    setup, cases, cur, key = [], [], None, None
    for line in open(path):
        m = re.match(r"--\s*(setup|case|set|ours|sql|floor):\s*(.*)$", line.strip())
        if m:
            tag, rest = m.groups()
            if tag == "setup":
                key = "setup"
            elif tag == "case":
                cur = {"title": rest, "set": [], "ours": "", "sql": "", "floor": ""}
                cases.append(cur)
                key = None
            elif tag == "set":
                cur["set"].append(rest)
            else:
                key = tag
            continue
        if key == "setup":
            setup.append(line)
        elif key:
            cur[key] += line
    return "".join(setup), cases


def exec_ms(settings, query):
    sets = "".join("SET %s;" % s for s in settings)
    plan = psql(sets + "EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON, COSTS OFF) " + query.strip().rstrip(";"))
    m = re.search(r"Execution Time: ([0-9.]+) ms", plan)
    if not m:
        sys.exit("no execution time in plan:\n" + plan)
    return float(m.group(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1000000)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("names", nargs="*")
    a = ap.parse_args()
    files = sorted(glob.glob("bench/*.sql"))
    if a.names:
        files = [f for f in files if os.path.basename(f)[:-4] in a.names]
    subprocess.run(["createdb", DB], check=True)
    psql("CREATE EXTENSION sales_supervisor")
    rows = []
    for f in files:
        name = os.path.basename(f)[:-4]
        setup, cases = parse(f)
        print("== %s (rows=%d): setup" % (name, a.rows), flush=True)
        psql("SET search_path = sales_supervisor, public;" + setup.replace("{rows}", str(a.rows)))
        psql("VACUUM ANALYZE")
        for c in cases:
            settings = ["search_path = sales_supervisor, public"] + c["set"]
            kinds = [k for k in ("ours", "sql", "floor") if c[k].strip()]
            times = {k: [] for k in kinds}
            for k in kinds:                       # warm-up, also fills the cache
                exec_ms(settings, c[k])
            for _ in range(a.reps):               # alternate, so drift hits all alike
                for k in kinds:
                    times[k].append(exec_ms(settings, c[k]))
            med = {k: statistics.median(v) for k, v in times.items()}
            r = {"bench": name, "case": c["title"], **med}
            rows.append(r)
            line = "   %-58s ours %9.1f ms  sql %9.1f ms  floor %9.1f ms" % (
                c["title"], med.get("ours", 0), med.get("sql", 0), med.get("floor", 0))
            print(line)
            print("   %-58s ours/floor %5.2fx  sql/floor %5.2fx  sql/ours %5.2fx" % (
                "", med["ours"] / med["floor"], med["sql"] / med["floor"], med["sql"] / med["ours"]),
                flush=True)
    with open("bench/out/latest.md", "w") as out:
        out.write("rows per benchmark: %d, medians of %d runs after a warm-up\n\n" % (a.rows, a.reps))
        out.write("| benchmark | case | ours / floor | SQL / floor | SQL / ours |\n|---|---|---|---|---|\n")
        for r in rows:
            out.write("| %s | %s | %.2f | %.2f | %.2f |\n" % (
                r["bench"], r["case"], r["ours"] / r["floor"], r["sql"] / r["floor"], r["sql"] / r["ours"]))
    print("bench: wrote bench/out/latest.md")


if __name__ == "__main__":
    main()
