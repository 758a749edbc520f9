#!/usr/bin/env bash
# Merit raises within a budget (issue 16, item 2), timed on the generator's org:
#
#   bench/merit.sh [REPS [LINES]]        (defaults 1000 reps, 200000 sales lines)
#
# Builds and installs, starts a throw-away cluster (the settings of
# bench/sales_year.sh), generates the org (generate_demo_org, seed 42: 1 000
# reps and their leaders, about 1 166 people, 4 reviews per member), closes
# the appraisal cycle, then sets up salary bands per level (some bases above
# the rep band's max), a merit matrix (A-D x three compa-ratio brackets) and a
# budget of 3 % of base per department (each root team), and times, median of
# 11 calls inside the server:
#   * merit_preview for every department -- the merit of the whole org
#     (target <= 0.5 s); also its first call in a new session (planning);
#   * the floor: reading the cycle's reviews once (one scan of review joined
#     to review_score, summed);
#   * what a user would write instead in plain SQL: the same matrix cell, band
#     cap and budget per department, scaled by a plain proportional round (not
#     exact to the cent: it can miss the budget by cents either way);
#   * merit_apply for every department, once (it writes).
# Hold /tmp/ss_install.lock around it on a shared machine:
#   flock /tmp/ss_install.lock bench/merit.sh
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${1:-1000}
LINES=${2:-200000}
. bench/cluster.sh
bench_cluster "$REPS" "$LINES"
bench_db sales_supervisor_bench_merit
TEAMS=$(( REPS / 6 > 1 ? REPS / 6 : 2 ))
echo "generating: $REPS reps, $TEAMS teams, $LINES sales lines ..." >&2
t0=$(now)
q "SELECT count(*) FROM generate_demo_org(seed => 42, teams => $TEAMS, depth => 3, reps => $REPS,
                                           customers => $(( REPS * 20 )), sales_lines => $LINES,
                                           surveys => $(( REPS * 30 )), reviews_per_member => 4)" >/dev/null
q "INSERT INTO kpi_target (cycle_id, kpi_id, level, target)
   VALUES (1, 3, 'sales_rep', 0.2), (1, 4, 'sales_customer_supervisor', 80), (1, 4, 'sales_manager', 80)" >/dev/null
q "SELECT count(*) FROM close_appraisal_cycle(1)" >/dev/null
q "INSERT INTO salary_band VALUES (2025, 'sales_rep', 90000, 105000, 118000),
     (2025, 'sales_customer_supervisor', 140000, 165000, 185000), (2025, 'sales_manager', 220000, 250000, 280000),
     (2025, 'sales_director', 260000, 300000, 340000), (2025, 'customer_director', 260000, 300000, 340000);
   INSERT INTO merit_matrix (cycle_id, grade, compa_from, raise_pct) VALUES
     (1, 'A', 0, 10), (1, 'A', 0.9, 8), (1, 'A', 1.1, 5), (1, 'B', 0, 7), (1, 'B', 0.9, 5), (1, 'B', 1.1, 3),
     (1, 'C', 0, 4), (1, 'C', 0.9, 3), (1, 'C', 1.1, 1.5), (1, 'D', 0, 0);
   INSERT INTO merit_budget (cycle_id, team_id, pct_of_base) SELECT 1, team_id, 3 FROM team WHERE parent_id IS NULL" >/dev/null
q "VACUUM ANALYZE" >/dev/null
echo "  generated and closed in $(awk "BEGIN { printf \"%.1f\", $(now) - $t0 }") s" >&2
PEOPLE=$(q "SELECT count(*) FROM appraisal_result WHERE cycle_id = 1 AND grade IS NOT NULL")
DEPTS=$(q "SELECT count(*) FROM merit_budget WHERE cycle_id = 1")
REVIEWS=$(q "SELECT count(*) FROM review WHERE cycle_id = 1")
SCORES=$(q "SELECT count(*) FROM review_score s JOIN review r USING (review_id) WHERE r.cycle_id = 1")

OURS_SQL="SELECT count(*) FROM merit_budget b, LATERAL merit_preview(b.cycle_id, b.team_id) p WHERE b.cycle_id = 1"
FLOOR_SQL="SELECT count(*), sum(s.score) FROM review r JOIN review_score s ON s.review_id = r.review_id WHERE r.cycle_id = 1"
# plain SQL: each graded member's department (the root above their team), the
# matrix cell, the band cap, and a proportional scaling rounded per person
PLAIN_SQL="WITH RECURSIVE up(team_id, root) AS (
    SELECT t.team_id, t.team_id FROM team t WHERE t.parent_id IS NULL
    UNION ALL SELECT c.team_id, up.root FROM team c JOIN up ON c.parent_id = up.team_id),
  x AS (
    SELECT up.root, r.member_id, p.base_salary,
           least(round(p.base_salary * (SELECT mm.raise_pct FROM merit_matrix mm
                                        WHERE mm.cycle_id = 1 AND mm.grade = r.grade AND mm.compa_from * b.band_mid <= p.base_salary
                                        ORDER BY mm.compa_from DESC LIMIT 1) / 100, 2),
                 greatest(b.band_max - p.base_salary, 0)) AS capped
    FROM appraisal_result r JOIN member m ON m.member_id = r.member_id AND m.active
    JOIN up ON up.team_id = m.team_id
    JOIN pay p ON p.member_id = r.member_id AND p.fiscal_year = 2025
    JOIN salary_band b ON b.fiscal_year = 2025 AND b.level = r.level
    WHERE r.cycle_id = 1 AND r.grade IS NOT NULL),
  d AS (SELECT x.root, floor(sum(x.base_salary) * 3) / 100 AS budget, sum(x.capped) AS total FROM x GROUP BY x.root)
  SELECT count(*), sum(CASE WHEN d.total > d.budget THEN round(x.capped * d.budget / d.total, 2) ELSE x.capped END)
  FROM x JOIN d ON d.root = x.root"
# the first call of a session plans every statement of the functions (PL/pgSQL keeps the plans)
COLD=$(q "EXPLAIN (ANALYZE, TIMING OFF) $OURS_SQL" | sed -n 's/^Execution Time: \([0-9.]*\) ms$/\1/p')
COLD=$(awk "BEGIN { printf \"%.6f\", $COLD / 1000 }")
q "$PLAIN_SQL" >/dev/null
OURS=$(inmedian 11 "$OURS_SQL")
FLOOR=$(inmedian 11 "$FLOOR_SQL")
PLAIN=$(inmedian 11 "$PLAIN_SQL")
echo "  merit_preview, every department: $OURS s (floor $FLOOR s, plain SQL $PLAIN s)" >&2
CHECK=$(q "SELECT count(*) FROM (SELECT b.team_id, sum(p.raise) FILTER (WHERE p.member_id IS NOT NULL) AS raised,
                                       max(p.budget) AS budget, sum(p.before_scaling) FILTER (WHERE p.member_id IS NOT NULL) AS wanted
                                FROM merit_budget b, LATERAL merit_preview(b.cycle_id, b.team_id) p
                                WHERE b.cycle_id = 1 GROUP BY b.team_id) s
           WHERE s.raised <> least(s.budget, s.wanted)")
[ "$CHECK" = 0 ] || { echo "$CHECK departments whose raises do not add up to least(budget, wanted)" >&2; exit 1; }
CAPPED=$(q "SELECT count(*) FROM merit_budget b, LATERAL merit_preview(b.cycle_id, b.team_id) p
            WHERE b.cycle_id = 1 AND p.member_id IS NOT NULL AND p.capped")
t0=$(now)
q "SELECT count(*) FROM merit_budget b,
          LATERAL merit_apply(b.cycle_id, b.team_id,
                              (SELECT x.raise FROM merit_preview(b.cycle_id, b.team_id) x WHERE x.member_id IS NULL)) p
   WHERE b.cycle_id = 1" >/dev/null
APPLY=$(awk "BEGIN { printf \"%.3f\", $(now) - $t0 }")
APPLIED=$(q "SELECT count(*) FROM merit_raise WHERE cycle_id = 1")
ms() { awk "BEGIN { printf \"%.1f\", $1 * 1000 }"; }
{
  echo "merit: $REPS reps, $PEOPLE graded people in $DEPTS departments (budgets 3 % of base), $CAPPED capped at band max; $REVIEWS reviews, $SCORES review scores"
  echo
  echo "| step | time | ratio |"
  echo "|---|---|---|"
  echo "| merit_preview, every department (median of 11) | $(ms "$OURS") ms | $(awk "BEGIN { printf \"%.2f\", $OURS / $FLOOR }") x the floor, $(awk "BEGIN { printf \"%.2f\", $OURS / $PLAIN }") x plain SQL |"
  echo "| merit_preview, every department, first call of a session (plans every statement) | $(ms "$COLD") ms | $(awk "BEGIN { printf \"%.2f\", $COLD / $FLOOR }") x the floor |"
  echo "| plain SQL: cell, cap, proportional round per department | $(ms "$PLAIN") ms | $(awk "BEGIN { printf \"%.2f\", $PLAIN / $FLOOR }") x the floor |"
  echo "| floor: the cycle's reviews read once (review + review_score) | $(ms "$FLOOR") ms | 1.00 |"
  echo "| merit_apply, every department (once, with its preview for the approved total) | $(ms "$APPLY") ms | $APPLIED raises written |"
} | tee bench/out/merit.md
