#!/usr/bin/python3
"""unit: gssocksd(8) documents every audit event the master writes, and
documents no event the code does not write.

  - Every event name in an audit_record() or audit_count() call of
    master/*.c (the audit records: facility authpriv, master/audit.c), and
    the event=audit-dropped record audit.c writes itself, has an entry in
    gssocksd(8): a `.B event=NAME ...` line (LOGGING, or SECURITY for
    event=sandbox-violation).
  - Every `.B event=NAME` entry of the page names an event some C file of
    master/, authproc/ or relay/ writes (an audit record or a diagnostic).

Source text only: nothing is built or run.  GSSOCKS_SOURCE names the tree.
"""

import glob
import os
import re
import sys

SOURCE = os.environ.get("GSSOCKS_SOURCE",
                        os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

CALL = re.compile(r"\b(audit_record|audit_count)\s*\(")
EVENT = re.compile(r"event=([a-z][a-z0-9-]*)")
ENTRY = re.compile(r"^\.B[IR]? +\"?event=([a-z][a-z0-9-]*)", re.M)


def call_text(text, start):
    """The text of a call from its name to the matching parenthesis."""
    depth, i = 0, start
    while i < len(text):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return text[start:i + 1]
        i += 1
    return text[start:]


def sources(*dirs):
    for d in dirs:
        for path in sorted(glob.glob(os.path.join(SOURCE, d, "*.c"))):
            if not os.path.basename(path).startswith("test_"):
                with open(path) as f:
                    yield path, f.read()


def audit_events():
    """{event: first file} of the master's audit records."""
    found = {}
    for path, text in sources("master"):
        for m in CALL.finditer(text):
            call = call_text(text, m.start())
            names = set(EVENT.findall(call))
            if m.group(1) == "audit_count":
                # audit_count(SEVERITY, "EVENT", reason, detail)
                arg = re.match(r"audit_count\s*\([^,]+,\s*\"([a-z][a-z0-9-]*)\"", call)
                if arg:
                    names.add(arg.group(1))
            for name in names:
                found.setdefault(name, os.path.relpath(path, SOURCE))
    with open(os.path.join(SOURCE, "master", "audit.c")) as f:
        for name in EVENT.findall(f.read()):
            found.setdefault(name, "master/audit.c")
    return found


def written_events():
    """Every event= a C file of the daemons writes (records or diagnostics)."""
    names = set()
    for _, text in sources("master", "authproc", "relay", "common"):
        names.update(EVENT.findall(text))
    return names


def main():
    page_path = os.path.join(SOURCE, "man", "gssocksd.8")
    with open(page_path) as f:
        page = f.read().replace("\\-", "-")
    entries = set(ENTRY.findall(page))
    audit = audit_events()
    written = written_events()
    checks = []
    for name, where in sorted(audit.items()):
        checks.append((name in entries,
                       "event=%s (%s) has an entry in gssocksd(8)" % (name, where)))
    for name in sorted(entries):
        checks.append((name in written,
                       "gssocksd(8)'s event=%s is written by the code" % name))
    checks.append((len(audit) >= 10, "the master's audit events were found (%d)" % len(audit)))
    print("1..%d" % len(checks))
    failed = 0
    for n, (good, what) in enumerate(checks, 1):
        print("%sok %d - %s" % ("" if good else "not ", n, what))
        failed += not good
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
