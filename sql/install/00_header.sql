-- sales_supervisor install script, assembled by the Makefile from sql/install/*.sql
-- (one part per layer: 1x core C functions, 2x data model, 3x security,
-- 4x operations, 5x reports).  Edit the parts, not the assembled file.

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION sales_supervisor" to load this file. \quit
