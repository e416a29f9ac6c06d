# scripts/lib.sh -- shell helpers shared by scripts/test and scripts/demo.
#
# Sourced, not run.  Trust zone: developer/CI tooling.  Installs Debian
# packages only when one is missing (apt-get update at most once), builds
# with Meson into a given directory, and finds free loopback ports.

# Debian 12 packages the build and the test suite need.  A test directory
# that needs more lists them in tests/*/debian-packages (one per line, #
# comments), so each suite owns its own list.
GSSOCKS_PACKAGES=(
	build-essential meson ninja-build pkg-config
	libkrb5-dev krb5-kdc krb5-admin-server krb5-user
	libseccomp-dev libcap-ng-dev libc-ares-dev libssl-dev
	curl python3 iproute2 procps
)

gssocks_root() {
	cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd
}

say() { echo "==> $*" >&2; }

# ensure_packages: install whatever of the list is not installed.
ensure_packages() {
	local root pkgs=("${GSSOCKS_PACKAGES[@]}") missing=() p f
	root=$(gssocks_root)
	for f in "$root"/tests/*/debian-packages; do
		[ -f "$f" ] || continue
		while read -r p _; do
			case $p in ''|'#'*) continue ;; esac
			pkgs+=("$p")
		done <"$f"
	done
	for p in "${pkgs[@]}"; do
		if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" != installed ]; then
			missing+=("$p")
		fi
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	say "installing: ${missing[*]}"
	local sudo=()
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null || { echo "need root (or sudo) to install: ${missing[*]}" >&2; return 1; }
		sudo=(sudo)
	fi
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
}

# meson_build DIR [meson options...]: set up (or reconfigure) and build.
meson_build() {
	local dir=$1 root
	shift
	root=$(gssocks_root)
	if [ -f "$dir/meson-private/coredata.dat" ]; then
		meson setup --reconfigure "$dir" "$root" "$@" >&2
	else
		meson setup "$dir" "$root" "$@" >&2
	fi
	ninja -C "$dir" >&2
}

free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# wait_listen PORT PID [SECONDS]: until something listens on 127.0.0.1:PORT
# (read from /proc: no connection is made) while PID lives.
wait_listen() {
	local port=$1 pid=$2 secs=${3:-15} i hex
	hex=$(printf ':%04X' "$port")
	for i in $(seq $((secs * 20))); do
		kill -0 "$pid" 2>/dev/null || return 1
		if awk -v p="$hex" '$2 ~ p"$" && $4 == "0A" { f = 1 } END { exit !f }' \
			/proc/net/tcp /proc/net/tcp6 2>/dev/null; then
			return 0
		fi
		sleep 0.05
	done
	return 1
}
