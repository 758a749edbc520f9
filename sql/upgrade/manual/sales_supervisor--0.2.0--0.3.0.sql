-- sales_supervisor 0.2.0 -> 0.3.0 (manual part; scripts/gen_upgrade.py fills
-- in every "--@ replace" line with the definitions of the install script).
-- Write here only what cannot be generated: schema and data migration, and
-- the DROP of a function whose signature or result type changes.  Keep one
-- section per change, in the order the install script needs them.
--
-- What changes:
--  * Cached plan values (tier tables, score curves) are keyed on the exact
--    bytes of each call's argument, never "a constant of the query" (C only).

\echo Use "ALTER EXTENSION sales_supervisor UPDATE TO '0.3.0'" to load this file. \quit

-- ---------------------------------------------------------------------------
-- Security definer functions refuse NULL in what they check (issue 12.2)
-- ---------------------------------------------------------------------------

-- ---------------------------------------------------------------------------
-- Integrity triggers see every row they judge (issue 12.3)
-- ---------------------------------------------------------------------------

-- ---------------------------------------------------------------------------
-- Scope: who changes the org structure; sales-year calls within scope (12.4, 12.5)
-- ---------------------------------------------------------------------------

-- ---------------------------------------------------------------------------
-- Grants as documented (issue 12.6)
-- ---------------------------------------------------------------------------

-- ---------------------------------------------------------------------------
-- Scheduled jobs: top level decided without message text (issue 12.7)
-- ---------------------------------------------------------------------------

-- ---------------------------------------------------------------------------
-- Reporting views: statistics, column types, comments (issue 12.8, 12.9)
-- ---------------------------------------------------------------------------
