#!/bin/sh
# Installs what `make test` needs (or, with "bench", what `make bench`
# needs), when missing. As root it runs apt-get; otherwise it prints the
# exact command and fails.
set -eu
packages=""
need_pkg() { dpkg -s "$1" >/dev/null 2>&1 || packages="$packages $1"; }
need_cmd() { command -v "$1" >/dev/null 2>&1 || packages="$packages $2"; }

need_pkg libcmocka-dev
need_pkg libunwind-dev
need_pkg python3-pytest
need_pkg python3-pytest-timeout
need_pkg python3-fastapi
need_pkg python3-uvicorn
need_cmd gcc gcc
need_cmd make make
need_cmd node nodejs
need_cmd redis-server redis-server
need_cmd lighttpd lighttpd
need_cmd curl curl
need_cmd memcached memcached
need_cmd nginx nginx-light
need_cmd haproxy haproxy
need_cmd valgrind valgrind
[ -x /usr/bin/python3 ] || packages="$packages python3"
if [ "${1:-}" = fuzz ]; then
	need_cmd clang clang
	need_pkg node-llhttp
fi
if [ "${1:-}" = bench ]; then
	need_cmd wrk wrk
	need_pkg python3-matplotlib
fi
target="make ${1:-test}"

[ -z "$packages" ] && exit 0
if [ "$(id -u)" = 0 ]; then
	echo "$target: installing$packages"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# Services must not start inside the build machine (no init there).
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d.lastcall
	chmod +x /usr/sbin/policy-rc.d.lastcall
	[ -e /usr/sbin/policy-rc.d ] || { cp /usr/sbin/policy-rc.d.lastcall /usr/sbin/policy-rc.d; trap 'rm -f /usr/sbin/policy-rc.d' EXIT; }
	rm -f /usr/sbin/policy-rc.d.lastcall
	apt-get install -y -qq --no-install-recommends $packages >/dev/null
else
	echo "$target needs these packages; run as root:" >&2
	echo "  apt-get update && apt-get install -y$packages" >&2
	exit 1
fi
