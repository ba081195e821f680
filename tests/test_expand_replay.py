"""Replaying block calls is invisible: a spec expands to exactly the same graph, names and
diagnostics whether each repeated call is replayed or expanded for real.

The oracle is the plain expansion (`Expander(..., replay=False)`), which the semantics tests pin
down against hand-unrolled networks. Hypothesis writes block-heavy specs meant to trip a replay:
repeated identical calls, arguments equal in Python but not in type (1, 1.0, true), bodies that
read a layer outside the call by name (global dotted names too), nested calls, `when`, `-k`
references, repeats inside bodies, and calls that fail.
"""

from __future__ import annotations

import glob
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netspec.expand import Expander, bad_entry_paths
from netspec.loader import Limits, load_file, load_text
from netspec.validate import validate

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def expansion(data, replay: bool, limits: Limits = Limits()):
    """Everything expansion hands on: the layers field by field, the names, the diagnostics."""
    diags = validate(data)
    e = Expander(data, {}, limits, bad_entry_paths(diags), replay=replay)
    g = e.run()
    layers = None if g is None else [
        (l.name, l.type, l.attrs, l.inputs, l.output, l.source, l.fused, l.note, id(l.node)) for l in g.layers]
    return (layers, None if g is None else g.output_ref, dict(e.global_names),
            [(d.code, d.message, d.line, d.column, d.path) for d in e.diags], e)


def same_both_ways(data, limits: Limits = Limits()):
    on, off = expansion(data, True, limits), expansion(data, False, limits)
    assert on[:4] == off[:4]
    return on


@pytest.mark.parametrize("path", sorted(glob.glob(os.path.join(ROOT, "specs", "*.yaml"))),
                         ids=os.path.basename)
def test_zoo_expands_the_same_with_and_without_replay(path):
    same_both_ways(load_file(path).data)


def test_repeated_identical_calls_are_replayed():
    text = (
        "netspec: 1\nname: t\ninput: {height: 8, width: 8, channels: 4}\n"
        "blocks:\n  b:\n    args: {c: 4}\n    layers:\n"
        "      - {name: x, type: conv, filters: '${c}', kernel: 3}\n"
        "      - {type: add, inputs: [-1, input]}\n"
        "layers:\n  - {name: s, type: b, repeat: 5}\n")
    *_, e = same_both_ways(load_text(text).data)
    assert len(e.templates) == 1  # one recording, four replays
    names = [l.name for l in e.graph.layers]
    assert names == [f"s.{r}.{n}" for r in range(5) for n in ("x", "add_1")]
    assert e.graph.layers[2].inputs == [1] and e.graph.layers[3].inputs == [2, 1]
    assert e.global_names["s.3.x"] == 6 and e.global_names["s"] == 9


def test_a_body_that_reads_an_outer_layer_by_name_is_never_replayed_wrongly():
    # `inputs: [stem]` inside the body names the top-level layer, which is the first call's input
    # but not the second's: a replay that mapped it to "the call's input" would be wrong.
    text = (
        "netspec: 1\nname: t\ninput: {height: 8, width: 8, channels: 4}\n"
        "blocks:\n  b:\n    layers:\n"
        "      - {type: conv, filters: 4, kernel: 1}\n"
        "      - {type: add, inputs: [-1, stem]}\n"
        "layers:\n  - {name: stem, type: conv, filters: 4, kernel: 1}\n"
        "  - {name: one, type: b}\n  - {name: two, type: b}\n")
    layers, *_ = same_both_ways(load_text(text).data)
    assert layers[4][3] == [3, 0]  # two's add reads its conv and stem, not two's input (layer 2)


@st.composite
def block_specs(draw) -> str:
    """A spec of two blocks (one calling the other) and a top level that calls them repeatedly."""
    same = st.sampled_from(["1", "1.0", "true", "2", "'${1 + 0}'", "[1, 1]"])
    body_a = ["      - {name: a1, type: conv, filters: '${c}', kernel: 3, stride: '${s}'}"]
    for k in range(draw(st.integers(0, 3))):
        body_a.append(draw(st.sampled_from([
            "      - {type: relu}",
            "      - {type: add, inputs: [-1, input], when: '${s == 1 and in_channels == c}'}",
            "      - {type: add, inputs: [-1, stem]}",           # an outer layer, by name
            "      - {type: add, inputs: [a1, top.0.a1]}",      # a global dotted name
            "      - {type: conv, filters: '${c}', kernel: 1, repeat: 2, name: r" + str(k) + "}",
            "      - {type: concat, inputs: [-1, -2]}",
            "      - {type: maxpool, kernel: 2, when: '${in_height > 4}'}",
            "      - {type: conv, filters: '${c}', kernel: 9}",  # fails on small inputs
        ])))
    body_b = ["      - {type: a, c: '${c}', s: " + draw(same) + "}",
              "      - {name: again, type: a, c: '${c}'}"]
    layers = ["  - {name: stem, type: conv, filters: 8, kernel: 3}",
              "  - {name: top, type: a, c: 8, repeat: 2}"]
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["a", "b", "conv"]))
        if kind == "conv":
            layers.append("  - {type: conv, filters: " + draw(st.sampled_from(["8", "16"])) + ", kernel: 1}")
            continue
        c = draw(st.sampled_from(["8", "16", "8.0"]))
        extra = f", s: {draw(same)}" if kind == "a" and draw(st.booleans()) else ""
        rep = f", repeat: {draw(st.integers(1, 3))}" if draw(st.booleans()) else ""
        layers.append(f"  - {{type: {kind}, c: {c}{extra}{rep}}}")
    return "\n".join([
        "netspec: 1", "name: replay", "input: {height: 16, width: 16, channels: 8}",
        "blocks:", "  a:", "    args: {c: 8, s: 1}", "    layers:", *body_a,
        "  b:", "    args: {c: 8}", "    layers:", *body_b,
        "layers:", *layers, ""])


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(block_specs())
def test_generated_block_specs_expand_the_same_with_and_without_replay(text):
    loaded = load_text(text)
    assert loaded.data is not None, text
    same_both_ways(loaded.data)


@pytest.mark.parametrize("max_layers", [1, 5, 9, 10, 11, 20])
def test_limits_stop_a_replayed_call_where_the_real_expansion_stops(max_layers):
    text = (
        "netspec: 1\nname: t\ninput: {height: 8, width: 8, channels: 4}\n"
        "blocks:\n  b:\n    layers:\n"
        "      - {type: conv, filters: 4, kernel: 1}\n      - {type: relu}\n"
        "layers:\n  - {type: b, repeat: 6}\n")
    same_both_ways(load_text(text).data, Limits(max_layers=max_layers))
