"""The per-layer table's torchinfo/Keras columns (issue 13, item 15): input shape, "connected to"
for layers that do not just read the layer before, and `--depth N` folding block calls into
subtotal rows. Expected numbers are hand counts or torchvision's."""

from __future__ import annotations

import re


def _row(out: str, name: str) -> list[str]:
    return next(ln.split() for ln in out.splitlines() if re.match(rf"^\s*[\d-]+ {re.escape(name)}\*? ", ln))


def test_input_shape_and_connected_to(cli):
    out = cli("check", "specs/resnet18.yaml", "--layers").out
    header = next(ln for ln in out.splitlines() if ln.lstrip().startswith("#")).split()
    assert header[:5] == ["#", "layer", "type", "input", "output"] and header[-2:] == ["connected", "to"]
    # the first residual add reads the block's last conv and the block input (the stem's maxpool)
    assert _row(out, "layer1.0.add")[2:4] == ["add", "56x56x64"]
    assert _row(out, "layer1.0.add")[-2:] == ["layer1.0.conv2,", "maxpool"]
    # a layer that reads the layer before has no "connected to"
    assert _row(out, "layer1.0.conv2")[-1] == "6.4%"


def test_depth_1_folds_each_top_level_block_call_into_a_subtotal(cli):
    out = cli("check", "specs/resnet50.yaml", "--depth", "1").out
    # torchvision resnet50.layer1[0]: conv 1x1 64->64 (4,096) + 3x3 64->64 (36,864) + 1x1 64->256
    # (16,384) + downsample 1x1 64->256 (16,384) + batch norms 2*(64+64+256+256) = 75,008 params;
    # MACCs 56*56*(64*64 + 64*576 + 256*64 + 256*64) = 231,211,008
    assert _row(out, "layer1.0")[:7] == ["2-6", "layer1.0*", "bottleneck", "(block)", "56x56x64", "56x56x256",
                                         "75.0K"]
    assert _row(out, "layer1.0")[7] == "231M"
    assert _row(out, "fc")[0] == "71"  # top-level layers keep their rows
    rows = [ln for ln in out.splitlines() if re.match(r"^\s*\d+(-\d+)? \S", ln)]
    assert len(rows) == 2 + 16 + 2  # stem conv and pool, 16 bottlenecks, pool and fc
    assert "   total " in out and "25.6M 4.09G" in out


NESTED = """\
netspec: 1
name: nested
input: {height: 8, width: 8, channels: 8}
blocks:
  unit:
    layers:
      - {type: conv, filters: 8, kernel: 1}
      - {type: relu}
  pair:
    layers:
      - {name: a, type: unit}
      - {name: b, type: unit}
layers:
  - {name: p, type: pair, repeat: 2}
  - {name: head, type: conv, filters: 8, kernel: 1}
"""


def test_depth_2_opens_the_outer_calls_and_folds_the_inner(cli, write):
    path = write("nested.yaml", NESTED)
    one = cli("check", path, "--depth", "1").out
    # each conv 1x1 8->8 with bias: 72 params, 8*8*8*8 = 4,096 MACCs; a pair holds two
    assert _row(one, "p.0")[:7] == ["0-3", "p.0*", "pair", "(block)", "8x8x8", "8x8x8", "144"]
    assert _row(one, "p.1")[0] == "4-7"
    two = cli("check", path, "--depth", "2").out
    assert [r[1].rstrip("*") for r in (_row(two, n) for n in ("p.0.a", "p.0.b", "p.1.a", "p.1.b"))] == \
        ["p.0.a", "p.0.b", "p.1.a", "p.1.b"]
    assert _row(two, "p.1.b")[:7] == ["6-7", "p.1.b*", "unit", "(block)", "8x8x8", "8x8x8", "72"]
    flat = cli("check", path, "--depth", "3").out
    assert _row(flat, "p.1.b.conv_0")[0] == "6"
    assert cli("check", path, "--depth", "0").code == 2
    md = cli("check", path, "--depth", "1", "-f", "markdown").out
    assert "| 0-3 | `p.0`\\* | `pair (block)` | 8x8x8 | 8x8x8 | 144 | 8.19K |" in md  # the spec's text as code


def test_folded_rows_drop_columns_nothing_fills(cli):
    # ResNet-50's skips all sit inside its bottlenecks: folded at depth 1, no row reads a layer
    # other than the row before it, so there is no "connected to" column
    out = cli("check", "specs/resnet50.yaml", "--depth", "1").out
    header = next(ln for ln in out.splitlines() if ln.lstrip().startswith("#"))
    assert header.split()[-1] == "%MACCs"
