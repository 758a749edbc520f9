-- Layer 1, computation core: KPI attainment.

CREATE FUNCTION kpi_attainment(actual numeric, target numeric,
                               higher_is_better boolean DEFAULT true)
RETURNS numeric
AS 'MODULE_PATHNAME', 'kpi_attainment'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION kpi_attainment(numeric, numeric, boolean) IS
'Attainment of a KPI against its target as a ratio (1 = on target): actual/target when higher is better, greatest(0, 2 - actual/target) when lower is better; NULL when target = 0; error when target < 0.';
