#!/usr/bin/env python3
"""Assemble an upgrade script sales_supervisor--A--B.sql.

Usage: gen_upgrade.py INSTALL_SCRIPT MANUAL_PART > sales_supervisor--A--B.sql

MANUAL_PART (sql/upgrade/manual/sales_supervisor--A--B.sql) is written by hand:
the schema and data migration of the release, in order.  Wherever it says

    --@ replace function name1, name2
    --@ replace view v_name
    --@ replace procedure name3
    --@ replace materialized view v_name      (with its indexes)
    --@ create policies on table1, table2     (new row-level security)
    --@ create table t1, t2                   (new tables, with indexes and comments)
    --@ create type ty / create trigger tg    (new types and triggers, with comments)
    --@ create aggregate agg                  (new aggregates, with comments and grants)
    --@ comments on table t1                  (every COMMENT ON TABLE / COLUMN of t1)

the generator puts the definitions of those objects as the install script
(INSTALL_SCRIPT, assembled from sql/install/) has them now, with every
statement that follows them there and names them: COMMENT ON, GRANT, REVOKE,
ALTER.  Functions and procedures become CREATE OR REPLACE (every overload of
the name); views of one directive are dropped first, dependents before what
they read (reverse install order), then created in install order with their
comments and grants -- so a view may change its columns.  A function whose
signature or result type changes needs its DROP in the manual part before
the directive.

The upgrade system test (test/system/upgrade.t) is the judge: the upgraded
catalog must equal a fresh install's.
"""
import re
import sys

KINDS = {
    'function': r'FUNCTION',
    'procedure': r'PROCEDURE',
    'view': r'VIEW',
    'materialized view': r'MATERIALIZED\s+VIEW',
    'table': r'TABLE',
    'type': r'TYPE',
    'trigger': r'TRIGGER',
    'aggregate': r'AGGREGATE',
}
IDENT = r'(?:sales_supervisor\.)?"?([a-z_][a-z0-9_]*)"?'


def split_statements(text):
    """Split SQL text into statements (with their leading comments) at top-level
    semicolons, honouring '...' strings, "..." identifiers, $tag$ bodies,
    -- / /* */ comments and SQL-standard bodies (BEGIN ATOMIC ... END, whose
    statements end in semicolons too: CASE and BEGIN ATOMIC open a level that
    END closes, and a semicolon splits only at level 0)."""
    out, start, i, n = [], 0, 0, len(text)
    depth, prev_word = 0, ''
    while i < n:
        c = text[i]
        if text.startswith('--', i):
            j = text.find('\n', i)
            i = n if j < 0 else j + 1
        elif text.startswith('/*', i):
            j = text.find('*/', i + 2)
            if j < 0:
                raise SystemExit('unterminated /* comment')
            i = j + 2
        elif c in ("'", '"'):
            j = i + 1
            while True:
                j = text.find(c, j)
                if j < 0:
                    raise SystemExit('unterminated %s quote at offset %d' % (c, i))
                if text.startswith(c + c, j):
                    j += 2
                    continue
                break
            i = j + 1
        elif c == '$':
            m = re.match(r'\$([A-Za-z_][A-Za-z0-9_]*)?\$', text[i:])
            if m:
                tag = m.group(0)
                j = text.find(tag, i + len(tag))
                if j < 0:
                    raise SystemExit('unterminated %s body at offset %d' % (tag, i))
                i = j + len(tag)
            else:
                i += 1
        elif c == ';' and depth == 0:
            out.append(text[start:i + 1])
            start = i = i + 1
        elif (c.isalpha() or c == '_') and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] in '_$')):
            m = re.match(r'[A-Za-z_][A-Za-z0-9_$]*', text[i:])
            word = m.group(0).upper()
            if word == 'CASE' or (word == 'ATOMIC' and prev_word == 'BEGIN'):
                depth += 1
            elif word == 'END' and depth > 0:
                depth -= 1
            prev_word = word
            i += len(word)
        else:
            i += 1
    if text[start:].strip():
        out.append(text[start:])
    return out


def strip_comments(stmt):
    """The statement without its leading comment lines and blank lines."""
    lines = stmt.split('\n')
    while lines and (not lines[0].strip() or lines[0].lstrip().startswith('--')):
        lines.pop(0)
    return '\n'.join(lines)


def defines(stmt, kind, name):
    """Does stmt create the object kind/name?"""
    pat = r'CREATE\s+(?:OR\s+REPLACE\s+)?%s\s+%s\s*[(\s]' % (KINDS[kind], IDENT)
    m = re.match(pat, stmt, re.I)
    return bool(m) and m.group(1) == name


def names(stmt, kind, name):
    """Does a COMMENT / GRANT / REVOKE / ALTER statement name kind/name?"""
    if not re.match(r'(COMMENT|GRANT|REVOKE|ALTER)\b', stmt, re.I):
        return False
    if re.match(r'ALTER\s+EXTENSION', stmt, re.I):
        return False
    kw = KINDS[kind]
    if kind == 'table':
        kw = r'(?:TABLE|COLUMN)'
    if kind in ('view', 'materialized view', 'table'):
        if kind != 'table':
            kw = r'(?:%s|TABLE|COLUMN)' % KINDS[kind]
        # GRANT ... ON v1, v2 TO ...: plain relation lists name views too
        m = re.match(r'(?:GRANT|REVOKE)\b.*?\bON\s+(?:TABLE\s+)?(.*?)\s+(?:TO|FROM)\b', stmt, re.I | re.S)
        if m and not re.match(r'(FUNCTION|PROCEDURE|SCHEMA|SEQUENCE|TYPE)\b', m.group(1), re.I):
            rels = [r.strip().split('.')[-1].strip('"') for r in m.group(1).split(',')]
            return name in rels
    for m in re.finditer(r'\b%s\s+%s' % (kw, IDENT), stmt, re.I):
        if m.group(1) == name:
            return True
    # a function list after the first: "ON FUNCTION a(int), b(text) TO"
    if kind in ('function', 'procedure'):
        m = re.search(r'\bON\s+(?:FUNCTION|PROCEDURE|ROUTINE)\s+(.*?)\s+(?:TO|FROM)\b', stmt, re.I | re.S)
        if m:
            for part in re.finditer(r'(?:^|,)\s*%s\s*\(' % IDENT, m.group(1)):
                if part.group(1) == name:
                    return True
    return False


def index_of(stmt, name):
    """Is stmt a CREATE INDEX on relation name?"""
    m = re.match(r'CREATE\s+(?:UNIQUE\s+)?INDEX\s+.*?\bON\s+%s\b' % IDENT, stmt, re.I | re.S)
    return bool(m) and m.group(1) == name


def policy_part_of(stmt, table):
    """Is stmt a CREATE POLICY on table, or the ALTER TABLE enabling its row-level security?"""
    m = re.match(r'CREATE\s+POLICY\s+\S+\s+ON\s+%s\b' % IDENT, stmt, re.I) or \
        re.match(r'ALTER\s+TABLE\s+%s\s+ENABLE\s+ROW\s+LEVEL\s+SECURITY' % IDENT, stmt, re.I)
    return bool(m) and m.group(1) == table


def column_comment_of(stmt, name):
    m = re.match(r'COMMENT\s+ON\s+COLUMN\s+%s\.' % IDENT, stmt, re.I)
    return bool(m) and m.group(1) == name


def pieces_for(stmts, kind, name):
    """(definition, [following statements naming it]) from the install script."""
    found = None
    follow = []
    for idx, raw in enumerate(stmts):
        s = strip_comments(raw)
        if defines(s, kind, name):
            found = idx if found is None else found
            follow.append((idx, raw, 'def'))
        elif names(s, kind, name) or (kind in ('view', 'materialized view', 'table')
                                      and (column_comment_of(s, name) or index_of(s, name))):
            follow.append((idx, raw, 'attr'))
    if found is None:
        raise SystemExit('gen_upgrade: %s %s is not in the install script' % (kind, name))
    return follow


def render(stmts, kind, objs):
    """The definitions of objs (in order), then every statement naming any of
    them (COMMENT, GRANT, REVOKE, ALTER, indexes) once, in install order: a
    GRANT naming several views comes after all of them exist."""
    out = []
    if kind in ('view', 'materialized view'):
        order = sorted(objs, key=lambda o: pieces_for(stmts, kind, o)[0][0])
        for o in reversed(order):
            out.append('DROP %s IF EXISTS sales_supervisor.%s;\n' % (kind.upper(), o))
        objs = order
    attrs = {}
    for o in objs:
        for idx, raw, what in pieces_for(stmts, kind, o):
            s = raw.strip('\n')
            if what == 'attr':
                attrs[idx] = s
                continue
            if kind in ('function', 'procedure'):
                s = re.sub(r'CREATE\s+(?!OR\s+REPLACE)(FUNCTION|PROCEDURE)', r'CREATE OR REPLACE \1', s, count=1, flags=re.I)
            out.append(s + '\n')
    out.extend(attrs[i] + '\n' for i in sorted(attrs))
    return '\n'.join(out)


def render_comments(stmts, tables):
    """Every COMMENT ON TABLE / COLUMN of tables, as the install script has them."""
    out = []
    for t in tables:
        for raw in stmts:
            st = strip_comments(raw)
            m = re.match(r'COMMENT\s+ON\s+(?:TABLE\s+%s\s+IS|COLUMN\s+%s\.)' % (IDENT, IDENT), st, re.I)
            if m and t in (m.group(1), m.group(2)):
                out.append(raw.strip('\n') + '\n')
    if not out:
        raise SystemExit('gen_upgrade: no comments on %s in the install script' % ', '.join(tables))
    return '\n'.join(out)


def render_policies(stmts, tables):
    """Row-level security of tables as the install script sets it up."""
    out = []
    for t in tables:
        found = [raw.strip('\n') + '\n' for raw in stmts if policy_part_of(strip_comments(raw), t)]
        if not found:
            raise SystemExit('gen_upgrade: no policy on %s in the install script' % t)
        out.extend(found)
    return '\n'.join(out)


def main():
    install, manual = sys.argv[1], sys.argv[2]
    stmts = split_statements(open(install).read())
    res = []
    for line in open(manual).read().split('\n'):
        p = re.match(r'--@\s*create\s+policies\s+on\s+(.*)$', line.strip(), re.I)
        if p:
            tables = [o.strip() for o in p.group(1).split(',') if o.strip()]
            res.append('-- generated from the install script: row-level security of %s' % ', '.join(tables))
            res.append(render_policies(stmts, tables))
            continue
        c = re.match(r'--@\s*comments\s+on\s+table\s+(.*)$', line.strip(), re.I)
        if c:
            tables = [o.strip() for o in c.group(1).split(',') if o.strip()]
            res.append('-- generated from the install script: comments on %s' % ', '.join(tables))
            res.append(render_comments(stmts, tables))
            continue
        m = re.match(r'--@\s*(?:replace\s+(function|procedure|materialized view|view)'
                     r'|create\s+(table|type|trigger|aggregate))\s+(.*)$', line.strip(), re.I)
        if not m:
            res.append(line)
            continue
        kind = (m.group(1) or m.group(2)).lower()
        objs = [o.strip() for o in m.group(3).split(',') if o.strip()]
        res.append('-- generated from the install script: %s %s' % (kind, ', '.join(objs)))
        res.append(render(stmts, kind, objs))
    sys.stdout.write('-- GENERATED by scripts/gen_upgrade.py from %s and the install\n'
                     '-- script; edit the manual part, not this file.\n' % manual)
    sys.stdout.write('\n'.join(res))


if __name__ == '__main__':
    main()
