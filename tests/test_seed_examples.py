"""The seed notes' worked example (cost-model.md), reproduced exactly through the JSON report.

Cin = 256, Cout = 512, H = W = 28, K = 3, stride 1, "same" padding:

| layer           | input       | output  | weights   | total       |
| normal 3x3 conv | 924,844,032 | 401,408 | 1,180,160 | 926,425,600 |
| depthwise 3x3   | 1,806,336   | 200,704 | 2,560     | 2,009,600   |
| pointwise 1x1   | 102,760,448 | 401,408 | 131,584   | 103,293,440 |
| dw + pw         |             |         |           | 105,303,040 |
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from netspec.cli import main
from netspec.pipeline import check_text

EXAMPLES = Path(__file__).resolve().parent.parent / "specs" / "examples"
CIN, COUT, H, W, K = 256, 512, 28, 28, 3


def json_network(capsys, path: str) -> dict:
    with pytest.raises(SystemExit) as exc:
        main(["check", str(path), "-f", "json"])
    assert exc.value.code == 0
    f = json.loads(capsys.readouterr().out)["files"][0]
    assert f["ok"], f["diagnostics"]
    return f["network"]


def layers_by_name(net: dict) -> dict:
    return {l["name"]: l for l in net["layers"]}


def test_json_layers_carry_the_memory_fields(capsys):
    net = json_network(capsys, EXAMPLES / "seed_conv3x3.yaml")
    for l in net["layers"]:
        for key in ("input_reads", "weight_reads", "output_writes", "memory_accesses", "parts", "params", "maccs",
                    "flops"):
            assert key in l, key
        assert l["memory_accesses"] == l["input_reads"] + l["weight_reads"] + l["output_writes"]
        for p in l["parts"]:
            for key in ("label", "input_reads", "weight_reads", "output_writes", "memory_accesses"):
                assert key in p, key


def test_normal_conv(capsys):
    net = json_network(capsys, EXAMPLES / "seed_conv3x3.yaml")
    conv = layers_by_name(net)["conv"]
    assert conv["output"] == [28, 28, 512]
    # MACCs = K x K x Cin x Hout x Wout x Cout; weights K x K x Cin x Cout + Cout.
    assert conv["maccs"] == K * K * CIN * H * W * COUT == 924_844_032
    assert conv["params"] == K * K * CIN * COUT + COUT == 1_180_160
    assert conv["input_reads"] == 924_844_032
    assert conv["output_writes"] == 401_408
    assert conv["weight_reads"] == 1_180_160
    assert conv["memory_accesses"] == 926_425_600
    assert net["totals"]["memory_accesses"] == 926_425_600
    # A biased dot product of n = 2304 terms: 2n - 1 FLOPs plus one for the bias.
    n = K * K * CIN
    assert conv["flops"] == (2 * n - 1 + 1) * H * W * COUT


def test_depthwise_separable(capsys):
    net = json_network(capsys, EXAMPLES / "seed_separable.yaml")
    layers = layers_by_name(net)
    dw, pw = layers["depthwise"], layers["pointwise"]
    assert (dw["input_reads"], dw["output_writes"], dw["weight_reads"], dw["memory_accesses"]) == \
        (1_806_336, 200_704, 2_560, 2_009_600)
    assert (pw["input_reads"], pw["output_writes"], pw["weight_reads"], pw["memory_accesses"]) == \
        (102_760_448, 401_408, 131_584, 103_293_440)
    assert net["totals"]["memory_accesses"] == 105_303_040
    # MACCs = Cin x Hout x Wout x (K x K + Cout)
    assert net["totals"]["maccs"] == CIN * H * W * (K * K + COUT) == 104_566_784
    assert dw["maccs"] == K * K * CIN * H * W
    assert pw["maccs"] == CIN * H * W * COUT


def test_reduction_factor(capsys):
    normal = json_network(capsys, EXAMPLES / "seed_conv3x3.yaml")["totals"]["maccs"]
    separable = json_network(capsys, EXAMPLES / "seed_separable.yaml")["totals"]["maccs"]
    # K x K x Cout / (K x K + Cout) = 4608 / 521, about 8.84
    assert Fraction(normal, separable) == Fraction(K * K * COUT, K * K + COUT)


def test_separable_layer_type_counts_the_same_maccs():
    # The `separable` type is depthwise (no bias) then pointwise, reported as two rows.
    r = check_text("""
netspec: 1
name: sep
input: {height: 28, width: 28, channels: 256}
layers:
  - {type: separable, filters: 512, kernel: 3}
""")
    assert r.ok
    (l,) = r.graph.layers
    assert [label for label, _ in l.parts] == ["depthwise", "pointwise"]
    assert r.totals.maccs == CIN * H * W * (K * K + COUT)
    dw, pw = (c for _, c in l.parts)
    assert dw.params == K * K * CIN and dw.input_reads == 1_806_336 and dw.output_writes == 200_704
    assert pw.params == CIN * COUT + COUT
    assert pw.input_reads == 102_760_448 and pw.output_writes == 401_408


def test_stride_two_counts_one_input_read_per_macc():
    # The input term is Hout x Wout x Cin x K x K x Cout (one read per MACC): 14 x 14 at stride 2.
    r = check_text("""
netspec: 1
name: s2
input: {height: 28, width: 28, channels: 256}
layers:
  - {name: conv, type: conv, filters: 512, kernel: 3, stride: 2}
""")
    assert r.ok
    (l,) = r.graph.layers
    assert l.output == (14, 14, 512)
    assert l.cost.input_reads == 14 * 14 * CIN * K * K * COUT == l.cost.maccs
    assert l.cost.output_writes == 14 * 14 * 512


def test_fully_connected_with_bias(capsys):
    net = json_network(capsys, EXAMPLES / "seed_fc.yaml")
    fc = layers_by_name(net)["fc"]
    i, j = 4096, 1000
    assert fc["maccs"] == i * j
    assert fc["params"] == (i + 1) * j          # weights and biases
    assert fc["flops"] == (2 * i - 1) * j + j   # dot products, plus one add per bias


def test_fully_connected_without_bias():
    r = check_text("""
netspec: 1
name: fc
input: {channels: 4096}
layers:
  - {name: fc, type: dense, units: 1000, bias: false}
""")
    assert r.ok
    (l,) = r.graph.layers
    i, j = 4096, 1000
    assert l.cost.maccs == i * j
    assert l.cost.flops == (2 * i - 1) * j      # seed: (2I - 1) x J FLOPs without bias
    assert l.cost.params == i * j


def test_dot_product_is_n_maccs_and_2n_minus_1_flops():
    # y = w[0]*x[0] + ... + w[n-1]*x[n-1]: n MACCs, 2n - 1 FLOPs (one output, no bias).
    r = check_text("""
netspec: 1
name: dot
input: {channels: 7}
layers:
  - {type: dense, units: 1, bias: false}
""")
    assert (r.totals.maccs, r.totals.flops) == (7, 13)


def test_batch_scales_activations_and_compute_not_weights():
    text = """
netspec: 1
name: b
input: {height: 28, width: 28, channels: 256}
batch: BATCH
layers:
  - {name: conv, type: conv, filters: 512, kernel: 3}
"""
    one = check_text(text.replace("BATCH", "1")).graph.layers[0].cost
    four = check_text(text.replace("BATCH", "4")).graph.layers[0].cost
    assert four.maccs == 4 * one.maccs and four.flops == 4 * one.flops
    assert four.input_reads == 4 * one.input_reads and four.output_writes == 4 * one.output_writes
    assert four.params == one.params == 1_180_160 and four.weight_reads == one.weight_reads
