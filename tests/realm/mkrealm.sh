#!/bin/bash
# mkrealm.sh DIR start|stop -- a throwaway MIT Kerberos realm for the tests.
#
# Trust zone: test tooling only; never run against a real realm.  Everything
# lives in DIR (database, stash, configuration, keytabs, ccache, replay cache,
# KDC log and pid file), so it works as root and as an ordinary user and
# several realms can run side by side.
#
# start: realm GSSOCKS.TEST with a KDC on a free 127.0.0.1 port (TCP only for
# the clients: udp_preference_limit = 1), principals
#   alice@, bob@                      users (alice.keytab, bob.keytab; alice's
#                                     ccache DIR/alice.ccache is ready)
#   rcmd/localhost rcmd/127.0.0.1
#   socks/localhost socks/127.0.0.1   in DIR/gateway.keytab
#   stale/localhost                   gateway.keytab holds an OLD kvno; the KDC
#                                     has moved on (acceptor must fail)
#   nokey/localhost                   in the KDC only (acceptor must fail)
#   fp-aes128-sha1/localhost fp-aes256-sha1/localhost
#   fp-aes128-sha256/localhost fp-aes256-sha384/localhost
#   fp-camellia128/localhost          one key each, of the enctype named, in
#                                     DIR/fastpath.keytab (the RFC 4121 fast
#                                     path's differential tests)
# and DIR/env: `export NAME='value'` lines for the tests (KRB5_CONFIG,
# KRB5_KDC_PROFILE, KRB5CCNAME, KRB5RCACHEDIR, GSSOCKS_REALM,
# GSSOCKS_KDC_PORT, GSSOCKS_KEYTAB, GSSOCKS_FASTPATH_KEYTAB).
# stop: kills the KDC named by DIR/kdc.pid.
set -euo pipefail

REALM=GSSOCKS.TEST
PATH="$PATH:/usr/sbin:/sbin"

usage() {
	echo "usage: $0 DIR start|stop" >&2
	exit 2
}

[ $# -eq 2 ] || usage
DIR=$1
CMD=$2

log() { echo "mkrealm: $*" >&2; }

free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# krb5kdc binds with SO_REUSEPORT, so a second KDC on the same port would
# start fine and steal half the requests: count the TCP listeners on PORT.
listeners() {
	python3 - "$1" <<'PY'
import sys
port = ":%04X" % int(sys.argv[1])
n = 0
for line in open("/proc/net/tcp").read().splitlines()[1:]:
    f = line.split()
    if f[1].endswith(port) and f[3] == "0A":
        n += 1
print(n)
PY
}

kdc_pid() {
	[ -s "$DIR/kdc.pid" ] || return 1
	local pid
	pid=$(cat "$DIR/kdc.pid")
	case $pid in ''|*[!0-9]*) return 1 ;; esac
	kill -0 "$pid" 2>/dev/null || return 1
	echo "$pid"
}

stop_kdc() {
	local pid i
	if pid=$(kdc_pid); then
		kill "$pid" 2>/dev/null || true
		for i in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$DIR/kdc.pid"
}

write_conf() {
	local port=$1
	cat >"$DIR/kdc.conf" <<EOF
[kdcdefaults]
	kdc_listen = 127.0.0.1:$port
	kdc_tcp_listen = 127.0.0.1:$port

[realms]
	$REALM = {
		database_name = $DIR/principal
		key_stash_file = $DIR/stash
		acl_file = $DIR/kadm5.acl
		kdc_listen = 127.0.0.1:$port
		kdc_tcp_listen = 127.0.0.1:$port
		kadmind_listen = 127.0.0.1:0
		max_life = 10h 0m 0s
		max_renewable_life = 1d 0h 0m 0s
	}

[logging]
	kdc = FILE:$DIR/kdc.log
	admin_server = FILE:$DIR/kadmin.log
	default = FILE:$DIR/krb5lib.log
EOF
	cat >"$DIR/krb5.conf" <<EOF
[libdefaults]
	default_realm = $REALM
	dns_lookup_kdc = false
	dns_lookup_realm = false
	dns_canonicalize_hostname = false
	rdns = false
	udp_preference_limit = 1
	ticket_lifetime = 10h
	forwardable = false
	default_ccache_name = FILE:$DIR/alice.ccache

[realms]
	$REALM = {
		kdc = 127.0.0.1:$port
		admin_server = 127.0.0.1:1
	}

[domain_realm]
	localhost = $REALM
	127.0.0.1 = $REALM
	.localdomain = $REALM

[logging]
	default = FILE:$DIR/krb5lib.log
EOF
}

write_env() {
	local port=$1
	cat >"$DIR/env" <<EOF
export KRB5_CONFIG='$DIR/krb5.conf'
export KRB5_KDC_PROFILE='$DIR/kdc.conf'
export KRB5CCNAME='FILE:$DIR/alice.ccache'
export KRB5RCACHEDIR='$DIR/rcache'
export GSSOCKS_REALM='$REALM'
export GSSOCKS_KDC_PORT='$port'
export GSSOCKS_KEYTAB='$DIR/gateway.keytab'
export GSSOCKS_FASTPATH_KEYTAB='$DIR/fastpath.keytab'
EOF
}

# Create database and principals (done once; the KDC port only lives in the
# configuration files, so a retry on another port keeps the database).
create_db() {
	rm -f "$DIR"/principal* "$DIR/stash" "$DIR"/*.keytab "$DIR/alice.ccache"
	: >"$DIR/kadm5.acl"
	kdb5_util -r "$REALM" create -s -P random >/dev/null 2>"$DIR/kdb5_util.log" ||
		{ cat "$DIR/kdb5_util.log" >&2; return 1; }
	# One kadmin.local for all commands: it reads them from stdin.
	kadmin.local -r "$REALM" >"$DIR/kadmin.log" 2>&1 <<EOF
addprinc -randkey alice@$REALM
addprinc -randkey bob@$REALM
addprinc -randkey rcmd/localhost@$REALM
addprinc -randkey rcmd/127.0.0.1@$REALM
addprinc -randkey socks/localhost@$REALM
addprinc -randkey socks/127.0.0.1@$REALM
addprinc -randkey nokey/localhost@$REALM
addprinc -randkey stale/localhost@$REALM
ktadd -k $DIR/alice.keytab alice@$REALM
ktadd -k $DIR/bob.keytab bob@$REALM
ktadd -k $DIR/gateway.keytab rcmd/localhost@$REALM rcmd/127.0.0.1@$REALM socks/localhost@$REALM socks/127.0.0.1@$REALM
ktadd -k $DIR/gateway.keytab stale/localhost@$REALM
ktadd -k $DIR/stale-new.keytab stale/localhost@$REALM
addprinc -randkey -e aes128-cts-hmac-sha1-96:normal fp-aes128-sha1/localhost@$REALM
addprinc -randkey -e aes256-cts-hmac-sha1-96:normal fp-aes256-sha1/localhost@$REALM
addprinc -randkey -e aes128-cts-hmac-sha256-128:normal fp-aes128-sha256/localhost@$REALM
addprinc -randkey -e aes256-cts-hmac-sha384-192:normal fp-aes256-sha384/localhost@$REALM
addprinc -randkey -e camellia128-cts-cmac:normal fp-camellia128/localhost@$REALM
ktadd -k $DIR/fastpath.keytab -e aes128-cts-hmac-sha1-96:normal fp-aes128-sha1/localhost@$REALM
ktadd -k $DIR/fastpath.keytab -e aes256-cts-hmac-sha1-96:normal fp-aes256-sha1/localhost@$REALM
ktadd -k $DIR/fastpath.keytab -e aes128-cts-hmac-sha256-128:normal fp-aes128-sha256/localhost@$REALM
ktadd -k $DIR/fastpath.keytab -e aes256-cts-hmac-sha384-192:normal fp-aes256-sha384/localhost@$REALM
ktadd -k $DIR/fastpath.keytab -e camellia128-cts-cmac:normal fp-camellia128/localhost@$REALM
EOF
	local p
	for p in alice.keytab bob.keytab gateway.keytab stale-new.keytab fastpath.keytab; do
		[ -s "$DIR/$p" ] || { cat "$DIR/kadmin.log" >&2; log "kadmin.local did not write $p"; return 1; }
	done
	rm -f "$DIR/stale-new.keytab"
	chmod 600 "$DIR"/*.keytab
}

# Start the KDC on PORT; 0 once kinit works, 1 if it never answers.
try_start() {
	local port=$1 i
	write_conf "$port"
	rm -f "$DIR/kdc.pid"
	krb5kdc -r "$REALM" -P "$DIR/kdc.pid" >>"$DIR/kdc.stderr" 2>&1 || return 1
	for i in $(seq 100); do
		if kinit -k -t "$DIR/alice.keytab" -c "FILE:$DIR/alice.ccache" \
			"alice@$REALM" >/dev/null 2>>"$DIR/kinit.log"; then
			if [ "$(listeners "$port")" != 1 ]; then
				log "port $port is shared with another listener"
				return 1
			fi
			return 0
		fi
		# krb5kdc forks; the pid file appears once it is running.
		if [ "$i" -gt 10 ] && ! kdc_pid >/dev/null; then
			return 1
		fi
		sleep 0.05
	done
	return 1
}

start() {
	mkdir -p "$DIR"
	DIR=$(cd "$DIR" && pwd)
	export KRB5_CONFIG="$DIR/krb5.conf" KRB5_KDC_PROFILE="$DIR/kdc.conf"
	unset KRB5CCNAME KRB5_KTNAME KRB5_CLIENT_KTNAME
	stop_kdc
	mkdir -p "$DIR/rcache"
	chmod 700 "$DIR/rcache"
	write_conf 1
	create_db
	local attempt port
	for attempt in 1 2 3 4 5; do
		port=$(free_port)
		if try_start "$port"; then
			write_env "$port"
			log "realm $REALM in $DIR, KDC 127.0.0.1:$port pid $(cat "$DIR/kdc.pid")"
			return 0
		fi
		log "KDC on port $port not usable (attempt $attempt)"
		stop_kdc
	done
	tail -n 20 "$DIR/kdc.stderr" "$DIR/kdc.log" "$DIR/kinit.log" >&2 2>/dev/null || true
	log "could not start the KDC"
	return 1
}

case $CMD in
start) start ;;
stop)
	[ -d "$DIR" ] || exit 0
	stop_kdc
	;;
*) usage ;;
esac
