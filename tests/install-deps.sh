#!/bin/sh
# Installs, when missing, what a make target needs:
#   build  make, make install (a compiler, libunwind's headers)
#   demo   make demo (and python3)
#   test   make test, make sanitize (stock servers, cmocka, pytest...)
#   bench  make bench (test's, and wrk, matplotlib)
#   fuzz   make fuzz (test's, and clang, llhttp's sources)
# As root it runs apt-get; otherwise it prints, on one line, the command
# to run and fails.
set -eu
mode="${1:-test}"
packages=""
need_pkg() { dpkg -s "$1" >/dev/null 2>&1 || packages="$packages $1"; }
need_cmd() { command -v "$1" >/dev/null 2>&1 || packages="$packages $2"; }

need_cmd gcc gcc
need_cmd make make
need_pkg libc6-dev
need_pkg libunwind-dev
if [ "$mode" != build ]; then
	[ -x /usr/bin/python3 ] || packages="$packages python3"
fi
if [ "$mode" != build ] && [ "$mode" != demo ]; then
	need_pkg libcmocka-dev
	need_pkg python3-pytest
	need_pkg python3-pytest-timeout
	need_pkg python3-fastapi
	need_pkg python3-uvicorn
	need_pkg python3-grpcio
	need_pkg python3-websockets
	need_cmd node nodejs
	need_cmd redis-server redis-server
	need_cmd lighttpd lighttpd
	need_cmd curl curl
	need_cmd memcached memcached
	need_cmd nginx nginx-light
	need_cmd haproxy haproxy
	need_cmd apache2 apache2
	need_cmd gunicorn gunicorn
	need_cmd valgrind valgrind
	need_cmd strip binutils
fi
if [ "$mode" = fuzz ]; then
	need_cmd clang clang
	need_pkg node-llhttp
fi
if [ "$mode" = bench ]; then
	need_cmd wrk wrk
	need_pkg python3-matplotlib
fi
target="make $mode"

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
	echo "$target needs packages: as root, run: apt-get update && apt-get install -y$packages" >&2
	exit 1
fi
