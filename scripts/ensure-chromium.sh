#!/bin/sh
# Makes sure Debian's Chromium is at /usr/bin/chromium for the inspector's real-browser test
# (test/sandbox-inspector-browser.test.ts drives it with playwright-core). Playwright's own browser
# download is not used: it needs network access to a CDN at test time; Debian's package comes from
# the same apt mirror as redis-server and PostgreSQL.
set -eu

# BLUUM_CHROMIUM points the test at another Chromium or Chrome (macOS, a distribution without the
# Debian package): nothing to install then, and a path that is not an executable is an error
# rather than a reason to install Debian's.
if [ -n "${BLUUM_CHROMIUM:-}" ]; then
  if [ -f "$BLUUM_CHROMIUM" ] && [ -x "$BLUUM_CHROMIUM" ]; then
    exit 0
  fi
  echo "ensure-chromium: BLUUM_CHROMIUM is $BLUUM_CHROMIUM, which is not an executable file." >&2
  echo "Set it to a Chromium or Chrome binary (macOS: /Applications/Google Chrome.app/Contents/MacOS/Google Chrome), or unset it." >&2
  exit 1
fi
if [ -x /usr/bin/chromium ]; then
  exit 0
fi

if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: /usr/bin/chromium is missing and cannot be installed automatically (needs root and apt-get)." >&2
  echo "Install it, then run the tests again:" >&2
  echo "  Debian/Ubuntu: sudo apt-get install chromium" >&2
  echo "  other:         set BLUUM_CHROMIUM to a Chromium or Chrome executable" >&2
  exit 1
fi

echo "ensure-chromium: installing chromium with apt-get" >&2
# Chromium has no service; the second argument names one that does not exist, so nothing is stopped.
sh "$(dirname "$0")/apt-install-quietly.sh" chromium chromium

[ -x /usr/bin/chromium ] || {
  echo "ensure-chromium: apt-get finished but /usr/bin/chromium is still missing" >&2
  exit 1
}
echo "ensure-chromium: $(/usr/bin/chromium --version 2>/dev/null || echo chromium installed)" >&2
