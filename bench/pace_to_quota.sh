#!/usr/bin/env bash
# Pace to quota (issue 19, item 2), timed on the generator's org:
#
#   bench/pace_to_quota.sh [LINES [REPS]]      (defaults 10000000 lines, 1000 reps)
#
# Builds and installs, starts a throw-away cluster (bench/cluster.sh), generates
# the org (generate_demo_org, seed 42, a year of lines), allocates the year's
# quotas (the company target = the year's sales, basis potential), then times,
# as of 2025-06-15 (median of 3):
#   * ours: pace_to_quota('2025-06-15', 'month') -- every rep and team, with the
#     band from the five earlier months at the same day (it reads the lines of
#     2025-01-01 .. 2025-06-15 once);
#   * plain: what a user would write for the reps alone -- credited sales per rep
#     and month to the same day and whole, the straight projection and the
#     spread of its errors over the same months (no seasonality, pipeline, teams);
#   * floor: one scan of the same lines (sum per rep; and a flat sum), and one
#     scan of all lines, with the same settings (the cluster's: serial).
# Prints the ratios ours / plain, ours / floor (the issue's target: <= 1.5 x one
# scan of the sales lines).  Hold /tmp/ss_install.lock around it:
#   flock /tmp/ss_install.lock bench/pace_to_quota.sh 10000000
set -euo pipefail
cd "$(dirname "$0")/.."
LINES=${1:-10000000}
REPS=${2:-1000}
. bench/cluster.sh
bench_cluster "$LINES" "$REPS"
bench_db sales_supervisor_bench_pace
TEAMS=$(( REPS / 6 > 1 ? REPS / 6 : 2 ))
echo "generating: $REPS reps, $TEAMS teams, $LINES sales lines ..." >&2
t0=$(now)
q "SELECT count(*) FROM generate_demo_org(seed => 42, teams => $TEAMS, depth => 3, reps => $REPS,
                                           customers => $(( REPS * 20 )), sales_lines => $LINES,
                                           surveys => $(( REPS * 3 )), reviews_per_member => 1)" >/dev/null
q "SELECT count(*) FROM allocate_quotas(2025, (SELECT round(sum(amount), -5) FROM sale), basis => 'potential')" >/dev/null
q "VACUUM ANALYZE" >/dev/null
echo "  generated in $(secs "$t0") s: $(q "SELECT count(*) FROM quota") quotas" >&2

OURS_SQL="SELECT count(*) FROM pace_to_quota('2025-06-15', 'month')"
PLAIN_SQL="WITH m AS (
    SELECT cs.member_id, date_trunc('month', cs.sold_on)::date AS month,
           sum(cs.amount) FILTER (WHERE extract(day FROM cs.sold_on) <= 15) AS to_date, sum(cs.amount) AS total
    FROM credited_sales('2025-01-01', '2025-06-15') cs GROUP BY 1, 2),
  p AS (
    SELECT m.member_id, m.month, q.amount AS quota, m.to_date, m.total,
           m.to_date * extract(day FROM (m.month + interval '1 month - 1 day')) / 15 AS projected
    FROM m JOIN fiscal_period fp ON fp.kind = 'month' AND fp.start_on = m.month
    JOIN quota q ON q.period_id = fp.period_id AND q.member_id = m.member_id)
  SELECT count(*) FROM (
    SELECT c.member_id, c.projected / c.quota AS attainment,
           (SELECT stddev_samp(h.projected / h.quota - h.total / h.quota) FROM p h
            WHERE h.member_id = c.member_id AND h.month < c.month) AS spread
    FROM p c WHERE c.month = '2025-06-01') x"
FLOOR_SQL="SELECT count(*) FROM (SELECT member_id, sum(amount) FROM sale
                                  WHERE sold_on BETWEEN '2025-01-01' AND '2025-06-15' GROUP BY 1) x"
FLAT_SQL="SELECT sum(amount) FROM sale WHERE sold_on BETWEEN '2025-01-01' AND '2025-06-15'"
FULL_SQL="SELECT count(*) FROM (SELECT member_id, sum(amount) FROM sale GROUP BY 1) x"

ROWS=$(q "$OURS_SQL")
WINDOW=$(q "SELECT count(*) FROM sale WHERE sold_on BETWEEN '2025-01-01' AND '2025-06-15'")
OURS=$(inmedian 3 "$OURS_SQL")
# its pass over the lines alone: the six points (June and the five months before, each to the 15th)
SALES=$(inmedian 3 "SELECT count(x.*) FROM pace_points_sales(
  (SELECT array_agg(period_id ORDER BY start_on DESC) FROM fiscal_period WHERE kind = 'month' AND start_on BETWEEN '2025-01-01' AND '2025-06-01'),
  ARRAY[date '2025-06-15', '2025-05-15', '2025-04-15', '2025-03-15', '2025-02-15', '2025-01-15'], '2025-06-15') x")
PLAIN=$(inmedian 3 "$PLAIN_SQL")
FLOOR=$(inmedian 3 "$FLOOR_SQL")
FLAT=$(inmedian 3 "$FLAT_SQL")
FULL=$(inmedian 3 "$FULL_SQL")
r() { awk "BEGIN { printf \"%.2f\", $1 / $2 }"; }
echo "pace_to_quota as of 2025-06-15 (month, band over 5 months): $ROWS rows (reps and teams), $WINDOW of $LINES lines read"
echo "  ours  (pace_to_quota)                      $OURS s"
echo "  ours: its pass over the lines (pace_points_sales) $SALES s   / floor = $(r "$SALES" "$FLOOR")"
echo "  plain (reps only, straight line, same band) $PLAIN s   ours / plain = $(r "$OURS" "$PLAIN")"
echo "  floor (one scan of the lines read)          $FLOOR s   ours / floor = $(r "$OURS" "$FLOOR")"
echo "  floor (one flat scan of the lines read)     $FLAT s   ours / flat = $(r "$OURS" "$FLAT")"
echo "  floor (one scan of all the lines)           $FULL s   ours / all lines = $(r "$OURS" "$FULL")"
