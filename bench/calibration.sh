#!/usr/bin/env bash
# Calibration sessions (issue 16, item 1), timed on the generator's org:
#
#   bench/calibration.sh [REPS [LINES]]        (defaults 1000 reps, 100000 sales lines)
#
# Builds and installs, starts a throw-away cluster (the settings of
# bench/sales_year.sh), generates the org (generate_demo_org, seed 42, teams =
# reps / 6, 4 reviews per member, a year's changes: 1 000 reps make 1 166
# people), calibrates cycle 1 (once, for the record), opens a level session on
# the reps (every rep of the company: the largest scope) and a department
# session, adjusts 20 reps' scores; then times, median of 11 calls each:
#   * calibration_raters(session): every rater of the scope against the panel;
#   * calibration_scores(session): every member of the scope before and after;
#   * adjust_final_score: one adjustment, which ranks the cycle again;
# against the floor: reading the cycle's reviews once (one scan of review and
# review_score of the cycle, the marks summed).  Target: each read <= 0.5 s.
# Hold /tmp/ss_install.lock around it on a shared machine:
#   flock /tmp/ss_install.lock bench/calibration.sh
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${1:-1000}
LINES=${2:-100000}
. bench/cluster.sh
bench_cluster "$REPS" "$LINES"
bench_db sales_supervisor_bench_calib
TEAMS=$(( REPS / 6 > 1 ? REPS / 6 : 2 ))
echo "generating: $REPS reps, $TEAMS teams, $LINES sales lines ..." >&2
t0=$(now)
q "SELECT count(*) FROM generate_demo_org(seed => 42, teams => $TEAMS, depth => 3, reps => $REPS,
                                           customers => $(( REPS * 20 )), sales_lines => $LINES,
                                           surveys => $(( REPS * 30 )), reviews_per_member => 4,
                                           changes => true)" >/dev/null
q "INSERT INTO kpi_target (cycle_id, kpi_id, level, target)
   VALUES (1, 3, 'sales_rep', 0.2), (1, 4, 'sales_customer_supervisor', 80), (1, 4, 'sales_manager', 80)" >/dev/null
q "VACUUM ANALYZE" >/dev/null
PEOPLE=$(q "SELECT count(*) FROM member WHERE active")
REVIEWS=$(q "SELECT count(*) FROM review WHERE cycle_id = 1")
echo "  generated in $(secs "$t0") s: $PEOPLE people, $REVIEWS reviews" >&2

t0=$(now); q "SELECT count(*) FROM calibrate_appraisal_cycle(1)" >/dev/null; CALIBRATE=$(secs "$t0")
echo "  calibrate_appraisal_cycle: $CALIBRATE s" >&2
# a calibrator: member 1 (leads the first department), logging in as ss_demo_1
q "DO \$\$ BEGIN
     IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ss_demo_1') THEN CREATE ROLE ss_demo_1 NOLOGIN; END IF;
   END \$\$;
   GRANT sales_supervisor_supervisor, sales_supervisor_manager TO ss_demo_1;
   UPDATE member SET login_role = 'ss_demo_1' WHERE member_id = 1" >/dev/null
LEVEL=$(q "SELECT open_calibration_session(1, 'level', 5, '{1}', level => 'sales_rep')")
DEPT=$(q "SELECT open_calibration_session(1, 'department', 5, '{1}', team => (SELECT min(team_id) FROM team WHERE parent_id IS NULL))")
SCOPE=$(q "SELECT count(*) FROM calibration_scores($LEVEL)")
DSCOPE=$(q "SELECT count(*) FROM calibration_scores($DEPT)")
RATERS=$(q "SELECT count(*) FROM calibration_raters($LEVEL)")
# 20 reps adjusted, alternately up and down by 1.5 points
t0=$(now)
q "SELECT count(adjust_final_score($LEVEL, x.member_id, CASE WHEN x.n % 2 = 0 THEN 1.5 ELSE -1.5 END, 'bench', login => 'ss_demo_1'))
   FROM (SELECT member_id, row_number() OVER (ORDER BY member_id) AS n FROM calibration_scores($LEVEL)
         WHERE member_id <> 1 ORDER BY member_id LIMIT 20) x" >/dev/null
ADJ20=$(secs "$t0")
q "ANALYZE" >/dev/null
ONE=$(q "SELECT min(member_id) FROM calibration_scores($LEVEL) WHERE points IS NULL AND member_id <> 1")
ADJUST=$(inmedian 11 "SELECT adjust_final_score($LEVEL, $ONE, 2, 'bench again', login => 'ss_demo_1')")
RATERS_T=$(inmedian 11 "SELECT count(*) FROM calibration_raters($LEVEL)")
SCORES_T=$(inmedian 11 "SELECT count(*) FROM calibration_scores($LEVEL)")
DRATERS_T=$(inmedian 11 "SELECT count(*) FROM calibration_raters($DEPT)")
DSCORES_T=$(inmedian 11 "SELECT count(*) FROM calibration_scores($DEPT)")
FLOOR=$(inmedian 11 "SELECT count(*), sum(s.score) FROM review r JOIN review_score s ON s.review_id = r.review_id WHERE r.cycle_id = 1")
CHANGED=$(q "SELECT count(*) FROM calibration_scores($LEVEL) WHERE grade_before IS DISTINCT FROM grade_after")
ms() { awk "BEGIN { printf \"%.1f\", $1 * 1000 }"; }
ratio() { awk "BEGIN { printf \"%.2f\", $1 / $FLOOR }"; }
{
  echo "calibration: $REPS reps, $PEOPLE people, $REVIEWS reviews in the cycle; level session: $SCOPE reps, $RATERS raters; department session: $DSCOPE people; 21 reps adjusted, $CHANGED grades changed"
  echo
  echo "| step | time | / floor |"
  echo "|---|---|---|"
  echo "| calibrate_appraisal_cycle (once: the whole computation, baseline kept) | $CALIBRATE s | |"
  echo "| calibration_raters, level session (median of 11) | $(ms "$RATERS_T") ms | $(ratio "$RATERS_T") |"
  echo "| calibration_scores, level session (median of 11) | $(ms "$SCORES_T") ms | $(ratio "$SCORES_T") |"
  echo "| calibration_raters, department session (median of 11) | $(ms "$DRATERS_T") ms | $(ratio "$DRATERS_T") |"
  echo "| calibration_scores, department session (median of 11) | $(ms "$DSCORES_T") ms | $(ratio "$DSCORES_T") |"
  echo "| adjust_final_score, one adjustment ranking the cycle again (median of 11) | $(ms "$ADJUST") ms | $(ratio "$ADJUST") |"
  echo "| 20 adjustments in one statement | $ADJ20 s | |"
  echo "| floor: the cycle's reviews read once (review + review_score) | $(ms "$FLOOR") ms | 1.00 |"
} | tee bench/out/calibration.md
