#!/bin/sh
# Makes sure `redis-server` is on PATH for the Redis store tests and bench.
# The tests start their own server on a free loopback port: they never use a system Redis,
# so a service started by the package is stopped and disabled here.
set -eu

if command -v redis-server >/dev/null 2>&1; then
  exit 0
fi

if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-redis: redis-server is not on PATH and cannot be installed automatically (needs root and apt-get)." >&2
  echo "Install it, then run the tests again:" >&2
  echo "  Debian/Ubuntu: sudo apt-get install redis-server" >&2
  echo "  macOS:         brew install redis" >&2
  echo "  other:         https://redis.io/docs/latest/operate/oss_and_stack/install/" >&2
  exit 1
fi

echo "ensure-redis: installing redis-server with apt-get" >&2
# policy-rc.d answering 101 tells Debian's maintainer scripts not to start the service during the
# install; only add one when none exists, and remove it afterwards.
policy=/usr/sbin/policy-rc.d
added_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod +x "$policy"
  added_policy=1
fi
cleanup() {
  if [ "$added_policy" = 1 ]; then rm -f "$policy"; fi
}
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq redis-server >/dev/null

# Where an init system runs anyway, keep the packaged service off: nothing may rely on it.
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  systemctl disable --now redis-server >/dev/null 2>&1 || true
elif command -v service >/dev/null 2>&1; then
  service redis-server stop >/dev/null 2>&1 || true
fi

command -v redis-server >/dev/null 2>&1 || {
  echo "ensure-redis: apt-get finished but redis-server is still not on PATH" >&2
  exit 1
}
echo "ensure-redis: $(redis-server --version)" >&2
