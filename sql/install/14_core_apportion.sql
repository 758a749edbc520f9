-- Layer 1, computation core: exact apportionment (largest remainder with
-- water-filling bounds) -- allocate_quota, array and window forms, and
-- grade_by_distribution.  One C core (src/core/apportion.c) serves all three.

CREATE FUNCTION allocate_quota(total numeric, weights numeric[],
                               unit numeric DEFAULT 1,
                               lower numeric[] DEFAULT NULL,
                               upper numeric[] DEFAULT NULL)
RETURNS numeric[]
AS 'MODULE_PATHNAME', 'allocate_quota_array'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION allocate_quota(numeric, numeric[], numeric, numeric[], numeric[]) IS
'Split total into shares proportional to weights, in whole multiples of unit, exactly: continuous shares clamp(lambda*weight, lower, upper) summing to total, floored to the unit, leftover units to the largest remainders (ties: larger weight, then earlier element). Results are within bounds and sum exactly to total. NULL lower/upper elements mean 0 / unbounded; a NULL weight element gets NULL and takes no share. A weight may have at most 18 significant digits (22003 otherwise): round weights computed by division, for example round(x / sum(x), 12). Write weights as ARRAY[...] or cast a literal with ::numeric[]: an untyped literal such as allocate_quota(100, ''{1,2}'') resolves to the window form allocate_quota(numeric, numeric) and fails with 42809 (requires an OVER clause).';

CREATE FUNCTION allocate_quota(total numeric, weight numeric)
RETURNS numeric
AS 'MODULE_PATHNAME', 'allocate_quota_window'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION allocate_quota(numeric, numeric) IS
'Window function: split the partition''s total (equal on every row) over its rows proportionally to weight, in whole units of 1, summing exactly to total; ties go to the larger weight, then the earlier row in window order. A NULL weight gets NULL and takes no share. A weight may have at most 18 significant digits (22003 otherwise): round weights computed by division, for example round(x / sum(x), 12).';

CREATE FUNCTION allocate_quota(total numeric, weight numeric, unit numeric)
RETURNS numeric
AS 'MODULE_PATHNAME', 'allocate_quota_window'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION allocate_quota(numeric, numeric, numeric) IS
'Window function: split the partition''s total (equal on every row) over its rows proportionally to weight, in whole multiples of unit (equal on every row), summing exactly to total; ties go to the larger weight, then the earlier row in window order. A NULL weight gets NULL and takes no share. A weight may have at most 18 significant digits (22003 otherwise): round weights computed by division, for example round(x / sum(x), 12).';

CREATE FUNCTION allocate_quota(total numeric, weight numeric, unit numeric,
                               lower numeric, upper numeric)
RETURNS numeric
AS 'MODULE_PATHNAME', 'allocate_quota_window'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION allocate_quota(numeric, numeric, numeric, numeric, numeric) IS
'Window function: split the partition''s total over its rows proportionally to weight with per-row bounds (NULL lower = 0, NULL upper = unbounded) by water-filling, in whole multiples of unit, summing exactly to total; ties go to the larger weight, then the earlier row in window order. A NULL weight gets NULL and takes no share. A weight may have at most 18 significant digits (22003 otherwise): round weights computed by division, for example round(x / sum(x), 12).';

CREATE FUNCTION grade_by_distribution(grades text[], shares numeric[])
RETURNS text
AS 'MODULE_PATHNAME', 'grade_by_distribution'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION grade_by_distribution(text[], numeric[]) IS
'Window function for forced distribution: with N rows in the partition, grade g goes to allocate_quota(N, shares)[g] rows in window order (ties to the larger share, then the earlier grade); rows that are peers in the ORDER BY all take the grade of their group''s first row. Without ORDER BY every row is a peer, so all get the first grade: always order. A share may have at most 18 significant digits (22003 otherwise): round computed shares, for example round(s, 12).';
