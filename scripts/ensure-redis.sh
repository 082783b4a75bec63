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
sh "$(dirname "$0")/apt-install-quietly.sh" redis-server redis-server

command -v redis-server >/dev/null 2>&1 || {
  echo "ensure-redis: apt-get finished but redis-server is still not on PATH" >&2
  exit 1
}
echo "ensure-redis: $(redis-server --version)" >&2
