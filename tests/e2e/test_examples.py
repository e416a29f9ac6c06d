#!/usr/bin/python3
"""The shipped examples (examples/gssocksd.conf, examples/policy/) pass
`gssocksd -t` once their paths point at this machine's files, and a broken
copy is refused with file:line: what an operator copying them gets.

Only the keytab, policy-dir and replay-cache-dir paths are rewritten, a
libexec-dir line is added for the build tree's children (-t checks the
set-up: binaries, replay cache directory, keytab through
gssocks-authproc --check), and, when run as root on a machine without the
gssocks users, the three user lines become root; every other line is
checked as shipped.
"""

import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gssocks_harness import Realm, binary, main, require, tempdir  # noqa: E402

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
    require(binaries=("gssocksd", "gssocks-authproc", "gssocks-relay"))
    realm = Realm(tap).start()
    d = tempdir("gssocks-examples-")
    shutil.copytree(os.path.join(SOURCE, "examples", "policy"), os.path.join(d, "policy"))
    keytab = os.path.join(d, "gssocks.keytab")
    shutil.copyfile(realm.keytab, keytab)
    libexec = os.path.join(d, "libexec")
    os.mkdir(libexec)
    for name in ("gssocks-authproc", "gssocks-relay"):
        os.symlink(binary(name), os.path.join(libexec, name))
    with open(os.path.join(SOURCE, "examples", "gssocksd.conf")) as f:
        text = f.read()
    text = re.sub(r"(?m)^keytab .*$", "keytab " + keytab, text)
    text = re.sub(r"(?m)^policy-dir .*$", "policy-dir " + os.path.join(d, "policy"), text)
    text = re.sub(r"(?m)^replay-cache-dir .*$", "replay-cache-dir " + os.path.join(d, "rcache"),
                  text)
    text += "libexec-dir %s\n" % libexec
    if os.getuid() == 0:
        for key, user in (("user", "gssocks"), ("authproc-user", "gssocks-auth"),
                          ("relay-user", "gssocks-relay")):
            if not have_user(user):
                text = re.sub(r"(?m)^%s .*$" % key, "%s root" % key, text)
        if have_user("gssocks-auth"):
            # -t runs gssocks-authproc --check as gssocks-auth: let it reach
            # the keytab (its own, 0400), the realm's krb5.conf, the binaries.
            import pwd
            auth = pwd.getpwnam("gssocks-auth")
            os.chown(keytab, auth.pw_uid, auth.pw_gid)
            os.chmod(keytab, 0o400)
            for path in (keytab, libexec, realm.vars["KRB5_CONFIG"]):
                parent = os.path.dirname(path)
                while parent not in ("/", ""):
                    os.chmod(parent, os.stat(parent).st_mode & 0o7777 | 0o711)
                    parent = os.path.dirname(parent)
            os.chmod(realm.vars["KRB5_CONFIG"], 0o644)
    conf = os.path.join(d, "gssocksd.conf")
    with open(conf, "w") as f:
        f.write(text)

    r = subprocess.run([binary("gssocksd"), "-t", "-f", conf], capture_output=True, text=True,
                       env=realm.env)
    tap.eq(r.returncode, 0, "examples/gssocksd.conf + examples/policy pass gssocksd -t",)
    if r.returncode != 0:
        tap.diag(r.stdout + r.stderr)

    with open(os.path.join(d, "policy", "default"), "a") as f:
        f.write("allow connect nowhere port 99999\n")
    r = subprocess.run([binary("gssocksd"), "-t", "-f", conf], capture_output=True, text=True,
                       env=realm.env)
    tap.ok(r.returncode == 1 and re.search(r"policy/default:\d+: ", r.stdout + r.stderr),
           "a broken line added to the example policy is refused with file:line",
           r.stdout + r.stderr)


if __name__ == "__main__":
    main(body)
