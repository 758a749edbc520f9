-- sales_supervisor 0.2.0 -> 0.3.0 (manual part; scripts/gen_upgrade.py fills
-- in every "--@ replace" line with the definitions of the install script).
--
-- What changes:
--  * Cached plan values (tier tables, score curves) are keyed on the exact
--    bytes of each call's argument, never "a constant of the query" (C only).

\echo Use "ALTER EXTENSION sales_supervisor UPDATE TO '0.3.0'" to load this file. \quit
