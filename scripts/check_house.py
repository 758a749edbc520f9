#!/usr/bin/env python3
"""House rules of the source tree, checked statically (test/system/house.t).

Usage: check_house.py [--tap]

1. Layers: the parts of sql/install/ are joined in file-name order and no part
   calls forward -- a statement of part N never names a function, procedure,
   view or table that only a later part creates.  (PL/pgSQL bodies are not
   checked by CREATE FUNCTION, so a forward call would install and fail only
   when run; this check reads the bodies too.)
2. Part headers: every part starts with a comment "-- Layer L, ..." whose L is
   the first digit of its file name (00_header.sql aside).
3. Short functions: no function body in sql/install/ (PL/pgSQL or SQL) and no
   C function in src/ longer than LIMIT lines.

Prints one line per finding (or TAP with --tap) and exits 1 if any.
"""
import glob
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_upgrade import split_statements  # noqa: E402  (one SQL splitter in the house)

LIMIT = 80
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CREATES = re.compile(
    r'CREATE\s+(?:OR\s+REPLACE\s+)?(?:UNIQUE\s+)?'
    r'(FUNCTION|PROCEDURE|AGGREGATE|VIEW|MATERIALIZED\s+VIEW|TABLE|TYPE)\s+'
    r'(?:sales_supervisor\.)?"?([a-z_][a-z0-9_]*)"?', re.I)


def code_of(stmt):
    """The statement without -- comments and '...' literals (dollar-quoted
    bodies stay: they are code)."""
    out, i, n = [], 0, len(stmt)
    while i < n:
        if stmt.startswith('--', i):
            j = stmt.find('\n', i)
            i = n if j < 0 else j
        elif stmt[i] == "'":
            j = i + 1
            while True:
                j = stmt.find("'", j)
                if j < 0 or not stmt.startswith("''", j):
                    break
                j += 2
            out.append("''")
            i = n if j < 0 else j + 1
        else:
            out.append(stmt[i])
            i += 1
    return ''.join(out)


def parts():
    files = sorted(glob.glob(os.path.join(ROOT, 'sql', 'install', '*.sql')))
    return [(os.path.basename(f), [code_of(s) for s in split_statements(open(f).read())]) for f in files]


def layer_findings(all_parts):
    """Forward references between parts, and part headers."""
    defined = {}                      # name -> (part index, kind)
    for idx, (_, stmts) in enumerate(all_parts):
        for s in stmts:
            m = CREATES.match(s.strip())
            if m and m.group(2) not in defined:
                defined[m.group(2)] = (idx, m.group(1).upper())
    out = []
    for idx, (name, stmts) in enumerate(all_parts):
        for s in stmts:
            m = CREATES.match(s.strip())
            own = m.group(2) if m else None
            for ident in set(re.findall(r'\b([a-z_][a-z0-9_]*)\b', s)):
                if ident == own or ident not in defined or defined[ident][0] <= idx:
                    continue
                kind = defined[ident][1]
                callable_ = kind in ('FUNCTION', 'PROCEDURE', 'AGGREGATE')
                if callable_ and not re.search(r'\b%s\s*\(' % ident, s):
                    continue        # a column or variable of the same name
                if not callable_ and '_' not in ident:
                    continue        # short relation names double as column names
                later = all_parts[defined[ident][0]][0]
                out.append('%s calls forward: %s %s is created later, in %s'
                           % (name, kind.lower(), ident, later))
    for name, _ in all_parts:
        if name.startswith('00_'):
            continue
        first = open(os.path.join(ROOT, 'sql', 'install', name)).readline()
        if not re.match(r'-- Layer %s, ' % name[0], first):
            out.append('%s: the first line must say "-- Layer %s, <what the part holds>"' % (name, name[0]))
    return sorted(set(out))


def sql_function_lengths(all_parts):
    """Lines of each function or procedure body in the install parts."""
    out = []
    for name, stmts in all_parts:
        for s in stmts:
            m = CREATES.match(s.strip())
            if not m or m.group(1).upper() not in ('FUNCTION', 'PROCEDURE'):
                continue
            body = re.search(r'\bAS\s+(\$[a-z_]*\$)(.*?)\1', s, re.S | re.I)
            if body:
                n = body.group(2).strip('\n').count('\n') + 1
            else:                      # RETURN expr / BEGIN ATOMIC ... END
                n = s.strip().count('\n') + 1
            out.append(('%s: %s' % (name, m.group(2)), n))
    return out


def c_function_lengths():
    """Lines of each C function (opening brace in column 0 to closing brace
    in column 0) in src/ and src/core/."""
    out = []
    for f in sorted(glob.glob(os.path.join(ROOT, 'src', '*.c')) + glob.glob(os.path.join(ROOT, 'src', 'core', '*.c'))):
        lines = open(f).read().split('\n')
        start = None
        for i, l in enumerate(lines):
            if l == '{' and start is None:
                start = i
                sig = next((lines[k] for k in range(i - 1, -1, -1) if '(' in lines[k]), '?')
            elif l.startswith('}') and start is not None:
                if not l.startswith('};'):      # initialisers of static tables are not functions
                    fn = re.search(r'([A-Za-z_][A-Za-z0-9_]*)\s*\(', sig)
                    out.append(('%s: %s' % (os.path.relpath(f, ROOT), fn.group(1) if fn else '?'), i - start - 1))
                start = None
    return out


def main():
    tap = '--tap' in sys.argv
    all_parts = parts()
    checks = [('no part of sql/install calls forward; every part names its layer', layer_findings(all_parts))]
    sql_len = sql_function_lengths(all_parts)
    c_len = c_function_lengths()
    for what, lens in (('SQL function bodies', sql_len), ('C functions', c_len)):
        long_ = ['%s is %d lines (limit %d)' % (n, k, LIMIT) for n, k in lens if k > LIMIT]
        if len(lens) < 20:
            long_.append('only %d %s found: the parser lost them' % (len(lens), what))
        checks.append(('%s: all %d at most %d lines' % (what, len(lens), LIMIT), long_))
    bad = 0
    if tap:
        print('1..%d' % len(checks))
    for i, (title, findings) in enumerate(checks, 1):
        bad += bool(findings)
        if tap:
            print('%s %d - %s' % ('not ok' if findings else 'ok', i, title))
            for f in findings:
                print('# ' + f)
        else:
            for f in findings:
                print(f)
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
