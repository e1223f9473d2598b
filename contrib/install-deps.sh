#!/bin/sh
# Installs what keysentry needs to build and to run its whole test suite
# on Debian 12.  Run as root (or through sudo).  Safe to run again.
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends \
	build-essential autoconf automake libtool pkg-config \
	libjansson-dev libyaml-dev libpcap-dev libmaxminddb-dev \
	libhiredis-dev libevent-dev libssl-dev zlib1g-dev \
	check python3 python3-jsonschema jq gzip \
	clang libclang-rt-14-dev redis-server tcpdump
