#!/usr/bin/env bash
# Memory under a burst: starts each given `kiji` binary on a fresh SQLite
# database with the sample, sends the README's ColumnPage query from 512
# connections for 20 s with wrk, and reports throughput, p99, refusals and
# resident memory before, at the peak and 10 s after the burst.
#
#   cargo build --release && api/examples/burst.sh target/release/kiji
#   api/examples/burst.sh /tmp/kiji-system /tmp/kiji-jemalloc   # compare builds
#
# Needs wrk and python3. CONNECTIONS, DURATION and EXTRA_ARGS (passed to
# kiji, e.g. "--max-in-flight 100000") may be set in the environment.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
connections=${CONNECTIONS:-512}
duration=${DURATION:-20s}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$here/README.md" > "$work/body.json" <<'PY'
import json, re, sys
readme = open(sys.argv[1], encoding="utf-8").read()
blocks = re.findall(r"```graphql\n(.*?)```", readme, re.S)
page = next(b for b in blocks if b.startswith("query ColumnPage"))
fragments = "\n".join(b for b in blocks if b.startswith("fragment") or "\nfragment " in b)
query = page if "fragment Section" in page else page + fragments
print(json.dumps({"query": query, "variables": {"slug": "exosome-effects-and-side-effects", "locale": "ja"}}))
PY
python3 - "$work/body.json" > "$work/post.lua" <<'PY'
import json, sys
body = open(sys.argv[1], encoding="utf-8").read().strip()
print('wrk.method = "POST"')
print('wrk.headers["Content-Type"] = "application/json"')
print("wrk.body = " + json.dumps(body))
PY

rss() { awk -v k="$2" '$1 == k":" { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

printf '| binary | answered (2xx) req/s | p50 | p99 | refused (503) | RSS idle | RSS peak | RSS 10 s after |\n|---|---|---|---|---|---|---|---|\n'
for bin in "$@"; do
    db="$work/$(basename "$bin").db"
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    # shellcheck disable=SC2086
    "$bin" --listen "127.0.0.1:$port" --database-url "sqlite://$db?mode=rwc" --log error ${EXTRA_ARGS:-} >/dev/null &
    pid=$!
    until curl -fs "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.2; done
    for _ in $(seq 1 50); do
        curl -fs -H 'content-type: application/json' --data @"$work/body.json" "http://127.0.0.1:$port/graphql" >/dev/null
    done
    idle=$(rss "$pid" VmRSS)
    out=$(wrk -t2 -c"$connections" -d"$duration" --latency -s "$work/post.lua" "http://127.0.0.1:$port/graphql")
    peak=$(rss "$pid" VmHWM)
    sleep 10
    after=$(rss "$pid" VmRSS)
    total=$(awk '/requests in/ { print $1 }' <<<"$out")
    seconds=$(awk '/requests in/ { sub(/s,$/, "", $4); print $4 }' <<<"$out")
    non2xx=$(awk '/Non-2xx/ { print $NF }' <<<"$out")
    answered=$(awk -v t="$total" -v n="${non2xx:-0}" -v s="$seconds" 'BEGIN { printf "%.0f", (t - n) / s }')
    p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
    p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
    printf '| %s | %s | %s | %s | %s | %s MB | %s MB | %s MB |\n' "$(basename "$bin")" "$answered" "$p50" "$p99" "${non2xx:-0}" "$idle" "$peak" "$after"
    kill "$pid"
    wait "$pid" 2>/dev/null || true
done
