#!/usr/bin/python3
"""libfuzzer-run.py EXE NAME CORPUS SECONDS -- one bounded libFuzzer run as TAP.

Trust zone: test tooling.  Registered by tests/fuzz/meson.build (suite
`fuzzing`) for every target when the tree is built with -Dfuzzing=true
(clang); scripts/test builds such a tree and runs this suite, so every
target gets coverage-guided fuzzing on every CI run, not only the replay
of its corpus.

libFuzzer writes what it learns into a temporary directory and reads the
committed corpus (CORPUS) as seeds only.  A crash, leak, time-out or
out-of-memory input becomes a corpus file: it is copied to
CORPUS/found-<kind>-<sha1 prefix>, so the replay test `fuzz-NAME` fails in
every build until the code is fixed and the file is committed (see
tests/fuzz/README.md, "When a target finds something").  The input is
also printed (hex, first 512 octets) so a CI log alone is enough.
"""

import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile


def tap(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main():
    if len(sys.argv) != 5:
        sys.stderr.write("usage: libfuzzer-run.py EXE NAME CORPUS SECONDS\n")
        return 2
    exe, name, corpus, seconds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    work = tempfile.mkdtemp(prefix="gssocks-libfuzzer-%s-" % name)
    try:
        learned = os.path.join(work, "learned")
        artifacts = os.path.join(work, "artifacts") + "/"
        os.mkdir(learned)
        os.mkdir(artifacts)
        argv = [exe, "-max_total_time=%d" % seconds, "-timeout=10", "-rss_limit_mb=2048",
                "-print_final_stats=1", "-artifact_prefix=" + artifacts, learned, corpus]
        tap("1..1")
        tap("# " + " ".join(argv))
        try:
            r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               timeout=seconds + 120)
            out, status = r.stdout.decode(errors="replace"), r.returncode
        except subprocess.TimeoutExpired as e:
            out, status = (e.stdout or b"").decode(errors="replace"), "hung"
        runs = re.findall(r"stat::number_of_executed_units:\s*(\d+)", out)
        found = sorted(glob.glob(artifacts + "*"))
        if status == 0 and not found:
            tap("ok 1 - %s: %s s of libFuzzer, %s inputs, nothing found" %
                (name, seconds, runs[-1] if runs else "?"))
            return 0
        for path in found:
            data = open(path, "rb").read()
            kind = os.path.basename(path).split("-", 1)[0]
            dest = os.path.join(corpus, "found-%s-%s" % (kind, hashlib.sha1(data).hexdigest()[:12]))
            try:
                shutil.copyfile(path, dest)
                tap("# input kept as %s (commit it once fixed)" % dest)
            except OSError as e:
                tap("# cannot copy %s into the corpus: %s" % (path, e))
            tap("# %s input, %d octets: %s" % (kind, len(data), data[:512].hex()))
        for line in out.splitlines()[-60:]:
            tap("# " + line)
        tap("not ok 1 - %s: libFuzzer exit %s, %d input(s) found" % (name, status, len(found)))
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
