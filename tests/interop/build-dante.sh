#!/bin/bash
# build-dante.sh OUTDIR -- build Dante (sockd + the LD_PRELOAD client library)
# with GSS-API from Debian's own source package, for the interop tests.
#
# Trust zone: test tooling only.  Nothing outside OUTDIR is changed: the
# deb-src entry lives in a private apt configuration under OUTDIR/apt (its own
# source list, lists dir and cache dir; the status file is the system's), so
# /etc/apt is never touched.  The mirror is the one the system already uses
# (/etc/apt/sources.list.d/debian.sources with its "Types: deb" stanzas
# turned into "Types: deb-src", or Debian's lines of /etc/apt/sources.list);
# apt verifies the Sources index against the archive's signed InRelease and
# the .dsc/tarballs against its hashes (dpkg-source then warns that it
# cannot check the .dsc's own signature without debian-keyring: expected).
#
# Debian builds dante --without-gssapi; we build the same source with
# Debian's patches (dpkg-source -x applies them) and GSS-API on (configure
# finds MIT through krb5-config).  The patches touch configure.ac and the
# Makefile.am files, so autoreconf runs first, as debhelper's dh_autoreconf
# does for the package.  Debian's rename-library.patch names the preload
# library libdsocksd.so (upstream: libdsocks.so).
#
# Result: OUTDIR/sbin/sockd, OUTDIR/lib/libdsocksd.so, OUTDIR/bin/socksify,
# OUTDIR/VERSION (Debian version built), OUTDIR/build.log.  A second run with
# the result present does nothing.  Exit 0 built (or cached), 77 the source
# or a build tool cannot be had here (one-line reason on stdout and stderr),
# 1 the build itself failed (tail of the log on stderr).
set -euo pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi
mkdir -p "$1"
OUT=$(cd "$1" && pwd)
LOG=$OUT/build.log

skip() {
	echo "build-dante: $*"
	echo "build-dante: $*" >&2
	exit 77
}

fail() {
	echo "build-dante: $*" >&2
	[ -f "$LOG" ] && tail -n 30 "$LOG" >&2
	exit 1
}

built() {
	[ -x "$OUT/sbin/sockd" ] && [ -e "$OUT/lib/libdsocksd.so" ] && [ -s "$OUT/VERSION" ]
}

# Two tests may ask at once: the first builds, the second waits for it.
exec 9>"$OUT/.lock"
if command -v flock >/dev/null 2>&1; then
	flock 9
fi

if built; then
	exit 0
fi

for tool in apt-get dpkg-source autoreconf libtoolize make cc krb5-config xz; do
	command -v "$tool" >/dev/null 2>&1 ||
		skip "missing build tool $tool (install tests/interop/debian-packages)"
done

: >"$LOG"
say() { echo "== $*" >>"$LOG"; }

# --- private apt configuration with deb-src entries -------------------------
APT=$OUT/apt
rm -rf "$APT"
mkdir -p "$APT/sources.list.d" "$APT/lists/partial" "$APT/cache/archives/partial" "$APT/src"
n=0
# Only Debian's own archive entries: a third-party repository without
# deb-src indexes would make `apt-get update` fail.
for f in /etc/apt/sources.list.d/debian.sources; do
	[ -f "$f" ] || continue
	# Keep each stanza's URIs, Suites, Components and Signed-By; only the
	# type changes.  Stanzas that are only deb-src already stay as they are.
	sed -E 's/^Types:.*$/Types: deb-src/' "$f" >"$APT/sources.list.d/$(basename "$f")"
	n=$((n + 1))
done
if [ -f /etc/apt/sources.list ] && grep -Eq '^[[:space:]]*deb[[:space:]].*debian' /etc/apt/sources.list; then
	sed -nE '/debian/s/^[[:space:]]*deb([[:space:]])/deb-src\1/p' /etc/apt/sources.list >"$APT/sources.list"
	n=$((n + 1))
else
	: >"$APT/sources.list"
fi
[ "$n" -gt 0 ] || skip "no apt sources configured in /etc/apt to derive a deb-src entry from"

APTOPTS=(
	-o "Dir::Etc::SourceList=$APT/sources.list"
	-o "Dir::Etc::SourceParts=$APT/sources.list.d"
	-o "Dir::State::Lists=$APT/lists"
	-o "Dir::Cache=$APT/cache"
	-o "Dir::State::Status=/var/lib/dpkg/status"
	-o "Debug::NoLocking=1"
	-o "Acquire::Retries=2"
)
if [ "$(id -u)" = 0 ]; then
	# The private dirs are root's; apt's _apt download sandbox could not
	# write them.
	APTOPTS+=(-o "APT::Sandbox::User=root")
fi

say "apt-get update (private configuration in $APT)"
apt-get "${APTOPTS[@]}" update >>"$LOG" 2>&1 ||
	skip "cannot reach the Debian archive for dante's source (apt-get update failed)"
say "apt-get source --download-only dante"
(cd "$APT/src" && apt-get "${APTOPTS[@]}" source --download-only dante) >>"$LOG" 2>&1 ||
	skip "apt-get source dante failed (no deb-src index or no network)"

dsc=$(ls "$APT"/src/dante_*.dsc 2>/dev/null | head -n 1)
[ -n "$dsc" ] || skip "apt-get source dante produced no .dsc"
# The Sources indexes are tens of MB and of no further use.
rm -rf "$APT/lists" "$APT/cache"

# --- unpack with Debian's patches, configure with GSS-API, build ------------
SRC=$OUT/src
rm -rf "$SRC"
say "dpkg-source -x $dsc"
dpkg-source -x "$dsc" "$SRC" >>"$LOG" 2>&1 || fail "dpkg-source -x failed"
version=$(sed -n '1s/^dante (\([^)]*\)).*/\1/p' "$SRC/debian/changelog")

cd "$SRC"
say "autoreconf -fi"
autoreconf -fi >>"$LOG" 2>&1 || fail "autoreconf failed"
say "configure"
./configure --prefix="$OUT" \
	--with-socks-conf="$OUT/etc/socks.conf" \
	--with-sockd-conf="$OUT/etc/sockd.conf" \
	--with-pidfile="$OUT/run/sockd.pid" \
	--with-gssapi \
	--without-pam --without-libwrap --without-bsdauth \
	--without-sasl --without-ldap --without-upnp >>"$LOG" 2>&1 ||
	fail "configure failed"
grep -Eq '^GSSAPI:[[:space:]]+Enabled' "$LOG" || fail "configure did not enable GSS-API"
# As debian/rules does: the parser sources are shared with dlib/ and sockd/.
cp lib/config_parse.c lib/config_scan.c dlib/
cp lib/config_parse.c lib/config_scan.c sockd/
say "make"
make -j"$(nproc)" >>"$LOG" 2>&1 || fail "make failed"
say "make install"
make install >>"$LOG" 2>&1 || fail "make install failed"
mkdir -p "$OUT/run" "$OUT/etc"

[ -x "$OUT/sbin/sockd" ] || fail "sockd was not installed"
[ -e "$OUT/lib/libdsocksd.so" ] || fail "libdsocksd.so was not installed"
echo "$version" >"$OUT/VERSION"
say "built dante $version"
echo "build-dante: built dante $version in $OUT" >&2
