#!/usr/bin/env bash
# The documentation against a fresh install (scripts/check_docs.py does the
# work; its header has the details).  Runs inside the throw-away cluster
# (PGHOST etc. set, a superuser); prints TAP.
#
# (a) docs/reference.md lists the public API, each object with the release
#     that added it.  "Public" is defined from the catalog: the extension's
#     members in schema sales_supervisor that are
#       - base, enum and composite types, views and materialized views;
#       - aggregates, window functions and procedures;
#       - functions, except support functions (a type's input/output/send/
#         receive/typmod/analyze function in pg_type, an operator's
#         implementation or estimator in pg_operator, operator class support
#         in pg_amproc, an aggregate's transition/final/combine/serial/
#         deserial function in pg_aggregate) and trigger functions, whose
#         EXECUTE is granted to some role other than the owner (PUBLIC
#         included).
#     Each needs a row of its kind in docs/reference.md whose "since" is the
#     first release whose install script creates it (every script in
#     sql/released/ is installed to find out).  Functions executable by the
#     owner only need a row in docs/reference.md (the owner's entry points)
#     or docs/internals.md (helpers of the extension's own code); support and
#     trigger functions a row in docs/internals.md.  Reverse: every row of
#     both pages names an existing object of the kind it states (no stale
#     entries), and reference.md no support or trigger function.
# (b) Every runnable example in README.md, CONTRIBUTING.md, CHANGELOG.md and
#     docs/*.md -- a ```sql block followed by a ```text block -- prints
#     exactly its text block (psql -X -q, aligned, no footer, NULL shown as
#     (null), search_path sales_supervisor, public; a fresh database per file,
#     the file's examples in order).  A failure names the file, the line and
#     prints the diff.  Convention: CONTRIBUTING.md, "Runnable examples".
# (c) Every relative link in those files points to an existing file, and an
#     anchor to an existing heading.
set -uo pipefail
cd "$(dirname "$0")/../.."
exec python3 scripts/check_docs.py
