#!/usr/bin/env python3
"""Check the documentation against a fresh install; prints TAP.

Run by test/system/docs.t inside the throw-away cluster (PGHOST etc. set, the
cluster's superuser), so psql, createdb and dropdb reach a server where the
extension built from this tree is installed.

  scripts/check_docs.py                  all checks
  scripts/check_docs.py --update [FILE]  rewrite the output block of every
                                         runnable example (of FILE only) with
                                         what psql prints now -- review the diff

(a) Reference.  "Public" is defined from the catalog of a fresh install.  The
    objects are the extension's members in schema sales_supervisor:
      - base, enum and composite types; views and materialized views; aggregates, window
        functions and procedures: public;
      - functions: support functions are internal -- those pg_type names as a
        type's input/output/send/receive/typmod/analyze function, pg_operator
        as an operator's implementation or estimator, pg_amproc as operator
        class support, pg_aggregate as an aggregate's transition, final,
        combine, serial or deserial function -- and so are trigger functions
        (returning trigger); of the others, a function whose EXECUTE is
        granted to some role other than the owner (PUBLIC included) is public,
        one executable by its owner only is the owner's.
    Every public object must have a row in docs/reference.md of its kind whose
    "since" is the first release whose install script creates it (each
    released script in sql/released/ is installed to find out).  Every
    owner-only function must have a row in docs/reference.md (an entry point
    of the owner: the demo generator, the pg_cron scheduling) or in
    docs/internals.md (a helper of the extension's own code).  Every support
    and trigger function must have a row in docs/internals.md.  Reverse: every
    row of either file names an existing object of the kind it says (with the
    right "since" wherever the table has that column), and reference.md lists
    no support or trigger function.
    A row is a Markdown table row in a table with a "kind" column (and in
    reference.md a "since" column); its first cell holds the object's name in
    backticks (`name(args)`, `name`; several spans may share a row).

(b) Examples.  In README.md, CONTRIBUTING.md, CHANGELOG.md and docs/*.md a
    ```sql block followed, with nothing but blank lines between, by a
    ```text block is a runnable example: the SQL is run and must print exactly
    the text block.  Each file gets a fresh database with the extension; its
    examples run in file order (an example may use the rows an earlier one
    wrote), each in its own psql session:
        psql -X -q -d <db>  < PREAMBLE + the block
    with stderr merged into stdout, so errors, DETAIL, HINT, NOTICE and
    WARNING lines are part of the output.  PREAMBLE (not shown in the docs):
        \\pset footer off
        \\pset null '(null)'
        \\set SHOW_CONTEXT never
        SET search_path = sales_supervisor, public;
        SET TimeZone = 'UTC';
    Each file's database is named sales_supervisor_docs (messages may name
    it).  Lines are compared without trailing blanks; leading and trailing empty
    lines do not count.  Roles an example creates are dropped after its file.
    A ```sql block without an output block is not run (schematic SQL).

(c) Links.  Every relative link in those files points to an existing file,
    and an anchor (#...) to a heading of the target (GitHub's slugs).
"""
import difflib
import glob
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PREAMBLE = ("\\pset footer off\n"
            "\\pset null '(null)'\n"
            "\\set SHOW_CONTEXT never\n"
            "SET search_path = sales_supervisor, public;\n"
            "SET TimeZone = 'UTC';\n")
KINDS = ('type', 'enum type', 'composite type', 'function', 'aggregate', 'window function', 'procedure',
         'view', 'materialized view', 'support function', 'trigger function')

CATALOG_SQL = r"""
WITH ext AS (SELECT oid FROM pg_extension WHERE extname = 'sales_supervisor'),
members AS (
  SELECT d.classid, d.objid FROM pg_depend d, ext
  WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'),
support AS (
  SELECT unnest(ARRAY[typinput, typoutput, typreceive, typsend, typmodin, typmodout,
                      typanalyze, typsubscript])::oid AS f FROM pg_type
  UNION SELECT amproc FROM pg_amproc
  UNION SELECT oprcode FROM pg_operator UNION SELECT oprrest FROM pg_operator
  UNION SELECT oprjoin FROM pg_operator
  UNION SELECT unnest(ARRAY[aggtransfn, aggfinalfn, aggcombinefn, aggserialfn, aggdeserialfn,
                            aggmtransfn, aggminvtransfn, aggmfinalfn])::oid FROM pg_aggregate)
SELECT CASE p.prokind WHEN 'a' THEN 'aggregate' WHEN 'w' THEN 'window function'
                      WHEN 'p' THEN 'procedure'
         ELSE CASE WHEN p.oid IN (SELECT f FROM support) THEN 'support function'
                   WHEN p.prorettype IN ('trigger'::regtype, 'event_trigger'::regtype)
                     THEN 'trigger function'
                   ELSE 'function' END END AS kind,
       p.proname AS name,
       CASE WHEN p.prokind IN ('a', 'w', 'p') THEN 'public'
            WHEN p.oid IN (SELECT f FROM support)
              OR p.prorettype IN ('trigger'::regtype, 'event_trigger'::regtype) THEN 'internal'
            WHEN EXISTS (SELECT 1 FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                         WHERE a.privilege_type = 'EXECUTE' AND a.grantee <> p.proowner) THEN 'public'
            ELSE 'owner' END AS audience
FROM pg_proc p JOIN members m ON m.classid = 'pg_proc'::regclass AND m.objid = p.oid
WHERE p.pronamespace = 'sales_supervisor'::regnamespace
UNION
SELECT CASE t.typtype WHEN 'e' THEN 'enum type' WHEN 'c' THEN 'composite type' ELSE 'type' END, t.typname, 'public'
FROM pg_type t JOIN members m ON m.classid = 'pg_type'::regclass AND m.objid = t.oid
WHERE t.typnamespace = 'sales_supervisor'::regnamespace
  AND (t.typtype IN ('b', 'e')
       OR (t.typtype = 'c' AND (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c'))
UNION
SELECT CASE c.relkind WHEN 'm' THEN 'materialized view' ELSE 'view' END, c.relname, 'public'
FROM pg_class c JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = c.oid
WHERE c.relnamespace = 'sales_supervisor'::regnamespace AND c.relkind IN ('v', 'm')
ORDER BY 1, 2
"""


# ---------------------------------------------------------------- TAP output
class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def result(self, ok, name, diag=()):
        self.n += 1
        print('%s %d - %s' % ('ok' if ok else 'not ok', self.n, name))
        if not ok:
            self.failed += 1
            for line in diag:
                for part in str(line).split('\n'):
                    print('# ' + part)
        sys.stdout.flush()

    def bail(self, why):
        print('Bail out! ' + why)
        sys.exit(1)


# ---------------------------------------------------------------- postgres
def run(cmd, stdin=None, timeout=300):
    return subprocess.run(cmd, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=timeout)


def query(db, sql):
    r = run(['psql', '-X', '-q', '-At', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-d', db, '-c', sql])
    if r.returncode != 0:
        raise RuntimeError('psql failed on %s: %s' % (db, r.stdout))
    return [line.split('\t') for line in r.stdout.splitlines() if line]


def new_db(name, version=None):
    run(['dropdb', '--if-exists', name])
    r = run(['createdb', name])
    if r.returncode != 0:
        raise RuntimeError('createdb %s: %s' % (name, r.stdout))
    sql = 'CREATE EXTENSION sales_supervisor' + (" VERSION '%s'" % version if version else '')
    query(name, sql)


def drop_db(name):
    run(['dropdb', '--if-exists', name])


def roles():
    return {r[0] for r in query('postgres', 'SELECT rolname FROM pg_roles')}


# ---------------------------------------------------------------- Markdown
FENCE = re.compile(r'^(```+|~~~+)\s*([A-Za-z0-9_+-]*)\s*$')


def fenced_blocks(lines):
    """(lang, first content line index, end index (the closing fence), content)"""
    blocks, i = [], 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, lang = m.group(1), m.group(2).lower()
        j = i + 1
        while j < len(lines) and not lines[j].startswith(fence[:3]):
            j += 1
        blocks.append((lang, i + 1, j, lines[i + 1:j]))
        i = j + 1
    return blocks


def examples(lines):
    """Runnable examples: a sql block and the text block right after it."""
    out, blocks = [], fenced_blocks(lines)
    for a, b in zip(blocks, blocks[1:]):
        if a[0] == 'sql' and b[0] == 'text' and all(not l.strip() for l in lines[a[2] + 1:b[1] - 1]):
            out.append({'line': a[1], 'sql': a[3], 'out_start': b[1], 'out_end': b[2],
                        'expected': b[3]})
    return out


def strip_code(lines):
    """The lines with fenced blocks blanked and inline code removed."""
    return [re.sub(r'`[^`]*`', '', l) for l in blank_fenced_blocks(lines)]


def slugs(path):
    """GitHub's anchors of a Markdown file's headings."""
    seen, out = {}, set()
    with open(path, encoding='utf-8') as f:
        lines = f.read().split('\n')
    for line in blank_fenced_blocks(lines):
        m = re.match(r'^#{1,6}\s+(.*?)\s*#*\s*$', line)
        if not m:
            continue
        s = re.sub(r'\[([^\]]*)\]\([^)]*\)', r'\1', m.group(1)).lower()
        s = re.sub(r'[^\w\- ]', '', s).replace(' ', '-')
        k = seen.get(s, 0)
        seen[s] = k + 1
        out.add(s if k == 0 else '%s-%d' % (s, k))
    return out


def blank_fenced_blocks(lines):
    """The lines with fenced blocks blanked (a '# comment' in a block is no heading)."""
    out, blocks = list(lines), fenced_blocks(lines)
    for _, s, e, _ in blocks:
        for k in range(s - 1, min(e + 1, len(out))):
            out[k] = ''
    return out


def table_rows(path):
    """Rows of the tables with a "kind" column: (line, names, kind, since, raw)."""
    with open(path, encoding='utf-8') as f:
        lines = f.read().split('\n')
    rows, header = [], None
    for i, line in enumerate(blank_fenced_blocks(lines)):
        if not line.startswith('|'):
            header = None
            continue
        cells = [c.strip() for c in re.split(r'(?<!\\)\|', line.strip())[1:-1]]
        if header is None:
            header = [c.lower() for c in cells]
            continue
        if all(re.fullmatch(r':?-+:?', c) for c in cells):
            continue
        if 'kind' not in header:
            continue
        kind = cells[header.index('kind')] if len(cells) > header.index('kind') else ''
        since = None
        if 'since' in header and len(cells) > header.index('since'):
            since = cells[header.index('since')]
        names = re.findall(r'`(?:view |type )?([a-z_][a-z0-9_]*)', cells[0])
        rows.append({'line': i + 1, 'names': names, 'kind': kind.strip('* '), 'since': since,
                     'raw': line})
    return rows


# ---------------------------------------------------------------- (a)
def versions():
    rel = []
    for p in glob.glob(os.path.join(ROOT, 'sql/released/sales_supervisor--*.sql')):
        m = re.search(r'--(\d+\.\d+\.\d+)\.sql$', p)
        if m:
            rel.append(m.group(1))
    with open(os.path.join(ROOT, 'sales_supervisor.control')) as f:
        cur = re.search(r"default_version\s*=\s*'([^']+)'", f.read()).group(1)
    key = lambda v: tuple(int(x) for x in v.split('.'))
    return sorted(set(rel), key=key), cur


def check_reference(tap, tag):
    released, current = versions()
    catalogs = {}
    for v in released + [current]:
        db = 'ss_docs_%s_v%s' % (tag, v.replace('.', '_'))
        try:
            new_db(db, v)
            catalogs[v] = query(db, CATALOG_SQL)
        finally:
            drop_db(db)
    order = released + [current]
    objects = catalogs[current]

    def since(kind, name):
        for v in order:
            if any(k == kind and n == name for k, n, _ in catalogs[v]):
                return v
        return None

    ref_path = os.path.join(ROOT, 'docs/reference.md')
    int_path = os.path.join(ROOT, 'docs/internals.md')
    ref = table_rows(ref_path) if os.path.exists(ref_path) else []
    internals = table_rows(int_path) if os.path.exists(int_path) else []
    tap.result(len(objects) > 50, 'the catalog of a fresh install lists %d objects (%s)' % (
        len(objects), ', '.join('%d %s' % (sum(1 for o in objects if o[2] == a), a)
                                for a in ('public', 'owner', 'internal'))))

    def rows_for(rows, kind, name):
        return [r for r in rows if r['kind'] == kind and name in r['names']]

    for kind, name, audience in objects:
        if audience == 'public':
            want = since(kind, name)
            rs = rows_for(ref, kind, name)
            bad = [r for r in rs if r['since'] != want]
            tap.result(rs and not bad,
                       'docs/reference.md documents %s %s (since %s)' % (kind, name, want),
                       ['no row of kind "%s" names `%s` in docs/reference.md' % (kind, name)] if not rs else
                       ['line %d says since %s; the first release that creates it is %s'
                        % (r['line'], r['since'], want) for r in bad])
    for kind, name, audience in objects:
        if audience == 'owner':
            want = since(kind, name)
            rs = rows_for(ref, kind, name)
            bad = [r for r in rs if r['since'] != want]
            ok = (rs and not bad) or (not rs and rows_for(internals, kind, name))
            tap.result(ok, 'owner-only function %s is in docs/reference.md or docs/internals.md' % name,
                       ['line %d of docs/reference.md says since %s; the first release that creates it is %s'
                        % (r['line'], r['since'], want) for r in bad] or
                       ['add a row | `%s(...)` | function | ... to docs/reference.md (an entry point) '
                        'or docs/internals.md (a helper)' % name])
    for kind in ('support function', 'trigger function'):
        missing = sorted({n for k, n, a in objects if k == kind and not rows_for(internals, kind, n)})
        tap.result(not missing, 'docs/internals.md lists every %s' % kind,
                   ['not listed (kind "%s"): %s' % (kind, ', '.join(missing))])
    known = {(k, n): a for k, n, a in objects}
    for path, rows, allowed in ((ref_path, ref, ('public', 'owner')),
                                (int_path, internals, ('owner', 'internal'))):
        rel = os.path.relpath(path, ROOT)
        stale = []
        for r in rows:
            if r['kind'] not in KINDS:
                stale.append('line %d: unknown kind "%s" (one of: %s)' % (r['line'], r['kind'], ', '.join(KINDS)))
            elif not r['names']:
                stale.append('line %d: no `name` in the first cell' % r['line'])
            for n in r['names']:
                a = known.get((r['kind'], n))
                if a is None:
                    stale.append('line %d: no %s named %s in a fresh install' % (r['line'], r['kind'], n))
                elif a not in allowed:
                    stale.append('line %d: %s %s is %s, not for %s' % (r['line'], r['kind'], n,
                                                                       a, rel))
                elif r['since'] is not None and r['since'] != since(r['kind'], n):
                    stale.append('line %d: since %s for %s, but the first release that creates it is %s'
                                 % (r['line'], r['since'], n, since(r['kind'], n)))
            if path == ref_path and r['since'] not in order:
                stale.append('line %d: since "%s" is not a release (%s)' % (r['line'], r['since'], ', '.join(order)))
        tap.result(rows and not stale, 'every row of %s names an existing object (%d rows)' % (rel, len(rows)),
                   stale or ['no rows with a "kind" column found'])


# ---------------------------------------------------------------- (b)
def normalise(lines):
    lines = [l.rstrip() for l in lines]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def run_examples(tap, tag, files, update):
    base_roles = roles()
    total = 0
    for k, path in enumerate(files):
        rel = os.path.relpath(path, ROOT)
        with open(path, encoding='utf-8') as f:
            text = f.read()
        lines = text.split('\n')
        exs = examples(lines)
        if not exs:
            continue
        db = 'sales_supervisor_docs'
        new_db(db)
        started = time.time()
        replacements = []
        try:
            for ex in exs:
                total += 1
                try:
                    r = run(['psql', '-X', '-q', '-d', db], stdin=PREAMBLE + '\n'.join(ex['sql']) + '\n',
                            timeout=120)
                    got = normalise(r.stdout.split('\n'))
                except subprocess.TimeoutExpired:
                    got = ['(timed out after 120 s)']
                want = normalise(ex['expected'])
                first = next((l.strip() for l in ex['sql'] if l.strip() and not l.startswith('--')), '')
                name = '%s:%d example runs as shown (%s)' % (rel, ex['line'], first[:60])
                if update and got != want:
                    replacements.append((ex['out_start'], ex['out_end'], got))
                    tap.result(True, name + ' -- output block rewritten')
                    continue
                diff = list(difflib.unified_diff(want, got, 'documented (%s:%d)' % (rel, ex['out_start'] + 1),
                                                 'psql prints', lineterm='', n=2))
                tap.result(got == want, name, diff[:80] + (['... (%d more diff lines)' % (len(diff) - 80)]
                                                           if len(diff) > 80 else []))
        finally:
            print('# %s: %d examples in %.1f s' % (rel, len(exs), time.time() - started))
            drop_db(db)
            for role in sorted(roles() - base_roles):
                run(['psql', '-X', '-q', '-d', 'postgres', '-c', 'DROP ROLE IF EXISTS "%s"' % role])
        if replacements:
            for s, e, got in reversed(replacements):
                lines[s:e] = got
            with open(path, 'w', encoding='utf-8') as f:
                f.write('\n'.join(lines))
    return total


# ---------------------------------------------------------------- (c)
def check_links(tap, files):
    for path in files:
        rel = os.path.relpath(path, ROOT)
        with open(path, encoding='utf-8') as f:
            lines = f.read().split('\n')
        bad, count = [], 0
        for i, line in enumerate(strip_code(lines)):
            for m in re.finditer(r'\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)', line):
                target = m.group(1)
                if re.match(r'^[a-z]+:', target):
                    continue
                count += 1
                file_part, _, anchor = target.partition('#')
                dest = os.path.normpath(os.path.join(os.path.dirname(path), file_part)) if file_part else path
                if not os.path.exists(dest):
                    bad.append('line %d: %s: no file %s' % (i + 1, target, os.path.relpath(dest, ROOT)))
                elif anchor and dest.endswith('.md') and anchor not in slugs(dest):
                    bad.append('line %d: %s: no heading with anchor #%s in %s'
                               % (i + 1, target, anchor, os.path.relpath(dest, ROOT)))
        tap.result(not bad, '%s: its %d relative links point to existing files and headings' % (rel, count),
                   bad)


def main():
    args = sys.argv[1:]
    update = '--update' in args
    only = [os.path.abspath(a) for a in args if a != '--update']
    os.chdir(ROOT)
    files = [os.path.join(ROOT, f) for f in ('README.md', 'CONTRIBUTING.md', 'CHANGELOG.md')
             if os.path.exists(os.path.join(ROOT, f))]
    files += sorted(glob.glob(os.path.join(ROOT, 'docs/*.md')))
    tap = Tap()
    tag = str(os.getpid())
    try:
        if not update:
            started = time.time()
            check_reference(tap, tag)
            print('# reference and internals checked in %.1f s' % (time.time() - started))
        run_examples(tap, tag, [f for f in files if not only or f in only], update)
        if not update:
            check_links(tap, files)
    except RuntimeError as e:
        tap.bail(str(e))
    print('1..%d' % tap.n)
    sys.exit(1 if tap.failed else 0)


if __name__ == '__main__':
    main()
