"""The sweep's benchmark: points per second on mobilenet_v2 with width and res changing.

    python bench/sweep.py [--runs N] [--no-write]

One command, so it can be re-run at a quiet moment. Three parts, each with the load average:

- per point, in one process: the rows of a 10,000-point grid (width 0.30-1.488 in 100 steps x
  res 96-294 in 100 steps) computed by `netspec.sweep.evaluate.Evaluator` (read, schema check and
  compile once, then every point), against today's alternative, a loop of `netspec.analyze()`
  (`--set` in a loop, without process start-up), on the first 300 points; CPU time beside wall
  time (on a shared machine the CPU time is the steadier figure). And the same for 10,000 points
  drawn at random from a finer grid (width in 0.0001 steps x res in 1-pixel steps), where few
  points repeat a layer's shapes, so the memo helps least.
- whole process: `netspec sweep ... -f csv -o FILE` for the 10,000-point grid, with `-j 1` and
  `-j 2`, fresh processes, round-robin, medians (bench/run.py's runner): points/s including
  interpreter start-up, imports and writing the CSV. Targets: >= 2,000 points/s in one process,
  >= 1.8x that with -j 2.
- start-up: a 2-point sweep, whole process (imports, reading and checking the spec, compiling
  it): the part -j cannot spread. From it and the CPU times, what -j 2 gives on two idle cores:
  start-up + (CPU of -j 2 - start-up) / 2, which the load of a shared machine moves less.
- memory: the peak RSS of the same command for 1,000 and 10,000 points (rows stream to the file;
  no graph is kept): flat means about equal.

Results go to stdout and bench/results/sweep.md (git-ignored).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from run import ROOT, Case, netspec_command, publish, run_once  # noqa: E402

SPEC = os.path.join(ROOT, "specs", "mobilenet_v2.yaml")
GRID = ["width=0.30:1.488:0.012", "res=96:294:2"]  # 100 x 100 = 10,000 points
SMALL = ["width=0.30:1.488:0.012", "res=96:114:2"]  # 100 x 10 = 1,000 points
LARGE = ["width=0.30:1.497:0.003", "res=96:294:2"]  # 400 x 100 = 40,000 points
FINE = ["width=0.3:1.5:0.0001", "res=96:320:1"]  # 12,001 x 225 points; --random 10000 of them


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f} (1, 5, 15 min) on {os.cpu_count()} CPUs"


def in_process(sets: list[str], sample: int | None = None) -> dict:
    """Rows per second of one Evaluator (compile included in `first`), and the analyze() loop's."""
    import netspec
    from netspec.sweep.evaluate import Evaluator, Setup
    from netspec.sweep.grid import make_grid

    grid = make_grid(sets)
    indices = list(grid.indices(sample, seed=1))
    points = [grid.point(i) for i in indices]
    text = open(SPEC, encoding="utf-8").read()
    gc.disable()
    try:
        w0, c0 = time.perf_counter(), time.process_time()
        evaluator = Evaluator(Setup(text, SPEC, grid.names))
        evaluator.row(0, points[0])
        first = time.perf_counter() - w0
        w1, c1 = time.perf_counter(), time.process_time()
        rows = [evaluator.row(i, p) for i, p in zip(indices[1:], points[1:])]
        wall, cpu = time.perf_counter() - w1, time.process_time() - c1
        assert all(r.ok for r in rows)
        fallbacks = len(rows) - sum(1 for _ in rows)  # (all rows are counted; see `programs`)
        n = min(300, len(points))
        w2, c2 = time.perf_counter(), time.process_time()
        for p in points[:n]:
            netspec.analyze(SPEC, **dict(zip(grid.names, p)))
        a_wall, a_cpu = time.perf_counter() - w2, time.process_time() - c2
    finally:
        gc.enable()
    return {"points": len(points), "first_ms": first * 1e3, "rate": len(rows) / wall, "cpu_rate": len(rows) / cpu,
            "us": wall / len(rows) * 1e6, "analyze_rate": n / a_wall, "analyze_cpu_rate": n / a_cpu,
            "programs": len(evaluator.programs), "fallbacks": fallbacks}


def idle_cores(start, jobs2) -> float:
    """Seconds a -j 2 run would take on two idle cores: the start-up (a 2-point sweep) runs alone,
    everything else (the workers' points, the parent's reading and writing of rows) shares two
    cores. From CPU times, which the load of a shared machine moves less than wall times (it
    still slows a worker whose core it shares, in CPU time too)."""
    s0 = start.cpu_ms / 1e3
    return s0 + (jobs2.cpu_ms / 1e3 - s0) / 2


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3, help="whole-process runs per case (median; default 3)")
    ap.add_argument("--no-write", action="store_true", help="do not write bench/results/sweep.md")
    args = ap.parse_args(argv)
    lines = ["# netspec sweep benchmark", "", f"load average before: {load()}", ""]

    lines += ["## Per point, in one process (mobilenet_v2, width x res)", "",
              "| points | compile + first point | rows/s (wall) | rows/s (CPU) | µs a row | `analyze()` loop /s "
              "(wall, CPU) | traced programs |", "|---|---:|---:|---:|---:|---:|---:|"]
    for label, sets, sample in (("10,000-point grid", GRID, None), ("10,000 random points of a fine grid", FINE, 10_000)):
        runs = [in_process(sets, sample) for _ in range(args.runs)]
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        lines.append(f"| {label} | {med['first_ms']:.0f} ms | {med['rate']:,.0f} | {med['cpu_rate']:,.0f} | "
                     f"{med['us']:.0f} | {med['analyze_rate']:,.0f}, {med['analyze_cpu_rate']:,.0f} | "
                     f"{med['programs']:.0f} |")
    lines.append("")

    ns, _ = netspec_command()
    out = tempfile.mkdtemp(prefix="netspec-sweep-bench-")

    def case(key: str, sets: list[str], jobs: int) -> Case:
        cmd = ns + ["sweep", SPEC, *[a for s in sets for a in ("--set", s)], "-f", "csv", "-o",
                    os.path.join(out, f"{key}.csv"), "-j", str(jobs), "--no-config"]
        return Case(key, f"{key}", cmd)

    cases = {"grid -j 1": (case("j1", GRID, 1), 10_000), "grid -j 2": (case("j2", GRID, 2), 10_000),
             "1,000 points -j 1": (case("small", SMALL, 1), 1_000),
             "2 points -j 1 (start-up)": (case("start", ["width=0.5,1.0", "res=224"], 1), 2),
             "40,000-point grid -j 1": (case("l1", LARGE, 1), 40_000),
             "40,000-point grid -j 2": (case("l2", LARGE, 2), 40_000)}
    for c, _ in cases.values():
        run_once(c, record=False)  # warm-up: file cache, .pyc
    for _ in range(args.runs):
        for c, _ in cases.values():
            run_once(c)
    lines += ["## Whole process: `netspec sweep specs/mobilenet_v2.yaml --set " + " --set ".join(GRID)
              + " -f csv -o FILE`", "",
              "| case | points | wall (median) | CPU | points/s (whole process) | peak RSS |",
              "|---|---:|---:|---:|---:|---:|"]
    for label, (c, n) in cases.items():
        if c.error:
            lines.append(f"| {label} | {n:,} | failed: {c.error} | | | |")
            continue
        lines.append(f"| {label} | {n:,} | {c.ms / 1e3:.2f} s | {c.cpu_ms / 1e3:.2f} s | {n / (c.ms / 1e3):,.0f} | "
                     f"{c.mib:.1f} MiB |")
    j1, j2, small, start = (cases[k][0] for k in ("grid -j 1", "grid -j 2", "1,000 points -j 1",
                                                  "2 points -j 1 (start-up)"))
    if not (j1.error or j2.error or small.error or start.error):
        s0, two = start.cpu_ms / 1e3, idle_cores(start, j2)
        lines += ["", f"- -j 2 / -j 1: {j1.ms / j2.ms:.2f}x measured (target >= 1.8x; needs two idle cores)",
                  f"- on two idle cores, from CPU times: -j 1 {j1.cpu_ms / 1e3:.2f} s; -j 2 {two:.2f} s "
                  f"(start-up {s0:.2f} s alone, then {j2.cpu_ms / 1e3 - s0:.2f} s of CPU over two cores) = "
                  f"{j1.cpu_ms / 1e3 / two:.2f}x; the workers and the parent use {j2.cpu_ms / j1.cpu_ms:.2f}x "
                  "the CPU of one process",
                  f"- one process: {10_000 / (j1.ms / 1e3):,.0f} points/s whole process (target >= 2,000)",
                  f"- memory: {small.mib:.1f} MiB for 1,000 points, {j1.mib:.1f} MiB for 10,000 "
                  f"({j1.mib / small.mib:.2f}x for 10x the points)"]
    l1, l2 = cases["40,000-point grid -j 1"][0], cases["40,000-point grid -j 2"][0]
    if not (l1.error or l2.error or start.error):
        two = idle_cores(start, l2)
        lines += [f"- 40,000 points: -j 2 / -j 1 {l1.ms / l2.ms:.2f}x measured; on two idle cores, from CPU times, "
                  f"{l1.cpu_ms / 1e3:.2f} s / {two:.2f} s = {l1.cpu_ms / 1e3 / two:.2f}x"]
    lines += ["", f"load average after: {load()}"]
    publish(lines, "sweep.md", not args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
