"""Format 1.1's values and block inputs (spec-format-1.1.md, "Values in expressions" and "Blocks
with several inputs"): string and list params and args, enum fields as expressions, `repeat` as
an expression, blocks that name their inputs; every bad input a located diagnostic."""

from __future__ import annotations

from netspec.loader import load_text
from test_expand_replay import same_both_ways
from test_expand_semantics import at, inputs_of, layers, ok, only_error, run, spec


def test_activation_as_a_block_argument():
    r = ok(spec("""
    blocks:
      cba:
        args: {act: relu}
        layers:
          - {type: conv, filters: 8, kernel: 3, padding: same, batchnorm: true, activation: "${act}"}
    layers:
      - {name: a, type: cba}
      - {name: b, type: cba, act: hswish}
      - {name: c, type: cba, act: "${'relu6' if in_channels == 8 else 'tanh'}"}
    """))
    fused = {name: l.fused for name, l in layers(r).items()}
    assert fused == {"a.conv_0": ("batchnorm", "relu"), "b.conv_0": ("batchnorm", "hswish"),
                     "c.conv_0": ("batchnorm", "relu6")}


def test_activation_expression_giving_null_fuses_none():
    r = ok(spec("""
    params: {act: null}
    layers:
      - {type: conv, filters: 8, kernel: 1, activation: "${act}"}
    """))
    assert r.graph.layers[0].fused == ()


def test_a_wrong_activation_string_is_ns104_with_the_allowed_list():
    text = spec("""
    blocks:
      cba:
        args: {act: relu}
        layers:
          - {type: conv, filters: 8, kernel: 3, activation: "${act}"}
    layers:
      - {name: a, type: cba, act: relu7}
    """)
    d = only_error(run(text), "NS104")
    assert (d.line, d.column) == at(text, '"${act}"')
    assert "relu7" in d.message and "relu6" in d.message and "hswish" in d.message


def test_enum_attribute_as_an_expression():
    text = spec("""
    params: {mode: bilinear, side: width}
    layers:
      - {name: up, type: upsample, scale: 2, mode: "${mode}"}
      - {name: cat, type: concat, inputs: [up, up], axis: "${side}"}
    """)
    r = ok(text)
    assert layers(r)["up"].attrs["mode"] == "bilinear"
    assert layers(r)["cat"].output == (32, 64, 8)
    d = only_error(run(text, mode="bicubicc"), "NS104")
    assert (d.line, d.column) == at(text, '"${mode}"')
    assert "nearest" in d.message and "bicubicc" in d.message


def test_a_number_where_a_string_is_needed_is_ns104():
    text = spec("""
    params: {side: 3}
    layers:
      - {type: concat, inputs: [input, input], axis: "${side}"}
    """)
    d = only_error(run(text), "NS104")
    assert (d.line, d.column) == at(text, '"${side}"')


def test_a_string_where_a_number_is_needed_is_located():
    text = spec("""
    params: {width: wide}
    layers:
      - {type: conv, filters: "${width}", kernel: 1}
    """)
    d = only_error(run(text), "NS211")
    assert (d.line, d.column) == at(text, '"${width}"')
    assert "'wide'" in d.message


def test_list_params_index_len_and_repeat_as_expression():
    r = ok(spec("""
    params: {depths: [1, 2, 3], widths: [8, 16, 24]}
    blocks:
      stage:
        args: {n: 1, w: 8}
        layers:
          - {type: conv, filters: "${w}", kernel: 1, repeat: "${n}"}
    layers:
      - {name: s, type: stage, n: "${depths[i]}", w: "${widths[-1 - i]}", repeat: "${len(depths)}"}
    """))
    convs = [l for l in r.graph.layers if l.type == "conv"]
    assert len(convs) == 6
    assert [l.output[-1] for l in convs] == [24, 16, 16, 8, 8, 8]


def test_list_block_argument_and_default():
    r = ok(spec("""
    blocks:
      taps:
        args: {ks: [1, 3]}
        layers:
          - {type: conv, filters: 4, kernel: "${ks[i]}", padding: same, repeat: "${len(ks)}"}
    layers:
      - {name: a, type: taps}
      - {name: b, type: taps, ks: [3, 5, 7]}
    """))
    kernels = [l.attrs["kernel"][0] for l in r.graph.layers if l.type == "conv"]
    assert kernels == [1, 3, 3, 5, 7]


def test_list_index_out_of_range_is_a_located_ns201():
    text = spec("""
    params: {depths: [1, 2]}
    layers:
      - {type: conv, filters: 4, kernel: 1, repeat: "${depths[2]}"}
    """)
    d = only_error(run(text), "NS201")
    assert (d.line, d.column) == at(text, '"${depths[2]}"')
    assert "out of range" in d.message


def test_list_param_limit_and_nesting():
    head = "netspec: 1\nname: t\ninput: {height: 4, width: 4, channels: 2}\n"
    text = head + "params: {big: [%s]}\nlayers:\n  - {type: relu}\n" % ", ".join(["1"] * 10_001)
    d = only_error(run(text), "NS104")
    assert (d.line, d.column) == at(text, "[1, 1")
    ok(head + "params: {big: [%s]}\nlayers:\n  - {type: relu}\n" % ", ".join(["1"] * 10_000))
    text = head + "params: {nest: [[1, 2]]}\nlayers:\n  - {type: relu}\n"
    d = only_error(run(text), "NS103")
    assert (d.line, d.column) == at(text, "[1, 2]]")


def test_set_overrides_a_list_param():
    from netspec.checking import parse_set

    assert parse_set(["depths=[2, 2,3]", "e=[]", "act=hswish"]) == {"depths": [2, 2, 3], "e": [], "act": "hswish"}
    text = spec("""
    params: {depths: [1, 1]}
    layers:
      - {type: relu, repeat: "${sum_depths}"}
    """).replace("${sum_depths}", "${depths[0] + depths[1]}")
    assert len(ok(text, depths=[2, 3]).graph.layers) == 5
    d = only_error(run(text, depths=[[1], 2]), "NS104")
    assert "list of lists" in d.message


def test_block_with_named_inputs():
    r = ok(spec("""
    blocks:
      up:
        inputs: [x, skip]
        args: {f: 4}
        layers:
          - {name: u, type: upsample, scale: 2}
          - {name: cat, type: concat, inputs: [skip, u]}
          - {type: conv, filters: "${f}", kernel: 1}
    layers:
      - {name: low, type: maxpool, kernel: 2}
      - {name: up1, type: up, inputs: [low, input]}
      - {name: up2, type: up, inputs: [low, input], f: 6}
      - {name: up3, type: up, inputs: [low, up1]}
    """))
    assert inputs_of(r, "up1.u") == ["low"]
    assert inputs_of(r, "up1.cat") == ["input", "up1.u"]
    assert inputs_of(r, "up2.cat") == ["input", "up2.u"]
    assert inputs_of(r, "up3.cat") == ["up1.conv_2", "up3.u"]
    assert r.graph.layers[-1].output == (16, 16, 4)


def test_named_inputs_replay_equals_expansion():
    text = spec("""
    blocks:
      mix:
        inputs: [a, b]
        layers:
          - {type: add, inputs: [a, b]}
          - {type: conv, filters: 8, kernel: 1}
    layers:
      - {name: p, type: conv, filters: 8, kernel: 1}
      - {name: m, type: mix, inputs: [input, p], repeat: 3}
      - {name: n, type: mix, inputs: [p, input]}
    """)
    r = ok(text)
    assert inputs_of(r, "m.0.add_0") == ["input", "p"]
    assert inputs_of(r, "m.2.add_0") == ["input", "p"]  # a repeated layer's explicit inputs: every time
    assert inputs_of(r, "n.add_0") == ["p", "input"]
    e = same_both_ways(load_text(text).data)[4]
    assert len(e.templates) == 1  # one recording: m.1, m.2 and n (its inputs swapped) replay it


def test_a_call_with_the_wrong_number_of_named_inputs_is_ns202():
    text = spec("""
    blocks:
      up:
        inputs: [x, skip]
        layers:
          - {type: concat, inputs: [x, skip]}
    layers:
      - {name: b, type: up}
      - {name: a, type: up, inputs: [input]}
      - {name: c, type: up, inputs: [input, input, input]}
    """)
    r = run(text)
    errs = [d for d in r.diagnostics if d.severity == "error"]
    assert [d.code for d in errs] == ["NS202"] * 3
    assert (errs[0].line, errs[0].column) == at(text, "up}")
    assert (errs[1].line, errs[1].column) == at(text, "[input]")
    assert errs[1].message == "a: block `up` takes 2 inputs (x, skip); the call passes 1"
    assert (errs[2].line, errs[2].column) == at(text, "[input, input, input]")


def test_repeated_or_reserved_input_names_are_ns104():
    text = spec("""
    blocks:
      up:
        inputs: [x, x]
        layers:
          - {type: add, inputs: [x, x]}
    layers:
      - {name: a, type: up, inputs: [input, input]}
    """)
    d = only_error(run(text), "NS104")
    assert (d.line, d.column) == at(text, "[x, x]")


def test_list_block_arguments_are_bounded_like_params():
    big = ", ".join(["1"] * 10_001)
    text = spec("""
    blocks:
      b:
        args: {ks: [1]}
        layers:
          - {type: relu}
    layers:
      - {name: call, type: b, ks: [%s]}
    """ % big)
    d = only_error(run(text), "NS104")
    assert (d.line, d.column) == at(text, "[1, 1,")
    assert "at most 10,000" in d.message
    text = spec("""
    blocks:
      b:
        args: {ks: [[1], 2]}
        layers:
          - {type: relu}
    layers:
      - {name: call, type: b}
    """)
    d = only_error(run(text), "NS104")
    assert (d.line, d.column) == at(text, "[[1], 2]")
    assert "list of lists" in d.message
