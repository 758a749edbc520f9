-- Layer 5, operations: scale-out, writing sales lines to the shards through
-- the coordinator, with batch ids to find and repair a write that only some
-- shards committed (issue 18, part 2; docs/scale-out.md).
--   shard_write_batch          table (on every server): the parts of each
--                              batch of lines written through the coordinator,
--                              one row per batch and shard, written on the
--                              coordinator and on the shard in their own
--                              transactions
--   shard_write_sales          writes a batch of lines with their credit splits,
--                              each line on its shard; checks on the
--                              coordinator what one server's constraints check
--   shard_write_parts          batch parts on a shard and not on the
--                              coordinator, or the reverse
--   shard_half_writes          shard_write_parts for operators
--   shard_repair_writes        removes the parts of batches the coordinator
--                              did not commit
-- Why a function and not a partitioned coordinator table with foreign
-- partitions: PostgreSQL 15 allows no primary, unique or foreign key on such
-- a table and no constraint trigger on a foreign table (docs/scale-out.md,
-- fact 8), so the split rule (deferred: shares of a line sum to 100) and the
-- references could not be checked where the lines are written; the function
-- checks them on the coordinator before anything is sent, gives every write
-- its batch id, and leaves this extension's sale table -- and every single
-- server -- unchanged.

CREATE TABLE shard_write_batch (
  batch_id    bigint NOT NULL,
  shard_name  text NOT NULL CHECK (shard_name ~ '^[a-z][a-z0-9_]{0,29}$'),
  sale_ids    bigint[] NOT NULL CHECK (cardinality(sale_ids) > 0),
  written_at  timestamptz NOT NULL,
  written_by  name NOT NULL,
  PRIMARY KEY (batch_id, shard_name)
);
COMMENT ON TABLE shard_write_batch IS
'Batches of sales lines written to the shards through the coordinator (shard_write_sales): one row per batch and shard, written on the coordinator and, in the same statement, on that shard. postgres_fdw commits each server separately: a row on a shard without its row on the coordinator is a batch the coordinator did not commit (shard_half_writes, shard_repair_writes). Empty on a single server.';
COMMENT ON COLUMN shard_write_batch.batch_id IS 'The batch: the id of its first sales line (ids come from the coordinator''s sequence, so they never repeat).';
COMMENT ON COLUMN shard_write_batch.shard_name IS 'The shard this part of the batch was written to (its name on the coordinator, add_shard).';
COMMENT ON COLUMN shard_write_batch.sale_ids IS 'The sales lines of the batch written to that shard (their splits go with them).';
COMMENT ON COLUMN shard_write_batch.written_at IS 'When the coordinator wrote the batch (its transaction start).';
COMMENT ON COLUMN shard_write_batch.written_by IS 'Session user who wrote the batch on the coordinator.';
ALTER TABLE shard_write_batch ENABLE ROW LEVEL SECURITY;
CREATE POLICY shard_write_batch_hr ON shard_write_batch FOR SELECT TO sales_supervisor_hr USING (true);
GRANT SELECT ON shard_write_batch TO sales_supervisor_hr;

-- shard_write_parse: the lines of a write (a JSON array) into the temporary
-- tables _sw_line and _sw_credit, refusing what one server's NOT NULL and
-- CHECK constraints would refuse, with their SQLSTATEs.
CREATE FUNCTION shard_write_parse(lines jsonb)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  bad record;
BEGIN
  IF jsonb_typeof(lines) IS DISTINCT FROM 'array' OR jsonb_array_length(lines) = 0 THEN
    RAISE EXCEPTION 'lines must be a non-empty JSON array of sales lines' USING ERRCODE = 'invalid_parameter_value',
      HINT = '[{"sold_on": "2025-03-01", "member_id": 1, "customer_id": 1, "category_id": 1, "amount": 10.00, "credits": [...]}]';
  END IF;
  IF to_regclass('pg_temp._sw_line') IS NOT NULL THEN DROP TABLE pg_temp._sw_line; END IF;
  IF to_regclass('pg_temp._sw_credit') IS NOT NULL THEN DROP TABLE pg_temp._sw_credit; END IF;
  CREATE TEMP TABLE _sw_line ON COMMIT DROP AS
  SELECT l.n::integer AS n, NULL::bigint AS sale_id, NULL::text AS shard_name,
         (l.v->>'sold_on')::date AS sold_on, (l.v->>'member_id')::integer AS member_id,
         (l.v->>'customer_id')::integer AS customer_id, (l.v->>'category_id')::integer AS category_id,
         (l.v->>'amount')::numeric(14,2) AS amount, (l.v->>'refund_of')::bigint AS refund_of,
         (l.v->>'quantity')::numeric(12,3) AS quantity
  FROM jsonb_array_elements(lines) WITH ORDINALITY l(v, n);
  CREATE TEMP TABLE _sw_credit ON COMMIT DROP AS
  SELECT l.n::integer AS n, (c.v->>'member_id')::integer AS member_id, (c.v->>'share_pct')::numeric(5,2) AS share_pct
  FROM jsonb_array_elements(lines) WITH ORDINALITY l(v, n)
  CROSS JOIN LATERAL jsonb_array_elements(coalesce(l.v->'credits', '[]'::jsonb)) c(v);
  SELECT l.n INTO bad FROM _sw_line l
  WHERE l.sold_on IS NULL OR l.member_id IS NULL OR l.customer_id IS NULL OR l.category_id IS NULL OR l.amount IS NULL
  ORDER BY l.n LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'sales line % of the batch lacks sold_on, member_id, customer_id, category_id or amount', bad.n
      USING ERRCODE = 'null_value_not_allowed';
  END IF;
  SELECT l.n INTO bad FROM _sw_line l
  WHERE NOT CASE WHEN l.refund_of IS NULL THEN l.amount > 0 ELSE l.amount < 0 END ORDER BY l.n LIMIT 1;
  IF FOUND THEN   -- one server's CHECK constraint sale_amount_sign
    RAISE EXCEPTION 'new row for relation "sale" violates check constraint "sale_amount_sign"'
      USING ERRCODE = 'check_violation', DETAIL = format('Sales line %s of the batch: a sale is positive, a refund negative.', bad.n);
  END IF;
  SELECT c.n INTO bad FROM _sw_credit c
  WHERE c.member_id IS NULL OR c.share_pct IS NULL OR NOT (c.share_pct > 0 AND c.share_pct <= 100) ORDER BY c.n LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'a credit share of sales line % of the batch has no rep, or a share not in (0, 100]', bad.n
      USING ERRCODE = 'check_violation';
  END IF;
  SELECT c.n INTO bad FROM _sw_credit c GROUP BY c.n, c.member_id HAVING count(*) > 1 ORDER BY c.n LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'sales line % of the batch credits a rep twice', bad.n USING ERRCODE = 'unique_violation';
  END IF;
  RETURN (SELECT count(*) FROM _sw_line);
END
$$;
COMMENT ON FUNCTION shard_write_parse(jsonb) IS
'Internal step of shard_write_sales: reads the JSON array of lines into the temporary tables _sw_line and _sw_credit; refuses a non-array or empty array (22023), a line without date, rep, customer, category or amount (22004), a line whose sign does not match refund_of, a credit share without rep or outside (0, 100] (23514, as one server''s CHECK constraints) and a rep credited twice on a line (23505).';
REVOKE ALL ON FUNCTION shard_write_parse(jsonb) FROM PUBLIC;

-- shard_write_refund_homes: the shard holding each line a refund of the
-- batch reverses, read from the shards' sale tables.
CREATE FUNCTION shard_write_refund_homes()
RETURNS TABLE (sale_id bigint, shard_name text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_ids bigint[] := (SELECT array_agg(DISTINCT l.refund_of) FROM pg_temp._sw_line l WHERE l.refund_of IS NOT NULL);
BEGIN
  IF v_ids IS NULL THEN
    RETURN;
  END IF;
  RETURN QUERY EXECUTE (
    SELECT string_agg(format('SELECT s.sale_id, %L::text FROM %I.sale s WHERE s.sale_id = ANY ($1)',
                             sv.shard_name, sv.schema_name), ' UNION ALL ' ORDER BY sv.server_name)
    FROM sales_supervisor.shard_servers() sv) USING v_ids;
END
$$;
COMMENT ON FUNCTION shard_write_refund_homes() IS
'Internal step of shard_write_sales: for the lines the batch''s refunds reverse, the shard that holds each (read from every shard''s sale).';
REVOKE ALL ON FUNCTION shard_write_refund_homes() FROM PUBLIC;

-- shard_write_place: the checks that need the coordinator's rows (references,
-- the split rule: one server's foreign keys and deferred trigger), then ids
-- from the coordinator's sequence of sale and each line's shard: a sale on
-- the shard of sale_id modulo the number of shards (in the order of their
-- names), a refund on the shard of the line it reverses (the shard's foreign
-- key refund_of holds there).
CREATE FUNCTION shard_write_place()
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  bad      record;
  v_shards text[] := (SELECT array_agg(sv.shard_name ORDER BY sv.server_name) FROM sales_supervisor.shard_servers() sv);
BEGIN
  SELECT x.n, x.what, x.id INTO bad FROM (
    SELECT l.n, 'member' AS what, l.member_id::bigint AS id FROM _sw_line l
    WHERE NOT EXISTS (SELECT 1 FROM member m WHERE m.member_id = l.member_id)
    UNION ALL SELECT c.n, 'member', c.member_id FROM _sw_credit c
    WHERE NOT EXISTS (SELECT 1 FROM member m WHERE m.member_id = c.member_id)
    UNION ALL SELECT l.n, 'customer', l.customer_id FROM _sw_line l
    WHERE NOT EXISTS (SELECT 1 FROM customer cu WHERE cu.customer_id = l.customer_id)
    UNION ALL SELECT l.n, 'product category', l.category_id FROM _sw_line l
    WHERE NOT EXISTS (SELECT 1 FROM product_category pc WHERE pc.category_id = l.category_id)
    UNION ALL SELECT l.n, 'sales line (refund_of) on any shard', l.refund_of FROM _sw_line l
    WHERE l.refund_of IS NOT NULL AND NOT EXISTS (SELECT 1 FROM _sw_home h WHERE h.sale_id = l.refund_of)) x
  ORDER BY x.n LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'sales line % of the batch references % %, which does not exist', bad.n, bad.what, bad.id
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  UPDATE _sw_line l SET sale_id = i.id
  FROM (SELECT o.n, nextval(pg_get_serial_sequence('sales_supervisor.sale', 'sale_id')) AS id
        FROM (SELECT l2.n FROM _sw_line l2 ORDER BY l2.n) o) i
  WHERE i.n = l.n;
  SELECT l.sale_id, sum(c.share_pct) AS total INTO bad FROM _sw_line l JOIN _sw_credit c ON c.n = l.n
  GROUP BY l.sale_id HAVING sum(c.share_pct) <> 100 ORDER BY l.sale_id LIMIT 1;
  IF FOUND THEN   -- one server's deferred trigger sale_credit_sum_100, before anything is sent
    RAISE EXCEPTION 'credit shares of sale % sum to %, not 100', bad.sale_id, bad.total USING ERRCODE = 'check_violation';
  END IF;
  UPDATE _sw_line l
  SET shard_name = coalesce((SELECT h.shard_name FROM _sw_home h WHERE h.sale_id = l.refund_of ORDER BY h.shard_name LIMIT 1),
                            v_shards[(l.sale_id % cardinality(v_shards))::integer + 1]);
END
$$;
COMMENT ON FUNCTION shard_write_place() IS
'Internal step of shard_write_sales: refuses a line whose rep, credited rep, customer or category is not on the coordinator or whose refunded line is on no shard (23503), numbers the lines from the coordinator''s sequence of sale.sale_id, refuses a split whose shares do not sum to 100 (23514, before anything is sent), and places each line: a sale on the shard of sale_id modulo the number of shards (shards in name order), a refund on the shard of the line it reverses.';
REVOKE ALL ON FUNCTION shard_write_place() FROM PUBLIC;

-- shard_write_send: each shard's lines, their splits and its batch row, in
-- the shard's remote transaction (one per shard: postgres_fdw commits each at
-- the coordinator's commit); then the coordinator's batch rows.
CREATE FUNCTION shard_write_send()
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  sv      record;
  v_batch bigint := (SELECT min(l.sale_id) FROM _sw_line l);
BEGIN
  FOR sv IN SELECT s.shard_name, s.schema_name FROM sales_supervisor.shard_servers() s
            WHERE s.shard_name IN (SELECT l.shard_name FROM _sw_line l) ORDER BY s.server_name LOOP
    EXECUTE format('INSERT INTO %I.sale (sale_id, sold_on, member_id, customer_id, category_id, amount, refund_of,
                                         invoice_id, quantity)
                    SELECT l.sale_id, l.sold_on, l.member_id, l.customer_id, l.category_id, l.amount, l.refund_of,
                           NULL, l.quantity
                    FROM pg_temp._sw_line l WHERE l.shard_name = $1 ORDER BY l.sale_id', sv.schema_name)
      USING sv.shard_name;
    EXECUTE format('INSERT INTO %I.sale_credit (sale_id, member_id, share_pct)
                    SELECT l.sale_id, c.member_id, c.share_pct
                    FROM pg_temp._sw_line l JOIN pg_temp._sw_credit c ON c.n = l.n
                    WHERE l.shard_name = $1 ORDER BY l.sale_id, c.member_id', sv.schema_name)
      USING sv.shard_name;
    EXECUTE format('INSERT INTO %I.shard_write_batch (batch_id, shard_name, sale_ids, written_at, written_by)
                    SELECT $2, $1, array_agg(l.sale_id ORDER BY l.sale_id), now(), session_user
                    FROM pg_temp._sw_line l WHERE l.shard_name = $1', sv.schema_name)
      USING sv.shard_name, v_batch;
  END LOOP;
  INSERT INTO sales_supervisor.shard_write_batch (batch_id, shard_name, sale_ids, written_at, written_by)
  SELECT v_batch, l.shard_name, array_agg(l.sale_id ORDER BY l.sale_id), now(), session_user
  FROM _sw_line l GROUP BY l.shard_name;
  -- late lines (dated within the dates a run credited): queued on the
  -- coordinator, in its transaction, for the next run (as one server queues
  -- them); the writers' lock keeps a run out until this write commits
  INSERT INTO sales_supervisor.shard_late_sale (sale_id, shard_name, sold_on)
  SELECT l.sale_id, l.shard_name, l.sold_on FROM _sw_line l
  WHERE l.sold_on <= sales_supervisor.commission_credited_through() AND sales_supervisor.date_is_credited(l.sold_on)
  ORDER BY l.sale_id;
  RETURN v_batch;
END
$$;
COMMENT ON FUNCTION shard_write_send() IS
'Internal step of shard_write_sales: inserts each shard''s lines, their credit splits and its shard_write_batch row through the shard''s foreign tables, then the coordinator''s shard_write_batch rows and the queue rows of the late lines (shard_late_sale); returns the batch id (the first line''s id).';
REVOKE ALL ON FUNCTION shard_write_send() FROM PUBLIC;

-- shard_write_sales: the entry point.  Writers share an advisory lock that
-- shard_repair_writes takes alone, so a repair never mistakes a batch still
-- being committed for a half-committed one.
CREATE FUNCTION shard_write_sales(lines jsonb, login name DEFAULT current_user)
RETURNS TABLE (batch_id bigint, line integer, sale_id bigint, shard_name text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_batch bigint;
BEGIN
  PERFORM sales_supervisor.require_role(login, ARRAY['sales_supervisor_hr'], 'write sales lines to the shards');
  IF lines IS NULL THEN
    RAISE EXCEPTION 'lines must not be null' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  PERFORM pg_catalog.pg_advisory_xact_lock_shared(pg_catalog.hashtext('sales_supervisor.shard_write'));
  PERFORM sales_supervisor.shard_require_all();
  PERFORM sales_supervisor.shard_write_parse(lines);
  IF to_regclass('pg_temp._sw_home') IS NOT NULL THEN DROP TABLE pg_temp._sw_home; END IF;
  CREATE TEMP TABLE _sw_home ON COMMIT DROP AS SELECT * FROM sales_supervisor.shard_write_refund_homes();
  PERFORM sales_supervisor.shard_write_place();
  v_batch := sales_supervisor.shard_write_send();
  RETURN QUERY SELECT v_batch, l.n, l.sale_id, l.shard_name FROM pg_temp._sw_line l ORDER BY l.n;
END
$$;
COMMENT ON FUNCTION shard_write_sales(jsonb, name) IS
'Writes a batch of sales lines with their credit splits to the registered shards through the coordinator and returns, per line (its position in the array), the batch id, the line''s new sale_id (from the coordinator''s sequence) and its shard. lines: a JSON array of objects {sold_on, member_id, customer_id, category_id, amount, refund_of (optional), quantity (optional), credits (optional: [{member_id, share_pct}], summing to 100)}. A line and its splits go to one shard: a sale to the shard of sale_id modulo the number of shards, a refund to the shard of the line it reverses. What one server''s constraints refuse is refused before anything is sent, with their SQLSTATEs (22004, 23514, 23505, 23503); a line dated within the dates a commission run credited is queued as a late line (shard_late_sale) for the next run. Each shard commits its part at the coordinator''s commit, separately: a failure between shard commits leaves a batch on some shards only, which shard_half_writes finds and shard_repair_writes removes (then write the batch again). Lines are not billed (invoice_id NULL) (docs/scale-out.md). HR or the extension owner.';
REVOKE ALL ON FUNCTION shard_write_sales(jsonb, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION shard_write_sales(jsonb, name) TO sales_supervisor_hr;

-- shard_write_parts: batch parts on a shard and not on the coordinator (the
-- coordinator did not commit: half committed), or on the coordinator and not
-- on their shard (the shard lost a committed part: restored from a backup).
CREATE FUNCTION shard_write_parts()
RETURNS TABLE (batch_id bigint, shard_name text, sale_ids bigint[], on_shard boolean, on_coordinator boolean)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
BEGIN
  RETURN QUERY EXECUTE
    'SELECT coalesce(s.batch_id, c.batch_id), coalesce(s.shard_name, c.shard_name), coalesce(s.sale_ids, c.sale_ids),
            s.batch_id IS NOT NULL, c.batch_id IS NOT NULL
     FROM (' || (SELECT string_agg(format('SELECT b.batch_id, b.shard_name, b.sale_ids FROM %I.shard_write_batch b
                                           WHERE b.shard_name = %L', sv.schema_name, sv.shard_name),
                                   ' UNION ALL ' ORDER BY sv.server_name)
                 FROM sales_supervisor.shard_servers() sv) || ') s
     FULL JOIN sales_supervisor.shard_write_batch c ON c.batch_id = s.batch_id AND c.shard_name = s.shard_name
     WHERE s.batch_id IS NULL OR c.batch_id IS NULL
     ORDER BY 1, 2';
END
$$;
COMMENT ON FUNCTION shard_write_parts() IS
'Internal: the batch parts (shard_write_batch rows) that are on a shard but not on the coordinator, or on the coordinator but not on their shard, with their lines.';
REVOKE ALL ON FUNCTION shard_write_parts() FROM PUBLIC;

-- shard_half_writes: for operators, after a failed write or a shard crash.
CREATE FUNCTION shard_half_writes(login name DEFAULT current_user)
RETURNS TABLE (batch_id bigint, shard_name text, lines integer, on_shard boolean, on_coordinator boolean, problem text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
BEGIN
  PERFORM sales_supervisor.require_role(login, ARRAY['sales_supervisor_hr'], 'check the writes of the shards');
  PERFORM sales_supervisor.shard_require_all();
  -- wait for the writes in flight: their parts may be committed on a shard
  -- and not yet on the coordinator
  PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('sales_supervisor.shard_write'));
  RETURN QUERY
  SELECT p.batch_id, p.shard_name, cardinality(p.sale_ids), p.on_shard, p.on_coordinator,
         CASE WHEN p.on_shard
              THEN 'half committed: on the shard, not on the coordinator (shard_repair_writes removes it; write the batch again)'
              ELSE 'missing on the shard: committed on the coordinator, not on the shard (restored from a backup?); write these lines again from their source' END
  FROM sales_supervisor.shard_write_parts() p;
END
$$;
COMMENT ON FUNCTION shard_half_writes(name) IS
'The batches written through the coordinator (shard_write_sales) that are not on every server they should be: a part on a shard the coordinator did not commit (half committed: a failure between the shards'' commits), or a part the coordinator committed that its shard lacks; one row per batch and shard with the line count and what to do. Waits for writes in flight. Empty when every write is whole. HR or the extension owner.';
REVOKE ALL ON FUNCTION shard_half_writes(name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION shard_half_writes(name) TO sales_supervisor_hr;

-- shard_repair_writes: removes from the shards the parts of the batches the
-- coordinator did not commit (their lines, splits and batch rows), so that
-- the shards hold what the coordinator committed; the writer, who saw the
-- error, writes the batch again.  Parts missing on a shard are reported by
-- shard_half_writes and left alone (their lines are not on the coordinator).
CREATE FUNCTION shard_repair_writes(login name DEFAULT current_user)
RETURNS TABLE (batch_id bigint, shard_name text, lines_removed integer)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  p record;
BEGIN
  PERFORM sales_supervisor.require_role(login, ARRAY['sales_supervisor_hr'], 'repair the writes of the shards');
  PERFORM sales_supervisor.shard_require_all();
  PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('sales_supervisor.shard_write'));
  FOR p IN SELECT w.batch_id, w.shard_name, w.sale_ids, 'sales_supervisor_shard_' || w.shard_name AS schema_name
           FROM sales_supervisor.shard_write_parts() w WHERE w.on_shard AND NOT w.on_coordinator LOOP
    EXECUTE format('DELETE FROM %I.sale_credit c WHERE c.sale_id = ANY ($1)', p.schema_name) USING p.sale_ids;
    EXECUTE format('DELETE FROM %I.sale s WHERE s.sale_id = ANY ($1)', p.schema_name) USING p.sale_ids;
    EXECUTE format('DELETE FROM %I.shard_write_batch b WHERE b.batch_id = $1 AND b.shard_name = $2', p.schema_name)
      USING p.batch_id, p.shard_name;
    batch_id := p.batch_id; shard_name := p.shard_name; lines_removed := cardinality(p.sale_ids);
    RETURN NEXT;
  END LOOP;
END
$$;
COMMENT ON FUNCTION shard_repair_writes(name) IS
'Removes from the shards every part of a batch the coordinator did not commit (shard_half_writes: half committed): its sales lines, their credit splits and its shard_write_batch row, one row per part removed. Idempotent: a repair that fails on one shard is run again. The writer, whose write failed with an error, writes the batch again. Parts missing on a shard are left for the operator. HR or the extension owner.';
REVOKE ALL ON FUNCTION shard_repair_writes(name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION shard_repair_writes(name) TO sales_supervisor_hr;
