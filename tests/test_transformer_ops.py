"""Format 1.1's transformer and layout ops in netspec itself: shapes and costs by hand formulas
(spec-format-1.1, "Other costs, precisely" and "attention, precisely"; the README's FLOP table),
and every bad input a located diagnostic (exact code, line and column).

PyTorch's own agreement for these ops is in tests/test_torch_oracle.py (tests/data/torch_ops/) and
the generated networks of tests/test_torch_generated.py.
"""

from __future__ import annotations

import textwrap

import pytest

from netspec.ops import Tokens
from netspec.pipeline import Options, check_text


def spec(body: str, input_: str = "{height: 8, width: 6, channels: 4}", extra: str = "") -> str:
    return (f"netspec: 1\nname: t\ninput: {input_}\n{extra}" + textwrap.dedent(body).lstrip("\n"))


def run(text: str, **overrides):
    return check_text(text, options=Options(overrides=overrides))


def ok(text: str, **overrides):
    r = run(text, **overrides)
    assert r.ok, [(d.line, d.column, d.code, d.message) for d in r.diagnostics]
    return r


def layer(r, name):
    return next(l for l in r.graph.layers if l.name == name)


def position(text: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    """1-based (line, column) of the `occurrence`-th place `needle` starts in `text`."""
    pos = -1
    for _ in range(occurrence):
        pos = text.index(needle, pos + 1)
    return text.count("\n", 0, pos) + 1, pos - (text.rfind("\n", 0, pos) + 1) + 1


def located(text: str, **overrides) -> list[tuple[str, int, int]]:
    r = run(text, **overrides)
    assert r.graph is None or not r.ok
    return [(d.code, d.line, d.column) for d in r.diagnostics if d.severity == "error"]


# --- layout and norm ops ---------------------------------------------------------------------------

def test_layout_ops_shapes_and_costs():
    r = ok(spec("""
    layers:
      - {name: s2d, type: space_to_depth, block: 2}
      - {name: d2s, type: depth_to_space, block: 2}
      - {name: seq, type: to_sequence}
      - {name: img, type: to_image, height: 6, width: 8}
    """))
    s2d, d2s, seq, img = r.graph.layers
    assert (s2d.output, d2s.output, seq.output, img.output) == ((4, 3, 16), (8, 6, 4), (48, 4), (6, 8, 4))
    n = 8 * 6 * 4
    for copy in (s2d, d2s):  # a copy: every element read once and written once, nothing else
        c = copy.cost
        assert (c.params, c.maccs, c.flops, c.input_reads, c.output_writes) == (0, 0, 0, n, n)
        assert c.compulsory_bytes == 2 * n * 4
    for view in (seq, img):  # views: free
        assert view.cost.memory_accesses == view.cost.compulsory_bytes == 0
    # the views share d2s's buffer: the peak is s2d's input and output together
    assert r.totals.peak_activation_memory == 2 * n * 4


def test_norms_scale_glu_silu_costs():
    r = ok(spec("""
    layers:
      - {name: rms, type: rmsnorm}
      - {name: scale, type: layer_scale}
      - {name: gate, type: glu}
      - {name: act, type: silu}
      - {name: fused, type: dense, units: 6, activation: silu}
    """, "{length: 10, channels: 8}"))
    rms, scale, gate, act, fused = r.graph.layers
    n = 10 * 8
    assert (rms.cost.params, rms.cost.flops) == (8, 4 * n)  # a learned scale per channel; 4 FLOPs an element
    assert (scale.cost.params, scale.cost.flops) == (8, n)  # gamma per channel; one multiply
    assert gate.output == (10, 4) and gate.cost.flops == 5 * 40  # sigmoid (4) and a multiply per output
    assert (gate.cost.input_reads, gate.cost.output_writes) == (n, 40)
    assert act.cost.flops == 5 * 40  # silu = swish: 5 per element
    assert [label for label, _ in fused.parts] == ["dense", "silu"]


@pytest.mark.parametrize("body, code, needle, occurrence", [
    # 5 x 10 = 50 positions, the sequence has 48
    ("- {type: to_sequence}\n  - {type: to_image, height: 5, width: 10}", "NS203", "5, width", 1),
    ("- {type: to_sequence}\n  - {type: to_sequence}", "NS206", "{type: to_sequence}", 2),
    ("- {type: to_image, height: 8, width: 6}", "NS206", "{type: to_image", 1),  # an image already
    ("- {type: space_to_depth, block: 4}", "NS204", "4}", 2),  # 8x6 is no multiple of 4
    ("- {type: depth_to_space, block: 3}", "NS205", "3}", 1),  # 4 channels, no 3x3 blocks
    ("- {type: glu}\n  - {type: glu}\n  - {type: glu}", "NS205", "{type: glu}", 3),  # 4 -> 2 -> 1: odd
    ("- {type: global_avgpool}\n  - {type: space_to_depth, block: 1}", "NS206", "{type: space_to_depth", 1),
])
def test_layout_diagnostics(body, code, needle, occurrence):
    text = spec("layers:\n  " + body + "\n")
    assert located(text) == [(code, *position(text, needle, occurrence))]


# --- token ids ---------------------------------------------------------------------------------------

def test_token_input_is_its_own_kind():
    r = ok(spec("layers:\n  - {type: identity, when: false}\n", "{length: 16}"))
    assert r.graph.input == Tokens((16,)) and type(r.graph.input) is Tokens
    assert Tokens((16,)) != (16,) and hash(Tokens((16,))) != hash((16,))  # not a vector of 16 channels


@pytest.mark.parametrize("layer_text", ["{type: dense, units: 4}", "{type: relu}", "{type: layernorm}",
                                        "{type: add, inputs: [input, input]}", "{type: flatten}"])
def test_token_ids_feed_only_an_embedding(layer_text):
    text = spec(f"layers:\n  - {layer_text}\n", "{length: 16}")
    r = run(text)
    [d] = [d for d in r.diagnostics if d.severity == "error"]
    assert d.code == "NS206" and "token ids" in d.message and "embedding" in d.message
    assert (d.line, d.column) == position(text, "[input" if "inputs" in layer_text else layer_text)
