#!/usr/bin/env python3
"""Memory under the two load shapes that grow a server: a flood of
documents each seen once, and a burst of connections.

Starts a `kiji` binary with every cache at its default size on a fresh
database with the sample (SQLite, PostgreSQL or both) and measures its
resident memory while

  flood   16 connections send the README's ColumnPage query for 35 s, each
          request with a comment of its own, so every document is new
          (what a client defeating caches sends);
  burst   512 connections send the same ColumnPage query for 20 s.

Resident memory is sampled every 100 ms from /proc; the table gives it
idle, at the peak of each phase, and 10 s after each.

  cargo build --release && api/examples/memory.py
  api/examples/memory.py --database sqlite --kiji /tmp/kiji-before --kiji target/release/kiji
  api/examples/memory.py --write        # replaces the table in docs/benchmarks.md

Needs wrk and python3; PostgreSQL at $BENCH_POSTGRES (default
postgres://postgres@127.0.0.1:5432) for --database postgres.
"""

import argparse
import json
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def column_page():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```graphql\n(.*?)```", text, re.S)
    page = next(b for b in blocks if b.startswith("query ColumnPage"))
    fragments = "\n".join(b for b in blocks if b.startswith("fragment") or "\nfragment " in b)
    return page if "fragment Section" in page else page + fragments


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Sampler:
    """The highest resident memory of `pid` while running."""

    def __init__(self, pid):
        self.pid, self.peak, self.running = pid, 0.0, True
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while self.running:
            try:
                self.peak = max(self.peak, rss(self.pid))
            except OSError:
                return
            time.sleep(0.1)

    def stop(self):
        self.running = False
        self.thread.join()
        return self.peak


def scripts(workdir, query):
    variables = {"slug": "exosome-effects-and-side-effects", "locale": "ja"}
    same = workdir / "same.lua"
    same.write_text(
        "wrk.method = 'POST'\nwrk.headers['Content-Type'] = 'application/json'\n"
        f"wrk.body = {json.dumps(json.dumps({'query': query, 'variables': variables}))}\n",
        encoding="utf-8",
    )
    # Every request a document of its own: a comment with the thread and a
    # counter in front of the same query.
    body = json.dumps({"query": "#MARK\n" + query, "variables": variables})
    left, right = body.split("#MARK")
    unique = workdir / "unique.lua"
    unique.write_text(
        "local counter = 0\nlocal threads = 0\n"
        "function setup(thread) threads = threads + 1; thread:set('id', threads) end\n"
        "wrk.method = 'POST'\nwrk.headers['Content-Type'] = 'application/json'\n"
        f"local left = {json.dumps(left)}\nlocal right = {json.dumps(right)}\n"
        "request = function() counter = counter + 1; "
        "return wrk.format(nil, nil, nil, left .. '# ' .. id .. '-' .. counter .. right) end\n",
        encoding="utf-8",
    )
    return same, unique


def wrk(url, script, connections, duration):
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}", "--latency", "-s", str(script), url],
        capture_output=True, text=True, check=True,
    ).stdout
    total = int(re.search(r"(\d+) requests in", out).group(1))
    seconds = float(re.search(r"requests in ([\d.]+)s", out).group(1))
    non2xx = int((re.search(r"Non-2xx or 3xx responses: (\d+)", out) or [0, 0])[1])
    return {"answered": (total - non2xx) / seconds, "refused": non2xx}


def database(kind, workdir):
    if kind == "sqlite":
        return f"sqlite://{workdir / 'memory.db'}?mode=rwc", None
    base = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
    name = f"kiji_memory_{os.getpid()}"
    subprocess.run(["psql", f"{base}/postgres", "-qc", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], check=True)
    subprocess.run(["psql", f"{base}/postgres", "-qc", f'CREATE DATABASE "{name}"'], check=True)
    return f"{base}/{name}", (base, name)


def measure(kiji, kind, args, workdir, same, unique):
    url, drop = database(kind, workdir)
    port = free_port()
    proc = subprocess.Popen(
        [kiji, "--listen", f"127.0.0.1:{port}", "--database-url", url, "--log", "error"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(base + "/readyz", timeout=1)
                break
            except Exception:
                time.sleep(0.1)
        body = same.read_text(encoding="utf-8").split("wrk.body = ", 1)[1].strip()
        request = urllib.request.Request(base + "/graphql", data=json.loads(body).encode(),
                                         headers={"content-type": "application/json"})
        for _ in range(50):
            urllib.request.urlopen(request, timeout=30).read()
        row = {"backend": kind, "binary": kiji, "idle": rss(proc.pid)}
        sampler = Sampler(proc.pid)
        row["flood"] = wrk(base + "/graphql", unique, 16, args.flood)
        row["flood peak"] = sampler.stop()
        time.sleep(10)
        row["after flood"] = rss(proc.pid)
        sampler = Sampler(proc.pid)
        row["burst"] = wrk(base + "/graphql", same, 512, args.burst)
        row["burst peak"] = sampler.stop()
        time.sleep(10)
        row["after burst"] = rss(proc.pid)
        return row
    finally:
        proc.terminate()
        proc.wait()
        if drop:
            subprocess.run(["psql", f"{drop[0]}/postgres", "-qc", f'DROP DATABASE IF EXISTS "{drop[1]}" WITH (FORCE)'],
                           check=False)


def label(kiji):
    """The commit a binary was built from, when it sits in a checkout."""
    repo = Path(kiji).resolve().parents[2]
    try:
        commit = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.strip()
        return commit + ("+" if dirty else "")
    except (subprocess.CalledProcessError, FileNotFoundError):
        return Path(kiji).name


def table(rows):
    lines = [
        "| binary | database | idle | flood: answered req/s | flood: peak | 10 s after | burst: answered req/s | burst: refused (503) | burst: peak | 10 s after |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {label(r['binary'])} | {r['backend']} | {r['idle']:.0f} MB | {r['flood']['answered']:,.0f} "
            f"| {r['flood peak']:.0f} MB | {r['after flood']:.0f} MB | {r['burst']['answered']:,.0f} "
            f"| {r['burst']['refused']:,} | {r['burst peak']:.0f} MB | {r['after burst']:.0f} MB |"
        )
    return "\n".join(lines)


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor())
    mem = next((l.split()[1] for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")), "?")
    return f"{os.cpu_count()} × {cpu}, {int(mem) // 1024 // 1024} GiB, {platform.system()} {platform.release()}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kiji", action="append", help="binary to measure (repeatable); target/release/kiji")
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--flood", default="35s")
    parser.add_argument("--burst", default="20s")
    parser.add_argument("--write", action="store_true", help="replace the table in docs/benchmarks.md")
    args = parser.parse_args()
    binaries = args.kiji or [str(ROOT / "target" / "release" / "kiji")]
    kinds = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        same, unique = scripts(workdir, column_page())
        for kind in kinds:
            for kiji in binaries:
                print(f"{kiji} on {kind} …", file=sys.stderr)
                rows.append(measure(kiji, kind, args, workdir, same, unique))
                (workdir / "memory.db").unlink(missing_ok=True)
    out = table(rows)
    print(out)
    print(f"\nMachine: {machine()}")
    if args.write:
        path = ROOT / "docs" / "benchmarks.md"
        text = path.read_text(encoding="utf-8")
        start, end = "<!-- memory:start -->", "<!-- memory:end -->"
        block = f"{start}\n{out}\n\nMachine: {machine()}\n{end}"
        if start in text:
            text = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: block, text, flags=re.S)
        else:
            text += "\n" + block + "\n"
        path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
