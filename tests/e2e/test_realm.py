#!/usr/bin/python3
"""e2e: the test realm itself is what DESIGN.md "Test realm" promises.

Every other e2e test trusts tests/realm/mkrealm.sh; this one checks it with
MIT's own tools (kinit, klist, kvno): alice's ccache is ready, the gateway
keytab holds current keys for rcmd/ and socks/ at localhost and 127.0.0.1,
stale/localhost's keytab key is older than the KDC's, nokey/localhost is in
the KDC only, the client configuration disables DNS canonicalisation, and
`stop` really stops the KDC.  Needs no gssocks binary.
"""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gssocks_harness import Realm, main, require  # noqa: E402


def keytab_kvnos(realm):
    out = subprocess.run(["klist", "-k", realm.keytab], env=realm.env, capture_output=True,
                         text=True, check=True).stdout
    kvnos = {}
    for line in out.splitlines():
        m = re.match(r"\s*(\d+)\s+(\S+)@GSSOCKS\.TEST\s*$", line)
        if m:
            kvnos.setdefault(m.group(2), set()).add(int(m.group(1)))
    return kvnos


def kdc_kvno(realm, princ):
    r = subprocess.run(["kvno", princ + "@GSSOCKS.TEST"], env=realm.env, capture_output=True,
                       text=True)
    m = re.search(r"kvno = (\d+)", r.stdout)
    return int(m.group(1)) if r.returncode == 0 and m else None


def body(tap):
    require(binaries=(), programs=("klist", "kvno"))
    realm = Realm(tap).start()
    env = realm.env
    for k in ("KRB5_CONFIG", "KRB5_KDC_PROFILE", "KRB5CCNAME", "KRB5RCACHEDIR",
              "GSSOCKS_REALM", "GSSOCKS_KDC_PORT", "GSSOCKS_KEYTAB"):
        tap.ok(env.get(k), "env file sets %s" % k)
    tap.ok(os.path.isdir(env["KRB5RCACHEDIR"]), "replay cache directory exists")
    r = subprocess.run(["klist", "-s"], env=env)
    tap.eq(r.returncode, 0, "alice's ccache holds a valid TGT")
    out = subprocess.run(["klist"], env=env, capture_output=True, text=True).stdout
    tap.ok("alice@GSSOCKS.TEST" in out, "ccache principal is alice@GSSOCKS.TEST", out)

    with open(env["KRB5_CONFIG"]) as f:
        conf = f.read()
    for setting in ("dns_canonicalize_hostname = false", "rdns = false",
                    "udp_preference_limit = 1"):
        tap.ok(setting in conf, "krb5.conf: %s" % setting)

    kt = keytab_kvnos(realm)
    for p in ("rcmd/localhost", "rcmd/127.0.0.1", "socks/localhost", "socks/127.0.0.1"):
        kv = kdc_kvno(realm, p)
        tap.ok(kv is not None and kt.get(p) == {kv},
               "%s: keytab kvno equals the KDC's" % p, "keytab %r, KDC %r" % (kt.get(p), kv))
    kv = kdc_kvno(realm, "stale/localhost")
    tap.ok(kv is not None and kt.get("stale/localhost") and max(kt["stale/localhost"]) < kv,
           "stale/localhost: keytab holds only an older kvno than the KDC",
           "keytab %r, KDC %r" % (kt.get("stale/localhost"), kv))
    tap.ok(kdc_kvno(realm, "nokey/localhost") is not None, "nokey/localhost is in the KDC")
    tap.ok("nokey/localhost" not in kt, "nokey/localhost is not in the gateway keytab")
    tap.ok(kdc_kvno(realm, "bob") is not None, "bob is in the KDC")

    with open(os.path.join(realm.rdir, "kdc.pid")) as f:
        pid = int(f.read().strip())
    realm.stop()
    try:
        os.kill(pid, 0)
        gone = False
    except ProcessLookupError:
        gone = True
    tap.ok(gone, "mkrealm.sh stop stops the KDC (pid %d)" % pid)


if __name__ == "__main__":
    main(body)
