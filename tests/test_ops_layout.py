"""Layout ops of format 1.1: slice and concat on any axis (shapes by hand, every bad input a
located diagnostic). Their counts against PyTorch are in tests/data/torch_ops/layout_ops.yaml."""

from __future__ import annotations

import textwrap

import pytest

from netspec.pipeline import check_text


def spec(layers: str, input_: str = "{height: 9, width: 7, channels: 6}") -> str:
    return f"netspec: 1\nname: t\ninput: {input_}\nlayers:\n" + textwrap.dedent(layers).lstrip("\n")


def at(text: str, needle: str) -> tuple[int, int]:
    pos = text.index(needle)
    return text.count("\n", 0, pos) + 1, pos - (text.rfind("\n", 0, pos) + 1) + 1


def shapes(text: str) -> dict:
    r = check_text(text)
    errors = [(d.line, d.column, d.code, d.message) for d in r.diagnostics if d.severity == "error"]
    assert not errors, errors
    return {l.name: l.output for l in r.graph.layers}


def error(text: str, needle: str, code: str) -> str:
    """The one error of `text`: its code, and its position at `needle`; returns the message."""
    r = check_text(text)
    errors = [d for d in r.diagnostics if d.severity == "error"]
    assert [d.code for d in errors] == [code], [(d.line, d.column, d.code, d.message) for d in errors]
    assert (errors[0].line, errors[0].column) == at(text, needle), errors[0].message
    return errors[0].message


# --- slice ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("attrs,shape", [
    ("axis: channels, stop: 2", (9, 7, 2)),
    ("axis: channels, start: 2", (9, 7, 4)),
    ("axis: channels, start: -4, stop: -1", (9, 7, 3)),       # Python's negative positions
    ("axis: channels, step: 4", (9, 7, 2)),                   # 0, 4
    ("axis: height, start: 1, step: 3", (3, 7, 6)),           # 1, 4, 7
    ("axis: height, start: 0, stop: 9", (9, 7, 6)),           # the whole axis
    ("axis: width, index: 3", (9, 6)),                        # an image row -> a sequence
    ("axis: height, index: -1", (7, 6)),
])
def test_slice_shapes(attrs, shape):
    assert shapes(spec(f"  - {{name: s, type: slice, {attrs}}}\n"))["s"] == shape


def test_slice_of_a_sequence_and_index_to_a_vector():
    s = shapes(spec("""
      - {name: cls, type: slice, axis: length, index: 0}
      - {name: rest, type: slice, axis: length, start: 1, inputs: input}
    """, "{length: 197, channels: 768}"))
    assert s == {"cls": (768,), "rest": (196, 768)}


def test_slice_is_a_view_that_costs_nothing():
    r = check_text(spec("  - {name: s, type: slice, axis: channels, stop: 2}\n  - {type: relu}\n"))
    s = r.graph.layers[0]
    assert (s.cost.params, s.cost.maccs, s.cost.flops, s.cost.memory_accesses, s.cost.compulsory_bytes) == (0,) * 5
    # the relu after it reads the 9x7x2 view: peak memory is the input buffer (shared) + the relu's output
    assert r.totals.peak_activation_memory == 4 * (9 * 7 * 6 + 9 * 7 * 2)


@pytest.mark.parametrize("attrs,needle,code,message", [
    ("axis: channels, stop: 7", "7}", "NS204", "slice: stop 7 is past the end of channels 6 of the 9x7x6 input "
                                               "(valid: -6 to 6)"),
    ("axis: height, start: -10", "-10", "NS204", "slice: start -10 is past the end of height 9"),
    ("axis: width, index: 7", "7}", "NS204", "slice: index 7 is past the end of width 7 of the 9x7x6 input "
                                             "(valid: -7 to 6)"),
    ("axis: width, start: 4, stop: 4", "4}", "NS204", "slice: width 4:4 of the 9x7x6 input is empty"),
    ("axis: width, start: 5, stop: -3", "-3", "NS204", "slice: width 5:4 of the 9x7x6 input is empty"),
    ("axis: length, stop: 2", "length", "NS206", "slice: the image 9x7x6 has no length axis (its axes: height, "
                                                 "width, channels)"),
    ("axis: channels, index: 0", "0}", "NS206", "slice: `index` on the channels would leave no channel axis"),
    ("axis: height, index: 0, stop: 2", "0,", "NS104", "slice: give `index` or start/stop/step, not both"),
    ("axis: height, step: 0", "0}", "NS104", "must be >= 1"),
    ("axis: colour", "colour", "NS104", "`axis` must be one of height, width, length, channels, got 'colour'"),
    ("stop: 2", "type: slice", "NS102", "slice layer is missing `axis`"),
])
def test_slice_bad_inputs_are_located(attrs, needle, code, message):
    text = spec(f"  - {{name: s, type: slice, {attrs}}}\n")
    assert message in error(text, needle, code)


def test_slice_bounds_from_expressions_are_checked_too():
    text = spec("  - {name: s, type: slice, axis: channels, stop: \"${in_channels + 1}\"}\n")
    assert "stop 7 is past the end of channels 6" in error(text, '"${in_channels + 1}"', "NS204")


# --- concat on an axis ----------------------------------------------------------------------------

def test_concat_axes():
    s = shapes(spec("""
      - {name: a, type: conv, filters: 4, kernel: 1}
      - {name: ch, type: concat, inputs: [a, input]}
      - {name: h, type: concat, axis: height, inputs: [input, input, input]}
      - {name: top, type: slice, axis: width, stop: 3, inputs: input}
      - {name: w, type: concat, axis: width, inputs: [input, top]}
    """))
    assert (s["ch"], s["h"], s["w"]) == ((9, 7, 10), (27, 7, 6), (9, 10, 6))
    seq = shapes(spec("""
      - {name: a, type: slice, axis: length, stop: 3}
      - {name: l, type: concat, axis: length, inputs: [input, a]}
    """, "{length: 5, channels: 4}"))
    assert seq["l"] == (8, 4)


def test_concat_copies_every_element():
    r = check_text(spec("  - {name: c, type: concat, axis: height, inputs: [input, input]}\n"))
    c = r.graph.layers[0].cost
    n = 18 * 7 * 6
    assert (c.flops, c.input_reads, c.output_writes, c.compulsory_bytes) == (0, n, n, 4 * 2 * n)


@pytest.mark.parametrize("layers,needle,code,message", [
    ("  - {name: a, type: slice, axis: width, stop: 3}\n  - {name: c, type: concat, inputs: [a, input]}\n",
     "[a, input]", "NS203", "concat: input 2 is 9x7x6 but input 1 is 9x3x6; all but the channels must match"),
    ("  - {name: a, type: slice, axis: channels, stop: 3}\n"
     "  - {name: c, type: concat, axis: height, inputs: [a, input]}\n",
     "[a, input]", "NS203", "all but the height must match"),
    ("  - {name: c, type: concat, axis: length, inputs: [input, input]}\n", "length", "NS206",
     "concat: the image 9x7x6 has no length axis"),
    ("  - {name: v, type: global_avgpool}\n  - {name: c, type: concat, axis: width, inputs: [v, v]}\n", "width, inputs",
     "NS206", "concat: the vector 6 has no width axis (its axes: channels)"),
    ("  - {name: c, type: concat, axis: depth, inputs: [input, input]}\n", "depth", "NS104",
     "`axis` must be one of channels, length, height, width, got 'depth'"),
])
def test_concat_bad_inputs_are_located(layers, needle, code, message):
    assert message in error(spec(layers), needle, code)


def test_exported_slices_and_concats_take_the_right_elements():
    """The PyTorch export computes the same values as indexing netspec's channels-last tensor."""
    torch = pytest.importorskip("torch")
    from netspec.export.torch import build

    r = check_text(spec("""
      - {name: a, type: slice, axis: channels, start: 1, stop: -1, step: 2}
      - {name: b, type: slice, axis: height, index: -2, inputs: input}
      - {name: c, type: concat, axis: width, inputs: [input, input]}
      - {name: d, type: slice, axis: width, start: 5, inputs: c}
      - {name: e, type: concat, axis: length, inputs: [b, b]}
    """))
    model = build(r.graph).eval()
    seen = {}
    for name, attr in model.netspec_layers.items():
        getattr(model, attr).register_forward_hook(lambda m, i, o, name=name: seen.__setitem__(name, o))
    x = torch.randn(1, 6, 9, 7)
    model(x)
    last = x.permute(0, 2, 3, 1)[0]  # netspec's H x W x C
    expect = {"a": last[:, :, 1:-1:2], "b": last[-2], "c": torch.cat([last, last], 1),
              "d": torch.cat([last, last], 1)[:, 5:], "e": torch.cat([last[-2], last[-2]], 0)}
    for name, want in expect.items():
        got = seen[name][0]
        got = got.permute(*range(1, got.dim()), 0)  # channels-first -> channels-last
        assert torch.equal(got, want), name
