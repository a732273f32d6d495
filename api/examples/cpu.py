#!/usr/bin/env python3
"""CPU per request: what one cold page costs Kiji and PostgreSQL.

Throughput on a shared two-core machine moves with whatever else runs;
the CPU time a request takes moves much less. For each page (the README's
ColumnPage and ColumnList, response cache off) this starts each binary in
turn on the database bench.py built, runs wrk, and reads the CPU time
(user + system, from /proc) of the Kiji process and of every PostgreSQL
process before and after, alternating the binaries for --rounds rounds.

  api/examples/bench.py --kiji A --db-tag a --kiji B --db-tag b   # builds the databases
  api/examples/cpu.py --kiji A --db-tag a --kiji B --db-tag b

Linux only (it reads /proc).
"""

import argparse
import os
import statistics
import tempfile
from pathlib import Path

import bench

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def postgres_seconds():
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() == "postgres":
                total += cpu_seconds(entry.name)
        except OSError:
            pass  # a backend that ended meanwhile
    return total


def measure(args, kiji, url, script):
    proc, base = bench.start_kiji(kiji, url, ["--response-cache-mb", "0"])
    try:
        bench.wrk(argparse.Namespace(connections=args.connections, duration="2s"), base + "/graphql", script)
        k0, p0 = cpu_seconds(proc.pid), postgres_seconds()
        result = bench.wrk(args, base + "/graphql", script)
        k1, p1 = cpu_seconds(proc.pid), postgres_seconds()
    finally:
        proc.terminate()
        proc.wait()
    seconds = float(args.duration.rstrip("s"))
    requests = result["rps"] * seconds
    return {"rps": result["rps"], "kiji": (k1 - k0) / requests * 1e3, "pg": (p1 - p0) / requests * 1e3}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--kiji", action="append", required=True)
    parser.add_argument("--db-tag", action="append", required=True)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", default="8s")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if len(args.kiji) != len(args.db_tag):
        raise SystemExit("give one --db-tag per --kiji")
    page, listing = bench.readme_queries()
    workdir = Path(tempfile.mkdtemp(prefix="kiji-cpu-"))
    scripts = {
        "article page": bench.lua_script(workdir, "page", page, lambda s: {"slug": s, "locale": "ja"}, args.articles),
        "list page": bench.lua_script(workdir, "list", listing, lambda s: {"category": "regenerative-medicine"}, args.articles),
    }
    root = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
    results = {}
    for case, script in scripts.items():
        for _ in range(args.rounds):
            for kiji, tag in zip(args.kiji, args.db_tag):
                url = f"{root}/kiji_bench_{args.articles}_{tag}"
                results.setdefault((case, kiji), []).append(measure(args, kiji, url, script))
    print("| page | binary | Kiji CPU per request | PostgreSQL CPU per request | req/s |")
    print("|---|---|---|---|---|")
    for (case, kiji), runs in results.items():
        kiji_ms = statistics.median(r["kiji"] for r in runs)
        pg_ms = statistics.median(r["pg"] for r in runs)
        rps = statistics.median(r["rps"] for r in runs)
        print(f"| {case} | `{kiji}` | {kiji_ms:.3f} ms | {pg_ms:.3f} ms | {rps:,.0f} |")


if __name__ == "__main__":
    main()
