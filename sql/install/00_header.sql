-- sales_supervisor install script, assembled by the Makefile from sql/install/*.sql
-- in file-name order, one layer after another, each calling only what comes
-- before it: 1x computation core (C types, functions, aggregates), 2x data
-- model (tables, integrity triggers), 3x security, audit and the shared
-- sales-year helpers, 4x the sales-year steps, 5x operations (pg_cron jobs)
-- and reports (BI views), 90 pg_dump registration.  Edit the parts, not the
-- assembled file.

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION sales_supervisor" to load this file. \quit
