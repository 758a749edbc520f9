-- pg_temp.affected(sql): runs a statement as the current role and returns the
-- number of rows it touched (0 where row-level security hides every row it
-- aims at).  Pulled in with `\ir include/affected.sql`.
CREATE FUNCTION pg_temp.affected(sql text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE sql;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $$;
