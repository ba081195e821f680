"""`netspec calibrate`: measure this machine's device profile with PyTorch microbenchmarks.

What it measures (PyTorch on the CPU, eval mode, no_grad, a fixed number of threads):
- the peak of each dtype: the best of square matrix products (float32, bfloat16, float16 with
  `torch.matmul`; int8 with `torch._int_mm` where this PyTorch has it);
- the streaming bandwidth: a large tensor copy (read + write), and a copy that fits in the L2
  cache (the on-chip level, used for kernels whose bytes fit in it);
- the per-kernel overhead: one tiny element-wise module, caches evicted before it;
- the efficiency of each op family (conv, depthwise, dense, element-wise, average and max pool,
  and attention when the registry has it): a few generic single-layer networks per family,
  exported with netspec's own PyTorch export and timed with the caches evicted before each call;
  the compute and memory efficiencies that make the roofline fit those timings best (least
  squares on log time) become the profile's.

The benchmark layers are generic shapes, not models of the zoo, so `bench/latency.py` can use a
calibrated profile to test the estimate on models it was not fitted to. Only this module (and
the export) imports torch; `netspec calibrate` needs the `torch` extra.
"""

from __future__ import annotations

import math
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field

from .device import FAMILIES

# Single-layer benchmark networks per op family: (input, layer) in spec syntax. Generic sizes of
# the kind CNNs and transformers use, from large feature maps with few channels to small maps
# with many; not copied from any network of the zoo.
CASES: dict[str, list[tuple[str, str]]] = {
    "conv": [
        ("{height: 224, width: 224, channels: 3}", "{type: conv, filters: 32, kernel: 3, stride: 2}"),
        ("{height: 112, width: 112, channels: 32}", "{type: conv, filters: 64, kernel: 3}"),
        ("{height: 56, width: 56, channels: 64}", "{type: conv, filters: 64, kernel: 3}"),
        ("{height: 28, width: 28, channels: 128}", "{type: conv, filters: 128, kernel: 3}"),
        ("{height: 14, width: 14, channels: 256}", "{type: conv, filters: 256, kernel: 3}"),
        ("{height: 7, width: 7, channels: 512}", "{type: conv, filters: 512, kernel: 3}"),
        ("{height: 56, width: 56, channels: 64}", "{type: conv, filters: 256, kernel: 1}"),
        ("{height: 28, width: 28, channels: 512}", "{type: conv, filters: 128, kernel: 1}"),
        ("{height: 14, width: 14, channels: 1024}", "{type: conv, filters: 256, kernel: 1}"),
        ("{height: 7, width: 7, channels: 320}", "{type: conv, filters: 1280, kernel: 1}"),
        ("{height: 28, width: 28, channels: 64}", "{type: conv, filters: 96, kernel: 5}"),
    ],
    "depthwise": [
        ("{height: 112, width: 112, channels: 32}", "{type: depthwise, kernel: 3}"),
        ("{height: 112, width: 112, channels: 96}", "{type: depthwise, kernel: 3, stride: 2}"),
        ("{height: 56, width: 56, channels: 144}", "{type: depthwise, kernel: 3}"),
        ("{height: 28, width: 28, channels: 192}", "{type: depthwise, kernel: 3}"),
        ("{height: 14, width: 14, channels: 576}", "{type: depthwise, kernel: 3}"),
        ("{height: 7, width: 7, channels: 960}", "{type: depthwise, kernel: 3}"),
        ("{height: 28, width: 28, channels: 240}", "{type: depthwise, kernel: 5}"),
    ],
    "dense": [
        ("{channels: 512}", "{type: dense, units: 1000}"),
        ("{channels: 1280}", "{type: dense, units: 1000}"),
        ("{channels: 4096}", "{type: dense, units: 4096}"),
        ("{channels: 9216}", "{type: dense, units: 2048}"),
        ("{length: 128, channels: 768}", "{type: dense, units: 768}"),
        ("{length: 196, channels: 384}", "{type: dense, units: 1536}"),
    ],
    "elementwise": [
        ("{height: 112, width: 112, channels: 64}", "{type: relu}"),
        ("{height: 56, width: 56, channels: 128}", "{type: batchnorm}"),
        ("{height: 28, width: 28, channels: 256}", "{type: relu6}"),
        ("{height: 14, width: 14, channels: 512}", "{type: sigmoid}"),
        ("{height: 56, width: 56, channels: 256}", "{type: add, inputs: [input, input]}"),
        ("{height: 7, width: 7, channels: 1024}", "{type: relu}"),
        ("{length: 197, channels: 768}", "{type: layernorm}"),
        ("{length: 128, channels: 3072}", "{type: gelu}"),
        ("{height: 7, width: 7, channels: 2048}", "{type: global_avgpool}"),
        ("{height: 14, width: 14, channels: 512}", "{type: global_maxpool}"),
        ("{height: 28, width: 28, channels: 128}", "{type: concat, inputs: [input, input]}"),
        ("{height: 14, width: 14, channels: 256}", "{type: concat, inputs: [input, input, input]}"),
    ],
    "pool": [
        ("{height: 56, width: 56, channels: 256}", "{type: avgpool, kernel: 2}"),
        ("{height: 14, width: 14, channels: 480}", "{type: avgpool, kernel: 3, stride: 2, padding: 1}"),
        ("{height: 28, width: 28, channels: 192}", "{type: avgpool, kernel: 3, stride: 1, padding: 1}"),
        ("{height: 112, width: 112, channels: 32}", "{type: avgpool, kernel: 2}"),
    ],
    "maxpool": [
        ("{height: 112, width: 112, channels: 64}", "{type: maxpool, kernel: 3, stride: 2, padding: 1}"),
        ("{height: 28, width: 28, channels: 96}", "{type: maxpool, kernel: 2}"),
        ("{height: 56, width: 56, channels: 192}", "{type: maxpool, kernel: 3, stride: 1, padding: 1}"),
        ("{height: 14, width: 14, channels: 512}", "{type: maxpool, kernel: 2}"),
    ],
    "attention": [
        ("{length: 197, channels: 768}", "{type: attention, heads: 12}"),
        ("{length: 128, channels: 512}", "{type: attention, heads: 8}"),
        ("{length: 512, channels: 384}", "{type: attention, heads: 6}"),
        ("{length: 64, channels: 1024}", "{type: attention, heads: 16}"),
    ],
}

GEMM_SIZES = (256, 512, 1024)
ROUNDS = 5  # the single-layer benchmarks run round-robin this many times; the median of all their calls is kept
BIG_COPY = 64 * 2**20  # bytes, well past any L2


@dataclass(slots=True)
class Case:
    """One single-layer benchmark: its FLOPs and compulsory bytes (totals), its time, and the
    (FLOPs, bytes) of each kernel the layer runs when it runs several (attention: projections,
    scores, context, output), as the estimate sums them."""

    family: str
    label: str
    flops: int
    nbytes: int
    seconds: float
    kernels: tuple = ()  # ((flops, nbytes), ...); empty: one kernel of `flops` and `nbytes`


@dataclass(slots=True)
class Measurement:
    threads: int
    peak: dict = field(default_factory=dict)  # dtype -> FLOP/s
    bandwidth: float = 0.0
    on_chip: int | None = None
    on_chip_bandwidth: float | None = None
    overhead: float = 0.0
    cases: list = field(default_factory=list)
    compute_efficiency: dict = field(default_factory=dict)
    memory_efficiency: dict = field(default_factory=dict)
    skipped: list = field(default_factory=list)  # (what, why)
    seconds: float = 0.0


class Progress:
    """A one-line progress bar on stderr (plain lines when stderr is not a terminal)."""

    def __init__(self, total: int, stream=None) -> None:
        self.total, self.done = total, 0
        self.stream = stream or sys.stderr
        self.tty = getattr(self.stream, "isatty", lambda: False)()

    def step(self, what: str) -> None:
        self.done += 1
        n = min(self.done, self.total)
        if self.tty:
            filled = int(30 * n / self.total)
            self.stream.write(f"\rcalibrating [{'#' * filled}{'.' * (30 - filled)}] {n}/{self.total} {what[:40]:<40}")
            if n == self.total:
                self.stream.write("\n")
        else:
            self.stream.write(f"calibrating {n}/{self.total}: {what}\n")
        self.stream.flush()


# The clock of the measurements: wall time, or with one torch thread this thread's CPU time, which
# is the same on a quiet machine and barely moved by other processes sharing the core.
_clock = time.perf_counter


def sample(fn, runs: int = 10, min_seconds: float = 0.05, warmup: int = 2, evict=None) -> list[float]:
    """`fn()`'s times over at least `runs` calls and `min_seconds`, after a warm-up; `evict()`,
    untimed, runs before every call."""
    for _ in range(warmup):
        fn()
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < runs or (time.perf_counter() - start < min_seconds and len(times) < 1000):
        if evict is not None:
            evict()
        t0 = _clock()
        fn()
        times.append(_clock() - t0)
    return times


def quick_time(fn, runs: int = 10, min_seconds: float = 0.05, warmup: int = 2, evict=None) -> float:
    """The median of `fn()`'s times (see `sample`): what the validation measures a model by. A low
    percentile or a best round is no "purer" speed here: this machine runs the same kernel in a
    fast and a slow phase for seconds at a time (1.5x apart, in CPU time too), and the lowest
    times pick the fast phase, which the medians of the models mostly do not see."""
    return statistics.median(sample(fn, runs, min_seconds, warmup, evict))


def _gemm_peak(torch, dtype_name: str) -> float | None:
    """Best FLOP/s of square matrix products in this dtype, or None when this PyTorch cannot."""
    best = None
    for n in GEMM_SIZES:
        try:
            if dtype_name == "int8":
                if not hasattr(torch, "_int_mm"):
                    return None
                a = torch.randint(-128, 127, (n, n), dtype=torch.int8)
                b = torch.randint(-128, 127, (n, n), dtype=torch.int8)
                fn = lambda: torch._int_mm(a, b)  # noqa: E731
            else:
                dt = getattr(torch, dtype_name)
                a, b = torch.randn(n, n, dtype=dt), torch.randn(n, n, dtype=dt)
                fn = lambda: torch.matmul(a, b)  # noqa: E731
            t = quick_time(fn, runs=6, min_seconds=0.05)
        except (RuntimeError, TypeError, NotImplementedError):
            return None
        rate = 2 * n ** 3 / t
        best = rate if best is None else max(best, rate)
    return best


def _copy_bandwidth(torch, nbytes: int) -> float:
    x = torch.empty(nbytes // 4, dtype=torch.float32).normal_()
    y = torch.empty_like(x)
    t = quick_time(lambda: y.copy_(x), runs=10, min_seconds=0.05)
    return 2 * x.numel() * 4 / t


def l2_bytes() -> int | None:
    """The per-core L2 cache size from Linux sysfs, or None elsewhere."""
    base = "/sys/devices/system/cpu/cpu0/cache"
    try:
        for entry in sorted(os.listdir(base)):
            with open(os.path.join(base, entry, "level")) as fh:
                if fh.read().strip() != "2":
                    continue
            with open(os.path.join(base, entry, "size")) as fh:
                text = fh.read().strip()
            from .quantity import parse_quantity

            return parse_quantity(text.replace("K", "KiB").replace("M", "MiB"), bytes_=True)
    except (OSError, ValueError):
        return None
    return None


def _spec(inp: str, layer: str, name: str = "calibration") -> str:
    return f"netspec: 1\nname: {name}\ninput: {inp}\nlayers:\n  - {layer}\n"


def evictor(torch, nbytes: int):
    """A function that overwrites `nbytes` of memory: run before a timed call, it leaves the caches as
    a layer finds them inside a network, where the layers before it have replaced their contents
    (timing one layer over and over with hot caches made small layers look 3-5x faster than they
    run in a model)."""
    buf = torch.zeros(max(nbytes, 1 << 20) // 4)
    return lambda: buf.add_(1.0)


def _prepare_case(torch, family: str, inp: str, layer: str):
    """One single-layer network: its Case (netspec's FLOPs and bytes, time still unknown) and the
    call to time."""
    from .export.torch import build
    from .latency import kernels
    from .pipeline import check_text

    result = check_text(_spec(inp, layer))
    if result.graph is None:
        raise ValueError("; ".join(d.message for d in result.diagnostics))
    graph = result.graph
    model = build(graph).eval()
    x = torch.randn(1, *(graph.input[-1:] + graph.input[:-1]))
    parts = tuple((sum(f for _, f in flops), nbytes)
                  for flops, nbytes, _ in kernels(graph.layers[0], True, graph.batch, graph.dtype_bytes))
    case = Case(family, f"{graph.layers[0].type} {inp}", sum(f for f, _ in parts), sum(b for _, b in parts),
                math.inf, parts if len(parts) > 1 else ())
    return case, lambda: model(x)


def _overhead(torch, evict) -> list[float]:
    """The times of one ReLU module on an 8-element tensor, caches evicted before it: dispatch, not work."""
    from .export.torch import build
    from .pipeline import check_text

    text = "netspec: 1\nname: overhead\ninput: {channels: 8}\nlayers:\n  - {type: relu}\n"
    model = build(check_text(text).graph).eval()
    x = torch.randn(1, 8)
    with torch.no_grad():
        return sample(lambda: model(x), runs=30, min_seconds=0.05, evict=evict)


def fit(cases: list[Case], peak: float, bandwidth: float, overhead: float,
        on_chip: int | None = None, on_chip_bw: float | None = None,
        prefer_memory: float | None = None) -> tuple[float, float]:
    """The (compute, memory) efficiencies that fit the roofline to `cases` best (least squares on
    log time, over a grid). Among fits within 2% of the best, the memory efficiency nearest to
    `prefer_memory` (in log) wins: a family whose cases are all compute-bound says nothing about
    its memory efficiency, and then the machine-wide one is kept."""
    grid_c = [1e-4 * (2 / 1e-4) ** (i / 149) for i in range(150)]
    grid_m = [5e-3 * (20 / 5e-3) ** (i / 149) for i in range(150)]
    rows = []  # per case: ([(compute time, memory time) at efficiency 1 of each kernel], log time)
    for c in cases:
        parts = []
        for flops, nbytes in c.kernels or ((c.flops, c.nbytes),):
            bw = on_chip_bw if on_chip_bw and on_chip and nbytes <= on_chip else bandwidth
            parts.append((flops / peak, nbytes / bw))
        rows.append((parts, math.log(c.seconds)))
    scored = []
    for ec in grid_c:
        for em in grid_m:
            loss = sum((math.log(sum(max(fc / ec, fm / em) + overhead for fc, fm in parts)) - lt) ** 2
                       for parts, lt in rows)
            scored.append((loss, ec, em))
    best = min(s[0] for s in scored)
    near = [s for s in scored if s[0] <= best * 1.02 + 1e-12]
    if prefer_memory:
        near.sort(key=lambda s: (abs(math.log(s[2] / prefer_memory)), s[0]))
    else:
        near.sort()
    _, ec, em = near[0]
    return ec, em


def measure(threads: int | None = None, progress: Progress | None = None, between_rounds=None) -> Measurement:
    """Run every microbenchmark and fit the efficiencies (about 20 s on one core here).
    `between_rounds()`, when given, runs after each round of the single-layer benchmarks (untimed
    by them): `bench/latency.py` times its models there, in the same moments of the machine."""
    import torch

    from .ops import REGISTRY

    global _clock
    started = time.perf_counter()
    if threads:
        torch.set_num_threads(threads)
    m = Measurement(threads=torch.get_num_threads())
    _clock = time.thread_time if m.threads == 1 else time.perf_counter
    families = [f for f in FAMILIES if f != "attention" or "attention" in REGISTRY]
    progress = progress or Progress(6 + ROUNDS * (1 + sum(len(CASES[f]) for f in families)))
    for dtype in ("float32", "bfloat16", "float16", "int8"):
        rate = _gemm_peak(torch, dtype)
        if rate is None:
            m.skipped.append((f"peak {dtype}", "this PyTorch has no CPU matrix product for it"))
        else:
            m.peak[dtype] = rate
        progress.step(f"matrix product {dtype}")
    m.bandwidth = _copy_bandwidth(torch, BIG_COPY)
    progress.step("streaming copy")
    l2 = l2_bytes()
    if l2:
        m.on_chip = l2
        m.on_chip_bandwidth = _copy_bandwidth(torch, l2 // 4)
    else:
        m.skipped.append(("on-chip bandwidth", "no L2 cache size found in /sys"))
    progress.step("on-chip copy")
    evict = evictor(torch, 2 * (l2 or 2 << 20))
    prepared = []
    for fam in families:
        for inp, layer in CASES[fam]:
            try:
                prepared.append(_prepare_case(torch, fam, inp, layer))
            except Exception as exc:  # an op the export does not map yet: that family keeps the default
                m.skipped.append((f"{fam} {layer}", f"{type(exc).__name__}: {exc}"))
    progress.total = 6 + ROUNDS * (1 + len(prepared))
    # Round-robin, the median of every call of every round kept: a benchmark's calls are spread over
    # the run, so the machine's slow and fast phases weigh on each benchmark as on a model that is
    # timed later (the best round was kept before: it caught the fast phase, and every model came
    # out 6-51% slower than estimated, the single-conv spec included).
    overhead: list[float] = []
    times: list[list[float]] = [[] for _ in prepared]
    for _ in range(ROUNDS):
        overhead += _overhead(torch, evict)
        progress.step("per-kernel overhead")
        for i, (case, call) in enumerate(prepared):
            with torch.no_grad():
                times[i] += sample(call, runs=6, min_seconds=0.03, evict=evict)
            progress.step(case.label)
        if between_rounds is not None:
            t0 = time.perf_counter()
            between_rounds()
            started += time.perf_counter() - t0  # not the calibration's own time
    m.overhead = statistics.median(overhead)
    for (case, _), ts in zip(prepared, times):
        case.seconds = statistics.median(ts)
    by_family: dict[str, list[Case]] = {}
    for case, _ in prepared:
        by_family.setdefault(case.family, []).append(case)
    peak = m.peak["float32"]
    on_chip_bw = m.on_chip_bandwidth
    ew = by_family.get("elementwise", [])
    _, global_mem = fit(ew, peak, m.bandwidth, m.overhead, m.on_chip, on_chip_bw) if ew else (None, 1.0)
    m.memory_efficiency["default"] = global_mem
    for fam, cases in by_family.items():
        m.cases += cases
        ec, em = fit(cases, peak, m.bandwidth, m.overhead, m.on_chip, on_chip_bw, prefer_memory=global_mem)
        m.compute_efficiency[fam] = ec
        if fam != "elementwise":
            m.memory_efficiency[fam] = em
        else:
            m.memory_efficiency["elementwise"] = global_mem
    m.compute_efficiency["default"] = statistics.median(m.compute_efficiency.values()) if m.compute_efficiency else 0.5
    m.seconds = time.perf_counter() - started
    return m


def _si(x: float, unit: str) -> str:
    for div, p in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")):
        if x >= div:
            return f"{x / div:.4g}{p}{unit}"
    return f"{x:.4g}{unit}"


def profile_yaml(m: Measurement, name: str, when: str) -> str:
    """The profile as YAML text: every figure's source is the calibration run."""
    import torch

    host = platform.node() or "this machine"
    cpu = _cpu_model()
    lines = [
        f"# Measured by `netspec calibrate` on {host} ({cpu}), {when}, {m.threads} thread(s),",
        f"# PyTorch {torch.__version__}, in {m.seconds:.0f} s. Re-run it to refresh; edit `name:` freely.",
        "netspec_device: 1",
        f"name: {name}",
        f'title: "{cpu}, {m.threads} thread(s), PyTorch {torch.__version__} eager (calibrated)"',
        "kind: cpu",
        "execution: eager",
        "notes: >",
        "  Measured with PyTorch eager on the CPU: every op of the exported module is a kernel of its",
        "  own (fused batch norm and activations included). Efficiencies are fitted per op family to",
        "  generic single-layer benchmarks (netspec/calibrate.py), at float32; other dtypes assume the",
        "  same fractions of their peak.",
        "peak:",
        "  unit: FLOP/s",
    ]
    for dtype, rate in m.peak.items():
        lines.append(f"  {dtype}: {{value: {_si(rate, '')}, sparsity: dense, source: calibration, "
                     f"note: best square matrix product}}")
    lines += [
        "memory:",
        f"  bandwidth: {{value: {_si(m.bandwidth, 'B/s')}, source: calibration, note: 64 MiB tensor copy}}",
    ]
    if m.on_chip and m.on_chip_bandwidth:
        lines += [f"  on_chip: {{value: {m.on_chip // 1024}KiB, source: calibration, note: L2 cache per core (sysfs)}}",
                  f"  on_chip_bandwidth: {{value: {_si(m.on_chip_bandwidth, 'B/s')}, source: calibration, "
                  "note: copy of a quarter of the L2}"]
    lines += [
        f"overhead: {{value: {m.overhead * 1e6:.3g}us, source: calibration, note: per module call of a chain of tiny ReLUs}}",
        "efficiency:",
        "  source: calibration",
        "  note: fitted to the single-layer benchmarks of netspec/calibrate.py (least squares on log time)",
        "  compute: {" + ", ".join(f"{k}: {v:.3g}" for k, v in m.compute_efficiency.items()) + "}",
        "  memory: {" + ", ".join(f"{k}: {v:.3g}" for k, v in m.memory_efficiency.items()) + "}",
        "sources:",
        "  calibration:",
        f'    title: "netspec calibrate on {host}"',
        f"    measured: {when}",
        f'    host: "{cpu}, {os.cpu_count()} CPUs, {m.threads} thread(s), PyTorch {torch.__version__}"',
        "    method: matrix products, tensor copies and single-layer networks exported by netspec, timed "
        f"(median of >= 30 calls over 5 round-robin rounds, {'CPU time of the one thread' if m.threads == 1 else 'wall time'}) "
        "in eval mode under no_grad",
    ]
    if m.skipped:
        lines.append("# Not measured: " + "; ".join(f"{w} ({why})" for w, why in m.skipped))
    return "\n".join(lines) + "\n"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip().replace('"', "'")
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def calibrate_command(output: str, force: bool = False, threads: int | None = None, name: str | None = None) -> int:
    """What `netspec calibrate -o FILE` does; the exit status (0 written, 2 usage or set-up problem)."""
    from .export import INSTALL_HINT, framework_available

    if os.path.exists(output) and not force:
        print(f"netspec: error: {output} exists; pass --force to overwrite it", file=sys.stderr)
        return 2
    if threads is not None and threads < 1:
        print("netspec: error: --threads must be at least 1", file=sys.stderr)
        return 2
    if not framework_available("torch"):
        print(f"netspec: error: calibrate needs PyTorch, which is not installed: {INSTALL_HINT['torch']}",
              file=sys.stderr)
        return 2
    m = measure(threads)
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    text = profile_yaml(m, name or _default_name(output), when)
    from .device import DeviceError, _Reader
    from .loader import load_text

    try:  # what we write must read back
        _Reader(output, load_text(text).data).read()
    except DeviceError as exc:
        print(f"netspec: internal error [NS000]: the measured profile does not read back: {exc}", file=sys.stderr)
        return 2
    try:
        with open(output, "w" if force else "x", encoding="utf-8") as fh:
            fh.write(text)
    except FileExistsError:
        print(f"netspec: error: {output} exists; pass --force to overwrite it", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"netspec: error: cannot write {output}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    fp32 = m.peak.get("float32", 0)
    print(f"{output}: measured in {m.seconds:.0f} s with {m.threads} thread(s): float32 peak {_si(fp32, 'FLOP/s')}, "
          f"bandwidth {_si(m.bandwidth, 'B/s')}, overhead {m.overhead * 1e6:.3g} µs per kernel; "
          f"use it with `netspec check SPEC --device-file {output}`", file=sys.stderr)
    return 0


def _default_name(output: str) -> str:
    base = os.path.splitext(os.path.basename(output))[0]
    return base or "calibrated"
