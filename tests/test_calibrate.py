"""`netspec calibrate`: the efficiency fit recovers known efficiencies, a real run writes a profile
that reads back, an existing file is never overwritten unless asked, and without PyTorch it says
how to get it. Also the rank statistics of bench/latency.py, checked against hand computations."""

from __future__ import annotations

import importlib.util
import math
import os
import subprocess
import sys

import pytest

from netspec import calibrate
from netspec.calibrate import Case, Measurement, fit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_fit_recovers_the_efficiencies_that_made_the_timings():
    # Synthetic timings from the roofline itself with compute efficiency 0.3 and memory efficiency
    # 0.6: compute-bound and memory-bound cases both, so both are determined.
    peak, bw, overhead = 1e11, 1e10, 5e-6
    cases = []
    for flops, nbytes in ((1e9, 1e6), (3e8, 4e6), (5e7, 2e8), (1e6, 5e7), (2e9, 3e7), (4e6, 8e6)):
        t = max(flops / (peak * 0.3), nbytes / (bw * 0.6)) + overhead
        cases.append(Case("conv", "synthetic", int(flops), int(nbytes), t))
    ec, em = fit(cases, peak, bw, overhead)
    assert ec == pytest.approx(0.3, rel=0.04)  # the grid steps by about 7 %
    assert em == pytest.approx(0.6, rel=0.04)


def test_fit_keeps_the_preferred_memory_efficiency_when_the_cases_say_nothing_of_it():
    peak, bw = 1e11, 1e10
    cases = [Case("conv", "x", int(f), 1000, f / (peak * 0.5)) for f in (1e9, 2e9, 5e8)]  # all compute-bound
    ec, em = fit(cases, peak, bw, 0.0, prefer_memory=2.0)
    assert ec == pytest.approx(0.5, rel=0.04)
    assert em == pytest.approx(2.0, rel=0.04)


def test_never_overwrites_an_existing_file(cli, tmp_path):
    target = tmp_path / "mine.yaml"
    target.write_text("precious\n")
    r = cli("calibrate", "-o", str(target))
    assert r.code == 2 and "exists; pass --force" in r.err
    assert target.read_text() == "precious\n"


def _fake_measure(threads=None, progress=None):
    m = Measurement(threads=threads or 1)
    m.peak = {"float32": 100e9}
    m.bandwidth, m.overhead = 10e9, 4e-6
    m.compute_efficiency = {"conv": 0.8, "default": 0.5}
    m.memory_efficiency = {"default": 1.5}
    return m


def test_force_overwrites(cli, tmp_path, monkeypatch):
    pytest.importorskip("torch")
    monkeypatch.setattr(calibrate, "measure", _fake_measure)
    target = tmp_path / "mine.yaml"
    target.write_text("old\n")
    r = cli("calibrate", "-o", str(target), "--force", "--name", "box")
    assert r.code == 0, r.err
    from netspec.device import read_profile

    d = read_profile(str(target))
    assert d.name == "box" and d.peak["float32"] == 100e9 and d.execution == "eager"
    assert d.compute_eff("conv") == 0.8 and d.compute_eff("dense") == 0.5
    assert all(f.source == "calibration" for f in d.figures)


def test_without_torch_it_says_how_to_install(tmp_path):
    code = ("import sys; sys.modules['torch'] = None\n"
            "from netspec.cli import main\n"
            f"main(['calibrate', '-o', {str(tmp_path / 'x.yaml')!r}])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 2
    assert "calibrate needs PyTorch, which is not installed: pip install 'netspec-cli[torch]'" in out.stderr
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "x.yaml").exists()


def test_a_real_calibration_reads_back(tmp_path):
    """One real run (about 10 s on one thread here): every family measured, a progress line per step
    on stderr, and the profile checks a spec."""
    pytest.importorskip("torch")
    target = tmp_path / "here.yaml"
    out = subprocess.run([sys.executable, "-m", "netspec", "calibrate", "-o", str(target), "--threads", "1"],
                         capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "calibrating 1/" in out.stderr and "measured in" in out.stderr
    from netspec.device import read_profile

    d = read_profile(str(target))
    assert d.kind == "cpu" and d.execution == "eager" and d.peak["float32"] > 1e9
    for family in ("conv", "depthwise", "dense", "elementwise", "pool"):
        assert family in d.compute_efficiency
    assert 0 < d.overhead < 1e-3
    r = subprocess.run([sys.executable, "-m", "netspec", "check", "specs/tiny.yaml", "--device-file", str(target)],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0 and "latency" in r.stdout


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_latency", os.path.join(ROOT, "bench", "latency.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_spearman_with_ties(bench):
    # ranks of b = [5, 6, 7, 8, 7]: 1, 2, 3.5, 5, 3.5; of a: 1..5. Deviations from the mean rank 3:
    # a: -2 -1 0 1 2; b: -2 -1 .5 2 .5 -> covariance 4 + 1 + 0 + 2 + 1 = 8; variances 10 and 9.5.
    assert bench.ranks([5, 6, 7, 8, 7]) == [1, 2, 3.5, 5, 3.5]
    assert bench.spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) == pytest.approx(8 / math.sqrt(95))
    assert bench.spearman([1, 2, 3], [30, 20, 10]) == pytest.approx(-1)


def test_benchmarks_are_timed_by_their_median(monkeypatch):
    # The calibration's times are medians, as the validation's are: a low percentile (or a best
    # round) picks the machine's fast phases, and every model then ran slower than estimated.
    durations = iter([0.5, 0.1, 0.1, 0.9, 0.3])
    now = [0.0]

    def clock():
        return now[0]

    def call():
        now[0] += next(durations)

    monkeypatch.setattr(calibrate, "_clock", clock)
    assert calibrate.quick_time(call, runs=5, min_seconds=0, warmup=0) == pytest.approx(0.3)


def test_bench_times_each_model_in_every_round_after_a_warm_up_call(bench):
    import contextlib
    import types

    calls = []
    fake_torch = types.SimpleNamespace(no_grad=contextlib.nullcontext)
    models = [(lambda x, k=k: calls.append(k), None) for k in ("a", "b")]
    timer = bench.ModelTimer(fake_torch, models, per_round=2)
    for _ in range(3):
        timer.round()
    assert calls == ["a"] * 3 + ["b"] * 3 + ["a"] * 3 + ["b"] * 3 + ["a"] * 3 + ["b"] * 3
    assert [len(w) for w in timer.wall] == [6, 6] and [len(c) for c in timer.cpu] == [6, 6]
    assert set(timer.results()[0]) == {"measured", "min", "max", "cpu"}


def test_fit_sums_the_kernels_of_a_layer_that_runs_several():
    # An attention-like layer: four kernels, each paying the overhead, timed as one call. The
    # timings come from the estimate's own sum with compute efficiency 0.2, memory efficiency 0.5.
    peak, bw, overhead = 1e11, 1e10, 2e-5
    cases = []
    import random

    rng = random.Random(3)
    for _ in range(8):  # kernels from compute-bound to memory-bound, so both efficiencies show
        parts = tuple((10 ** rng.uniform(6, 9), 10 ** rng.uniform(5, 8)) for _ in range(4))
        t = sum(max(f / (peak * 0.2), b / (bw * 0.5)) + overhead for f, b in parts)
        cases.append(Case("attention", "x", int(sum(f for f, _ in parts)), int(sum(b for _, b in parts)), t,
                          tuple((int(f), int(b)) for f, b in parts)))
    ec, em = fit(cases, peak, bw, overhead)
    assert ec == pytest.approx(0.2, rel=0.07)  # within one step of the grid (about 7 %)
    assert em == pytest.approx(0.5, rel=0.07)
    one_kernel = [Case(c.family, c.label, c.flops, c.nbytes, c.seconds) for c in cases]
    assert fit(one_kernel, peak, bw, overhead) != (ec, em)  # summed as one kernel, the fit is another
