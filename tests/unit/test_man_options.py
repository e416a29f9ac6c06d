#!/usr/bin/python3
"""unit: every command-line option a program's getopt accepts has an entry
in the OPTIONS section of its man page, and every option entry there is
one the program accepts.

Programs and pages: gssocksd (master/main.c, gssocksd(8)), gssocksctl
(ctl/main.c, gssocksctl(8)), gssocks-client (client/main.c and the shared
client/options.h, gssocks-client(1)), gssocks-connect (client/connect_main.c
and client/options.h, gssocks-connect(1)).  Short options come from the
getopt string, long ones from the `{ "name", ..., 'c' }` tables.  An entry
is a `.B`, `.BI` or `.BR` line after `.TP` whose words are options
(`\\-X`, `\\-\\-name`).

Source text only: nothing is built or run.  GSSOCKS_SOURCE names the tree.
"""

import os
import re
import sys

SOURCE = os.environ.get("GSSOCKS_SOURCE",
                        os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

PROGRAMS = [
    ("gssocksd", ["master/main.c"], "man/gssocksd.8"),
    ("gssocksctl", ["ctl/main.c"], "man/gssocksctl.8"),
    ("gssocks-client", ["client/main.c", "client/options.h"], "man/gssocks-client.1"),
    ("gssocks-connect", ["client/connect_main.c", "client/options.h"], "man/gssocks-connect.1"),
]


def read(rel):
    with open(os.path.join(SOURCE, rel)) as f:
        return f.read()


def code_options(files):
    """(short letters, long names) the program's getopt accepts."""
    text = "\n".join(read(f) for f in files)
    macros = dict(re.findall(r'#define\s+(\w+)\s+"([^"]*)"', text))
    shorts, longs = set(), set()
    for m in re.finditer(r"getopt(?:_long)?\s*\(\s*argc\s*,\s*argv\s*,\s*([^,)]+)[,)]", text):
        spec = ""
        for part in re.findall(r'"([^"]*)"|(\b[A-Z_]+\b)', m.group(1)):
            spec += part[0] if part[0] else macros.get(part[1], "")
        shorts.update(c for c in spec if c.isalnum())
    longs.update(re.findall(r'\{\s*"([a-z][a-z-]*)"\s*,\s*(?:no|required|optional)_argument', text))
    return shorts, longs


def page_options(rel):
    """(short letters, long names) of the OPTIONS section's entries."""
    page = read(rel)
    m = re.search(r"^\.SH OPTIONS\n(.*?)^\.SH ", page, re.S | re.M)
    shorts, longs = set(), set()
    if not m:
        return shorts, longs
    lines = m.group(1).split("\n")
    for prev, line in zip(lines, lines[1:]):
        if prev.strip() != ".TP" or not re.match(r"\.B[IR]? ", line):
            continue
        text = line.replace("\\-", "-")
        longs.update(re.findall(r"(?<![\w-])--([a-z][a-z-]*)", text))
        shorts.update(re.findall(r"(?<![\w-])-([A-Za-z0-9])(?![\w-])", text))
    return shorts, longs


def main():
    checks = []
    for program, files, page in PROGRAMS:
        cs, cl = code_options(files)
        ps, pl = page_options(page)
        checks.append((len(cs) > 0, "%s: getopt options found (%s)" % (program, "".join(sorted(cs)))))
        for c in sorted(cs):
            checks.append((c in ps, "%s -%s has an entry in %s" % (program, c, page)))
        for name in sorted(cl):
            checks.append((name in pl, "%s --%s has an entry in %s" % (program, name, page)))
        for c in sorted(ps - cs):
            checks.append((False, "%s: %s documents -%s, which it does not accept"
                           % (program, page, c)))
        for name in sorted(pl - cl):
            checks.append((False, "%s: %s documents --%s, which it does not accept"
                           % (program, page, name)))
    print("1..%d" % len(checks))
    failed = 0
    for n, (good, what) in enumerate(checks, 1):
        print("%sok %d - %s" % ("" if good else "not ", n, what))
        failed += not good
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
