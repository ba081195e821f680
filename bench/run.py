"""netspec's speed benchmark: whole-process wall time and peak memory, medians over several runs.

    python bench/run.py [--runs N] [--quick] [--only KEYS] [--no-write]

Every case is a fresh process (a pre-commit hook pays the interpreter start-up every time), run
with `subprocess.Popen` and reaped with `os.wait4`, which gives that one child's resource usage:
wall time (perf_counter around spawn..reap), CPU time (user + system) and peak RSS (ru_maxrss).
Cases run round-robin (run 1 of every case, then run 2, ...) after one discarded warm-up run each,
so a burst of load on a shared machine hits all cases alike. Medians and ratios go to stdout as a
markdown table and to bench/results/latest.md (git-ignored). Standard library only.

Cases (see docs/bench.md):
  a   python -c "import yaml, jsonschema, typer"      the floor our dependencies set
  bare python -c pass
  b   netspec --version                                target <= 1.1 x bare + 40 ms
  c   netspec check specs/mobilenet_v2.yaml            target <= 1.3 x (a)
  d   netspec check -f json specs/                     every spec in specs/
  e   netspec check bench/generated/gen_N.yaml         N = 1,000 / 10,000 / 100,000 (bench/gen.py);
                                                       targets 10k < 1 s, 100k < 10 s, 100k/10k <= 12
  t   netspec check bench/generated/tfm_10000.yaml     a 10,000-layer decoder-only transformer
                                                       (bench/gen.py --transformer); target < 1 s
  f   the same MobileNetV2 counted by PyTorch's FlopCounterMode, ptflops, fvcore (whole process,
      model built by hand in torch; skipped with a reason when a package is missing)
  api netspec.analyze(dict) calls/s on mobilenet_v2  target >= 200/s (300 calls in one process, one
      process per round)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
GENERATED = os.path.join(HERE, "generated")
RESULTS = os.path.join(HERE, "results")
PY = sys.executable
SIZES = (1_000, 10_000, 100_000)

sys.path.insert(0, HERE)
import gen  # noqa: E402  (bench/gen.py, beside this file)

# --------------------------------------------------------------------------------------------
# A fallback MobileNetV2 spec, used only while specs/mobilenet_v2.yaml does not exist.

MOBILENET_V2_FALLBACK = """\
netspec: 1
name: mobilenet_v2
description: MobileNetV2 (Sandler et al. 2018, Table 2) as torchvision builds it (bench fallback copy)
input: {height: 224, width: 224, channels: 3}
params:
  width: 1.0
  classes: 1000
blocks:
  inverted_residual:
    args: {expand: 6, out: null, stride: 1}
    layers:
      - {name: expand, type: conv, filters: "${in_channels * expand}", kernel: 1, batchnorm: true, activation: relu6,
         when: "${expand != 1}"}
      - {name: dw, type: depthwise, kernel: 3, stride: "${stride}", padding: 1, batchnorm: true, activation: relu6}
      - {name: project, type: conv, filters: "${make_divisible(out * width, 8)}", kernel: 1, batchnorm: true}
      - {name: residual, type: add, inputs: [-1, input],
         when: "${stride == 1 and in_channels == make_divisible(out * width, 8)}"}
layers:
  - {name: stem, type: conv, filters: "${make_divisible(32 * width, 8)}", kernel: 3, stride: 2, padding: 1,
     batchnorm: true, activation: relu6}
  - {name: ir1, type: inverted_residual, expand: 1, out: 16}
  - {name: ir2, type: inverted_residual, out: 24, stride: "${2 if i == 0 else 1}", repeat: 2}
  - {name: ir3, type: inverted_residual, out: 32, stride: "${2 if i == 0 else 1}", repeat: 3}
  - {name: ir4, type: inverted_residual, out: 64, stride: "${2 if i == 0 else 1}", repeat: 4}
  - {name: ir5, type: inverted_residual, out: 96, repeat: 3}
  - {name: ir6, type: inverted_residual, out: 160, stride: "${2 if i == 0 else 1}", repeat: 3}
  - {name: ir7, type: inverted_residual, out: 320}
  - {name: last, type: conv, filters: "${make_divisible(1280 * max(1.0, width), 8)}", kernel: 1, batchnorm: true,
     activation: relu6}
  - {name: pool, type: global_avgpool}
  - {name: dropout, type: dropout, rate: 0.2}
  - {name: classifier, type: dense, units: "${classes}"}
"""


def mobilenet_spec() -> tuple[str, str]:
    """(path, note): specs/mobilenet_v2.yaml, or the fallback copy written to bench/generated/."""
    path = os.path.join(ROOT, "specs", "mobilenet_v2.yaml")
    if os.path.isfile(path):
        return path, ""
    os.makedirs(GENERATED, exist_ok=True)
    path = os.path.join(GENERATED, "mobilenet_v2.yaml")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(MOBILENET_V2_FALLBACK)
    return path, "specs/mobilenet_v2.yaml missing: used the bench's fallback copy"


# --------------------------------------------------------------------------------------------
# The peers: the same network in PyTorch, counted by PyTorch's FlopCounterMode, ptflops, fvcore.

TORCH_MODEL = r'''
import torch
from torch import nn


def make_divisible(v, divisor=8, min_value=None):
    min_value = divisor if min_value is None else min_value
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


def cbr(cin, cout, k, s=1, groups=1, act=True):
    layers = [nn.Conv2d(cin, cout, k, s, (k - 1) // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    return layers + [nn.ReLU6(inplace=True)] if act else layers


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        layers = cbr(cin, hidden, 1) if expand != 1 else []
        layers += cbr(hidden, hidden, 3, stride, groups=hidden) + cbr(hidden, cout, 1, act=False)
        self.conv = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.conv(x) if self.residual else self.conv(x)


def mobilenet_v2(width=1.0, classes=1000):
    cin = make_divisible(32 * width)
    layers = cbr(3, cin, 3, 2)
    for t, c, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                       (6, 160, 3, 2), (6, 320, 1, 1)]:
        cout = make_divisible(c * width)
        for i in range(n):
            layers.append(InvertedResidual(cin, cout, s if i == 0 else 1, t))
            cin = cout
    last = make_divisible(1280 * max(1.0, width))
    layers += cbr(cin, last, 1)
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2), nn.Linear(last, classes))


model = mobilenet_v2().eval()
params = sum(p.numel() for p in model.parameters())
'''

PEERS = {
    "torch FlopCounterMode": ("torch", TORCH_MODEL + r'''
from torch.utils.flop_counter import FlopCounterMode
with torch.no_grad(), FlopCounterMode(display=False) as counter:
    model(torch.randn(1, 3, 224, 224))
print(params, counter.get_total_flops() // 2)
'''),
    "ptflops": ("ptflops", TORCH_MODEL + r'''
from ptflops import get_model_complexity_info
macs, n = get_model_complexity_info(model, (3, 224, 224), as_strings=False, print_per_layer_stat=False,
                                    verbose=False)
print(int(n), int(macs))
'''),
    "fvcore": ("fvcore", TORCH_MODEL + r'''
from fvcore.nn import FlopCountAnalysis
a = FlopCountAnalysis(model, torch.randn(1, 3, 224, 224))
a.unsupported_ops_warnings(False)
a.uncalled_modules_warnings(False)
print(params, a.total())
'''),
}

API_SNIPPET = r'''
import sys, time, yaml
import netspec
with open(sys.argv[1], encoding="utf-8") as fh:
    spec = yaml.safe_load(fh)          # a plain dict, not the loader's PosDict
n = int(sys.argv[2])
netspec.analyze(spec)                   # the first call pays for the imports
t = time.perf_counter()
for _ in range(n):
    result = netspec.analyze(spec)
dt = time.perf_counter() - t
print(n / dt, result.totals.maccs, result.totals.params)
'''


def have(module: str) -> bool:
    """Whether `module` is importable, without importing it."""
    import importlib.util

    return importlib.util.find_spec(module) is not None


# --------------------------------------------------------------------------------------------
# Running and measuring.

class Case:
    def __init__(self, key: str, label: str, cmd: list[str], group: str = "", note: str = "",
                 ok_codes=(0,)) -> None:
        self.key, self.label, self.cmd, self.group, self.note = key, label, cmd, group, note
        self.ok_codes = ok_codes
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self.rss: list[int] = []
        self.error = ""

    @property
    def ms(self) -> float:
        return statistics.median(self.wall) * 1e3 if self.wall else float("nan")

    @property
    def cpu_ms(self) -> float:
        return statistics.median(self.cpu) * 1e3 if self.cpu else float("nan")

    @property
    def mib(self) -> float:
        return statistics.median(self.rss) / 1024 if self.rss else float("nan")


TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None
# Children keep their bytecode caches, as an installed package does (pip compiles .pyc files): a
# PYTHONDONTWRITEBYTECODE in the caller's environment would make every run recompile netspec's
# sources (~60 ms) while the dependencies of the floor (a) load from their .pyc files.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_once(case: Case, record: bool = True) -> None:
    """One run. Wall time: perf_counter around spawn..reap. CPU: the wait4 rusage, which covers the
    child and its reaped descendants. Peak RSS: Linux carries the spawning process's high-water
    mark into an exec'd child (vfork), so a child spawned from this ~25 MiB process never shows
    less; /usr/bin/time (a small C process) reports its own child's true peak, so it goes between
    when it exists (it adds ~1 ms to every case alike)."""
    with tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        cmd = [TIME, "-f", "%M", "-o", tf.name, *case.cmd] if TIME else case.cmd
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err,
                                stdin=subprocess.DEVNULL, env=ENV)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode not in case.ok_codes:
            err.seek(0)
            tail = [ln for ln in err.read().decode("utf-8", "replace").strip().splitlines()
                    if not ln.startswith("Command exited")][-1:] or [""]
            case.error = f"exit {proc.returncode}: {tail[0][:200]}"
        rss = usage.ru_maxrss
        if TIME:
            try:
                rss = int(tf.read().strip().splitlines()[-1])
            except (ValueError, IndexError):
                pass
    if record:
        case.wall.append(wall)
        case.cpu.append(usage.ru_utime + usage.ru_stime)
        case.rss.append(rss)  # KiB on Linux


def capture(cmd: list[str], timeout: float = 600) -> tuple[int, str, str]:
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=ENV)
    return p.returncode, p.stdout, p.stderr


def netspec_command() -> tuple[list[str], str]:
    """The console script beside this interpreter (a pyenv shim would add a shell's start-up)."""
    beside = os.path.join(os.path.dirname(PY), "netspec")
    if os.path.isfile(beside) and os.access(beside, os.X_OK):
        return [beside], beside
    found = shutil.which("netspec")
    if found and "shims" not in found:
        return [found], found
    return [PY, "-m", "netspec"], f"{PY} -m netspec (no console script found)"


def netspec_answer(ns: list[str], path: str) -> str:
    code, out, _ = capture(ns + ["check", "-f", "json", path])
    try:
        t = json.loads(out)["files"][0]["network"]["totals"]
        return f"{t['params']:,} params, {t['maccs']:,} MACCs"
    except Exception:
        return f"(no JSON answer, exit {code})"


# --------------------------------------------------------------------------------------------
# Formatting.

def fmt_ms(x: float) -> str:
    if x != x:
        return "—"
    return f"{x:,.0f} ms" if x >= 100 else f"{x:,.1f} ms"


def fmt_ratio(x: float) -> str:
    return "—" if x != x else f"{x:.2f}x"


def verdict(ok: bool | None) -> str:
    return "—" if ok is None else ("**met**" if ok else "**not met**")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="netspec whole-process benchmark (medians over runs)")
    ap.add_argument("--runs", type=int, default=None, help="measured runs per case (default 7; --quick 3)")
    ap.add_argument("--quick", action="store_true",
                    help="3 runs, no 100,000-layer spec, no peers: a smoke test of the runner")
    ap.add_argument("--only", default="", help="comma-separated case groups: a,b,c,d,e,t,f,api")
    ap.add_argument("--no-write", action="store_true", help="do not write bench/results/latest.md")
    ap.add_argument("--api-calls", type=int, default=None, help="analyze() calls per API run (default 300)")
    args = ap.parse_args(argv)
    runs = args.runs or (3 if args.quick else 7)
    only = {g.strip() for g in args.only.split(",") if g.strip()}
    want = (lambda g: not only or g in only)

    ns, ns_path = netspec_command()
    mobilenet, mobilenet_note = mobilenet_spec()
    rel = (lambda p: os.path.relpath(p, ROOT))
    sizes = SIZES[:2] if args.quick else SIZES
    notes: list[str] = []
    if mobilenet_note:
        notes.append(mobilenet_note)

    cases: list[Case] = []
    floor = Case("a", 'python -c "import yaml, jsonschema, typer"', [PY, "-c", "import yaml, jsonschema, typer"], "a")
    bare = Case("bare", "python -c pass", [PY, "-c", "pass"], "b")
    version = Case("b", "netspec --version", ns + ["--version"], "b")
    check_mb = Case("c", f"netspec check {rel(mobilenet)}", ns + ["check", mobilenet], "c", ok_codes=(0, 1))
    spec_dir = os.path.join(ROOT, "specs")
    n_specs = sum(1 for d, _, fs in os.walk(spec_dir) for f in fs if f.endswith((".yaml", ".yml"))) \
        if os.path.isdir(spec_dir) else 0
    all_json = Case("d", f"netspec check -f json specs/ ({n_specs} files)", ns + ["check", "-f", "json", "specs"], "d",
                    ok_codes=(0, 1))
    cases += [floor, bare]
    if want("b"):
        cases.append(version)
    if want("c"):
        cases.append(check_mb)
    if want("d") and n_specs:
        cases.append(all_json)
    gen_cases = {}
    if want("e"):
        for n in sizes:
            path = gen.write(n, GENERATED)
            extra = []
            if gen.instances(n) > 100_000:  # --max-layers bounds instances, block calls included
                extra = ["--max-layers", str(gen.instances(n))]
            gen_cases[n] = Case(f"e{n}", f"netspec check {' '.join(extra + [rel(path)])} ({n:,} layers)",
                                ns + ["check", *extra, path], "e")
            cases.append(gen_cases[n])

    transformer = None
    if want("t"):
        path = gen.write(10_000, GENERATED, kind="tfm")
        transformer = Case("t", f"netspec check {rel(path)} (10,000-layer transformer)", ns + ["check", path], "t")
        cases.append(transformer)

    peer_cases: list[Case] = []
    if want("f"):
        if args.quick:
            notes.append("peers (f) skipped: --quick")
        elif not have("torch"):
            notes.append("peers (f) skipped: torch is not installed (pip install torch)")
        else:
            os.makedirs(GENERATED, exist_ok=True)
            for label, (module, source) in PEERS.items():
                if not have(module):
                    notes.append(f"peer `{label}` skipped: {module} is not installed (pip install {module})")
                    continue
                script = os.path.join(GENERATED, f"peer_{module}.py")
                with open(script, "w", encoding="utf-8") as fh:
                    fh.write(source)
                peer_cases.append(Case(f"f-{module}", f"{label}: MobileNetV2 in torch", [PY, script], "f"))
            cases += peer_cases

    # The API rate is measured in the same rounds as the processes, so that all see the same load.
    calls = args.api_calls or (100 if args.quick else 300)
    api_rates: list[float] = []
    api_out = ("", 0, 0)

    def run_api() -> None:
        nonlocal api_out
        code, out, err = capture([PY, "-c", API_SNIPPET, mobilenet, str(calls)])
        if code != 0:
            note = "api: " + ((err.strip().splitlines() or ["failed"])[-1][:200])
            if note not in notes:
                notes.append(note)
            return
        rate, maccs, params = out.split()
        api_rates.append(float(rate))
        api_out = (rate, int(maccs), int(params))

    # Warm-up (file cache, .pyc written on the first import), then round-robin measured runs.
    t_start = time.perf_counter()
    for c in cases:
        run_once(c, record=False)
    for r in range(runs):
        for c in cases:
            if c.key == "e100000" and r >= max(3, runs // 2):
                continue  # ~10 s a run: fewer runs are enough for its median
            run_once(c)
        if want("api"):
            run_api()
        print(f"run {r + 1}/{runs} done ({time.perf_counter() - t_start:.0f} s)", file=sys.stderr)

    answers = {}
    if want("c") or want("f"):
        answers["netspec"] = netspec_answer(ns, mobilenet)
    for c in peer_cases:
        code, out, err = capture(c.cmd)
        try:
            p, m = out.split()[:2]
            answers[c.key] = f"{int(float(p)):,} params, {int(float(m)):,} MACCs"
        except ValueError:
            answers[c.key] = f"(no answer: {(err.strip().splitlines() or [''])[-1][:120]})"

    api = None
    if api_rates:
        api = (statistics.median(api_rates), api_out[1], api_out[2], calls, len(api_rates))

    # ---------------------------------------------------------------------------------------
    lines = []
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    lines.append("# netspec benchmark")
    lines.append("")
    lines.append(f"{time.strftime('%Y-%m-%d %H:%M:%S')} · Python {sys.version.split()[0]} · {os.cpu_count()} CPUs · "
                 f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} · {runs} runs per case (medians; "
                 f"the 100k case at most {max(3, runs // 2)}) · console script `{ns_path}`")
    lines.append("")
    lines.append("| case | command | wall | CPU (user+sys) | peak RSS | ratio | target | |")
    lines.append("|---|---|---:|---:|---:|---:|---|---|")

    def row(c: Case, ratio: float = float("nan"), target: str = "", ok: bool | None = None) -> None:
        err = f" ⚠ {c.error}" if c.error else ""
        lines.append(f"| {c.key} | `{c.label}`{err} | {fmt_ms(c.ms)} | {fmt_ms(c.cpu_ms)} | {c.mib:.1f} MiB | "
                     f"{fmt_ratio(ratio)} | {target} | {verdict(ok)} |")

    row(floor, 1.0, "the floor (a)")
    row(bare, bare.ms / floor.ms, "bare interpreter")
    summary = []
    if version in cases:
        limit = 1.1 * bare.ms + 40
        ok = version.ms <= limit
        row(version, version.ms / bare.ms, f"≤ 1.1 x bare + 40 ms = {limit:.0f} ms", ok)
        summary.append(("b: --version ≤ 1.1 x bare + 40 ms", ok))
    if check_mb in cases:
        ok = check_mb.ms <= 1.3 * floor.ms
        row(check_mb, check_mb.ms / floor.ms, "≤ 1.3 x (a)", ok)
        summary.append(("c: check mobilenet_v2 ≤ 1.3 x (a)", ok))
    if all_json in cases:
        row(all_json, all_json.ms / floor.ms, "x (a)")
    for n, c in gen_cases.items():
        target, ok = "", None
        if n == 10_000:
            target, ok = "< 1 s", c.ms < 1000
            summary.append(("e: 10,000 layers < 1 s", ok))
        elif n == 100_000:
            target, ok = "< 10 s", c.ms < 10_000
            summary.append(("e: 100,000 layers < 10 s", ok))
        row(c, c.ms / floor.ms, target or "x (a)", ok)
    if transformer is not None:
        ok = transformer.ms < 1000
        row(transformer, transformer.ms / floor.ms, "< 1 s", ok)
        summary.append(("t: 10,000-layer transformer < 1 s", ok))
    if 10_000 in gen_cases and 100_000 in gen_cases:
        r = gen_cases[100_000].ms / gen_cases[10_000].ms
        rc = gen_cases[100_000].cpu_ms / gen_cases[10_000].cpu_ms
        ok = r <= 12
        lines.append(f"| e | 100k / 10k | | | | {fmt_ratio(r)} (CPU {fmt_ratio(rc)}) | ≤ 12 | {verdict(ok)} |")
        summary.append(("e: ratio 100k / 10k ≤ 12", ok))
    for c in peer_cases:
        row(c, c.ms / check_mb.ms if check_mb.wall else float("nan"), "x (c), same model")
    if api:
        rate, maccs, params, calls, n = api
        ok = rate >= 200
        lines.append(f"| api | `netspec.analyze(dict)` on mobilenet_v2 ({calls} calls x {n} processes) | "
                     f"{1e3 / rate:.2f} ms/call | | | {rate:,.0f} calls/s | ≥ 200 calls/s | {verdict(ok)} |")
        summary.append(("api: ≥ 200 calls/s", ok))
    lines.append("")
    lines.append("ratio: (b) and bare against bare `python -c pass` for (b), else against the floor (a); "
                 "peers against (c). Targets are judged on the wall-time medians.")
    if answers:
        lines.append("")
        lines.append("Same answer? (MobileNetV2, width 1.0, 224x224, batch 1)")
        lines.append("")
        lines.append(f"- netspec: {answers.get('netspec', '—')}")
        if api:
            lines.append(f"- netspec.analyze(dict): {api[2]:,} params, {api[1]:,} MACCs")
        for c in peer_cases:
            lines.append(f"- {c.label.split(':')[0]}: {answers.get(c.key, '—')}")
    if summary:
        lines.append("")
        lines.append("Targets: " + "; ".join(f"{name} — {'met' if ok else 'NOT met'}" for name, ok in summary))
    if notes:
        lines.append("")
        for n in notes:
            lines.append(f"- note: {n}")
    errors = [c for c in cases if c.error]
    publish(lines, "latest.md", not args.no_write)
    return 1 if errors else 0


def publish(lines: list[str], name: str, write: bool) -> None:
    """A results table to stdout and, unless told not to, to bench/results/NAME."""
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if write:
        os.makedirs(RESULTS, exist_ok=True)
        with open(os.path.join(RESULTS, name), "w", encoding="utf-8") as fh:
            fh.write(text)


if __name__ == "__main__":
    sys.exit(main())
