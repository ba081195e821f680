"""Time each pipeline stage in one process: load, validate, expand + infer, cost, judge.

    python bench/stages.py [SPEC ...] [--runs N]

Whole-process timings live in bench/run.py; this one answers "where does a check spend its
time", and the graph-expansion question directly: how long expand + infer take for a 10,000-layer
spec (medians of N runs, default 7). Generated specs come from bench/gen.py.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def stages(path: str) -> dict[str, float]:
    from netspec.budget import judge
    from netspec.cost import annotate_costs
    from netspec.expand import bad_entry_paths, expand
    from netspec.lint import lint
    from netspec.loader import DEFAULT_LIMITS, load_file
    from netspec.validate import validate

    limits = DEFAULT_LIMITS.__class__(max_layers=10**7)
    out = {}
    gc.disable()
    try:
        t = time.perf_counter()
        loaded = load_file(path, limits)
        out["load"] = time.perf_counter() - t
        t = time.perf_counter()
        diags = validate(loaded.data)
        out["validate"] = time.perf_counter() - t
        t = time.perf_counter()
        graph, more = expand(loaded.data, {}, limits, bad_entry_paths(diags))
        out["expand + infer"] = time.perf_counter() - t
        if graph is None or diags or any(d.severity == "error" for d in more):
            raise SystemExit(f"{path}: the spec does not check clean")
        t = time.perf_counter()
        totals = annotate_costs(graph)
        out["cost"] = time.perf_counter() - t
        t = time.perf_counter()
        judge(graph, totals, [], path)
        lint(graph, totals)
        out["judge + lint"] = time.perf_counter() - t
        out["layers"] = len(graph.layers)
    finally:
        gc.enable()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("specs", nargs="*", default=[str(ROOT / "bench/generated/gen_10000.yaml")])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    for spec in args.specs:
        if not Path(spec).exists():
            raise SystemExit(f"{spec} is missing: run `python bench/gen.py 10000` first")
        first = stages(spec)  # a cold process: imports, schema compiled, caches empty (what the CLI sees)
        runs = [stages(spec) for _ in range(args.runs)]
        print(f"{spec}: {runs[0]['layers']:,} layers; first run, then the median of {args.runs} more")
        totals = [0.0, 0.0]
        for key in ("load", "validate", "expand + infer", "cost", "judge + lint"):
            median = statistics.median(r[key] for r in runs)
            totals[0] += first[key]
            totals[1] += median
            print(f"  {key:<15} {first[key] * 1000:8.1f} ms {median * 1000:8.1f} ms")
        print(f"  {'sum':<15} {totals[0] * 1000:8.1f} ms {totals[1] * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
