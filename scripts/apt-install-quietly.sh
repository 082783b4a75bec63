#!/bin/sh
# Installs Debian packages for the test servers without starting their services: the tests start
# their own servers on free loopback ports and must never rely on (or collide with) a packaged one.
#   sh scripts/apt-install-quietly.sh PACKAGE SERVICE
# Needs root and apt-get; the ensure-* scripts check that first and say how to install by hand.
set -eu
package=$1
service=$2

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
apt-get install -y -qq "$package" >/dev/null

# Where an init system runs anyway, keep the packaged service off: nothing may rely on it.
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  systemctl disable --now "$service" >/dev/null 2>&1 || true
elif command -v service >/dev/null 2>&1; then
  service "$service" stop >/dev/null 2>&1 || true
fi
