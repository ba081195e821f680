"""The roofline latency estimate, computed by hand from a profile and compared with the tool's numbers.

Every expected number below is worked out here from the layer's shape and the profile's figures
(the formulas of docs/cost-model.md and netspec/latency.py's docstring), never copied from output:

    kernel time = max(FLOPs / (peak x compute efficiency), bytes / (bandwidth x memory efficiency)) + overhead

The profile (PROFILE) has round figures: float32 peak 1 TFLOP/s, float16 4 TFLOP/s, 100 GB/s,
10 us per kernel; compute efficiency 0.5 for conv, 0.25 for dense, 0.2 for depthwise, 1.0 for
element-wise; memory efficiency 0.8 (0.5 for depthwise).
"""

from __future__ import annotations

import json

import pytest

PROFILE = """\
netspec_device: 1
name: roundnum
title: A device with round figures
kind: gpu
execution: {execution}
peak:
  unit: FLOP/s
  float32: {{value: 1T, sparsity: dense, source: made-up}}
  float16: {{value: 4T, sparsity: dense, source: made-up}}
memory:
  bandwidth: {{value: 100GB/s, source: made-up}}
{on_chip}overhead: {{value: 10us, source: made-up}}
efficiency:
  source: made-up
  compute: {{default: 0.5, conv: 0.5, dense: 0.25, depthwise: 0.2, elementwise: 1.0}}
  memory: {{default: 0.8, depthwise: 0.5}}
sources:
  made-up: {{title: test figures, url: "https://example.invalid/", read: 2026-11-30}}
"""

PEAK32, PEAK16, BW, OVERHEAD = 1e12, 4e12, 100e9, 10e-6


def device(write, execution="fused", on_chip=""):
    from netspec.device import read_profile

    return read_profile(write(f"dev-{execution}.yaml", PROFILE.format(execution=execution, on_chip=on_chip)))


def estimate_of(text, dev):
    from netspec.latency import estimate
    from netspec.pipeline import check_text

    result = check_text(text)
    assert result.graph is not None, [d.message for d in result.diagnostics]
    return estimate(result.graph, dev)


def spec(layers: str, inp: str = "{height: 32, width: 32, channels: 64}", extra: str = "") -> str:
    return f"netspec: 1\nname: t\ninput: {inp}\n{extra}layers:\n{layers}"


def close(a, b):
    return a == pytest.approx(b, rel=1e-12, abs=1e-15)


def test_compute_bound_conv(write):
    # 3x3 conv, 64 -> 64 channels on 32x32, `same`, no bias: n = 3*3*64 = 576 terms per output,
    # 32*32*64 = 65,536 outputs. FLOPs = (2n - 1) * outputs = 1151 * 65,536 = 75,431,936.
    # Bytes: input 65,536 + output 65,536 elements + 36,864 weights, 4 bytes each = 671,744.
    est = estimate_of(spec("  - {type: conv, filters: 64, kernel: 3, bias: false}\n"), device(write))
    flops, nbytes = 1151 * 65_536, (65_536 + 65_536 + 36_864) * 4
    assert (flops, nbytes) == (75_431_936, 671_744)
    compute, memory = flops / (PEAK32 * 0.5), nbytes / (BW * 0.8)  # 150.9 us, 8.4 us
    t = est.layers[0]
    assert t.bound == "compute" and t.kernels == 1
    assert close(t.compute, compute) and close(t.memory, memory) and close(t.overhead, OVERHEAD)
    assert close(t.time, compute + OVERHEAD)
    assert close(est.latency, compute + OVERHEAD)
    assert close(est.throughput, 1 / (compute + OVERHEAD)) and est.memory_bound_share == 0


def test_memory_bound_dense_and_dtype(write):
    # dense 4096 -> 4096 on a vector, with bias: FLOPs = 2*4096 per output * 4096 = 33,554,432;
    # bytes: 4096 in + 4096 out + 4096*4096 + 4096 weights = 16,789,504 elements.
    text = spec("  - {type: dense, units: 4096}\n", "{channels: 4096}")
    flops, elements = 2 * 4096 * 4096, 4096 + 4096 + 4096 * 4096 + 4096
    for dtype, peak, size in (("float32", PEAK32, 4), ("float16", PEAK16, 2)):
        est = estimate_of(text.replace("layers:", f"dtype: {dtype}\nlayers:"), device(write))
        compute, memory = flops / (peak * 0.25), elements * size / (BW * 0.8)
        t = est.layers[0]
        assert t.bound == "memory" and memory > compute
        assert close(t.time, memory + OVERHEAD), dtype
        assert close(est.memory_bound_share, 1.0)
    # float32: 67,158,016 B / 80 GB/s = 839.5 us (+ 10 us); float16 half the bytes: 419.7 us
    assert close(est.latency, elements * 2 / (BW * 0.8) + OVERHEAD)


def test_fused_execution_folds_batchnorm_and_activation_into_the_layer(write):
    # conv 3x3 64->64 (no bias: batchnorm) + batchnorm (2 FLOPs/element, 2*64 params) + relu (1 FLOP/element)
    # as ONE kernel: conv FLOPs at conv efficiency, the 3 FLOPs/element at element-wise efficiency,
    # bytes = conv's + batch norm's 128 parameters.
    est = estimate_of(spec("  - {type: conv, filters: 64, kernel: 3, batchnorm: true, activation: relu}\n"),
                      device(write, "fused"))
    out = 32 * 32 * 64
    compute = 1151 * out / (PEAK32 * 0.5) + 3 * out / (PEAK32 * 1.0)
    memory = ((out + out + 36_864) + 128) * 4 / (BW * 0.8)
    t = est.layers[0]
    assert t.kernels == 1 and t.bound == "compute"
    assert close(t.compute, compute) and close(t.memory, memory)
    assert close(t.time, compute + OVERHEAD)


def test_eager_execution_runs_batchnorm_and_activation_as_kernels(write):
    # PyTorch eager: conv, then batch norm reading and writing the 65,536-element output again
    # (plus its 128 parameters), then relu the same: three kernels, three overheads.
    est = estimate_of(spec("  - {type: conv, filters: 64, kernel: 3, batchnorm: true, activation: relu}\n"),
                      device(write, "eager"))
    out = 32 * 32 * 64
    conv = max(1151 * out / (PEAK32 * 0.5), (2 * out + 36_864) * 4 / (BW * 0.8))
    bn = max(2 * out / PEAK32, (2 * out + 128) * 4 / (BW * 0.8))  # memory: 2.6 us vs compute 0.13 us
    relu = max(out / PEAK32, 2 * out * 4 / (BW * 0.8))
    t = est.layers[0]
    assert t.kernels == 3
    assert close(t.time, conv + bn + relu + 3 * OVERHEAD)
    assert close(t.overhead, 3 * OVERHEAD)
    assert t.bound == "compute"  # the conv kernel is the longest


def test_separable_is_two_kernels_of_their_own_families(write):
    # separable 3x3 on 32x32x64 -> 128: depthwise part 9 terms * 65,536 outputs, FLOPs (2*9 - 1) * 65,536,
    # bytes (65,536 in + 65,536 out + 576 weights) * 4, at depthwise efficiencies (0.2 compute, 0.5 memory);
    # pointwise part 64 terms * 131,072 outputs (+bias): FLOPs 2*64 * 131,072, bytes (65,536 + 131,072 +
    # 64*128 + 128) * 4 at conv efficiencies.
    est = estimate_of(spec("  - {type: separable, filters: 128, kernel: 3}\n"), device(write))
    dw = max(17 * 65_536 / (PEAK32 * 0.2), (2 * 65_536 + 576) * 4 / (BW * 0.5))
    pw = max(128 * 131_072 / (PEAK32 * 0.5), (65_536 + 131_072 + 8_192 + 128) * 4 / (BW * 0.8))
    t = est.layers[0]
    assert t.kernels == 2
    assert close(t.time, dw + pw + 2 * OVERHEAD)


def test_grouped_conv_with_one_channel_per_group_counts_as_depthwise(write):
    # conv groups=64 on 64 channels, 3x3: 9 terms * 65,536 outputs, (2*9 - 1 + 1 bias) FLOPs each
    est = estimate_of(spec("  - {type: conv, filters: 64, kernel: 3, groups: 64}\n"), device(write))
    compute = 18 * 65_536 / (PEAK32 * 0.2)
    memory = (2 * 65_536 + 576 + 64) * 4 / (BW * 0.5)
    assert close(est.layers[0].time, max(compute, memory) + OVERHEAD)


def test_views_are_free_when_fused_and_cost_a_call_when_eager(write):
    text = spec("  - {type: flatten}\n  - {type: dropout}\n")
    fused, eager = estimate_of(text, device(write, "fused")), estimate_of(text, device(write, "eager"))
    assert [t.time for t in fused.layers] == [0, 0] and fused.latency == 0
    assert [t.bound for t in fused.layers] == [None, None]
    assert close(eager.latency, 2 * OVERHEAD)


def test_batch_scales_activations_and_compute_not_weights(write):
    # the dense layer at batch 8: FLOPs x 8, activations (4096 + 4096) x 8, weights once
    text = spec("  - {type: dense, units: 4096}\n", "{channels: 4096}", "batch: 8\n")
    est = estimate_of(text, device(write))
    memory = ((4096 + 4096) * 8 + 4096 * 4096 + 4096) * 4 / (BW * 0.8)
    compute = 8 * 2 * 4096 * 4096 / (PEAK32 * 0.25)
    assert close(est.latency, max(compute, memory) + OVERHEAD)
    assert close(est.throughput, 8 / est.latency)


def test_on_chip_bandwidth_for_kernels_that_fit(write):
    # relu on 16x16x64: (16,384 in + 16,384 out) * 4 = 131,072 B <= 1 MiB: the on-chip 400 GB/s applies.
    on_chip = "  on_chip: {value: 1MiB, source: made-up}\n  on_chip_bandwidth: {value: 400GB/s, source: made-up}\n"
    dev = device(write, "fused", on_chip)
    small = estimate_of(spec("  - {type: relu}\n", "{height: 16, width: 16, channels: 64}"), dev)
    assert close(small.layers[0].memory, 131_072 / (400e9 * 0.8))
    # 256x256x64: 33,554,432 B does not fit: main memory
    big = estimate_of(spec("  - {type: relu}\n", "{height: 256, width: 256, channels: 64}"), dev)
    assert close(big.layers[0].memory, 2 * 256 * 256 * 64 * 4 / (BW * 0.8))


def test_totals_and_memory_bound_share(write):
    # the compute-bound conv, then a memory-bound relu on its output: share = relu time / total
    est = estimate_of(spec("  - {type: conv, filters: 64, kernel: 3, bias: false}\n  - {type: relu}\n"),
                      device(write))
    conv = 1151 * 65_536 / (PEAK32 * 0.5) + OVERHEAD
    relu = 2 * 65_536 * 4 / (BW * 0.8) + OVERHEAD  # 6.55 us memory vs 0.066 us compute
    assert close(est.latency, conv + relu)
    assert [t.bound for t in est.layers] == ["compute", "memory"]
    assert close(est.memory_bound_share, relu / (conv + relu))


# ----------------------------------------------------------------------------------------------
# the command line


TINY = """\
netspec: 1
name: small
input: {height: 32, width: 32, channels: 64}
layers:
  - {name: c1, type: conv, filters: 64, kernel: 3, bias: false}
  - {name: r1, type: relu}
"""
CONV_T = 1151 * 65_536 / (PEAK32 * 0.5) + OVERHEAD  # 160.86 us
RELU_T = 2 * 65_536 * 4 / (BW * 0.8) + OVERHEAD  # 16.55 us


def test_layers_table_gains_latency_and_bound_columns(cli, write):
    path = write("small.yaml", TINY)
    dev = write("dev.yaml", PROFILE.format(execution="fused", on_chip=""))
    r = cli("check", path, "--device-file", dev, "--layers")
    assert r.code == 0, r.out + r.err
    header = next(line for line in r.out.splitlines() if line.lstrip().startswith("#"))
    assert header.split()[-2:] == ["latency", "bound"]
    row = next(line for line in r.out.splitlines() if line.split()[1:2] == ["c1*"])
    assert row.endswith("161 µs compute")  # 150.86 us + 10 us
    assert "latency 177 µs on roundnum" in r.out  # 160.86 + 16.55 us
    total = next(line for line in r.out.splitlines() if line.lstrip().startswith("total"))
    assert total.endswith("177 µs 9% mem")  # 16.55 / 177.4 = 9.3 %


def test_json_has_per_layer_and_total_latency(cli, write):
    path = write("small.yaml", TINY)
    dev = write("dev.yaml", PROFILE.format(execution="fused", on_chip=""))
    r = cli("check", path, "--device-file", dev, "-f", "json")
    net = json.loads(r.out)["files"][0]["network"]
    c1, r1 = net["layers"]
    assert close(c1["latency"], CONV_T) and c1["bound"] == "compute" and c1["kernels"] == 1
    assert close(r1["latency"], RELU_T) and r1["bound"] == "memory"
    assert close(c1["compute_time"] + c1["overhead_time"], CONV_T)
    t = net["totals"]
    assert close(t["latency"], CONV_T + RELU_T)
    assert close(t["throughput"], 1 / (CONV_T + RELU_T))
    assert close(t["memory_bound_share"], RELU_T / (CONV_T + RELU_T))
    assert net["device"]["name"] == "roundnum" and net["device"]["peak_flops"] == PEAK32
    assert net["device"]["dtype"] == "float32" and net["device"]["bandwidth"] == BW


def test_without_a_device_nothing_changes(cli, write):
    path = write("small.yaml", TINY)
    r = cli("check", path, "-f", "json", "--layers")
    net = json.loads(r.out)["files"][0]["network"]
    assert "device" not in net and "latency" not in net["totals"] and "latency" not in net["layers"][0]
    text = cli("check", path, "--layers").out
    assert "latency" not in text and "bound" not in text


def test_csv_and_markdown_carry_the_estimate(cli, write):
    path = write("small.yaml", TINY)
    dev = write("dev.yaml", PROFILE.format(execution="fused", on_chip=""))
    rows = cli("check", path, "--device-file", dev, "-f", "csv").out.splitlines()
    assert rows[0].endswith(",latency_s,bound")
    c1 = rows[1].split(",")
    assert close(float(c1[-2]), CONV_T) and c1[-1] == "compute"
    assert close(float(rows[-1].split(",")[-2]), CONV_T + RELU_T)
    md = cli("check", path, "--device-file", dev, "-f", "markdown", "--layers").out
    assert "| latency on `roundnum` (roofline estimate, float32) | 177 µs |" in md
    assert "| latency | bound |" in md


def test_max_latency_fails_like_every_budget(cli, write):
    path = write("small.yaml", TINY)
    dev = write("dev.yaml", PROFILE.format(execution="fused", on_chip=""))
    r = cli("check", path, "--device-file", dev, "--max-latency", "100us")
    assert r.code == 1
    # 177.4 us - 100 us = 77.4 us over, 77.4 %; anchored at `name:` like the other network budgets
    assert r.out.splitlines()[0] == (f"{path}:2:1: error[NS301] estimated latency 177 µs on roundnum exceeds the "
                                     "budget 100 µs by 77.4 µs (77.4%) [budget at --max-latency]")
    ok = cli("check", path, "--device-file", dev, "--max-latency", "1ms")
    assert ok.code == 0 and "budget latency 177 µs / 1.00 ms (18%)" in ok.out  # both sides in one unit


def test_per_layer_latency_budget_points_at_the_layer(cli, write):
    path = write("small.yaml", TINY)
    dev = write("dev.yaml", PROFILE.format(execution="fused", on_chip=""))
    team = write("team.yaml", "budget:\n  per_layer: {latency: 0.1ms}\n")
    r = cli("check", path, "--device-file", dev, "--budget-file", team)
    assert r.code == 1
    # c1 is written at line 5, column 5; 160.86 - 100 = 60.9 us, 60.9 %; the key at team.yaml:2:15 (after "  per_layer: {")
    assert r.out.splitlines()[0] == (f"{path}:5:5: error[NS302] layer c1: estimated latency 161 µs on roundnum "
                                     f"exceeds the per-layer budget 100 µs by 60.9 µs (60.9%) [budget at {team}:2:15]")
    assert len([line for line in r.out.splitlines() if "NS302" in line]) == 1  # r1's 16.6 us is within


def test_latency_budget_needs_a_device(cli, write):
    path = write("small.yaml", TINY)
    r = cli("check", path, "--max-latency", "5ms")
    assert r.code == 2
    assert "--max-latency needs a device" in r.err
    team = write("team.yaml", "budget:\n  latency: 5ms\n")
    r = cli("check", path, "--budget-file", team)
    assert r.code == 0
    assert "budget latency 5ms: not judged (no latency estimate: give --device)" in r.out
    status = json.loads(cli("check", path, "--budget-file", team, "-f", "json").out)["files"][0]["network"]["budget"]
    assert status[0]["actual"] is None and status[0]["ok"] is True and "not judged" in status[0]["note"]


@pytest.mark.parametrize("value", ["5", "5 min", "fast", "-1ms"])
def test_bad_latency_budget_is_a_usage_error(cli, write, value):
    path = write("small.yaml", TINY)
    dev = write("dev.yaml", PROFILE.format(execution="fused", on_chip=""))
    r = cli("check", path, "--device-file", dev, "--max-latency", value)
    assert r.code == 2 and "--max-latency" in r.err and "is not a time" in r.err


def test_device_without_the_specs_dtype_is_ns304_at_dtype(cli, write):
    path = write("half.yaml", TINY.replace("layers:", "dtype: bfloat16\nlayers:"))
    dev = write("dev.yaml", PROFILE.format(execution="fused", on_chip=""))
    r = cli("check", path, "--device-file", dev)
    assert r.code == 1
    assert r.out.splitlines()[0] == (f"{path}:4:8: error[NS304] no latency estimate: device roundnum has no "
                                     "bfloat16 peak (it lists float32, float16); write `dtype:` in the spec or "
                                     "add the figure to the profile")


def test_shipped_device_by_name_and_alias(cli):
    a = cli("check", "specs/tiny.yaml", "--device", "a100", "-f", "json")
    b = cli("check", "specs/tiny.yaml", "--device", "A100-SXM4-80GB", "-f", "json")
    assert a.code == b.code == 0
    assert json.loads(a.out)["files"][0]["network"]["device"]["name"] == "a100-sxm4-80gb"
    assert a.out == b.out


def test_unknown_device_and_conflicting_options_are_usage_errors(cli, write):
    r = cli("check", "specs/tiny.yaml", "--device", "a10O")
    assert r.code == 2 and "no device profile named `a10O` (did you mean" in r.err
    dev = write("dev.yaml", PROFILE.format(execution="fused", on_chip=""))
    r = cli("check", "specs/tiny.yaml", "--device", "a100", "--device-file", dev)
    assert r.code == 2 and "not both" in r.err
    r = cli("check", "specs/tiny.yaml", "--device-file", dev + ".missing")
    assert r.code == 2 and "NS001" in r.err


def test_time_and_bandwidth_quantities():
    from netspec.quantity import QuantityError, parse_rate, parse_time

    assert parse_time("5ms") == 0.005 and parse_time("250us") == 250e-6 and parse_time("250µs") == 250e-6
    assert parse_time("1.5 s") == 1.5 and parse_time("800ns") == 800e-9 and parse_time(0) == 0
    assert parse_rate("2039GB/s") == 2039e9 and parse_rate("100GiB/s") == 100 * 2**30
    for bad in ("5", 5, "5 min", "1e3ms", True, "-1ms"):
        with pytest.raises(QuantityError):
            parse_time(bad)
    for bad in ("68GB", "68G/s", "fast/s"):
        with pytest.raises(QuantityError):
            parse_rate(bad)


def test_html_report_carries_the_estimate(cli, write, tmp_path):
    path = write("small.yaml", TINY)
    dev = write("dev.yaml", PROFILE.format(execution="fused", on_chip=""))
    team = write("team.yaml", "budget:\n  per_layer: {latency: 0.1ms}\n")
    out = tmp_path / "r.html"
    r = cli("check", path, "--device-file", dev, "--budget-file", team, "-f", "html", "-o", str(out))
    assert r.code == 1  # c1 is over its per-layer latency budget
    page = out.read_text()
    assert '"latency","bound"' in page and '"over":{"0":["latency"]}' in page


def test_a_teams_device_in_the_config_judges_latency_budgets(cli, write, tmp_path, monkeypatch):
    """`device-file` in .netspec.yaml is as --device-file: the hook's plain `netspec check` estimates
    and judges the team's latency budget; --device on the command line replaces it."""
    (tmp_path / ".git").mkdir()
    write("boards/ours.yaml", PROFILE.format(execution="fused", on_chip=""))
    write("team.yaml", "budget: {latency: 100us}\n")
    write(".netspec.yaml", "budget-file: team.yaml\ndevice-file: boards/ours.yaml\n")
    write("small.yaml", TINY)
    monkeypatch.chdir(tmp_path)
    r = cli("check", "small.yaml")
    assert r.code == 1 and "estimated latency 177 µs on roundnum exceeds the budget 100 µs" in r.out
    r = cli("check", "small.yaml", "--device", "a100")  # the command line wins
    assert r.code == 0 and "on a100-sxm4-80gb" in r.out
    write(".netspec.yaml", "device: a100\ndevice-file: boards/ours.yaml\n")
    r = cli("check", "small.yaml")
    assert r.code == 2 and "give `device` or `device-file`, not both" in r.err


def test_the_library_takes_a_device(write):
    import netspec
    from netspec.device import DeviceError

    dev_path = write("dev.yaml", PROFILE.format(execution="fused", on_chip=""))
    a = netspec.analyze(TINY, device=dev_path)
    assert close(a.latency.latency, CONV_T + RELU_T)
    assert close(a.network["totals"]["latency"], CONV_T + RELU_T) and a.network["device"]["name"] == "roundnum"
    assert netspec.analyze(TINY, device="a100").latency.device.name == "a100-sxm4-80gb"
    assert netspec.analyze(TINY).latency is None
    with pytest.raises(DeviceError):
        netspec.analyze(TINY, device="no-such-board")


def test_max_pooling_falls_back_to_pool_then_elementwise(write):
    # maxpool 2x2 on 32x32x64: 16*16*64 = 16,384 outputs, (2*2 - 1) = 3 FLOPs each = 49,152 FLOPs;
    # bytes (65,536 in + 16,384 out) * 4 = 327,680. The profile lists no `maxpool` and no `pool`:
    # element-wise efficiency 1.0 -> compute 0.049 us, memory 327,680 / 80 GB/s = 4.096 us.
    text = spec("  - {type: maxpool, kernel: 2}\n")
    est = estimate_of(text, device(write))
    assert close(est.layers[0].time, 327_680 / (BW * 0.8) + OVERHEAD) and est.layers[0].bound == "memory"
    # a profile with its own maxpool efficiency (0.01): compute 49,152 / 10 GFLOP/s = 4.9152 us wins
    own = PROFILE.replace("elementwise: 1.0}", "elementwise: 1.0, maxpool: 0.01}")
    from netspec.device import read_profile

    est = estimate_of(text, read_profile(write("own.yaml", own.format(execution="fused", on_chip=""))))
    assert close(est.layers[0].time, 49_152 / (PEAK32 * 0.01) + OVERHEAD) and est.layers[0].bound == "compute"


def test_latency_budget_in_the_spec(cli, write):
    # the spec's own `budget: {latency: 100us, per_layer: {latency: 150us}}` (line 7): judged with a device
    path = write("small.yaml", TINY + "budget: {latency: 100us, per_layer: {latency: 150us}}\n")
    dev = write("dev.yaml", PROFILE.format(execution="fused", on_chip=""))
    r = cli("check", path, "--device-file", dev)
    assert r.code == 1
    lines = r.out.splitlines()
    # network: 177.4 us over 100 us -> 77.4 us, 77.4 %, anchored at `name:` (2:1); the key at 7:10
    assert lines[0] == (f"{path}:2:1: error[NS301] estimated latency 177 µs on roundnum exceeds the budget "
                        f"100 µs by 77.4 µs (77.4%) [budget at {path}:7:10]")
    # per layer: c1's 160.86 us over 150 us -> 10.9 us, 7.2 %; the per_layer key `latency` at 7:38
    assert lines[1] == (f"{path}:5:5: error[NS302] layer c1: estimated latency 161 µs on roundnum exceeds the "
                        f"per-layer budget 150 µs by 10.9 µs (7.2%) [budget at {path}:7:38]")
    assert cli("check", path).code == 0  # no device: shown, not judged


@pytest.mark.parametrize("value", ["5", "5 min", "fast", "-1ms", "1e3ms"])
def test_a_spec_latency_budget_without_a_unit_is_a_schema_error(cli, write, value):
    path = write("small.yaml", TINY + f"budget: {{latency: {value!r}}}\n".replace("'", '"'))
    r = cli("check", path, "--device", "a100")
    assert r.code == 1
    assert r.out.startswith(f"{path}:7:19: error[NS106] `latency`: ") and "is not a time" in r.out
