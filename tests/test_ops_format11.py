"""Format 1.1's crop, pad and adaptive pools: shapes and counts by hand, every bad input a located
diagnostic. Their shapes, params and MACCs against PyTorch are in tests/data/torch_ops/format11_ops.yaml
(the oracle test), and in the generated networks of tests/test_torch_generated.py."""

from __future__ import annotations

import pytest

from netspec.ops.pool import adaptive_windows
from test_ops_layout import at, error, shapes, spec  # noqa: F401 (at: used through error)
from netspec.pipeline import check_text


def layer(text: str, name: str):
    r = check_text(text)
    assert not [d for d in r.diagnostics if d.severity == "error"], r.diagnostics
    return {l.name: l for l in r.graph.layers}[name]


# --- adaptive pools -------------------------------------------------------------------------------

def torch_windows(n: int, o: int) -> list[tuple[int, int]]:
    """PyTorch's adaptive windows as its docs and ATen's start_index/end_index define them."""
    return [((i * n) // o, -(-((i + 1) * n) // o)) for i in range(o)]


@pytest.mark.parametrize("n,o", [(13, 7), (7, 7), (14, 7), (5, 8), (224, 7), (1, 3), (10, 1)])
def test_adaptive_windows_are_pytorchs(n, o):
    assert adaptive_windows(n, o) == sum(b - a for a, b in torch_windows(n, o))


def test_adaptive_pool_shapes_and_counts():
    text = spec("""
      - {name: avg, type: adaptive_avgpool, size: [7, 5]}
      - {name: max, type: adaptive_maxpool, size: 3, inputs: input}
      - {name: grow, type: adaptive_avgpool, size: 10, inputs: input}
    """, "{height: 13, width: 11, channels: 3}")
    s = shapes(text)
    assert s == {"avg": (7, 5, 3), "max": (3, 3, 3), "grow": (10, 10, 3)}
    avg = layer(text, "avg").cost
    # heights 2,3,3,3,3,3,2 = 19 and widths 3,3,3,3,3 = 15: every output reads its window
    assert avg.input_reads == 3 * 19 * 15
    assert avg.flops == 3 * 19 * 15  # (window − 1) adds + 1 divide per output
    mx = layer(text, "max").cost
    assert mx.input_reads == 3 * 15 * 13  # 13 -> 3: 5 + 5 + 5; 11 -> 3: 4 + 5 + 4
    assert mx.flops == 3 * 15 * 13 - 27  # window − 1 comparisons per output
    assert avg.params == avg.maccs == 0


def test_adaptive_pool_on_a_sequence():
    assert shapes(spec("  - {name: p, type: adaptive_maxpool, size: 4}\n", "{length: 50, channels: 8}")) == \
        {"p": (4, 8)}


def test_adaptive_pool_bad_inputs():
    text = spec("  - {name: p, type: adaptive_avgpool, size: [2, 3]}\n", "{length: 50, channels: 8}")
    assert "one output length" in error(text, "[2, 3]", "NS206")
    text = spec("  - {name: p, type: adaptive_avgpool, size: 2}\n", "{channels: 8}")
    assert "vector" in error(text, "{name: p", "NS206")
    text = spec("  - {name: p, type: adaptive_avgpool, size: 0}\n")
    error(text, "0}", "NS104")


# --- crop -----------------------------------------------------------------------------------------

def test_crop_to_a_size_and_to_a_second_input():
    text = spec("""
      - {name: c, type: crop, height: 5, width: 7}
      - {name: small, type: maxpool, kernel: 2, inputs: input}
      - {name: to_small, type: crop, inputs: [input, small]}
    """)
    assert shapes(text) == {"c": (5, 7, 6), "small": (4, 3, 6), "to_small": (4, 3, 6)}
    c = layer(text, "to_small").cost
    assert (c.flops, c.input_reads, c.output_writes, c.params) == (0, 0, 0, 0)  # a view


def test_crop_larger_than_its_input_is_ns204():
    text = spec("  - {name: c, type: crop, height: 10, width: 7}\n")
    assert "10x7 is larger than its 9x7x6 input" in error(text, "10,", "NS204")
    text = spec("  - {name: c, type: crop, height: 9, width: 8}\n")
    error(text, "8}", "NS204")
    text = spec("""
      - {name: big, type: upsample, scale: 2}
      - {name: c, type: crop, inputs: [input, big]}
    """)
    assert "18x14 is larger" in error(text, "[input, big]", "NS204")


def test_crop_bad_inputs():
    text = spec("  - {name: c, type: crop, height: 4}\n")
    assert "`width`" in error(text, "crop,", "NS102")
    text = spec("  - {name: c, type: crop, height: 4, width: 4, inputs: [input, input]}\n")
    error(text, "4, width", "NS104")
    text = spec("  - {name: c, type: crop, height: 4, width: 4}\n", "{length: 9, channels: 4}")
    assert "needs an image" in error(text, "{name: c", "NS206")
    text = spec("""
      - {name: v, type: global_avgpool}
      - {name: c, type: crop, inputs: [input, v]}
    """)
    error(text, "[input, v]", "NS206")
    text = spec("  - {name: c, type: crop, inputs: [input, input, input]}\n")
    assert "crop takes at most 2 inputs, got 3" in error(text, "[input, input, input]", "NS210")


# --- pad ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("padding,shape", [("1", (11, 9, 6)), ("[1, 2]", (11, 11, 6)), ("[0, 1, 2, 3]", (10, 12, 6))])
def test_pad_shapes(padding, shape):
    assert shapes(spec(f"  - {{name: p, type: pad, padding: {padding}}}\n"))["p"] == shape


def test_pad_is_a_copy_and_pads_a_sequence():
    text = spec("  - {name: p, type: pad, padding: [2, 3], mode: replicate}\n", "{length: 10, channels: 4}")
    p = layer(text, "p")
    assert p.output == (15, 4)
    assert (p.cost.flops, p.cost.input_reads, p.cost.output_writes) == (0, 40, 60)


def test_pad_bad_inputs():
    text = spec("  - {name: p, type: pad, padding: 9, mode: reflect}\n")
    assert "less than the height 9" in error(text, "9, mode", "NS204")
    text = spec("  - {name: p, type: pad, padding: same}\n")
    error(text, "same", "NS103")
    text = spec("  - {name: p, type: pad, padding: [1, 2, 3, 4]}\n", "{length: 10, channels: 4}")
    assert "[before, after]" in error(text, "[1, 2, 3, 4]", "NS104")
    text = spec("  - {name: p, type: pad, padding: 1}\n", "{channels: 4}")
    error(text, "{name: p", "NS206")
    text = spec("  - {name: p, type: pad, padding: 1, mode: mirror}\n")
    assert "reflect" in error(text, "mirror", "NS104")


# --- upsample: size, per-axis scale, bicubic ------------------------------------------------------

def test_upsample_size_per_axis_scale_and_bicubic():
    text = spec("""
      - {name: cubic, type: upsample, scale: [2, 1.5], mode: bicubic}
      - {name: sized, type: upsample, size: [20, 11]}
      - {name: square, type: upsample, size: 4, mode: bilinear}
    """)
    assert shapes(text) == {"cubic": (18, 10, 6), "sized": (20, 11, 6), "square": (4, 4, 6)}
    assert layer(text, "cubic").cost.flops == 31 * 18 * 10 * 6  # 16 taps: 16 multiplies, 15 adds
    assert layer(text, "square").cost.flops == 7 * 4 * 4 * 6


def test_upsample_bad_inputs():
    text = spec("  - {name: u, type: upsample}\n")
    assert "`scale` or `size`" in error(text, "upsample}", "NS102")
    text = spec("  - {name: u, type: upsample, scale: 2, size: 4}\n")
    assert "not both" in error(text, "4}", "NS104")
    text = spec("  - {name: u, type: upsample, scale: [2, 2, 2]}\n")
    error(text, "[2, 2, 2]", "NS104")
    text = spec("  - {name: u, type: upsample, scale: [2, 0.01]}\n")
    assert "empty" in error(text, "[2, 0.01]", "NS204")
    text = spec("  - {name: u, type: upsample, scale: 2, mode: trilinear}\n")
    assert "bicubic" in error(text, "trilinear", "NS104")


# --- groupnorm and the new activations ------------------------------------------------------------

def test_groupnorm_and_activation_counts():
    text = spec("""
      - {name: gn, type: groupnorm, groups: 3}
      - {name: conv, type: conv, filters: 8, kernel: 1, activation: prelu}
      - {name: mish, type: mish}
      - {name: elu, type: elu}
      - {name: softplus, type: softplus}
      - {name: hardtanh, type: hardtanh}
      - {name: prelu, type: prelu}
    """)
    n = 9 * 7
    got = {name: (layer(text, name).cost.params, layer(text, name).cost.flops)
           for name in ("gn", "mish", "elu", "softplus", "hardtanh", "prelu")}
    # params as nn.GroupNorm / nn.PReLU(C) count them; FLOPs per element as the README's table states
    assert got == {"gn": (12, 8 * n * 6), "mish": (0, 9 * n * 8), "elu": (0, 4 * n * 8),
                   "softplus": (0, 3 * n * 8), "hardtanh": (0, 2 * n * 8), "prelu": (8, 2 * n * 8)}
    conv = layer(text, "conv")
    assert conv.cost.params == 6 * 8 + 8 + 8  # weights, bias, the fused prelu's 8 slopes


def test_groupnorm_bad_inputs():
    text = spec("  - {name: gn, type: groupnorm, groups: 4}\n")
    assert "6 are not divisible by groups 4" in error(text, "4}", "NS205")
    text = spec("  - {name: gn, type: groupnorm, groups: 2}\n", "{channels: 4}")
    error(text, "{name: gn", "NS206")
    text = spec("  - {name: gn, type: groupnorm}\n")
    error(text, "type: groupnorm}", "NS102")


# --- lint NS405 -----------------------------------------------------------------------------------

def test_add_of_itself_is_ns405():
    text = spec("""
      - {name: a, type: conv, filters: 8, kernel: 1}
      - {name: twice, type: add, inputs: [a, a]}
      - {name: fine, type: add, inputs: [twice, a]}
      - {name: quiet, type: add, inputs: [fine, fine], lint: {ignore: [NS405]}}
    """)
    r = check_text(text)
    warnings = [d for d in r.diagnostics if d.code == "NS405"]
    assert len(warnings) == 1 and r.ok
    assert (warnings[0].line, warnings[0].column) == at(text, "[a, a]")
    assert warnings[0].message == ("layer twice: adds `a` to itself (it is in `inputs` more than once): was another "
                                   "input meant?")


def test_groupnorm_of_one_value_per_group_is_ns204():
    """PyTorch's F.group_norm refuses a group of one value (a variance needs two)."""
    text = spec("  - {name: gn, type: groupnorm, groups: 4}\n", "{height: 1, width: 1, channels: 4}")
    r = check_text(text)
    [d] = [d for d in r.diagnostics if d.severity == "error"]
    assert (d.code, d.line, d.column) == ("NS204", 5, text.splitlines()[4].index("4}") + 1)
    assert "holds one value" in d.message
    assert shapes(spec("  - {name: gn, type: groupnorm, groups: 2}\n", "{height: 1, width: 1, channels: 4}")) == \
        {"gn": (1, 1, 4)}


def test_upsample_on_a_sequence_by_size_or_scale():
    text = spec("""
      - {name: longer, type: upsample, size: 25, mode: bilinear}
      - {name: twice, type: upsample, scale: 2}
    """, "{length: 10, channels: 4}")
    assert shapes(text) == {"longer": (25, 4), "twice": (50, 4)}
    assert layer(text, "longer").cost.flops == 3 * 25 * 4  # linear along the length: 2 multiplies, 1 add


def test_upsample_on_a_sequence_bad_inputs():
    seq = "{length: 10, channels: 4}"
    assert "one output length" in error(spec("  - {name: u, type: upsample, size: [3, 5]}\n", seq), "[3, 5]", "NS206")
    assert "one scale factor" in error(spec("  - {name: u, type: upsample, scale: [2, 3]}\n", seq), "[2, 3]", "NS206")
    assert "bicubic needs an image" in error(spec("  - {name: u, type: upsample, scale: 2, mode: bicubic}\n", seq),
                                             "bicubic", "NS206")
