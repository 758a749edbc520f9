#!/usr/bin/env bash
# Scale-out, writes through the coordinator and half-committed batches
# (issue 18, part 2; docs/scale-out.md).  Two shard clusters (throw-away,
# ports 5472 and 5473, scram password authentication over TCP).
#
# The org: generate_demo_org(seed 5, 4 teams, depth 2, 8 reps, 40 customers,
# 400 lines, 20 surveys) in the coordinator's database and, with the same seed,
# in each shard's; each shard keeps its half of the lines (sale_id even: a,
# odd: b).  The coordinator's own tables are the single server: every batch
# written to the shards through shard_write_sales is also inserted into the
# coordinator's sale and sale_credit with the ids it was given, so the shards'
# credited sales must equal the single server's to the cent after every step.
# A write is then cut by stopping a shard between the shards' inserts and the
# coordinator's commit: the write must fail with an error, shard_half_writes
# must find the part the other shard committed, and shard_repair_writes must
# remove it so that the shards again equal the single server.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

echo "1..25"
. "$(dirname "$0")/shards_lib.sh"
shards_setup shards_writes 5472 5473

ORG="SELECT count(*) FROM generate_demo_org(seed => 5, teams => 4, depth => 2, reps => 8, customers => 40,
                                            sales_lines => 400, surveys => 20)"
load_shard() {   # load_shard NAME KEEP(0|1): the org, half of the lines, the coordinator's login
  sq "$1" "CREATE EXTENSION sales_supervisor" >/dev/null &&
  sq "$1" "$ORG" >/dev/null &&
  sq "$1" "SET session_replication_role = replica;
           DELETE FROM sale_credit WHERE sale_id % 2 <> $2; DELETE FROM sale WHERE sale_id % 2 <> $2" >/dev/null &&
  sq "$1" "CREATE ROLE ss_coordinator LOGIN PASSWORD 'pw-$1' BYPASSRLS; GRANT sales_supervisor_manager TO ss_coordinator;
           GRANT SELECT, INSERT, UPDATE, DELETE ON sale, sale_credit, shard_write_batch TO ss_coordinator" >/dev/null
}
Y="'2025-01-01', '2025-12-31'"
# same_as_one_server: the shards' credited sales = the single server's, row for row
same_as_one_server() {
  q "SELECT count(*) FROM ((SELECT * FROM credited_sales_by_month($Y) EXCEPT ALL SELECT * FROM shard_credited_sales_by_month($Y))
                           UNION ALL
                           (SELECT * FROM shard_credited_sales_by_month($Y) EXCEPT ALL SELECT * FROM credited_sales_by_month($Y))) d"
}
# mirror BATCH_JSON RESULT_ROWS: the single server's copy of a written batch,
# with the ids shard_write_sales gave (RESULT_ROWS: "line|sale_id" lines)
mirror() {
  local ids; ids=$(printf '%s\n' "$2" | awk -F'|' '{ printf "%s(%s, %s)", (NR > 1 ? ", " : ""), $1, $2 }')
  q "WITH ids(n, sale_id) AS (VALUES $ids),
          l AS (SELECT ids.sale_id, j.v FROM jsonb_array_elements('$1'::jsonb) WITH ORDINALITY j(v, n) JOIN ids USING (n)),
          s AS (INSERT INTO sale (sale_id, sold_on, member_id, customer_id, category_id, amount, refund_of)
                SELECT l.sale_id, (l.v->>'sold_on')::date, (l.v->>'member_id')::integer, (l.v->>'customer_id')::integer,
                       (l.v->>'category_id')::integer, (l.v->>'amount')::numeric, (l.v->>'refund_of')::bigint FROM l
                RETURNING 1)
     INSERT INTO sale_credit (sale_id, member_id, share_pct)
     SELECT l.sale_id, (c->>'member_id')::integer, (c->>'share_pct')::numeric
     FROM l CROSS JOIN LATERAL jsonb_array_elements(coalesce(l.v->'credits', '[]')) c
     WHERE (SELECT count(*) FROM s) > 0" >/dev/null
}

# 1-3: the clusters, the shards registered
new_db "$DB"
trap shards_cleanup EXIT
q "$ORG" >/dev/null
q "CREATE EXTENSION postgres_fdw" >/dev/null
q "CREATE ROLE $REP_ROLE; GRANT sales_supervisor_rep TO $REP_ROLE" >/dev/null
if start_shard a && start_shard b; then ok "two shard clusters started"; else nok "two shard clusters started" "$(cat "$TMP"/*/log 2>/dev/null)"; echo "Bail out!"; exit 1; fi
if load_shard a 0 && load_shard b 1; then ok "shards hold the org and half of the lines each"
else nok "shards hold the org and half of the lines each"; echo "Bail out!"; exit 1; fi
check "add_shard registers a and b" \
  "$(q "SELECT count(*) FROM (SELECT * FROM add_shard('a', '127.0.0.1', 5472, 'postgres', 'ss_coordinator', 'pw-a')
                              UNION ALL SELECT * FROM add_shard('b', '127.0.0.1', 5473, 'postgres', 'ss_coordinator', 'pw-b')) x")" "2"

# the batch: three sales, a 60/40 split, a refund of line 2 (on shard a: even) and of line 3 (shard b)
R1=$(q "SELECT member_id FROM member WHERE level = 'sales_rep' ORDER BY member_id LIMIT 1")
R2=$(q "SELECT member_id FROM member WHERE level = 'sales_rep' ORDER BY member_id OFFSET 1 LIMIT 1")
C1=$(q "SELECT min(customer_id) FROM customer")
K1=$(q "SELECT min(category_id) FROM product_category")
REF_A=$(q "SELECT min(sale_id) FROM sale WHERE refund_of IS NULL AND sale_id % 2 = 0 AND sale_id NOT IN (SELECT sale_id FROM sale_credit)")
REF_B=$(q "SELECT min(sale_id) FROM sale WHERE refund_of IS NULL AND sale_id % 2 = 1 AND sale_id NOT IN (SELECT sale_id FROM sale_credit)")
line() { echo "{\"sold_on\": \"$1\", \"member_id\": $2, \"customer_id\": $C1, \"category_id\": $K1, \"amount\": $3${4-}}"; }
BATCH="[$(line 2025-03-03 "$R1" 100.00), $(line 2025-03-04 "$R1" 200.01), $(line 2025-07-15 "$R2" 0.05),
        $(line 2025-07-16 "$R2" 333.33 ", \"credits\": [{\"member_id\": $R1, \"share_pct\": 60}, {\"member_id\": $R2, \"share_pct\": 40}]"),
        {\"sold_on\": \"2025-08-01\", \"member_id\": $R1, \"customer_id\": $C1, \"category_id\": $K1, \"amount\": -10.00, \"refund_of\": $REF_A},
        {\"sold_on\": \"2025-08-02\", \"member_id\": $R1, \"customer_id\": $C1, \"category_id\": $K1, \"amount\": -0.01, \"refund_of\": $REF_B}]"
BATCH=$(echo "$BATCH" | tr '\n' ' ')

# 4-10: a batch written through the coordinator
LINES_BEFORE=$(( $(sq a "SELECT count(*) FROM sale") + $(sq b "SELECT count(*) FROM sale") ))
TOTAL0=$(q "SELECT sum(amount) FROM shard_credited_sales_by_month($Y)")
OUT=$(q "SELECT line || '|' || sale_id || '|' || shard_name || '|' || batch_id FROM shard_write_sales('$BATCH')")
mirror "$BATCH" "$OUT"
check "shard_write_sales writes the 6 lines and says where each went" "$(printf '%s\n' "$OUT" | grep -c '|')" "6" "$OUT"
MISPLACED=0; ONCE=0
while IFS='|' read -r ln id shard batch; do
  on_a=$(sq a "SELECT count(*) FROM sale WHERE sale_id = $id"); on_b=$(sq b "SELECT count(*) FROM sale WHERE sale_id = $id")
  [ $((on_a + on_b)) -eq 1 ] && ONCE=$((ONCE + 1))
  want=$([ $((id % 2)) -eq 0 ] && echo a || echo b)
  [ "$ln" = 5 ] && want=a; [ "$ln" = 6 ] && want=b   # a refund goes where its line is
  { [ "$shard" = "$want" ] && [ "$(sq "$want" "SELECT count(*) FROM sale WHERE sale_id = $id")" = 1 ]; } || MISPLACED=$((MISPLACED + 1))
done <<< "$OUT"
check "every line is on exactly one shard" "$ONCE" "6"
check "each on its shard: a sale by sale_id mod 2, a refund on its line's shard" "$MISPLACED" "0" "$OUT"
SPLIT=$(printf '%s\n' "$OUT" | awk -F'|' '$1 == 4 { print $2 "|" $3 }')
check "the split line's two shares are on its shard, 60 and 40" \
  "$(sq "${SPLIT#*|}" "SELECT string_agg(share_pct::text, ' ' ORDER BY share_pct DESC) FROM sale_credit WHERE sale_id = ${SPLIT%|*}")" "60.00 40.00"
check "the shards hold the lines before plus the batch" "$(( $(sq a "SELECT count(*) FROM sale") + $(sq b "SELECT count(*) FROM sale") ))" "$((LINES_BEFORE + 6))"
check "credited sales over the shards = the single server, to the cent, after the write" "$(same_as_one_server)" "0"
# the batch's own total, by hand: 100.00 + 200.01 + 0.05 + 333.33 - 10.00 - 0.01 = 623.38
check "the batch adds 623.38 to the shards' credited total (by hand)" \
  "$(q "SELECT sum(amount) FROM shard_credited_sales_by_month($Y)")" "$(q "SELECT $TOTAL0 + 623.38")"
check "the batch is whole: on the coordinator and its shards, nothing for shard_half_writes" \
  "$(q "SELECT count(*) FROM shard_write_batch")/$(q "SELECT count(*) FROM shard_half_writes()")" "2/0"

# 11-16: what one server refuses is refused, before anything is sent
BAD_SPLIT="[$(line 2025-05-05 "$R1" 50.00 ", \"credits\": [{\"member_id\": $R1, \"share_pct\": 60}, {\"member_id\": $R2, \"share_pct\": 30}]")]"
out=$(q "SELECT * FROM shard_write_sales('$BAD_SPLIT')" 2>&1)
one=$(q "BEGIN; INSERT INTO sale (sale_id, sold_on, member_id, customer_id, category_id, amount) VALUES (999999, '2025-05-05', $R1, $C1, $K1, 50.00);
         INSERT INTO sale_credit VALUES (999999, $R1, 60), (999999, $R2, 30); COMMIT;" 2>&1)
like "a split summing to 90 is refused as on one server (one server: ${one%%$'\n'*})" "$out" 'ERROR:  credit shares of sale [0-9]* sum to 90.00, not 100'
like "(one server's refusal, for comparison)" "$one" 'ERROR:  credit shares of sale 999999 sum to 90.00, not 100'
out=$(q "SELECT * FROM shard_write_sales('[$(line 2025-05-05 "$R1" 50.00 ", \"refund_of\": $REF_A")]')" 2>&1)
like "a refund with a positive amount: one server's check constraint" "$out" 'violates check constraint "sale_amount_sign"'
out=$(q "SELECT * FROM shard_write_sales('[{\"sold_on\": \"2025-05-05\", \"member_id\": $R1, \"customer_id\": $C1, \"category_id\": $K1, \"amount\": -5, \"refund_of\": 987654321}]')" 2>&1)
like "a refund of a line on no shard: a foreign key violation" "$out" 'references sales line (refund_of) on any shard 987654321, which does not exist'
out=$(psql -X -q -At -d "$DB" -c "SET ROLE $REP_ROLE" -c "SELECT * FROM sales_supervisor.shard_write_sales('$BATCH')" 2>&1)
like "a rep may not write to the shards" "$out" 'permission denied for function shard_write_sales'
check "nothing was written by the refused writes" \
  "$(( $(sq a "SELECT count(*) FROM sale") + $(sq b "SELECT count(*) FROM sale") ))/$(q "SELECT count(*) FROM shard_write_batch")" "$((LINES_BEFORE + 6))/2"

# 17-24: a shard stopped between the shards' inserts and the commit.
# postgres_fdw commits the shards one after the other at the coordinator's
# commit, in an order of its own: the write is cut by stopping one shard
# while the write's transaction is open; if that shard was to commit first
# the other is rolled back (nothing to repair), so the other shard is tried
# next: one of the two leaves a half-committed batch.
CUT="[$(line 2025-09-01 "$R1" 11.00), $(line 2025-09-02 "$R2" 22.00), $(line 2025-09-03 "$R1" 33.00), $(line 2025-09-04 "$R2" 44.00)]"
HALF=""; ERRORS=0; TRIES=0
for victim in b a; do
  TRIES=$((TRIES + 1))
  held 4 "SELECT count(*) FROM shard_write_sales('$CUT')" |
    psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" >"/tmp/$DB.cut$victim.out" 2>"/tmp/$DB.cut$victim.err" &
  sleep 2
  "${AS[@]}" "$BIN/pg_ctl" -D "$TMP/$victim/data" -m fast -w stop >/dev/null
  wait
  grep -q 'ERROR' "/tmp/$DB.cut$victim.err" && ERRORS=$((ERRORS + 1))
  echo "# stopping $victim: $(tr '\n' ' ' < "/tmp/$DB.cut$victim.err" | cut -c1-200)"
  start_shard "$victim"
  HALF=$(q "SELECT format('%s %s %s %s', shard_name, lines, on_shard, on_coordinator) FROM shard_half_writes()")
  [ -n "$HALF" ] && break
done
check "the cut write fails with an error at the commit, every time ($TRIES tries)" "$ERRORS" "$TRIES"
check "the coordinator committed nothing of it" "$(q "SELECT count(*) FROM shard_write_batch")" "2"
SURVIVOR=$([ "$victim" = b ] && echo a || echo b)
check "shard_half_writes finds the batch on the shard that committed ($SURVIVOR), not on the coordinator" "$HALF" \
  "$SURVIVOR 2 t f"
check "...and it made the shards differ from the single server (2 lines too many)" \
  "$(( $(sq a "SELECT count(*) FROM sale") + $(sq b "SELECT count(*) FROM sale") ))" "$((LINES_BEFORE + 8))"
check "shard_repair_writes removes that part: 2 lines" "$(q "SELECT format('%s %s', shard_name, lines_removed) FROM shard_repair_writes()")" "$SURVIVOR 2"
check "after the repair: nothing half written, the shards = the single server to the cent" \
  "$(q "SELECT count(*) FROM shard_half_writes()")/$(same_as_one_server)/$(( $(sq a "SELECT count(*) FROM sale") + $(sq b "SELECT count(*) FROM sale") ))" \
  "0/0/$((LINES_BEFORE + 6))"
OUT=$(q "SELECT line || '|' || sale_id FROM shard_write_sales('$CUT')")
mirror "$CUT" "$OUT"
check "the batch written again lands whole: = the single server to the cent" \
  "$(q "SELECT count(*) FROM shard_half_writes()")/$(same_as_one_server)/$(q "SELECT count(*) FROM shard_write_batch")" "0/0/4"
out=$(psql -X -q -At -d "$DB" -c "SET ROLE $REP_ROLE" -c "SELECT * FROM sales_supervisor.shard_repair_writes()" 2>&1)
like "a rep may not repair the shards" "$out" 'permission denied for function shard_repair_writes'
finish
