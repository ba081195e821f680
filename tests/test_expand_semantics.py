"""Expansion semantics of the format contract (spec-format.md): blocks, repeat, when, names,
references, expressions; and every NS2xx diagnostic with its exact code and YAML position.

Specs are inline, starting with `netspec: 1` on line 1, so a line number is the line of the text.
Positions are 1-based (line, column) of the offending YAML node, located in the text by `at()`.
"""

from __future__ import annotations

import textwrap

import pytest
from spec_checks import at, ok, run

HEAD = """\
netspec: 1
name: t
input: {height: 16, width: 16, channels: 8}
"""


def spec(body: str, head: str = HEAD) -> str:
    return head + textwrap.dedent(body).lstrip("\n")


def errors(r):
    return [d for d in r.diagnostics if d.severity == "error"]


def only_error(r, code: str):
    errs = errors(r)
    assert [d.code for d in errs] == [code], [(d.line, d.column, d.code, d.message) for d in errs]
    return errs[0]


def layers(r) -> dict:
    return {l.name: l for l in r.graph.layers}


def inputs_of(r, name: str) -> list[str]:
    return [r.graph.name_of(x) for x in layers(r)[name].inputs]


# --- blocks, repeat and when against the same network unrolled by hand ---------------------------

BLOCKS = spec("""
params: {width: 1.0}
blocks:
  ir:
    args: {expand: 6, out: null, stride: 1}
    layers:
      - {name: expand, type: conv, filters: "${in_channels * expand}", kernel: 1, batchnorm: true,
         activation: relu6, when: "${expand != 1}"}
      - {name: dw, type: depthwise, kernel: 3, stride: "${stride}", batchnorm: true, activation: relu6}
      - {name: project, type: conv, filters: "${make_divisible(out * width, 8)}", kernel: 1, batchnorm: true}
      - {name: res, type: add, inputs: [-1, input],
         when: "${stride == 1 and in_channels == make_divisible(out * width, 8)}"}
layers:
  - {name: stem, type: conv, filters: 16, kernel: 3, stride: 2, batchnorm: true, activation: relu6}
  - {name: a, type: ir, expand: 1, out: 16}
  - {name: stage, type: ir, out: 24, stride: "${2 if i == 0 else 1}", repeat: 3}
  - {name: head, type: conv, filters: "${in_channels * 4}", kernel: 1}
""")

# The same network written out: a has no expand (t = 1) but a residual (16 == 16); stage.0 has
# stride 2 and no residual; stage.1 and stage.2 expand 24 -> 144 and add their block input.
UNROLLED = spec("""
layers:
  - {name: stem, type: conv, filters: 16, kernel: 3, stride: 2, batchnorm: true, activation: relu6}
  - {name: a_dw, type: depthwise, kernel: 3, stride: 1, batchnorm: true, activation: relu6}
  - {name: a_project, type: conv, filters: 16, kernel: 1, batchnorm: true}
  - {name: a_res, type: add, inputs: [a_project, stem]}
  - {name: s0_expand, type: conv, filters: 96, kernel: 1, batchnorm: true, activation: relu6}
  - {name: s0_dw, type: depthwise, kernel: 3, stride: 2, batchnorm: true, activation: relu6}
  - {name: s0_project, type: conv, filters: 24, kernel: 1, batchnorm: true}
  - {name: s1_expand, type: conv, filters: 144, kernel: 1, batchnorm: true, activation: relu6}
  - {name: s1_dw, type: depthwise, kernel: 3, batchnorm: true, activation: relu6}
  - {name: s1_project, type: conv, filters: 24, kernel: 1, batchnorm: true}
  - {name: s1_res, type: add, inputs: [s1_project, s0_project]}
  - {name: s2_expand, type: conv, filters: 144, kernel: 1, batchnorm: true, activation: relu6}
  - {name: s2_dw, type: depthwise, kernel: 3, batchnorm: true, activation: relu6}
  - {name: s2_project, type: conv, filters: 24, kernel: 1, batchnorm: true}
  - {name: s2_res, type: add, inputs: [s2_project, s1_res]}
  - {name: head, type: conv, filters: 96, kernel: 1}
""")


def test_blocks_equal_their_hand_unrolled_network():
    a, b = ok(BLOCKS), ok(UNROLLED)
    assert len(a.graph.layers) == len(b.graph.layers) == 16
    for x, y in zip(a.graph.layers, b.graph.layers):
        assert (x.type, x.output, x.fused) == (y.type, y.output, y.fused), (x.name, y.name)
        assert (x.cost.params, x.cost.maccs, x.cost.flops) == (y.cost.params, y.cost.maccs, y.cost.flops), x.name
        assert x.inputs == y.inputs, x.name  # the same wiring, layer for layer
    assert (a.totals.params, a.totals.maccs, a.totals.flops) == (b.totals.params, b.totals.maccs, b.totals.flops)


def test_block_instance_names():
    r = ok(BLOCKS)
    assert [l.name for l in r.graph.layers] == [
        "stem", "a.dw", "a.project", "a.res",
        "stage.0.expand", "stage.0.dw", "stage.0.project",
        "stage.1.expand", "stage.1.dw", "stage.1.project", "stage.1.res",
        "stage.2.expand", "stage.2.dw", "stage.2.project", "stage.2.res", "head"]
    assert inputs_of(r, "a.dw") == ["stem"]                       # -1 on a block's first layer = block input
    assert inputs_of(r, "a.res") == ["a.project", "stem"]         # `input` inside a block = block input
    assert inputs_of(r, "stage.1.expand") == ["stage.0.project"]  # a dropped `res` passes its input on
    assert inputs_of(r, "head") == ["stage.2.res"]


def test_block_params_follow_overrides():
    r = ok(BLOCKS, width=2.0)
    assert layers(r)["stage.2.project"].output[-1] == 48
    assert layers(r)["a.project"].output[-1] == 32
    # a's input has 16 channels but its output 32: its `when` is false, no residual.
    assert "a.res" not in layers(r)


# --- references ----------------------------------------------------------------------------------

def test_minus_k_counts_every_repetition_and_every_dropped_layer():
    r = ok(spec("""
    layers:
      - {name: a, type: conv, filters: 8, kernel: 1}
      - {name: r, type: conv, filters: 16, kernel: 1, repeat: 2}
      - {name: gone, type: conv, filters: 99, kernel: 1, when: "${1 == 2}"}
      - {name: x, type: concat, inputs: [-1, -2, -3, -4, -5]}
    """))
    # history: input, a, r.0, r.1, gone (= r.1)
    assert inputs_of(r, "x") == ["r.1", "r.1", "r.0", "a", "input"]
    assert layers(r)["x"].output == (16, 16, 16 + 16 + 16 + 8 + 8)
    assert "gone" not in layers(r)


def test_scoped_names_and_bare_name_means_last_repetition():
    r = ok(spec("""
    blocks:
      b:
        layers:
          - {name: dw, type: depthwise, kernel: 3}
          - {name: pw, type: conv, filters: "${in_channels * 2}", kernel: 1}
    layers:
      - {name: stage3, type: b, repeat: 2}
      - {name: r, type: relu, inputs: input, repeat: 3}
      - {name: x, type: concat, inputs: [stage3.1.dw, stage3.0.dw, stage3, r, stage3.0]}
    """))
    assert inputs_of(r, "x") == ["stage3.1.dw", "stage3.0.dw", "stage3.1.pw", "r.2", "stage3.0.pw"]
    # in_channels inside a block is the block input's: 8 -> 16, then 16 -> 32.
    assert layers(r)["stage3.0.pw"].output == (16, 16, 16)
    assert layers(r)["stage3.1.pw"].output == (16, 16, 32)


def test_inner_scope_first_then_enclosing_scopes():
    r = ok(spec("""
    blocks:
      b:
        layers:
          - {name: dw, type: depthwise, kernel: 3}
          - {name: mix, type: concat, inputs: [dw, stem]}
    layers:
      - {name: stem, type: conv, filters: 4, kernel: 1}
      - {name: dw, type: conv, filters: 4, kernel: 1}
      - {name: call, type: b}
    """))
    assert inputs_of(r, "call.mix") == ["call.dw", "stem"]


def test_a_block_that_names_no_inputs_takes_exactly_one():
    """Issue 13, item 7: the second input used to be dropped silently; it is an error now."""
    text = spec("""
    blocks:
      b:
        layers:
          - {name: c, type: conv, filters: "${in_channels + 1}", kernel: 1}
    layers:
      - {name: a, type: conv, filters: 3, kernel: 1}
      - {name: call, type: b, inputs: [input, a]}
      - {name: fine, type: b, inputs: [a]}
    """)
    d = only_error(run(text), "NS202")
    assert (d.line, d.column) == at(text, "[input, a]")
    assert d.message == ("call: block `b` takes one input; the call passes 2 (a block that takes several names "
                         "them: `inputs: [x, y]` in its definition)")


def test_when_false_is_an_identity_of_the_first_input():
    r = ok(spec("""
    blocks:
      b:
        layers:
          - {type: conv, filters: 64, kernel: 1}
    layers:
      - {name: a, type: conv, filters: 4, kernel: 1}
      - {name: skipped, type: conv, filters: 32, kernel: 3, when: "${in_channels != 4}"}
      - {name: skipped_call, type: b, when: "${1 > 2}"}
      - {name: by_name, type: relu, inputs: skipped}
      - {name: by_offset, type: add, inputs: [-2, -3]}
    """))
    assert set(layers(r)) == {"a", "by_name", "by_offset"}
    assert inputs_of(r, "by_name") == ["a"]
    assert inputs_of(r, "by_offset") == ["a", "a"]  # -2 = skipped_call (= a), -3 = skipped (= a)
    assert layers(r)["by_offset"].output == (16, 16, 4)


def test_in_variables_at_top_level_read_the_layers_first_input():
    r = ok(spec("""
    layers:
      - {name: a, type: conv, filters: 4, kernel: 1, stride: 2}
      - {name: b, type: conv, filters: "${in_channels * in_height * in_width}", kernel: 1, inputs: input}
      - {name: c, type: conv, filters: "${in_channels * in_height}", kernel: 1, inputs: a}
    """))
    assert layers(r)["b"].output[-1] == 8 * 16 * 16
    assert layers(r)["c"].output[-1] == 4 * 8


def test_in_variables_in_a_block_read_the_block_input():
    r = ok(spec("""
    blocks:
      b:
        layers:
          - {name: down, type: conv, filters: 4, kernel: 1, stride: 2}
          - {name: c, type: conv, filters: "${in_channels + in_height}", kernel: 1}
    layers:
      - {name: call, type: b}
    """))
    # the block input is 16x16x8, not `down`'s 8x8x4
    assert layers(r)["call.c"].output == (8, 8, 8 + 16)


def test_i_is_the_repeat_index_and_call_arguments_see_it():
    r = ok(spec("""
    blocks:
      b:
        args: {f: null}
        layers:
          - {name: c, type: conv, filters: "${f}", kernel: 1}
    layers:
      - {name: r, type: conv, filters: "${8 * (i + 1)}", kernel: 1, repeat: 3}
      - {name: call, type: b, f: "${16 + i}", repeat: 2}
    """))
    assert [layers(r)[f"r.{k}"].output[-1] for k in range(3)] == [8, 16, 24]
    assert [layers(r)[f"call.{k}.c"].output[-1] for k in range(2)] == [16, 17]


def test_block_arg_shadows_param_and_default_names_use_the_position():
    r = ok(spec("""
    params: {f: 3}
    blocks:
      b:
        args: {f: 5}
        layers:
          - {type: relu}
          - {type: conv, filters: "${f}", kernel: 1}
    layers:
      - {type: conv, filters: "${f}", kernel: 1}
      - {name: call, type: b}
      - {type: conv, filters: "${f}", kernel: 1}
    """))
    assert [(l.name, l.output[-1]) for l in r.graph.layers] == [
        ("conv_0", 3), ("call.relu_0", 3), ("call.conv_1", 5), ("conv_2", 3)]


# --- NS2xx diagnostics: exact code and position --------------------------------------------------

def test_ns201_expression_errors():
    text = spec("""
    layers:
      - {name: a, type: conv, filters: "${1 / 0}", kernel: 1}
      - {name: b, type: conv, filters: "${nope * 2}", kernel: 1, inputs: input}
      - {name: c, type: conv, filters: "${in_channels *}", kernel: 1, inputs: input}
      - {name: d, type: conv, filters: "${__import__('os')}", kernel: 1, inputs: input}
    """)
    r = run(text)
    got = [(d.code, d.line, d.column) for d in errors(r)]
    assert got == [("NS201", *at(text, '"${1 / 0}"')), ("NS201", *at(text, '"${nope * 2}"')),
                   ("NS201", *at(text, '"${in_channels *}"')), ("NS201", *at(text, '"${__import__'))]
    assert got[0][1:] == (5, 36)  # the position is the value of `filters:` on line 5
    assert "nope" in errors(r)[1].message


def test_ns201_i_is_not_visible_inside_a_block_body():
    text = spec("""
    blocks:
      b:
        layers:
          - {type: conv, filters: "${8 + i}", kernel: 1}
    layers:
      - {name: call, type: b, repeat: 2}
    """)
    d = only_error(run(text), "NS201")
    assert (d.line, d.column) == at(text, '"${8 + i}"')
    assert d.message.startswith("call.0.conv_0")


def test_ns202_unknown_reference_and_counting_back_too_far():
    text = spec("""
    layers:
      - {name: a, type: relu}
      - {name: b, type: add, inputs: [a, nope]}
      - {name: c, type: add, inputs: [a, -4]}
    """)
    r = run(text)
    got = [(d.code, d.line, d.column) for d in errors(r)]
    assert got == [("NS202", *at(text, "[a, nope]")), ("NS202", *at(text, "[a, -4]"))]
    assert "nope" in errors(r)[0].message


def test_ns202_in_a_block_minus_k_cannot_leave_the_block():
    text = spec("""
    blocks:
      b:
        layers:
          - {name: x, type: add, inputs: [-1, -2]}
    layers:
      - {name: a, type: relu}
      - {name: call, type: b}
    """)
    d = only_error(run(text), "NS202")
    assert (d.line, d.column) == at(text, "[-1, -2]")
    assert "call.x" in d.message


def test_ns203_add_channel_mismatch():
    text = spec("""
    layers:
      - {name: a, type: conv, filters: 16, kernel: 1}
      - {name: s, type: add, inputs: [a, input]}
    """)
    d = only_error(run(text), "NS203")
    assert (d.line, d.column) == at(text, "[a, input]") == (6, 34)


def test_ns203_concat_spatial_mismatch():
    text = spec("""
    layers:
      - {name: a, type: conv, filters: 16, kernel: 3, stride: 2}
      - {name: cat, type: concat, inputs: [input, a]}
    """)
    d = only_error(run(text), "NS203")
    assert (d.line, d.column) == at(text, "[input, a]")


def test_ns204_kernel_larger_than_padded_input():
    text = spec("""
    layers:
      - {name: big, type: conv, filters: 8, kernel: 17, padding: valid}
    """)
    d = only_error(run(text), "NS204")
    assert (d.line, d.column) == at(text, "17") == (5, 49)


def test_ns204_pool_kernel_larger_than_input_even_with_padding():
    text = spec("""
    layers:
      - {name: p, type: maxpool, kernel: 20, padding: 1}
    """)
    d = only_error(run(text), "NS204")
    assert (d.line, d.column) == at(text, "20")


def test_ns204_output_would_be_empty():
    # A transposed conv 1x1 over 1x1 with 1 pixel cropped on each side: 1 - 2 = -1.
    text = spec("""
    layers:
      - {name: up, type: deconv, filters: 8, kernel: 1, padding: 1}
    """, head="netspec: 1\nname: t\ninput: {height: 1, width: 1, channels: 8}\n")
    d = only_error(run(text), "NS204")
    assert (d.line, d.column) == at(text, "1}")  # the value of `padding:`


def test_ns204_in_a_block_points_at_the_block_line_and_names_the_instance():
    text = spec("""
    blocks:
      shrink:
        layers:
          - {name: dw, type: depthwise, kernel: 3, padding: valid}
    layers:
      - {name: stage3, type: shrink, repeat: 3}
    """, head="netspec: 1\nname: t\ninput: {height: 4, width: 4, channels: 8}\n")
    # stage3.0.dw: 4 -> 2; stage3.1.dw: a 3x3 kernel does not fit 2x2.
    d = only_error(run(text), "NS204")
    assert (d.line, d.column) == at(text, "3, padding") == (7, 45)
    assert d.message.startswith("stage3.1.dw:")
    assert d.path == "blocks.shrink.layers[0].kernel"


def test_ns205_groups():
    text = spec("""
    layers:
      - {name: a, type: conv, filters: 6, kernel: 1, groups: 4}
      - {name: b, type: conv, filters: 12, kernel: 1, groups: 3, inputs: input}
    """)
    r = run(text)
    got = [(d.code, d.line, d.column) for d in errors(r)]
    assert got == [("NS205", *at(text, "4}")), ("NS205", *at(text, "3, inputs"))]
    assert "filters 6" in errors(r)[0].message and "input channels 8" in errors(r)[1].message


def test_ns205_channel_shuffle_groups_must_divide_the_channels():
    text = spec("""
    layers:
      - {name: ok, type: channel_shuffle, groups: 4}
      - {name: bad, type: channel_shuffle, groups: 3}
    """)
    r = run(text)
    # 8 channels: 4 groups of 2 shuffle; 3 groups do not divide 8 -> NS205 at the value of `groups`:
    # line 6 (three head lines, `layers:`, ok), column 5 + 11 (`name: bad, `) + 23 + 8 + 1 = 48
    got = [(d.code, d.line, d.column) for d in errors(r)]
    assert got == [("NS205", *at(text, "3}"))] == [("NS205", 6, 48)]
    assert errors(r)[0].path == "layers[1].groups"
    assert errors(r)[0].message == "bad: channel_shuffle: input channels 8 are not divisible by groups 3"


def test_ns206_conv_on_a_vector():
    text = spec("""
    layers:
      - {name: g, type: global_avgpool}
      - {name: c, type: conv, filters: 8, kernel: 1}
      - {name: d, type: conv, filters: 8, kernel: 1, inputs: g}
    """)
    r = run(text)
    got = [(d.code, d.line, d.column) for d in errors(r)]
    # without `inputs:` the layer's own mapping is the node at fault; with it, the `inputs` value
    assert got == [("NS206", *at(text, "{name: c,")), ("NS206", *at(text, "g}"))]


def test_ns206_flatten_on_a_vector():
    text = spec("""
    layers:
      - {name: f, type: flatten}
      - {name: ff, type: flatten, inputs: f}
    """)
    d = only_error(run(text), "NS206")
    assert (d.line, d.column) == at(text, "f}")


def test_ns207_duplicate_name():
    text = spec("""
    layers:
      - {name: a, type: relu}
      - {name: a, type: relu}
    """)
    d = only_error(run(text), "NS207")
    assert (d.line, d.column) == at(text, "a, type", 2) == (6, 12)
    assert "line 5" in d.message


def test_ns207_input_is_reserved():
    text = spec("""
    layers:
      - {name: input, type: relu}
    """)
    d = only_error(run(text), "NS207")
    assert (d.line, d.column) == at(text, "input, type")


def test_ns208_block_recursion():
    text = spec("""
    blocks:
      a:
        layers:
          - {name: x, type: b}
      b:
        layers:
          - {name: y, type: a}
    layers:
      - {name: top, type: a}
    """)
    d = only_error(run(text), "NS208")
    assert (d.line, d.column) == at(text, "a}", 1)  # the call of `a` inside `b`
    assert d.message.startswith("top.x.y:")
    assert "a -> b -> a" in d.message


def test_ns208_direct_self_call():
    text = spec("""
    blocks:
      loop:
        layers:
          - {type: relu}
          - {type: loop}
    layers:
      - {name: top, type: loop}
    """)
    d = only_error(run(text), "NS208")
    assert (d.line, d.column) == at(text, "loop}", 1)


def test_ns209_forward_and_self_reference():
    text = spec("""
    layers:
      - {name: a, type: add, inputs: [input, later]}
      - {name: later, type: relu}
      - {name: me, type: add, inputs: [-1, me]}
    """)
    r = run(text)
    got = [(d.code, d.line, d.column) for d in errors(r)]
    assert got == [("NS209", *at(text, "[input, later]")), ("NS209", *at(text, "[-1, me]"))]
    assert "defined later" in errors(r)[0].message and "itself" in errors(r)[1].message


def test_ns210_wrong_input_count():
    text = spec("""
    layers:
      - {name: c, type: conv, filters: 8, kernel: 1, inputs: [input, input]}
    """)
    d = only_error(run(text), "NS210")
    assert (d.line, d.column) == at(text, "[input, input]")


def test_ns211_filters_evaluating_to_31_5():
    text = spec("""
    layers:
      - {name: half, type: conv, filters: "${63 / 2}", kernel: 1}
    """)
    d = only_error(run(text), "NS211")
    assert (d.line, d.column) == at(text, '"${63 / 2}"') == (5, 39)
    assert "31.5" in d.message


def test_ns211_when_must_be_boolean_and_stride_positive():
    text = spec("""
    layers:
      - {name: w, type: relu, when: "${1 + 1}"}
      - {name: s, type: conv, filters: 8, kernel: 1, stride: "${in_channels - 8}", inputs: input}
    """)
    r = run(text)
    got = [(d.code, d.line, d.column) for d in errors(r)]
    assert got == [("NS211", *at(text, '"${1 + 1}"')), ("NS211", *at(text, '"${in_channels - 8}"'))]


def test_a_mistake_is_reported_once():
    text = spec("""
    layers:
      - {name: a, type: conv, filters: 8, kernel: 99, padding: valid}
      - {name: b, type: relu}
      - {name: c, type: conv, filters: "${nope}", kernel: 1, inputs: input, repeat: 3}
    """)
    r = run(text)
    # `b` reads the failed `a` and is skipped silently; c's three repetitions share one mistake.
    assert [(d.code, d.line) for d in errors(r)] == [("NS204", 5), ("NS201", 7)]
