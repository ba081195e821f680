"""How right is netspec's latency estimate? Measured, on this machine's CPU.

    python bench/latency.py [--threads 1] [--runs 10] [--profile FILE] [--only NAME ...] [--no-write]

1. Calibrates this machine (`netspec.calibrate.measure`, the code behind `netspec calibrate`) with
   the same thread count, unless `--profile` names a profile to use instead; the profile is kept
   in bench/results/calibrated.yaml (git-ignored).
2. For every spec under specs/ (globbed on every run, so new models join by themselves), checks it
   with netspec, estimates its latency on that profile, exports it to PyTorch (`build`) and times
   the module: eval mode, no_grad, fixed threads, the median of `--runs` (>= 10) calls spread over
   round-robin rounds across all models, each round after a warm-up call, and the rounds run
   between the calibration's own rounds (so both see the same moments of a shared machine). A spec
   of more than 50 GFLOPs (a long-context language model) is measured at a halved `length` until
   it has fewer.
   A spec whose ops have no PyTorch mapping yet is listed as skipped with the reason, and is
   measured as soon as the export maps it.
3. Reports per model and overall: the Spearman rank correlation of estimate vs measured, the
   median absolute percentage error, and the Spearman of MACCs alone vs measured (the source notes' point:
   MACCs alone do not say how fast). A per-op-family table (forward hooks on each layer's module,
   one extra pass per model) says which family the estimate gets wrong.
4. Writes docs/latency.md (tables, the three numbers, the load conditions) unless --no-write.

Targets here: Spearman >= 0.9, median |error| <= 25 %, and a better rank than MACCs. Timings on a
shared machine are noisy: the load average before and after is recorded; re-run at a quiet moment.
"""

from __future__ import annotations

import argparse
import glob
import os
import platform
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RESULTS = os.path.join(HERE, "results")
DOC = os.path.join(ROOT, "docs", "latency.md")
sys.path.insert(0, ROOT)

INLINE = ("add", "multiply", "concat")  # computed in the exported module's forward, not in a layer module
TARGET_SPEARMAN = 0.9
TARGET_MEDIAN_ERROR = 0.25
ROUNDS = 5  # round-robin rounds of timing over all models, with --profile (else the calibration's rounds)
MAX_FLOPS = 50e9  # a spec with more FLOPs (a long-context language model) is measured at a halved `length`, until it has fewer


def ranks(values: list[float]) -> list[float]:
    """1-based ranks, ties sharing their average rank."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    out = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            out[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return out


def spearman(a: list[float], b: list[float]) -> float:
    """Spearman's rank correlation: Pearson's r of the ranks (ties averaged)."""
    if len(a) < 2:
        return float("nan")
    ra, rb = ranks(a), ranks(b)
    ma, mb = statistics.fmean(ra), statistics.fmean(rb)
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb))
    va = sum((x - ma) ** 2 for x in ra)
    vb = sum((y - mb) ** 2 for y in rb)
    return cov / (va * vb) ** 0.5 if va and vb else float("nan")


def cpu_model() -> str:
    from netspec.calibrate import _cpu_model

    return _cpu_model()


def spec_paths(only: list[str]) -> list[str]:
    paths = sorted(glob.glob(os.path.join(ROOT, "specs", "**", "*.yaml"), recursive=True))
    if only:
        paths = [p for p in paths if os.path.splitext(os.path.basename(p))[0] in only]
    return paths


def example_input(torch, graph):
    """A random input of the spec's shape, channels first (token ids below the vocabulary for a token input)."""
    shape = graph.input
    if type(shape).__name__ == "Tokens":
        from netspec.export.torch import input_vocab

        return torch.randint(0, input_vocab(graph), (graph.batch, shape[0]))
    return torch.randn(graph.batch, *(shape[-1:] + shape[:-1]))


class ModelTimer:
    """Times each `model(x)` of `models` in rounds (`round()`: for every model a warm-up call, then
    `per_round` timed calls); `results()` gives per model the median, min and max wall time and the
    median CPU time of this thread (with one torch thread the whole forward pass runs on it, and other
    processes barely move it). The rounds run between the calibration's own rounds: this machine runs
    the same kernel in a fast and a slow phase for seconds at a time (1.5x apart, CPU time included),
    and a model timed in one burst, or after the calibration, sees other phases than the benchmarks
    its estimate was calibrated on."""

    def __init__(self, torch, models: list, per_round: int) -> None:
        self.torch, self.models, self.per_round = torch, models, per_round
        self.wall: list[list[float]] = [[] for _ in models]
        self.cpu: list[list[float]] = [[] for _ in models]

    def round(self) -> None:
        with self.torch.no_grad():
            for i, (model, x) in enumerate(self.models):
                model(x)
                for _ in range(self.per_round):
                    c0, t0 = time.thread_time(), time.perf_counter()
                    model(x)
                    self.wall[i].append(time.perf_counter() - t0)
                    self.cpu[i].append(time.thread_time() - c0)

    def results(self) -> list[dict]:
        return [{"measured": statistics.median(w), "min": min(w), "max": max(w), "cpu": statistics.median(c)}
                for w, c in zip(self.wall, self.cpu)]


def family_times(torch, model, x, graph, est, clock) -> dict[str, list[float]]:
    """Measured vs estimated seconds per op family of each layer's main part, from forward hooks on
    every layer's module (the median of 3 hooked calls, timed with `clock`). Add, multiply and concat run in `forward`
    itself, outside the hooks: they are one row together with everything else `forward` does."""
    from netspec.latency import family

    names = model.netspec_layers
    stamps: dict[str, list[float]] = {}
    handles = []
    for layer in graph.layers:
        mod = getattr(model, names[layer.name])

        def pre(m, inp, key=layer.name):
            stamps.setdefault(key, []).append(-clock())

        def post(m, inp, out, key=layer.name):
            stamps[key][-1] += clock()

        handles += [mod.register_forward_pre_hook(pre), mod.register_forward_hook(post)]
    totals = []
    with torch.no_grad():
        for _ in range(3):
            stamps.clear()
            t0 = clock()
            model(x)
            totals.append((clock() - t0, {k: v[-1] for k, v in stamps.items()}))
    for h in handles:
        h.remove()
    whole, per_layer = sorted(totals, key=lambda t: t[0])[1]
    out: dict[str, list[float]] = {}
    inline = "add/multiply/concat (in forward)"
    for i, layer in enumerate(graph.layers):
        label, c = layer.op_parts[0]
        fam = inline if layer.type in INLINE else family(layer, label, c.maccs)
        row = out.setdefault(fam, [0.0, 0.0])
        row[0] += per_layer.get(layer.name, 0.0)
        row[1] += est.layers[i].time
    # the inline ops' own work happens in `forward`, outside every hooked module
    out.setdefault(inline, [0.0, 0.0])[0] += max(whole - sum(per_layer.values()), 0.0)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1, help="torch threads for calibration and timing (default 1)")
    ap.add_argument("--runs", type=int, default=10, help="timed calls per model (default and minimum 10)")
    ap.add_argument("--profile", help="use this device profile instead of calibrating now")
    ap.add_argument("--only", nargs="*", default=[], help="spec names (file stems) to run")
    ap.add_argument("--no-write", action="store_true", help="do not write docs/latency.md")
    args = ap.parse_args(argv)
    runs = max(args.runs, 10)
    import torch

    from netspec.device import read_profile
    from netspec.export import ExportError
    from netspec.export.torch import build
    from netspec.latency import estimate
    from netspec.pipeline import Options, check_path

    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    load_before = os.getloadavg()
    os.makedirs(RESULTS, exist_ok=True)
    skipped, prepared = [], []
    for path in spec_paths(args.only):
        rel = os.path.relpath(path, ROOT)
        overrides: dict = {}
        while True:  # a long-context language model: measured at a shorter `length`
            result = check_path(path, Options(overrides=dict(overrides)))
            graph = result.graph
            length = graph.params.get("length") if graph is not None else None
            if (result.totals is None or result.totals.flops <= MAX_FLOPS or not isinstance(length, int)
                    or length < 32):
                break
            overrides["length"] = length // 2
        if graph is None or result.totals is None:
            skipped.append((rel, "does not check clean: " + "; ".join(d.message for d in result.diagnostics[:2])))
            continue
        try:
            model = build(graph).eval()
        except ExportError as exc:
            skipped.append((rel, f"not exportable yet: {exc}"))
            continue
        prepared.append((rel, result, model, example_input(torch, graph), overrides))
    rounds = ROUNDS
    timer = ModelTimer(torch, [(p[2], p[3]) for p in prepared], -(-runs // rounds))
    if args.profile:
        profile_path = args.profile
        for _ in range(rounds):
            timer.round()
    else:
        from netspec.calibrate import ROUNDS as rounds, measure, profile_yaml

        timer.per_round = -(-runs // rounds)
        m = measure(args.threads, between_rounds=timer.round)
        profile_path = os.path.join(RESULTS, "calibrated.yaml")
        with open(profile_path, "w", encoding="utf-8") as fh:
            fh.write(profile_yaml(m, "bench-calibrated", time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())))
        print(f"calibrated in {m.seconds:.0f} s, models timed between its rounds -> "
              f"{os.path.relpath(profile_path, ROOT)}", file=sys.stderr)
    device = read_profile(profile_path)
    rows, families = [], {}
    clock = time.thread_time if args.threads == 1 else time.perf_counter
    for (rel, result, model, x, overrides), timing in zip(prepared, timer.results()):
        graph = result.graph
        est = estimate(graph, device)
        if est is None:
            skipped.append((rel, f"the profile has no {graph.dtype} peak"))
            continue
        median = timing["measured"]
        for fam, (meas, est_t) in family_times(torch, model, x, graph, est, clock).items():
            acc = families.setdefault(fam, [0.0, 0.0])
            acc[0] += meas
            acc[1] += est_t
        rows.append({"spec": rel + "".join(f" ({k}={v})" for k, v in overrides.items()), "name": graph.name,
                     "layers": len(graph.layers), "maccs": result.totals.maccs,
                     **timing, "estimate": est.latency, "error": (est.latency - median) / median,
                     "memory_share": est.memory_bound_share})
        print(f"{rows[-1]['spec']:40s} measured {median * 1e3:9.2f} ms  estimate {est.latency * 1e3:9.2f} ms  "
              f"error {100 * rows[-1]['error']:+6.1f}%  (CPU {100 * (est.latency - timing['cpu']) / timing['cpu']:+6.1f}%)",
              file=sys.stderr)
    load_after = os.getloadavg()
    elapsed = time.perf_counter() - started
    if not rows:
        print("no model could be measured", file=sys.stderr)
        return 1
    s_est, s_macc, med_err = scores(rows, "measured")
    cpu_scores = scores(rows, "cpu") if args.threads == 1 else None
    conditions = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cpu": cpu_model(), "cpus": os.cpu_count(), "threads": args.threads,
        "runs": len(timer.wall[0]) if prepared else 0, "rounds": rounds,
        "torch": torch.__version__, "python": platform.python_version(),
        "load_before": load_before, "load_after": load_after, "elapsed": elapsed,
        "profile": os.path.relpath(profile_path, ROOT) if not args.profile else profile_path,
    }
    text = report(rows, skipped, families, (s_est, s_macc, med_err), cpu_scores, conditions, device)
    print(text)
    if not args.no_write:
        with open(DOC, "w", encoding="utf-8") as fh:
            fh.write(text)
        print(f"wrote {os.path.relpath(DOC, ROOT)}", file=sys.stderr)
    return 0


def scores(rows, key: str) -> tuple[float, float, float]:
    """(Spearman of the estimate, Spearman of MACCs, median |error|) against rows[key]."""
    measured = [r[key] for r in rows]
    return (spearman([r["estimate"] for r in rows], measured),
            spearman([float(r["maccs"]) for r in rows], measured),
            statistics.median(abs(r["estimate"] - r[key]) / r[key] for r in rows))


def _cpu(cpu, i: int, spec: str) -> str:
    return "-" if cpu is None else format(cpu[i], spec)


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def report(rows, skipped, families, wall, cpu, c, device) -> str:
    s_est, s_macc, med_err = wall
    la = lambda t: " / ".join(f"{x:.2f}" for x in t)  # noqa: E731
    out = [
        "# Latency estimate vs measured latency",
        "",
        "Written by `python bench/latency.py` (re-run it in one command at a quiet moment: it calibrates this",
        "machine, then times every spec of `specs/` exported to PyTorch). The estimate is netspec's per-layer",
        "roofline (`netspec check SPEC --device-file PROFILE`) with a profile calibrated on the same machine,",
        "the same PyTorch and the same thread count; the measurement is the exported module's wall time (and",
        "the CPU time of the thread that runs it).",
        "",
        "## Result",
        "",
        "| | against wall-clock medians | against CPU time | target |",
        "|---|---:|---:|---|",
        f"| Spearman rank correlation, estimate vs measured | {s_est:.3f} | {_cpu(cpu, 0, '.3f')} | "
        f">= {TARGET_SPEARMAN} |",
        f"| median absolute error of the estimate | {100 * med_err:.1f}% | {_cpu(cpu, 2, '.1%')} | "
        f"<= {100 * TARGET_MEDIAN_ERROR:.0f}% |",
        f"| Spearman rank correlation, MACCs alone vs measured | {s_macc:.3f} | {_cpu(cpu, 1, '.3f')} | "
        "below the estimate's |",
        "",
        f"Against wall-clock medians: Spearman {_verdict(s_est >= TARGET_SPEARMAN)}, median error "
        f"{_verdict(med_err <= TARGET_MEDIAN_ERROR)}, better rank than MACCs {_verdict(s_est > s_macc)}."
        + ("" if cpu is None else
           f" Against CPU time: Spearman {_verdict(cpu[0] >= TARGET_SPEARMAN)}, median error "
           f"{_verdict(cpu[2] <= TARGET_MEDIAN_ERROR)}, better rank than MACCs {_verdict(cpu[0] > cpu[1])}."),
        "",
        "CPU time is the timed thread's (one torch thread runs the whole forward pass on it): other",
        "processes on a shared machine barely move it, while they stretch wall-clock time by the time",
        "spent waiting for a core. On a quiet machine the two agree.",
    ]
    busy = c["load_before"][0] > 0.75 * (c["cpus"] or 1)
    if busy:
        out += ["",
                f"**The machine was busy**: load average {c['load_before'][0]:.1f} on {c['cpus']} CPUs when the run "
                "started, so the wall-clock medians include waiting for a core. Judge the estimate by the CPU-time "
                "column, or re-run `python bench/latency.py` at a quiet moment."]
    out += [
        "",
        f"{len(rows)} models measured, {len(skipped)} skipped. Conditions: {c['date']}, {c['cpu']} "
        f"({c['cpus']} CPUs, shared with other users), {c['threads']} thread(s), PyTorch {c['torch']}, "
        f"Python {c['python']}; median of {c['runs']} calls in {c['rounds']} round-robin rounds over all models (between the calibration's rounds), each round after a warm-up call; load average (1/5/15 min) "
        f"{la(c['load_before'])} before and {la(c['load_after'])} after; the whole run took {c['elapsed']:.0f} s.",
        "",
        "## Per model",
        "",
        "| spec | layers | MACCs | measured | estimate | error | memory-bound share (est.) | measured min-max | CPU time | error vs CPU time |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in sorted(rows, key=lambda r: r["measured"]):
        out.append(f"| `{r['spec']}` | {r['layers']} | {r['maccs'] / 1e6:,.1f}M | {r['measured'] * 1e3:.2f} ms | "
                   f"{r['estimate'] * 1e3:.2f} ms | {100 * r['error']:+.1f}% | {100 * r['memory_share']:.0f}% | "
                   f"{r['min'] * 1e3:.2f}-{r['max'] * 1e3:.2f} ms | {r['cpu'] * 1e3:.2f} ms | "
                   f"{100 * (r['estimate'] - r['cpu']) / r['cpu']:+.1f}% |")
    out += ["", "## Per op family (all models together)", "",
            "Measured with forward hooks on each layer's module (one extra pass per model, the hooks' own cost",
            "included; CPU time of the one thread when run with one thread, else wall time); a layer counts under the family of its main part (its fused batch norm and activation",
            "included). The export computes add, multiply and concat inline in `forward`, outside any layer",
            "module: their row holds all of `forward`'s own time.",
            "",
            "| family | measured | estimate | estimate / measured |",
            "|---|---:|---:|---:|"]
    off = []
    for fam, (meas, est) in sorted(families.items(), key=lambda kv: -kv[1][0]):
        ratio = f"{est / meas:.2f}" if meas else "-"
        out.append(f"| {fam} | {meas * 1e3:.2f} ms | {est * 1e3:.2f} ms | {ratio} |")
        if meas and not 0.8 <= est / meas <= 1.25:
            off.append(f"{fam} ({'under' if est < meas else 'over'}estimated, {ratio})")
    if off:
        out += ["", "Estimate / measured outside 0.8-1.25: " + "; ".join(off) + "."]
    key = "cpu" if cpu is not None else "measured"
    worst = sorted(rows, key=lambda r: -abs(r["estimate"] - r[key]) / r[key])[:3]
    out += ["", f"Largest errors (against {'CPU time' if key == 'cpu' else 'wall-clock medians'}): "
            + "; ".join(f"`{r['spec']}` {100 * (r['estimate'] - r[key]) / r[key]:+.0f}%" for r in worst) + "."]
    out += ["", "## The calibrated profile", "",
            f"`{c['profile']}`: float32 peak {device.peak.get('float32', 0) / 1e9:.1f} GFLOP/s, bandwidth "
            f"{device.bandwidth / 1e9:.1f} GB/s"
            + (f" ({device.on_chip_bandwidth / 1e9:.1f} GB/s for kernels within {device.on_chip // 1024} KiB)"
               if device.on_chip_bandwidth else "")
            + f", overhead {device.overhead * 1e6:.2f} µs per kernel, execution `{device.execution}`.",
            "", "| family | compute efficiency | memory efficiency |", "|---|---:|---:|"]
    for fam in sorted(set(device.compute_efficiency) | set(device.memory_efficiency)):
        out.append(f"| {fam} | {device.compute_efficiency.get(fam, float('nan')):.3f} | "
                   f"{device.memory_efficiency.get(fam, float('nan')):.3f} |")
    if skipped:
        out += ["", "## Skipped", ""] + [f"- `{s}`: {why}" for s, why in skipped]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
