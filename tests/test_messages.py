"""How results read (issue 13, items 9 and 14): three significant digits, plurals, the per-layer
table's first line, what `*` marks (ties included), notes in the tables, NO_COLOR and FORCE_COLOR.
Expected numbers are worked out by hand in the comments."""

from __future__ import annotations

import re

import pytest

from netspec.report import units

ONE = """\
netspec: 1
name: one
input: {height: 8, width: 8, channels: 4}
layers:
  - {name: c1, type: conv, filters: 8, kernel: 3}
"""


def test_three_significant_digits():
    # ResNet-50's 4,089,184,256 MACCs compare with torchvision's published 4.09 GFLOPS
    assert units.count(4_089_184_256) == "4.09G"
    assert units.count(300_774_272) == "301M"
    assert units.count(25_557_032) == "25.6M"
    assert units.count(999_700) == "1.00M"  # not "1000K"
    assert units.count(864) == "864"
    assert units.nbytes(6_021_120) == "5.74 MiB" and units.nbytes(6_021_120, si=True) == "6.02 MB"


def test_summary_of_resnet50_reads_like_the_published_table(cli):
    r = cli("check", "specs/resnet50.yaml")
    assert r.code == 0
    # torchvision: 25,557,032 params, 4.09 GFLOPS (multiply-adds)
    assert ", params 25.6M, MACCs 4.09G, " in r.out


def test_one_layer_is_singular(cli, write):
    r = cli("check", write("one.yaml", ONE))
    assert ": ok — 1 layer, output 8x8x8, params 296, MACCs 18.4K, " in r.out


def test_layers_table_starts_with_its_title_and_explains_ties(cli, write):
    # three equal 1x1 convs (8*8*8*8 = 4,096 MACCs each) and a 3x3 one (18,432): four marked
    spec = ONE + "".join(f"  - {{name: p{k}, type: conv, filters: 8, kernel: 1}}\n" for k in range(3))
    path = write("ties.yaml", spec)
    out = cli("check", path, "--layers").out
    lines = out.splitlines()
    assert lines[0] == f"{path} (one)"  # no blank first line
    marked = [ln.split()[1] for ln in lines if re.match(r"^\s*\d+ \S+\*", ln)]
    assert marked == ["c1*", "p0*", "p1*", "p2*"]
    assert "* = the 3 layers with the most MACCs (4 marked: tied at 4.10K)" in out
    two = cli("check", path, path, "--layers").out.splitlines()
    assert two[0] == f"{path} (one)" and "" in two  # a blank line only between files


def test_note_shows_in_text_and_markdown_tables(cli, write):
    path = write("note.yaml", ONE.replace("kernel: 3}", "kernel: 3, note: from Table 2}"))
    text = cli("check", path, "--layers").out
    header = next(ln for ln in text.splitlines() if ln.lstrip().startswith("#"))
    assert header.split()[-1] == "note"
    assert next(ln for ln in text.splitlines() if " c1" in ln).endswith("from Table 2")
    md = cli("check", path, "--layers", "-f", "markdown").out
    assert "| note |" in md and "| `from Table 2` |" in md  # the spec's text as code (escape.md_code)


@pytest.mark.parametrize("env, tty, color", [
    ({}, True, True), ({}, False, False),
    ({"NO_COLOR": "1"}, True, False), ({"NO_COLOR": ""}, True, True),  # empty NO_COLOR: not set
    ({"FORCE_COLOR": "1"}, False, True), ({"FORCE_COLOR": ""}, False, False),
    ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False, False),
])
def test_no_color_and_force_color(env, tty, color, monkeypatch, write, capsys):
    import sys

    from netspec import checking

    for k in ("NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(k, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: tty, raising=False)
    assert checking.use_color(None) is color
    assert checking.use_color("report.txt") is False
    path = write("w.yaml", ONE.replace("filters: 8", "filters: 6") + "  - {type: conv, filters: 8, kernel: 1}\n")  # NS401
    checking.run_check([path])
    assert ("\033[1;33mwarning\033[0m" in capsys.readouterr().out) is color


LAYER = "netspec: 1\nname: t\ninput: {height: 8, width: 8, channels: 4}\nlayers:\n  - LAYER\n"


@pytest.mark.parametrize("layer, message", [
    # names brought from PyTorch and Keras (item 12)
    ("{type: SiLU}", "unknown layer type 'SiLU' (did you mean 'silu'?)"),
    ("{type: linear, units: 8}", "unknown layer type 'linear' (did you mean 'dense'?)"),
    ("{type: fc, units: 8}", "unknown layer type 'fc' (did you mean 'dense'?)"),
    ("{type: ReLU}", "unknown layer type 'ReLU' (did you mean 'relu'?)"),
    ("{type: BatchNorm2d}", "unknown layer type 'BatchNorm2d' (did you mean 'batchnorm'?)"),
    ("{type: upsample, scale_factor: 2}", "unknown key `scale_factor` in an upsample layer (did you mean `scale`?)"),
    ("{type: conv, filters: 8, kernel: 3, activation: SiLU}",
     "`activation` must be one of relu, relu6, leaky_relu, sigmoid, tanh, swish, silu, hswish, hsigmoid, gelu, "
     "softmax, mish, prelu, elu, softplus, hardtanh, got 'SiLU' (did you mean 'silu'?)"),
    # no misleading guesses: these are real layers netspec does not have
    ("{type: MultiheadAttention, heads: 2}", "unknown layer type 'MultiheadAttention' (did you mean 'attention'?)"),
    ("{type: roi_align}", "unknown layer type 'roi_align'"),
    # ordinary typos still get their hint
    ("{type: conv, filter: 8, kernel: 3}", "unknown key `filter` in a conv layer (did you mean `filters`?)"),
])
def test_did_you_mean_knows_pytorch_and_keras_names(cli, write, layer, message):
    r = cli("check", write("t.yaml", LAYER.replace("LAYER", layer)))
    assert r.code == 1
    problems = [ln.split("] ", 1)[1] for ln in r.out.splitlines() if "error[" in ln]
    assert problems == [message]  # one problem: no NS102 for the key the synonym stands for
