#!/usr/bin/env bash
# What `make test` runs: every test with the race detector, the Postgres
# store tests against a throwaway PostgreSQL started here.
#
#   scripts/test.sh                    # go test -race -count=1 ./...
#   scripts/test.sh ./internal/store/... -v   # arguments replace ./...
#   TEST_JSON=t.json scripts/test.sh   # also keep go test -json's stream
#
# What it prints: one line for what it starts or finds (PostgreSQL,
# Chromium), then go test's line for each package as that package finishes
# (scripts/testreport reads go test -json), the full output of every failed
# test as soon as it fails, a line saying what still runs when nothing was
# printed for 30 s (the first race build takes minutes), and at the end the
# slowest tests and "tests: N passed, N failed, N skipped".
#
# - TEST_DATABASE_URL already set: it is used and nothing is started.
# - Otherwise a PostgreSQL (15 preferred; installed with apt-get when missing
#   and we are root) is initialised in a temporary directory, listens on a
#   free port of 127.0.0.1 only (its unix socket stays in that directory),
#   runs without fsync, and is stopped and removed when the script exits.
#   initdb and pg_ctl refuse to run as root, so as root they run as the
#   postgres user.
# - If PostgreSQL cannot be started, one line says why and the tests run
#   anyway: the Postgres store tests skip.
# - When cmd/bot is among the packages, the bot's own build (make build's
#   flags, no race detector; two cmd/bot tests run it) is started in the
#   background at a lower priority, alongside the race build.
#
# Needs no terminal (CI=true, no stdin). Exits with go test's exit code
# (or the reporter's, should go test pass and the reporter fail).
set -uo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
PG_DIR=
PG_BIN=
PG_REASON=

is_root() { [ "$(id -u)" = 0 ]; }

# as_pg runs a command as the user that owns the cluster.
as_pg() {
	if is_root; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

find_pg_bin() {
	local d
	for d in ${PG_BIN_DIR:-} /usr/lib/postgresql/15/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV) \
		/usr/pgsql-15/bin /usr/local/pgsql/bin; do
		if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then
			PG_BIN=$d
			return 0
		fi
	done
	if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
		PG_BIN=$(dirname "$(command -v initdb)")
		return 0
	fi
	return 1
}

install_pg() {
	is_root && command -v apt-get >/dev/null 2>&1 || return 1
	echo "postgres: installing PostgreSQL with apt-get" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get -qq -o DPkg::Lock::Timeout=120 update </dev/null >/dev/null 2>&1 &&
		apt-get -qq -y -o DPkg::Lock::Timeout=120 install --no-install-recommends postgresql \
			</dev/null >/dev/null 2>&1
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# start_pg starts the cluster and exports TEST_DATABASE_URL, or sets
# PG_REASON and fails.
start_pg() {
	if ! find_pg_bin; then
		if ! install_pg; then
			if is_root && command -v apt-get >/dev/null 2>&1; then
				PG_REASON="no PostgreSQL binaries, and apt-get install postgresql failed"
			else
				PG_REASON="no PostgreSQL binaries (initdb, pg_ctl) found"
			fi
			return 1
		fi
		find_pg_bin || { PG_REASON="apt-get installed postgresql but initdb was not found"; return 1; }
	fi
	if is_root; then
		command -v runuser >/dev/null 2>&1 || { PG_REASON="running as root and runuser is missing"; return 1; }
		id postgres >/dev/null 2>&1 || { PG_REASON="running as root and there is no postgres user"; return 1; }
		PG_DIR=$(mktemp -d /tmp/bot-pg.XXXXXX 2>/dev/null) || { PG_REASON="cannot create a temporary directory"; return 1; }
		chown postgres: "$PG_DIR" || { PG_REASON="cannot chown $PG_DIR to postgres"; return 1; }
	else
		PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/bot-pg.XXXXXX" 2>/dev/null) || { PG_REASON="cannot create a temporary directory"; return 1; }
	fi
	# initdb's output is written by this shell; the server's log by the server.
	local ilog=$PG_DIR/initdb.log log=$PG_DIR/server.log
	# The postgres user may not be allowed into the caller's directory.
	if ! (cd "$PG_DIR" && as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --no-locale \
		--no-sync </dev/null >"$ilog" 2>&1); then
		PG_REASON="initdb failed: $(tail -n 1 "$ilog")"
		return 1
	fi
	as_pg mkdir "$PG_DIR/sock"
	cat >>"$PG_DIR/data/postgresql.conf" <<-EOF
		# scripts/test.sh: a throwaway cluster for tests
		listen_addresses = '127.0.0.1'
		unix_socket_directories = '$PG_DIR/sock'
		fsync = off
		synchronous_commit = off
		full_page_writes = off
		shared_buffers = 32MB
		max_connections = 200
		logging_collector = off
	EOF
	local try port
	for try in 1 2 3 4 5; do
		port=$((20000 + RANDOM % 30000))
		port_free "$port" || continue
		if (cd "$PG_DIR" && as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$log" -w -t 60 -o "-p $port" start \
			</dev/null >/dev/null 2>&1); then
			export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
			echo "postgres: started $("$PG_BIN/postgres" --version | sed 's/^postgres (PostgreSQL) /PostgreSQL /') on 127.0.0.1:$port for the tests" >&2
			return 0
		fi
		grep -q "could not bind\|Address already in use" "$log" 2>/dev/null || break
	done
	PG_REASON="pg_ctl start failed: $(grep -m 1 'FATAL\|ERROR' "$log" 2>/dev/null || tail -n 1 "$log")"
	return 1
}

stop_pg() {
	[ -n "$PG_DIR" ] || return 0
	if [ -f "$PG_DIR/data/postmaster.pid" ]; then
		(cd "$PG_DIR" && as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w -t 30 stop </dev/null >/dev/null 2>&1)
	fi
	rm -rf "$PG_DIR"
}
trap stop_pg EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -n "${TEST_DATABASE_URL:-}" ]; then
	echo "postgres: using TEST_DATABASE_URL" >&2
elif ! start_pg; then
	echo "postgres: not available ($PG_REASON); the Postgres store tests will be skipped" >&2
fi

if [ -n "${CHROMIUM:-}" ] || command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
	echo "chromium: found, so the playground's browser tests run" >&2
else
	echo "chromium: not installed, so the playground's browser tests skip (scripts/browser-test.sh or .ci/run installs it)" >&2
fi

if [ $# -eq 0 ]; then
	set -- ./...
fi
verbose=
for a in "$@"; do
	case $a in -v | -v=true | -test.v | -test.v=true) verbose=-v ;; esac
done

# The bot's own build, without the race detector (TestKill9… and the
# Dockerfile test run it, with make build's flags), starts now, in the
# background and at a lower priority: on a cold build cache it compiles on
# the core the race build leaves idle, so that those tests only link instead
# of compiling everything again after the race build is done.
PREBUILD=
for a in "$@"; do
	case $a in ./... | ./cmd/... | ./cmd/bot | ./cmd/bot/...) PREBUILD=1 ;; esac
done
if [ -n "$PREBUILD" ]; then
	CGO_ENABLED=0 nice -n 10 "$GO" build -trimpath -o /dev/null ./cmd/bot </dev/null >/dev/null 2>&1 &
fi

# go test's JSON goes through scripts/testreport, built meanwhile (the race
# build takes far longer), with make build's flags so that the packages of
# the standard library it compiles are those the bot's own build reuses.
REPORT_DIR=$(mktemp -d "${TMPDIR:-/tmp}/bot-testreport.XXXXXX")
# At exit: the prebuild, if it still runs (jobs lists only this shell's
# children that are still running), the reporter's directory, PostgreSQL.
trap 'running=$(jobs -pr); [ -z "$running" ] || kill $running 2>/dev/null; rm -rf "$REPORT_DIR"; stop_pg' EXIT
module=$("$GO" list -m)
echo "go test: building the test binaries with the race detector (the first build on a machine compiles every" >&2
echo "         dependency and takes a few minutes; later ones reuse the build cache), then running them:" >&2
echo "         a line as each package finishes" >&2
start=$(date +%s)
"$GO" test -race -count=1 -json "$@" </dev/null | {
	if CGO_ENABLED=0 "$GO" build -trimpath -o "$REPORT_DIR/testreport" ./scripts/testreport; then
		exec "$REPORT_DIR/testreport" $verbose -start "$start" -module "$module" ${TEST_JSON:+-json "$TEST_JSON"}
	fi
	echo "go test: scripts/testreport did not build; go test's JSON follows as it is" >&2
	exec cat
}
codes=("${PIPESTATUS[@]}")
if [ "${codes[0]}" != 0 ]; then
	exit "${codes[0]}"
fi
exit "${codes[1]}"
