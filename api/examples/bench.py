#!/usr/bin/env python3
"""Delivery benchmark: Kiji over a database of N column-shaped articles.

Builds (or reuses) a database of N copies of the sample column under slugs
column-1 … column-N on SQLite or PostgreSQL (`kiji import` runs ANALYZE),
starts each given `kiji` binary on it, and measures with wrk, 16
connections, a random slug per request:

  article page, cold   the README's ColumnPage, response cache off
  article page, warm   the same, cache on, over a hot set of 200 slugs
  list page, cold      the README's ColumnList (10 articles, totalCount)
  plain route          the same article bytes from a plain axum server

It prints one table per binary, each line with its ratio to the plain route
and the server's resident memory, and with --write appends it to
docs/benchmarks.md together with the machine and versions.

  cargo build --release && cargo build --release -p api --example plain
  api/examples/bench.py                                  # 10,000 articles, PostgreSQL
  api/examples/bench.py --articles 1000 --database sqlite
  api/examples/bench.py --kiji /tmp/kiji-before --kiji target/release/kiji --write

Needs wrk and python3; PostgreSQL at $BENCH_POSTGRES (default
postgres://postgres@127.0.0.1:5432) for --database postgres. Binaries that
predate an option (the response cache) are run without it.
"""

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "api" / "content" / "sample"
COLUMN = SAMPLE / "articles" / "exosome-effects-and-side-effects.yaml"
BATCH = 250
HOT = 200


def readme_queries():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```graphql\n(.*?)```", text, re.S)
    fragments = "\n".join(b for b in blocks if b.startswith("fragment") or "\nfragment " in b)
    page = next(b for b in blocks if b.startswith("query ColumnPage"))
    if "fragment Section" not in page:
        page += fragments
    listing = next(b for b in blocks if b.startswith("query ColumnList"))
    return page, listing


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_database(args, kiji, workdir, tag=None):
    """Creates the database for `kiji` unless it exists; returns its URL.
    Each binary gets a database of its own: an older binary refuses a
    database migrated by a newer one."""
    n = args.articles
    tag = tag or hashlib.sha256(f"{Path(kiji).resolve()}:{Path(kiji).stat().st_size}".encode()).hexdigest()[:8]
    if args.database == "sqlite":
        path = Path(args.cache_dir) / f"kiji-bench-{n}-{tag}.db"
        url = f"sqlite://{path}?mode=rwc"
        if path.exists() and not args.rebuild:
            return url
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        base = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
        name = f"kiji_bench_{n}_{tag}"
        url = f"{base}/{name}"
        exists = subprocess.run(
            ["psql", f"{base}/postgres", "-Atc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
            capture_output=True, text=True, check=True,
        ).stdout.strip() == "1"
        if exists and not args.rebuild:
            return url
        run(["psql", f"{base}/postgres", "-qc", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'])
        run(["psql", f"{base}/postgres", "-qc", f'CREATE DATABASE "{name}"'])
    print(f"building a database of {n} articles …", file=sys.stderr)
    started = time.time()
    sample = [str(p) for p in sorted(SAMPLE.glob("*.yaml"))]
    run([kiji, "--database-url", url, "--log", "warn", "import", *sample, *map(str, sorted(SAMPLE.glob("articles/*.yaml")))],
        stdout=subprocess.DEVNULL)
    column = COLUMN.read_text(encoding="utf-8")
    block = column[column.index("- slug:"):]
    for first in range(1, n + 1, BATCH):
        parts = ["articles:\n"]
        for i in range(first, min(first + BATCH, n + 1)):
            # Distinct slugs and publication times (one minute apart).
            minute = i % 60
            hour = (i // 60) % 24
            day = 1 + (i // 1440) % 28
            copy = block.replace("slug: exosome-effects-and-side-effects", f"slug: column-{i}", 1)
            copy = re.sub(r"published_at: '[^']*'", f"published_at: '2020-01-{day:02d}T{hour:02d}:{minute:02d}:00+00:00'", copy, count=1)
            parts.append(copy)
        batch = workdir / f"batch-{first}.yaml"
        batch.write_text("".join(parts), encoding="utf-8")
        run([kiji, "--database-url", url, "--log", "warn", "import", str(batch)], stdout=subprocess.DEVNULL)
        batch.unlink()
        print(f"  {min(first + BATCH - 1, n)}/{n} ({time.time() - started:.0f} s)", file=sys.stderr)
    # Older binaries do not analyze after an import.
    if args.database == "sqlite":
        with sqlite3.connect(path) as db:
            db.execute("ANALYZE")
    else:
        run(["psql", url, "-qc", "ANALYZE"])
    return url


def lua_script(workdir, name, query, variables_of_slug, n):
    """A wrk script posting `query` with a random slug among 1..n."""
    body_template = json.dumps({"query": query, "variables": variables_of_slug("SLUG")})
    path = workdir / f"{name}.lua"
    if "SLUG" not in body_template:
        path.write_text(
            "wrk.method = 'POST'\n"
            "wrk.headers['Content-Type'] = 'application/json'\n"
            f"wrk.body = {json.dumps(body_template)}\n",
            encoding="utf-8",
        )
        return path
    left, right = body_template.split("SLUG")
    path.write_text(
        "wrk.method = 'POST'\n"
        "wrk.headers['Content-Type'] = 'application/json'\n"
        f"local left = {json.dumps(left)}\nlocal right = {json.dumps(right)}\n"
        f"request = function() return wrk.format(nil, nil, nil, left .. 'column-' .. math.random(1, {n}) .. right) end\n",
        encoding="utf-8",
    )
    return path


def wrk(args, url, script):
    out = subprocess.run(
        ["wrk", "-t2", f"-c{args.connections}", f"-d{args.duration}", "--latency", "-s", str(script), url],
        capture_output=True, text=True, check=True,
    ).stdout
    total = int(re.search(r"(\d+) requests in", out).group(1))
    seconds = float(re.search(r"requests in ([\d.]+)(m?s)", out).group(1))
    if re.search(r"requests in [\d.]+ms", out):
        seconds /= 1000
    non2xx = int((re.search(r"Non-2xx or 3xx responses: (\d+)", out) or [0, 0])[1])
    p50 = re.search(r"\s50%\s+(\S+)", out).group(1)
    p99 = re.search(r"\s99%\s+(\S+)", out).group(1)
    return {"rps": (total - non2xx) / seconds, "p50": p50, "p99": p99, "errors": non2xx}


def rss(pid, field="VmRSS"):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) // 1024
    return 0


def start_kiji(kiji, url, extra):
    port = free_port()
    proc = subprocess.Popen(
        [kiji, "--listen", f"127.0.0.1:{port}", "--database-url", url, "--log", "error", *extra],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            urllib.request.urlopen(base + "/readyz", timeout=1)
            return proc, base
        except Exception:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"{kiji} did not start")


def supports(kiji, option):
    return option in subprocess.run([kiji, "--help"], capture_output=True, text=True).stdout


def post(base, query, variables):
    request = urllib.request.Request(
        base + "/graphql",
        data=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"content-type": "application/json"},
    )
    return urllib.request.urlopen(request, timeout=60).read()


def bench_binary(args, kiji, url, plain_bin, workdir, page, listing):
    n = args.articles
    page_vars = lambda s: {"slug": s, "locale": "ja"}
    list_vars = lambda s: {"category": "regenerative-medicine"}
    page_lua = lua_script(workdir, "page", page, page_vars, n)
    hot_lua = lua_script(workdir, "hot", page, page_vars, min(HOT, n))
    list_lua = lua_script(workdir, "list", listing, list_vars, n)
    results = []
    cache_off = ["--response-cache-mb", "0"] if supports(kiji, "--response-cache-mb") else []

    proc, base = start_kiji(kiji, url, cache_off)
    try:
        body = post(base, page, page_vars("column-1"))
        (workdir / "answer.json").write_bytes(body)
        results.append(("article page, cold", wrk(args, base + "/graphql", page_lua), rss(proc.pid)))
        results.append(("list page, cold", wrk(args, base + "/graphql", list_lua), rss(proc.pid)))
        peak = rss(proc.pid, "VmHWM")
    finally:
        proc.terminate()
        proc.wait()

    if cache_off:
        proc, base = start_kiji(kiji, url, ["--response-cache-mb", "1024"])
        try:
            for i in range(1, min(HOT, n) + 1):
                post(base, page, page_vars(f"column-{i}"))
            results.append(("article page, warm (200 hot slugs)", wrk(args, base + "/graphql", hot_lua), rss(proc.pid)))
            peak = max(peak, rss(proc.pid, "VmHWM"))
        finally:
            proc.terminate()
            proc.wait()

    port = free_port()
    plain = subprocess.Popen([plain_bin, str(workdir / "answer.json"), f"127.0.0.1:{port}"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        results.append(("plain route, same bytes", wrk(args, f"http://127.0.0.1:{port}/graphql", page_lua), rss(plain.pid)))
    finally:
        plain.terminate()
        plain.wait()
    return results, peak, len(body)


def table(kiji, results, peak, size):
    plain = next(r for name, r, _ in results if name.startswith("plain"))["rps"]
    lines = [f"`{kiji}` (page answer {size / 1000:.1f} KB; peak resident memory {peak} MB)", "",
             "| case | req/s | p50 | p99 | errors | vs plain route | resident memory |",
             "|---|---|---|---|---|---|---|"]
    for name, r, mem in results:
        lines.append(f"| {name} | {r['rps']:.0f} | {r['p50']} | {r['p99']} | {r['errors']} | "
                     f"{r['rps'] / plain:.2f}× | {mem} MB |")
    return "\n".join(lines)


def machine():
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    cores = os.cpu_count()
    mem = Path("/proc/meminfo").read_text().split()[1]
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    wrk_v = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split("\n")[0].strip()
    pg = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
    return f"{cores} × {cpu}, {int(mem) // 1024 // 1024} GiB, {platform.platform()}; {rustc}; {wrk_v}; {pg}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--kiji", action="append", help="binaries to compare (default target/release/kiji)")
    parser.add_argument("--plain", default=str(ROOT / "target/release/examples/plain"))
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", default="12s")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the database even if it exists")
    parser.add_argument("--db-tag", action="append", help="name each binary's database by a tag instead of by the "
                        "binary, so a rebuilt binary with the same migrations reuses it (once per --kiji, in order)")
    parser.add_argument("--cache-dir", default=tempfile.gettempdir(), help="where SQLite databases are kept")
    parser.add_argument("--write", action="store_true", help="append the results to docs/benchmarks.md")
    args = parser.parse_args()
    binaries = args.kiji or [str(ROOT / "target/release/kiji")]
    tags = args.db_tag or [None] * len(binaries)
    if len(tags) != len(binaries):
        raise SystemExit("give one --db-tag per --kiji")
    for tool in ("wrk", binaries[-1], args.plain):
        if not shutil.which(tool) and not Path(tool).exists():
            raise SystemExit(f"missing: {tool}")
    page, listing = readme_queries()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        sections = []
        for kiji, tag in zip(binaries, tags):
            url = build_database(args, kiji, workdir, tag)
            results, peak, size = bench_binary(args, kiji, url, args.plain, workdir, page, listing)
            sections.append(table(kiji, results, peak, size))
            print(sections[-1] + "\n")
    if args.write:
        when = time.strftime("%Y-%m-%d")
        text = (f"\n## Delivery benchmark, {args.articles} articles on {args.database} ({when})\n\n"
                f"`api/examples/bench.py --articles {args.articles} --database {args.database}`, "
                f"wrk {args.connections} connections × {args.duration} per case, a random slug per request. "
                f"Machine: {machine()}.\n\n" + "\n\n".join(sections) + "\n")
        with open(ROOT / "docs" / "benchmarks.md", "a", encoding="utf-8") as f:
            f.write(text)


if __name__ == "__main__":
    main()
