#!/usr/bin/env bash
# What `make bench` runs: every Go benchmark of the project, BENCH_COUNT
# times (default 3), one package at a time, then a table of the medians and
# the targets (docs/PERFORMANCE.md explains each figure).
#
#   scripts/bench.sh                       # all benchmarks, 3 runs each
#   BENCH_COUNT=1 scripts/bench.sh         # quicker, noisier
#   BENCH=Ack scripts/bench.sh ./cmd/bot   # a -bench pattern; arguments replace the packages
#
# - The bot binary is built once, as `make build` builds it, for the
#   start-up and resident-memory benchmarks (BENCH_BOT_BINARY).
# - TEST_DATABASE_URL set: the store benchmark measures Postgres as well.
# - The raw `go test` output is kept in BENCH_OUT (default: a file in
#   $TMPDIR named on the last line), for benchstat.
# Needs no terminal. Exits with go test's exit code.
set -uo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
COUNT=${BENCH_COUNT:-3}
PATTERN=${BENCH:-.}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bot-bench.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
OUT=${BENCH_OUT:-${TMPDIR:-/tmp}/bot-bench-$(date +%Y%m%d-%H%M%S).txt}

if [ $# -eq 0 ]; then
	# The packages that have benchmarks.
	set -- $(grep -rl --include='*_test.go' '^func Benchmark' . | xargs -n1 dirname | sort -u)
fi

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//'), $("$GO" version | cut -d' ' -f3-)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
echo "building the bot binary for the start-up and memory benchmarks"
if ! CGO_ENABLED=0 "$GO" build -trimpath -ldflags "-s -w" -o "$tmp/bot" ./cmd/bot; then
	echo "bench: cannot build ./cmd/bot" >&2
	exit 1
fi
export BENCH_BOT_BINARY=$tmp/bot

start=$(date +%s)
# -p 1: one package at a time, so that benchmarks do not share the CPUs.
"$GO" test -p 1 -run '^$' -bench "$PATTERN" -benchmem -count "$COUNT" -timeout 15m "$@" </dev/null 2>&1 | tee "$OUT"
status=${PIPESTATUS[0]}
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null); took $(($(date +%s) - start)) s"

# The table: for each benchmark and figure, the median of the runs (and
# every run, to show the spread), then the targets (docs/PERFORMANCE.md).
awk -v count="$COUNT" '
function median(key,    n, i, j, t, v) {
	n = split(vals[key], v, " ")
	for (i = 2; i <= n; i++) { t = v[i] + 0; for (j = i - 1; j >= 1 && v[j] + 0 > t; j--) v[j+1] = v[j]; v[j+1] = t }
	return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
function fmt(x) { return (x >= 100 || x <= -100) ? sprintf("%.0f", x) : sprintf("%.3g", x) }
function has(key) { return (key in vals) }
function m(key) { return has(key) ? median(key) : "" }
function target(what, key, op, goal, unit,    v, ok) {
	if (!has(key)) { printf "  %-52s %12s  %-10s %s\n", what, "not run", op " " goal unit, "-"; return }
	v = median(key)
	ok = (op == "<" && v < goal) || (op == "<=" && v <= goal) || (op == ">=" && v >= goal)
	printf "  %-52s %12s  %-10s %s\n", what, fmt(v) unit, op " " goal unit, ok ? "met" : "MISSED"
}
/^Benchmark/ && / ns\/op/ {
	name = $1; sub(/^Benchmark/, "", name); sub(/-[0-9]+$/, "", name)
	if (!(name in seen)) { seen[name] = 1; order[++nb] = name }
	custom = 0
	for (i = 4; i < NF; i += 2) if ($(i+1) != "ns/op" && $(i+1) != "B/op" && $(i+1) != "allocs/op") custom = 1
	for (i = 3; i < NF; i += 2) {
		unit = $(i+1)
		if (custom && (unit == "ns/op" || unit == "B/op" || unit == "allocs/op")) continue
		key = name SUBSEP unit
		if (!(key in vals)) units[name] = units[name] " " unit
		vals[key] = vals[key] " " $i
	}
}
END {
	if (nb == 0) exit
	print ""
	printf "%-36s %-22s %12s   %s\n", "benchmark", "figure", "median", "runs"
	for (b = 1; b <= nb; b++) {
		name = order[b]; nu = split(units[name], us, " ")
		for (u = 1; u <= nu; u++) {
			key = name SUBSEP us[u]
			printf "%-36s %-22s %12s   %s\n", (u == 1 ? name : ""), us[u], fmt(median(key)), vals[key]
		}
	}
	print ""
	print "targets (docs/PERFORMANCE.md), medians of " count " runs:"
	target("ack p99 / floor p99, slash command, 32 at once", "Ack/command" SUBSEP "p99-x-floor", "<=", 2, "x")
	target("ack p99 / floor p99, interaction, 32 at once", "Ack/interaction" SUBSEP "p99-x-floor", "<=", 2, "x")
	target("ack p99 / floor p99, event, 32 at once", "Ack/event" SUBSEP "p99-x-floor", "<=", 2, "x")
	target("triage overhead beyond the slowest check", "TriageOverhead" SUBSEP "overhead-ms", "<", 20, "ms")
	target("triage overhead beyond the slowest check, p99", "TriageOverhead" SUBSEP "overhead-p99-ms", "<", 20, "ms")
	target("hung vendor: report after the deadline by", "TriageHungVendor/deadline=1s" SUBSEP "max-over-deadline-ms", "<=", 0, "ms")
	# A spinning wait would use about 1000 ms of CPU per second of waiting.
	a = "TriageHungVendor/deadline=250ms" SUBSEP "cpu-ms"; c = "TriageHungVendor/deadline=1s" SUBSEP "cpu-ms"
	if (has(a) && has(c)) { vals["spin"] = " " ((median(c) - median(a)) / 0.75) }
	target("hung vendor: CPU per second of waiting", "spin", "<", 10, "ms/s")
	target("ingestion, AddEntry, SQLite, 1 incident", "AddEntry/sqlite/incidents=1" SUBSEP "events/s", ">=", 2000, "/s")
	target("ingestion, AddEntry, SQLite, 100 incidents", "AddEntry/sqlite/incidents=100" SUBSEP "events/s", ">=", 2000, "/s")
	target("ingestion, AddEntry, Postgres, 1 incident", "AddEntry/postgres/incidents=1" SUBSEP "events/s", ">=", 2000, "/s")
	target("ingestion, /slack/events, bot process, 1 incident", "Ingest/process/incidents=1" SUBSEP "events/s", ">=", 8000, "/s")
	target("ingestion, /slack/events, bot process, 100 incidents", "Ingest/process/incidents=100" SUBSEP "events/s", ">=", 8000, "/s")
	target("ingestion, /slack/events, capacity from bot CPU time", "Ingest/process/incidents=1" SUBSEP "capacity-events/s", ">=", 8000, "/s")
	target("ingestion, /slack/events, Postgres, 1 incident", "Ingest/process-postgres/incidents=1" SUBSEP "events/s", ">=", 4000, "/s")
	target("ingestion, /slack/events, Postgres, 100 incidents", "Ingest/process-postgres/incidents=100" SUBSEP "events/s", ">=", 4000, "/s")
	target("postmortem of 10,000 entries", "Postmortem/entries=10000" SUBSEP "ms/render", "<", 1000, "ms")
	a = "Postmortem/entries=100" SUBSEP "ns/entry"; c = "Postmortem/entries=10000" SUBSEP "ns/entry"
	if (has(a) && has(c)) { vals["linear"] = " " (median(c) / median(a)) }
	target("postmortem per-entry cost, 10,000 over 100", "linear", "<=", 2, "x")
	target("start-up to ready", "Startup" SUBSEP "ready-ms", "<", 300, "ms")
	target("resident memory at rest", "Startup" SUBSEP "rss-idle-MB", "<", 50, "MB")
	target("resident memory under the ack load (peak)", "Resident" SUBSEP "rss-peak-MB", "<", 50, "MB")
	target("triage storm: ack p99 / floor p99, 200 triages, 32 at once", "TriageStorm" SUBSEP "p99-x-floor", "<=", 2, "x")
	target("triage storm: API probes HubSpot saw per 200 triages", "TriageStorm" SUBSEP "api-probes/round", "<=", 25, "")
	target("triage storm: status-page probes per 200 triages", "TriageStorm" SUBSEP "status-probes/round", "<=", 25, "")
	target("triage storm: bot resident memory (peak)", "TriageStorm" SUBSEP "rss-peak-MB", "<=", 64, "MB")
	target("vendor watch: CPU per 60 s interval, 1,000 vendors", "Watch1000Vendors" SUBSEP "cpu-%-of-core", "<", 5, "%")
	target("vendor watch: resident memory (peak), 1,000 vendors", "Watch1000Vendors" SUBSEP "rss-peak-MB", "<", 64, "MB")
	target("vendor watch: requests per page per interval", "Watch1000Vendors" SUBSEP "requests/page/interval", "<=", 1, "")
}' "$OUT"
echo
echo "raw output: $OUT"
exit "$status"
