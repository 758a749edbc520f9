-- Layer 1, computation core: score curves and kpi_score.

CREATE TYPE score_curve;

CREATE FUNCTION score_curve_in(cstring) RETURNS score_curve
AS 'MODULE_PATHNAME', 'score_curve_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION score_curve_out(score_curve) RETURNS cstring
AS 'MODULE_PATHNAME', 'score_curve_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION score_curve_recv(internal) RETURNS score_curve
AS 'MODULE_PATHNAME', 'score_curve_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION score_curve_send(score_curve) RETURNS bytea
AS 'MODULE_PATHNAME', 'score_curve_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE score_curve (
    INTERNALLENGTH = VARIABLE,
    INPUT = score_curve_in,
    OUTPUT = score_curve_out,
    RECEIVE = score_curve_recv,
    SEND = score_curve_send,
    ALIGNMENT = double,
    STORAGE = extended
);

COMMENT ON TYPE score_curve IS
'Maps a KPI attainment to points: linear[(x,y),...] interpolates (clamped to the first/last y, two points on one x make a right-continuous jump) or step[(x,y),...] takes the y of the last x <= attainment (0 below the first x); 1 to 1000 finite points.';
COMMENT ON FUNCTION score_curve_in(cstring) IS 'Text input of score_curve: mode[(x,y),...], mode linear or step in any case, blanks allowed.';
COMMENT ON FUNCTION score_curve_out(score_curve) IS 'Canonical text of a score_curve: lower-case mode, no blanks, shortest float8 text of each number.';
COMMENT ON FUNCTION score_curve_recv(internal) IS 'Binary input of score_curve; validates exactly as the text input does.';
COMMENT ON FUNCTION score_curve_send(score_curve) IS 'Binary output of score_curve: mode byte, int4 point count, float8 x and y of each point.';

CREATE FUNCTION score_curve_eq(score_curve, score_curve) RETURNS boolean
AS 'MODULE_PATHNAME', 'score_curve_eq'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION score_curve_ne(score_curve, score_curve) RETURNS boolean
AS 'MODULE_PATHNAME', 'score_curve_ne'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION score_curve_eq(score_curve, score_curve) IS 'True when both curves have the same mode and the same points.';
COMMENT ON FUNCTION score_curve_ne(score_curve, score_curve) IS 'True when the curves differ in mode or in any point.';

CREATE OPERATOR = (
    LEFTARG = score_curve, RIGHTARG = score_curve,
    FUNCTION = score_curve_eq,
    COMMUTATOR = =, NEGATOR = <>,
    RESTRICT = eqsel, JOIN = eqjoinsel,
    HASHES, MERGES
);

CREATE OPERATOR <> (
    LEFTARG = score_curve, RIGHTARG = score_curve,
    FUNCTION = score_curve_ne,
    COMMUTATOR = <>, NEGATOR = =,
    RESTRICT = neqsel, JOIN = neqjoinsel
);

COMMENT ON OPERATOR = (score_curve, score_curve) IS 'score_curve equality: same mode and same points';
COMMENT ON OPERATOR <> (score_curve, score_curve) IS 'score_curve inequality';

CREATE FUNCTION score_curve_hash(score_curve) RETURNS integer
AS 'MODULE_PATHNAME', 'score_curve_hash'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION score_curve_hash(score_curve) IS 'Hash of a score_curve, consistent with = (for GROUP BY, DISTINCT and hash joins).';

CREATE FUNCTION score_curve_hash_extended(score_curve, bigint) RETURNS bigint
AS 'MODULE_PATHNAME', 'score_curve_hash_extended'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION score_curve_hash_extended(score_curve, bigint) IS 'Seeded 64-bit hash of a score_curve, consistent with = and with score_curve_hash (seed 0: same low 32 bits); hash partitioning uses it.';

CREATE OPERATOR CLASS score_curve_hash_ops
DEFAULT FOR TYPE score_curve USING hash AS
    OPERATOR 1 = (score_curve, score_curve),
    FUNCTION 1 score_curve_hash(score_curve),
    FUNCTION 2 score_curve_hash_extended(score_curve, bigint);

COMMENT ON OPERATOR CLASS score_curve_hash_ops USING hash IS 'Hash operator class of score_curve: GROUP BY, DISTINCT, hash joins and hash partitioning use it.';

CREATE FUNCTION score_curve_cmp(score_curve, score_curve) RETURNS integer
AS 'MODULE_PATHNAME', 'score_curve_cmp'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION score_curve_lt(score_curve, score_curve) RETURNS boolean
AS 'MODULE_PATHNAME', 'score_curve_lt'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION score_curve_le(score_curve, score_curve) RETURNS boolean
AS 'MODULE_PATHNAME', 'score_curve_le'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION score_curve_gt(score_curve, score_curve) RETURNS boolean
AS 'MODULE_PATHNAME', 'score_curve_gt'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION score_curve_ge(score_curve, score_curve) RETURNS boolean
AS 'MODULE_PATHNAME', 'score_curve_ge'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION score_curve_cmp(score_curve, score_curve) IS 'Btree comparison of score_curves (-1, 0, 1): by mode (linear first), then point by point by x, then y, a curve that is a prefix of another first; 0 exactly when =.';
COMMENT ON FUNCTION score_curve_lt(score_curve, score_curve) IS 'True when the first score_curve sorts before the second (score_curve_cmp order).';
COMMENT ON FUNCTION score_curve_le(score_curve, score_curve) IS 'True when the first score_curve sorts before the second or equals it (score_curve_cmp order).';
COMMENT ON FUNCTION score_curve_gt(score_curve, score_curve) IS 'True when the first score_curve sorts after the second (score_curve_cmp order).';
COMMENT ON FUNCTION score_curve_ge(score_curve, score_curve) IS 'True when the first score_curve sorts after the second or equals it (score_curve_cmp order).';

CREATE OPERATOR < (
    LEFTARG = score_curve, RIGHTARG = score_curve, FUNCTION = score_curve_lt,
    COMMUTATOR = >, NEGATOR = >=,
    RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);

CREATE OPERATOR <= (
    LEFTARG = score_curve, RIGHTARG = score_curve, FUNCTION = score_curve_le,
    COMMUTATOR = >=, NEGATOR = >,
    RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);

CREATE OPERATOR > (
    LEFTARG = score_curve, RIGHTARG = score_curve, FUNCTION = score_curve_gt,
    COMMUTATOR = <, NEGATOR = <=,
    RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);

CREATE OPERATOR >= (
    LEFTARG = score_curve, RIGHTARG = score_curve, FUNCTION = score_curve_ge,
    COMMUTATOR = <=, NEGATOR = <,
    RESTRICT = scalargesel, JOIN = scalargejoinsel
);

COMMENT ON OPERATOR < (score_curve, score_curve) IS 'score_curve less than (score_curve_cmp order)';
COMMENT ON OPERATOR <= (score_curve, score_curve) IS 'score_curve less than or equal (score_curve_cmp order)';
COMMENT ON OPERATOR > (score_curve, score_curve) IS 'score_curve greater than (score_curve_cmp order)';
COMMENT ON OPERATOR >= (score_curve, score_curve) IS 'score_curve greater than or equal (score_curve_cmp order)';

CREATE OPERATOR CLASS score_curve_btree_ops
DEFAULT FOR TYPE score_curve USING btree AS
    OPERATOR 1 < ,
    OPERATOR 2 <= ,
    OPERATOR 3 = ,
    OPERATOR 4 >= ,
    OPERATOR 5 > ,
    FUNCTION 1 score_curve_cmp(score_curve, score_curve);

COMMENT ON OPERATOR CLASS score_curve_btree_ops USING btree IS 'Btree operator class of score_curve: ORDER BY, count(DISTINCT), merge joins, unique indexes; orders by mode (linear first), then point by point by x, then y.';

CREATE FUNCTION score_curve(x float8[], y float8[], mode text DEFAULT 'linear')
RETURNS score_curve
AS 'MODULE_PATHNAME', 'score_curve_make'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION score_curve(float8[], float8[], text) IS
'Builds a score_curve from parallel x and y arrays and a mode (linear or step), with the checks of the text input.';

CREATE FUNCTION kpi_score(attainment float8, curve score_curve) RETURNS float8
AS 'MODULE_PATHNAME', 'kpi_score'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION kpi_score(float8, score_curve) IS
'Points for an attainment on a score_curve (binary search over the points); NaN is an error, +/-Infinity clamp to the ends.';
