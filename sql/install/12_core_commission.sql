-- Layer 1, computation core: tier tables and tiered_commission.

CREATE TYPE tier_table;

CREATE FUNCTION tier_table_in(cstring) RETURNS tier_table
AS 'MODULE_PATHNAME', 'tier_table_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION tier_table_out(tier_table) RETURNS cstring
AS 'MODULE_PATHNAME', 'tier_table_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION tier_table_recv(internal) RETURNS tier_table
AS 'MODULE_PATHNAME', 'tier_table_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION tier_table_send(tier_table) RETURNS bytea
AS 'MODULE_PATHNAME', 'tier_table_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE tier_table (
    INTERNALLENGTH = VARIABLE,
    INPUT = tier_table_in,
    OUTPUT = tier_table_out,
    RECEIVE = tier_table_recv,
    SEND = tier_table_send,
    ALIGNMENT = double,
    STORAGE = extended
);

COMMENT ON TYPE tier_table IS
'Commission tiers: marginal[(threshold,rate),...] (each slice earns its own rate) or flat[...] (the whole amount earns the rate of the highest threshold reached), optional " cap N"; exact decimals kept as written; thresholds strictly increasing and >= 0, rates >= 0, 1 to 1000 tiers. Equality, hashing and ordering are by value (0.02 = 0.020), but the decimals written set the scale of tiered_commission results, so equal tables written with different decimals give equal amounts with different scales (flat[(0,0.02)] gives 2.00 on 100 where flat[(0,0.020)] gives 2.000), just as numeric 1.0 = 1.00.';
COMMENT ON FUNCTION tier_table_in(cstring) IS 'Text input of tier_table: mode[(threshold,rate),...] [cap N], mode marginal or flat in any case.';
COMMENT ON FUNCTION tier_table_out(tier_table) IS 'Canonical text of a tier_table: lower-case mode, no blanks in the list, numbers with the digits they were written with.';
COMMENT ON FUNCTION tier_table_recv(internal) IS 'Binary input of tier_table; validates exactly as the text input does.';
COMMENT ON FUNCTION tier_table_send(tier_table) IS 'Binary output of tier_table: mode, cap flag, tier count, then each decimal as int8 mantissa and int4 scale.';

CREATE FUNCTION tier_table_eq(tier_table, tier_table) RETURNS boolean
AS 'MODULE_PATHNAME', 'tier_table_eq'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION tier_table_ne(tier_table, tier_table) RETURNS boolean
AS 'MODULE_PATHNAME', 'tier_table_ne'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION tier_table_eq(tier_table, tier_table) IS 'True when both tables have the same mode, cap, thresholds and rates by value (0.02 = 0.020).';
COMMENT ON FUNCTION tier_table_ne(tier_table, tier_table) IS 'True when the tables differ in mode, cap, or any threshold or rate value.';

CREATE OPERATOR = (
    LEFTARG = tier_table, RIGHTARG = tier_table,
    FUNCTION = tier_table_eq,
    COMMUTATOR = =, NEGATOR = <>,
    RESTRICT = eqsel, JOIN = eqjoinsel,
    HASHES, MERGES
);

CREATE OPERATOR <> (
    LEFTARG = tier_table, RIGHTARG = tier_table,
    FUNCTION = tier_table_ne,
    COMMUTATOR = <>, NEGATOR = =,
    RESTRICT = neqsel, JOIN = neqjoinsel
);

COMMENT ON OPERATOR = (tier_table, tier_table) IS 'tier_table equality: same mode, cap, thresholds and rates by value';
COMMENT ON OPERATOR <> (tier_table, tier_table) IS 'tier_table inequality';

CREATE FUNCTION tier_table_hash(tier_table) RETURNS integer
AS 'MODULE_PATHNAME', 'tier_table_hash'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION tier_table_hash(tier_table) IS 'Hash of a tier_table, consistent with = (for GROUP BY, DISTINCT and hash joins).';

CREATE FUNCTION tier_table_hash_extended(tier_table, bigint) RETURNS bigint
AS 'MODULE_PATHNAME', 'tier_table_hash_extended'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION tier_table_hash_extended(tier_table, bigint) IS 'Seeded 64-bit hash of a tier_table, consistent with = and with tier_table_hash (seed 0: same low 32 bits); hash partitioning uses it.';

CREATE OPERATOR CLASS tier_table_hash_ops
DEFAULT FOR TYPE tier_table USING hash AS
    OPERATOR 1 = (tier_table, tier_table),
    FUNCTION 1 tier_table_hash(tier_table),
    FUNCTION 2 tier_table_hash_extended(tier_table, bigint);

COMMENT ON OPERATOR CLASS tier_table_hash_ops USING hash IS 'Hash operator class of tier_table: GROUP BY, DISTINCT, hash joins and hash partitioning use it.';

CREATE FUNCTION tier_table_cmp(tier_table, tier_table) RETURNS integer
AS 'MODULE_PATHNAME', 'tier_table_cmp'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION tier_table_lt(tier_table, tier_table) RETURNS boolean
AS 'MODULE_PATHNAME', 'tier_table_lt'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION tier_table_le(tier_table, tier_table) RETURNS boolean
AS 'MODULE_PATHNAME', 'tier_table_le'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION tier_table_gt(tier_table, tier_table) RETURNS boolean
AS 'MODULE_PATHNAME', 'tier_table_gt'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION tier_table_ge(tier_table, tier_table) RETURNS boolean
AS 'MODULE_PATHNAME', 'tier_table_ge'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION tier_table_cmp(tier_table, tier_table) IS 'Btree comparison of tier_tables (-1, 0, 1): by mode (marginal first), then tier by tier by threshold value then rate value (a prefix first), then cap (none first, then by value); 0 exactly when = (0.02 = 0.020).';
COMMENT ON FUNCTION tier_table_lt(tier_table, tier_table) IS 'True when the first tier_table sorts before the second (tier_table_cmp order).';
COMMENT ON FUNCTION tier_table_le(tier_table, tier_table) IS 'True when the first tier_table sorts before the second or equals it (tier_table_cmp order).';
COMMENT ON FUNCTION tier_table_gt(tier_table, tier_table) IS 'True when the first tier_table sorts after the second (tier_table_cmp order).';
COMMENT ON FUNCTION tier_table_ge(tier_table, tier_table) IS 'True when the first tier_table sorts after the second or equals it (tier_table_cmp order).';

CREATE OPERATOR < (
    LEFTARG = tier_table, RIGHTARG = tier_table, FUNCTION = tier_table_lt,
    COMMUTATOR = >, NEGATOR = >=,
    RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);

CREATE OPERATOR <= (
    LEFTARG = tier_table, RIGHTARG = tier_table, FUNCTION = tier_table_le,
    COMMUTATOR = >=, NEGATOR = >,
    RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);

CREATE OPERATOR > (
    LEFTARG = tier_table, RIGHTARG = tier_table, FUNCTION = tier_table_gt,
    COMMUTATOR = <, NEGATOR = <=,
    RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);

CREATE OPERATOR >= (
    LEFTARG = tier_table, RIGHTARG = tier_table, FUNCTION = tier_table_ge,
    COMMUTATOR = <=, NEGATOR = <,
    RESTRICT = scalargesel, JOIN = scalargejoinsel
);

COMMENT ON OPERATOR < (tier_table, tier_table) IS 'tier_table less than (tier_table_cmp order)';
COMMENT ON OPERATOR <= (tier_table, tier_table) IS 'tier_table less than or equal (tier_table_cmp order)';
COMMENT ON OPERATOR > (tier_table, tier_table) IS 'tier_table greater than (tier_table_cmp order)';
COMMENT ON OPERATOR >= (tier_table, tier_table) IS 'tier_table greater than or equal (tier_table_cmp order)';

CREATE OPERATOR CLASS tier_table_btree_ops
DEFAULT FOR TYPE tier_table USING btree AS
    OPERATOR 1 < ,
    OPERATOR 2 <= ,
    OPERATOR 3 = ,
    OPERATOR 4 >= ,
    OPERATOR 5 > ,
    FUNCTION 1 tier_table_cmp(tier_table, tier_table);

COMMENT ON OPERATOR CLASS tier_table_btree_ops USING btree IS 'Btree operator class of tier_table: ORDER BY, count(DISTINCT), merge joins, unique indexes; orders by mode (marginal first), then tier by tier by threshold then rate value, then cap (none first); by value, like =.';

CREATE FUNCTION tiered_commission(amount numeric, tiers tier_table) RETURNS numeric
AS 'MODULE_PATHNAME', 'tiered_commission'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION tiered_commission(numeric, tier_table) IS
'Commission on an amount by a tier_table, in exact arithmetic: amount <= 0 (-Infinity included) earns 0, NaN and +Infinity are errors (22023), below the first threshold earns 0, marginal sums slice x rate, flat applies the highest reached rate to the whole amount, then least(result, cap). Result scale: max(amount scale, threshold scales) + max rate scale (or the cap scale if larger).';
