#!/usr/bin/python3
"""The shipped examples (examples/gssocksd.conf, examples/policy/) pass
`gssocksd -t` once their paths point at this machine's files, and a broken
copy is refused with file:line: what an operator copying them gets.

Only the keytab and policy-dir paths are rewritten (and, when run as root
on a machine without the gssocks users, the three user lines become root);
every other line is checked as shipped.
"""

import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gssocks_harness import binary, main, require, tempdir  # noqa: E402

SOURCE = os.environ.get("GSSOCKS_SOURCE",
                        os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def have_user(name):
    try:
        import pwd
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def body(tap):
    require(binaries=("gssocksd",))
    d = tempdir("gssocks-examples-")
    shutil.copytree(os.path.join(SOURCE, "examples", "policy"), os.path.join(d, "policy"))
    keytab = os.path.join(d, "gssocks.keytab")
    open(keytab, "wb").close()
    with open(os.path.join(SOURCE, "examples", "gssocksd.conf")) as f:
        text = f.read()
    text = re.sub(r"(?m)^keytab .*$", "keytab " + keytab, text)
    text = re.sub(r"(?m)^policy-dir .*$", "policy-dir " + os.path.join(d, "policy"), text)
    if os.getuid() == 0:
        for key, user in (("user", "gssocks"), ("authproc-user", "gssocks-auth"),
                          ("relay-user", "gssocks-relay")):
            if not have_user(user):
                text = re.sub(r"(?m)^%s .*$" % key, "%s root" % key, text)
    conf = os.path.join(d, "gssocksd.conf")
    with open(conf, "w") as f:
        f.write(text)

    r = subprocess.run([binary("gssocksd"), "-t", "-f", conf], capture_output=True, text=True)
    tap.eq(r.returncode, 0, "examples/gssocksd.conf + examples/policy pass gssocksd -t",)
    if r.returncode != 0:
        tap.diag(r.stdout + r.stderr)

    with open(os.path.join(d, "policy", "default"), "a") as f:
        f.write("allow connect nowhere port 99999\n")
    r = subprocess.run([binary("gssocksd"), "-t", "-f", conf], capture_output=True, text=True)
    tap.ok(r.returncode == 1 and re.search(r"policy/default:\d+: ", r.stdout + r.stderr),
           "a broken line added to the example policy is refused with file:line",
           r.stdout + r.stderr)


if __name__ == "__main__":
    main(body)
