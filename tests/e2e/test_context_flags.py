#!/usr/bin/python3
"""e2e: levels 1-3 need replay and sequence detection (RFC 1961 section 3.2).

A context whose client did not ask for GSS_C_REPLAY_FLAG and
GSS_C_SEQUENCE_FLAG gets no replay or order detection in gss_unwrap, so the
gateway's "anything but GSS_S_COMPLETE ends the session" would protect
nothing.  The client here is python3-gssapi (MIT krb5 underneath) speaking
RFC 1928 + RFC 1961 itself, so that it can leave flags out; a control with
every flag proves the client is right.  Checked:
  - without replay and sequence flags, levels 1, 2 and 3 are refused with
    `01 ff` and an `event=level result=refused` record naming the reason
    and the principal, even where the policy allows clear (no downgrade);
  - with replay but without sequence detection (curl's flags; Dante's
    client asks these for UDP ASSOCIATE, as RFC 1961 section 3.2 says)
    levels 1 and 2 are agreed, the record says datagram_only=yes, and then
    a CONNECT is refused with REP 02 and an event=request record
    reason=no-sequence-flag (TCP data needs sequence detection), while a
    UDP ASSOCIATE is granted;
  - asking clear where the policy allows it is still accepted, and a
    CONNECT then works in clear; where the policy does not allow clear
    (bob) the same client is refused;
  - with every flag, levels 1, 2 and 3 are accepted and a wrapped CONNECT
    to an echo server works;
  - a level message that unwraps with a supplementary status (here
    GSS_S_GAP_TOKEN: the client's second wrap token sent first) is refused
    with `01 ff`: authproc demands GSS_S_COMPLETE, as the relay does.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gssocks_harness import (GSS_ALL_FLAGS, MTYP_DATA, PERMISSIVE_POLICY,  # noqa: E402
                             Aborted, Echo, Gateway, GssSession, Realm, check_sanitizers,
                             gss_credentials, main, read_frame, require, send_frame,
                             skip_all, socks5_request)

try:
    import gssapi
except ImportError as e:
    gssapi = None
    GSSAPI_ERROR = str(e)

ALICE = "alice@GSSOCKS.TEST"
BOB = "bob@GSSOCKS.TEST"
# alice may use clear (and everything else); bob, under the default, may not.
POLICY = {
    ALICE: PERMISSIVE_POLICY,
    "default": ("levels integrity confidentiality selective\n"
                "preferred confidentiality\n"
                "allow any any\n"),
}

ALL_FLAGS = GSS_ALL_FLAGS
NO_ORDER = ("mutual_authentication", "integrity", "confidentiality")
CURL_FLAGS = ("mutual_authentication", "replay_detection", "integrity", "confidentiality")

Session = GssSession
credentials = gss_credentials


def refused_count(gw, principal, reason):
    return len(gw.syslog.records(event="level", result="refused", principal=principal,
                                 reason=reason))


def expect_refused(tap, gw, creds, principal, flags, level, reason, what):
    before = refused_count(gw, principal, reason)
    sess = Session(gw.port, creds, flags)
    try:
        sess.authenticate()
        try:
            answer = sess.ask_level(level)
            tap.ok(False, "%s, level %d: refused with 01 ff" % (what, level),
                   "answered level %d" % answer)
        except Aborted:
            tap.ok(True, "%s, level %d: refused with 01 ff" % (what, level))
    finally:
        sess.close()
    got = gw.syslog.wait(count=before + 1, event="level", result="refused",
                         principal=principal, reason=reason)
    tap.ok(len(got) == before + 1,
           "%s, level %d: audit event=level result=refused reason=%s principal=%s"
           % (what, level, reason, principal), gw.syslog.text()[-3000:])


def expect_accepted(tap, gw, creds, flags, level, echo, what):
    sess = Session(gw.port, creds, flags)
    try:
        sess.authenticate()
        try:
            answer = sess.ask_level(level)
        except Aborted:
            tap.ok(False, "%s, level %d: accepted" % (what, level), "gateway sent 01 ff")
            return
        if tap.eq(answer, level, "%s, level %d: accepted" % (what, level)):
            tap.ok(sess.connect(level, echo.port),
                   "%s, level %d: CONNECT and echo work" % (what, level))
    finally:
        sess.close()


def expect_datagram_only(tap, gw, creds, level, echo):
    """Replay but no sequence flag: the level is agreed; CONNECT gets
    REP 02 (reason=no-sequence-flag), UDP ASSOCIATE REP 00."""
    what = "replay but no sequence flag, level %d" % level
    conf = level == 2
    before = len(gw.syslog.records(event="request", reason="no-sequence-flag"))
    for cmd, want in ((1, 2), (3, 0)):
        sess = Session(gw.port, creds, CURL_FLAGS)
        try:
            sess.authenticate()
            try:
                answer = sess.ask_level(level)
            except Aborted:
                tap.ok(False, "%s: level agreed" % what, "gateway sent 01 ff")
                return
            tap.eq(answer, level, "%s: level agreed" % what)
            request = socks5_request(cmd, "127.0.0.1", echo.port if cmd == 1 else 0)
            send_frame(sess.sock, MTYP_DATA, sess.ctx.wrap(request, conf).message)
            _, token = read_frame(sess.sock)
            reply = sess.ctx.unwrap(token).message
            tap.eq(reply[1], want, "%s: %s answered REP %02d" %
                   (what, "CONNECT" if cmd == 1 else "UDP ASSOCIATE", want))
        finally:
            sess.close()
    got = gw.syslog.wait(count=before + 1, event="request", reason="no-sequence-flag")
    tap.ok(len(got) == before + 1 and got[-1]["kv"].get("cmd") == "connect" and
           got[-1]["kv"].get("rep") == "2",
           "%s: event=request cmd=connect rep=2 reason=no-sequence-flag" % what,
           gw.syslog.text()[-2000:])
    lv = gw.syslog.records(event="level", result="ok", datagram_only="yes")
    tap.ok(len(lv) >= 2 * level, "%s: event=level result=ok datagram_only=yes" % what)


def body(tap):
    if gssapi is None:
        skip_all("python3-gssapi not importable (%s)" % GSSAPI_ERROR)
    require(binaries=("gssocksd", "gssocks-authproc", "gssocks-relay"))
    realm = Realm(tap).start()
    # python-gssapi reads the realm's krb5.conf through the environment
    for k, v in realm.vars.items():
        os.environ[k] = v
    alice = credentials(realm, "alice")
    bob = credentials(realm, "bob")
    gw = Gateway(realm, tap, policy=POLICY, allow_clear="yes").start()
    echo = Echo()

    for level in (1, 2, 3):
        expect_refused(tap, gw, alice, ALICE, NO_ORDER, level, "no-replay-sequence-flags",
                       "no replay/sequence flag, clear allowed")
    for level in (1, 2):
        expect_datagram_only(tap, gw, alice, level, echo)
    expect_accepted(tap, gw, alice, NO_ORDER, 0, echo, "no replay/sequence flag, clear allowed")
    expect_accepted(tap, gw, alice, CURL_FLAGS, 0, echo, "curl's flags, clear allowed")
    expect_refused(tap, gw, bob, BOB, NO_ORDER, 0, "no-replay-sequence-flags",
                   "no replay/sequence flag, clear not allowed")
    for level in (1, 2, 3):
        expect_accepted(tap, gw, alice, ALL_FLAGS, level, echo, "every flag")
    expect_accepted(tap, gw, bob, ALL_FLAGS, 2, echo, "every flag (bob)")

    # A level message out of sequence: gss_unwrap says GSS_S_COMPLETE |
    # GSS_S_GAP_TOKEN, which GSS_ERROR() does not count as an error.
    before = len(gw.syslog.records(event="auth", result="fail"))
    sess = Session(gw.port, alice, ALL_FLAGS)
    try:
        sess.authenticate()
        try:
            answer = sess.ask_level(2, skip_one=True)
            tap.ok(False, "level message with a gap in sequence: refused with 01 ff",
                   "answered level %d" % answer)
        except Aborted:
            tap.ok(True, "level message with a gap in sequence: refused with 01 ff")
    finally:
        sess.close()
    got = gw.syslog.wait(count=before + 1, event="auth", result="fail")
    tap.ok(len(got) == before + 1 and "gss_unwrap" in got[-1]["kv"].get("reason", ""),
           "level message with a gap: audit event=auth result=fail names gss_unwrap",
           gw.syslog.text()[-3000:])

    tap.ok(gw.alive(), "gssocksd still running")
    echo.stop()
    gw.stop()
    check_sanitizers(tap, gw)


if __name__ == "__main__":
    main(body)
