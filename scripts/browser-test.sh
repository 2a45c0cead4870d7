#!/usr/bin/env bash
# The playground's story in a real headless Chromium (TestPlaygroundInBrowser
# in cmd/bot): break HubSpot with a 401, /incident triage hubspot, click P2,
# reply twice in the thread, resolve, open the postmortem, reopen, reload;
# and on a phone-sized screen (TestPlaygroundNarrowInBrowser): the vendors'
# drawer, a triage, a thread, Declare anyway. Screenshots of each step go to
# test-artifacts/playground/ (or $TEST_ARTIFACTS/playground).
#
#   scripts/browser-test.sh                       # install Chromium if needed, run the tests
#   UPDATE_SCREENSHOT=1 scripts/browser-test.sh   # also refresh docs/playground*.png
#
# Chromium is Debian's `chromium` package, installed here with apt-get when
# it is missing and we are root (with an emoji font, for legible
# screenshots). CHROMIUM=/path/to/chrome uses another binary. The test
# drives it over the DevTools protocol on --remote-debugging-pipe: no npm,
# no extra Go module. `make test` runs the same test whenever Chromium is
# installed, and skips it (saying so) when it is not.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}

if [ -z "${CHROMIUM:-}" ] && ! command -v chromium >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "browser test: installing chromium with apt-get" >&2
		export DEBIAN_FRONTEND=noninteractive
		apt-get -qq -o DPkg::Lock::Timeout=120 update </dev/null >/dev/null
		apt-get -qq -y -o DPkg::Lock::Timeout=120 install chromium fonts-noto-color-emoji </dev/null >/dev/null
	else
		echo "browser test: no chromium found; install it (apt-get install -y chromium) or set CHROMIUM=/path/to/chrome" >&2
		exit 1
	fi
fi

exec "$GO" test -count=1 -run '^TestPlayground(Narrow)?InBrowser$' -v ./cmd/bot "$@" </dev/null
