"""Lint warnings: each rule fires where it should and nowhere else; ignore per file and per run;
--strict turns warnings into failures."""

from __future__ import annotations

from netspec.pipeline import Options, check_text

BASE = """\
netspec: 1
name: lint
input: {height: 16, width: 16, channels: 3}
layers:
LAYERS
"""


def at(layers: str, line: int, needle: str) -> tuple[int, int]:
    """(line, column) of `needle` on a 1-based line of the whole spec (the hand-written expectation)."""
    text = BASE.replace("LAYERS", layers)
    return line, text.splitlines()[line - 1].index(needle) + 1


def codes(layers: str, options: Options | None = None, extra: str = "") -> list[tuple[str, int, int]]:
    r = check_text(BASE.replace("LAYERS", layers) + extra, options=options)
    assert r.ok, [d.message for d in r.diagnostics]
    return [(d.code, d.line, d.column) for d in r.diagnostics]


CLEAN_CLASSIFIER = """\
  - {name: c1, type: conv, filters: 16, kernel: 3, stride: 2}
  - {name: down, type: conv, filters: 32, kernel: 1, stride: 2}
  - {name: pool, type: global_avgpool}
  - {name: drop, type: dropout, rate: 0.5}
  - {name: fc, type: dense, units: 10}"""


def test_clean_network_has_no_warnings():
    # dropout before the classifier, a 10-class output, a 1x1 stride-2 shortcut: all deliberate
    assert codes(CLEAN_CLASSIFIER) == []


def test_ns401_channels_not_multiple_of_8():
    layers = CLEAN_CLASSIFIER.replace("filters: 16, kernel: 3", "filters: 12, kernel: 3")
    assert codes(layers) == [("NS401", *at(layers, 5, "12"))]  # the `filters` value


def test_ns402_dense_dominates():
    layers = """\
  - {name: c1, type: conv, filters: 8, kernel: 3}
  - {name: flat, type: flatten}
  - {name: fc, type: dense, units: 16}"""
    # fc: 16*16*8 * 16 + 16 = 32,784 params of 32,784 + 224 in all
    assert codes(layers) == [("NS402", *at(layers, 7, "16}"))]  # the `units` value


def test_ns403_stride_exceeds_kernel():
    layers = CLEAN_CLASSIFIER.replace("kernel: 3, stride: 2", "kernel: 2, stride: 3")
    assert codes(layers) == [("NS403", *at(layers, 5, "3}"))]  # the `stride` value


def test_ns404_unused_output():
    layers = """\
  - {name: c1, type: conv, filters: 8, kernel: 3}
  - {name: dead, type: conv, filters: 8, kernel: 1}
  - {name: c2, type: conv, filters: 8, kernel: 3, inputs: c1}"""
    assert codes(layers) == [("NS404", 6, 5)]


def test_ignore_per_file_and_per_run_and_strict(cli, write):
    layers = CLEAN_CLASSIFIER.replace("filters: 16, kernel: 3", "filters: 12, kernel: 3")
    assert codes(layers, extra="lint: {ignore: [NS401]}\n") == []
    assert codes(layers, options=Options(ignore=("NS401",))) == []
    path = write("lint.yaml", BASE.replace("LAYERS", layers))
    r = cli("check", path)
    assert r.code == 0 and "warning[NS401]" in r.out
    assert cli("check", path, "--strict").code == 1
    assert cli("check", path, "--strict", "--ignore", "NS401").code == 0
    assert cli("check", path, "--ignore", "NS999").code == 2


def test_ns401_exempts_the_output_layer_behind_softmax_and_friends():
    # issue 13, item 5: dense(10) -> softmax failed every classifier under --strict
    for tail in ("softmax", "sigmoid", "dropout", "identity"):
        layers = CLEAN_CLASSIFIER + f"\n  - {{name: out, type: {tail}}}"
        assert codes(layers) == [], tail
    chain = CLEAN_CLASSIFIER + "\n  - {name: drop2, type: dropout}\n  - {name: prob, type: softmax}"
    assert codes(chain) == []


def test_ns401_exempts_a_unet_head_conv2_softmax():
    layers = """\
  - {name: enc, type: conv, filters: 16, kernel: 3}
  - {name: down, type: maxpool, kernel: 2}
  - {name: mid, type: conv, filters: 32, kernel: 3}
  - {name: up, type: upsample, scale: 2}
  - {name: cat, type: concat, inputs: [up, enc]}
  - {name: head, type: conv, filters: 2, kernel: 1}
  - {name: prob, type: softmax}"""
    assert codes(layers) == []


def test_ns401_still_fires_before_a_layer_that_changes_the_shape():
    # conv(12) -> relu -> conv(16): the 12 is an inner width, not the output's
    layers = """\
  - {name: c1, type: conv, filters: 12, kernel: 3}
  - {name: act, type: relu}
  - {name: c2, type: conv, filters: 16, kernel: 1}"""
    assert codes(layers) == [("NS401", *at(layers, 5, "12"))]
    one = layers.replace("filters: 12", "filters: 1")
    r = check_text(BASE.replace("LAYERS", one))
    assert [d.message for d in r.diagnostics] == ["layer c1: 1 output channel is not a multiple of 8"]


def test_ignore_takes_a_comma_list(cli, write):
    layers = """\
  - {name: c1, type: conv, filters: 12, kernel: 3}
  - {name: dead, type: conv, filters: 8, kernel: 1}
  - {name: c2, type: conv, filters: 16, kernel: 1, inputs: c1}"""
    path = write("lint.yaml", BASE.replace("LAYERS", layers))
    assert cli("check", path, "--strict").code == 1
    assert cli("check", path, "--strict", "--ignore", "NS401").code == 1
    assert cli("check", path, "--strict", "--ignore", "NS401,ns404").code == 0
    assert cli("check", path, "--strict", "--ignore", "NS401", "--ignore", "NS404").code == 0
    r = cli("check", path, "--ignore", "NS401,NS999")
    assert r.code == 2 and "--ignore NS999: no such code" in r.err


def test_a_layer_can_silence_a_warning_for_itself():
    # issue 13, item 8: `lint: {ignore: [NS401]}` on one layer leaves the others' warnings alone
    from netspec.lint import lint

    layers = """\
  - {name: a, type: conv, filters: 12, kernel: 3}
  - {name: b, type: conv, filters: 20, kernel: 1}
  - {name: c, type: conv, filters: 16, kernel: 1}"""
    r = check_text(BASE.replace("LAYERS", layers))
    assert [d.message for d in lint(r.graph, r.totals)] == [
        "layer a: 12 output channels are not a multiple of 8", "layer b: 20 output channels are not a multiple of 8"]
    r.graph.layers[0].node["lint"] = {"ignore": ["ns401"]}  # as the loader gives `lint: {ignore: [ns401]}`
    assert [d.message for d in lint(r.graph, r.totals)] == ["layer b: 20 output channels are not a multiple of 8"]


def test_per_layer_lint_key_end_to_end(cli, write):
    # the schema takes `lint:` on a layer (and on a block's layer: every call of it)
    spec = """\
netspec: 1
name: t
input: {height: 8, width: 8, channels: 3}
blocks:
  odd:
    layers:
      - {type: conv, filters: 12, kernel: 1, lint: {ignore: [NS401]}}
layers:
  - {name: a, type: conv, filters: 12, kernel: 3, lint: {ignore: [NS401]}}
  - {name: b, type: conv, filters: 20, kernel: 1}
  - {name: o, type: odd}
  - {name: c, type: conv, filters: 16, kernel: 1}
"""
    r = cli("check", write("t.yaml", spec), "--strict")
    assert r.code == 1
    assert [ln.split(": ", 1)[1] for ln in r.out.splitlines() if "warning[" in ln] == [
        "warning[NS401] layer b: 20 output channels are not a multiple of 8"]
    bad = cli("check", write("bad.yaml", spec.replace("[NS401]}}\n  - {name: b", "[NS401, x]}}\n  - {name: b")))
    assert bad.code == 1 and "error[NS104] `ignore[1]` must be a diagnostic code such as NS401, got 'x'" in bad.out
