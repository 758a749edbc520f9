-- generate_demo_org on a thin org (two lines per rep): some rep's quarter
-- then nets below zero (a refund whose sale fell in an earlier quarter), and
-- its forecast is 0 -- the generator once wrote a negative forecast there and
-- failed on forecast_amount_check (seeds 9, 10 and 16 of this size).
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SELECT plan(9);

CREATE TEMP TABLE thin (seed integer, generated boolean, negative_quarters bigint, negative_forecasts bigint,
                        zero_where_negative boolean);
DO $$
DECLARE v_seed integer;
BEGIN
  FOREACH v_seed IN ARRAY ARRAY[9, 10, 16] LOOP
    PERFORM count(*) FROM generate_demo_org(seed => v_seed, teams => 20, depth => 3, reps => 200, customers => 400,
                                            sales_lines => 400, surveys => 10, replace => true);
    INSERT INTO thin
    WITH q AS (SELECT s.member_id, fp.period_id, sum(s.amount) AS net
               FROM sale s JOIN fiscal_period fp ON fp.kind = 'quarter' AND s.sold_on BETWEEN fp.start_on AND fp.end_on
               GROUP BY 1, 2)
    SELECT v_seed, true,
           (SELECT count(*) FROM q WHERE q.net < 0),
           (SELECT count(*) FROM forecast f WHERE f.amount < 0),
           (SELECT bool_and(f.amount = 0) FROM q JOIN forecast f USING (member_id, period_id) WHERE q.net < 0);
  END LOOP;
END $$;

SELECT ok((SELECT generated FROM thin WHERE seed = x), format('seed %s: the thin org is generated', x))
FROM unnest(ARRAY[9, 10, 16]) x;
SELECT ok((SELECT negative_quarters > 0 AND zero_where_negative FROM thin WHERE seed = x),
          format('seed %s: a rep''s quarter nets below zero and forecasts 0', x))
FROM unnest(ARRAY[9, 10, 16]) x;
SELECT is((SELECT negative_forecasts FROM thin WHERE seed = x), 0::bigint, format('seed %s: no negative forecast', x))
FROM unnest(ARRAY[9, 10, 16]) x;

SELECT * FROM finish();
ROLLBACK;
