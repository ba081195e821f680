"""Stage 2: the JSON Schema and netspec.validate.

Every expected code and position below is written by hand from the YAML next to it (lines and
columns are 1-based; a flow or block mapping key starts where its first character is).
"""

from __future__ import annotations

import importlib.util
import json
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from netspec.loader import load_text
from netspec.resources import schema, schema_text
from netspec.validate import layer_types, validate

REPO = Path(__file__).resolve().parent.parent
SPEC_FORMAT_CANDIDATES = (
    REPO / "docs" / "spec-format.md",
    REPO / "spec-format.md",
    REPO.parent / "shared" / "reference" / "spec-format.md",
)

HEAD = """\
netspec: 1
name: t
input: {height: 32, width: 32, channels: 3}
"""  # three lines: whatever follows starts on line 4


def diagnose(text: str):
    loaded = load_text(text)
    assert loaded.diagnostics == [], loaded.diagnostics  # these tests are about stage 2 only
    return validate(loaded.data)


def where(diags):
    return [(d.code, d.line, d.column) for d in diags]


# --- the schema itself --------------------------------------------------------------------------

def test_schema_is_valid_draft_2020_12():
    s = json.loads(schema_text())
    Draft202012Validator.check_schema(s)
    assert s["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert s["$id"] and s["title"] and s["description"]


@pytest.mark.skipif(importlib.util.find_spec("netspec.cli") is None, reason="the CLI is not written yet")
def test_cli_schema_command_prints_a_valid_schema():
    out = subprocess.run([sys.executable, "-m", "netspec", "schema"], cwd=REPO, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    printed = json.loads(out.stdout)
    Draft202012Validator.check_schema(printed)
    assert printed == schema()


def _walk_properties(node, where="#"):
    """Yield (pointer, name, subschema) for every entry of every `properties`, except in `if` conditions."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "if":
                continue
            if key == "properties" and isinstance(value, dict):
                for name, sub in value.items():
                    yield f"{where}/properties/{name}", name, sub
                    yield from _walk_properties(sub, f"{where}/properties/{name}")
            else:
                yield from _walk_properties(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _walk_properties(item, f"{where}/{i}")


def test_every_property_has_a_description():
    missing = [ptr for ptr, _, sub in _walk_properties(schema())
               if not (isinstance(sub, dict) and sub.get("description"))]
    assert missing == []


def test_layer_defs_and_dispatcher():
    defs = schema()["$defs"]
    common = {"type", "name", "inputs", "repeat", "when", "activation", "batchnorm", "bias", "note"}
    expected = {"conv", "depthwise", "separable", "deconv", "dense", "maxpool", "avgpool", "global_avgpool",
                "global_maxpool", "flatten", "batchnorm", "layernorm", "relu", "relu6", "leaky_relu", "sigmoid",
                "tanh", "swish", "hswish", "hsigmoid", "gelu", "softmax", "dropout", "identity", "add",
                "multiply", "concat", "upsample", "channel_shuffle", "slice", "crop", "pad", "adaptive_avgpool",
                "adaptive_maxpool", "groupnorm", "mish", "prelu", "elu", "softplus", "hardtanh"}
    expected |= {"silu", "glu", "rmsnorm", "layer_scale", "to_sequence", "to_image", "space_to_depth",
                 "depth_to_space", "embedding", "position_embedding", "class_token", "attention"}  # issue 14
    expected |= {"lstm", "gru", "rnn"}  # issue 15, recurrent
    assert layer_types() == frozenset(expected)
    for t in expected:
        d = defs[f"layer_{t}"]
        assert d["type"] == "object" and d["additionalProperties"] is False
        assert common <= set(d["properties"]), t
        assert "type" in d["required"]
    dispatched = [branch["then"]["$ref"] for branch in defs["layer"]["allOf"]]
    assert sorted(dispatched[:-1]) == sorted(f"#/$defs/layer_{t}" for t in expected)
    assert dispatched[-1] == "#/$defs/layer_block_call"


def test_the_op_registry_and_the_schema_agree():
    ops = pytest.importorskip("netspec.ops")
    from netspec.ops.base import REQUIRED

    defs = schema()["$defs"]
    common = set(defs["layer_conv"]["properties"]) - {"filters", "kernel", "stride", "padding", "dilation", "groups"}
    assert set(ops.REGISTRY) == set(layer_types())
    for t, op in ops.REGISTRY.items():
        d = defs[f"layer_{t}"]
        declared = {a.name for a in op.attrs}
        own = set(d["properties"]) - (common - declared)  # rnn declares `activation`, its cell's own
        assert declared == own, t
        required = {a.name for a in op.attrs if a.default is REQUIRED}
        assert required == set(d["required"]) - {"type", "inputs"}, t


def test_netspec_validate_does_not_import_jsonschema():
    code = "import sys, netspec.validate; print('jsonschema' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr


# --- valid specs -------------------------------------------------------------------------------

WHOLE_SPEC = """\
netspec: 1                      # format version, required
name: mobilenet_v2              # required, [a-z0-9_.-]+
description: MobileNetV2 (Sandler et al. 2018, Table 2)   # optional free text
input: {height: 224, width: 224, channels: 3}   # an image; or {length: 197, channels: 768}; or {channels: 1000}
batch: 1                        # optional, default 1; every cost scales with it
dtype: float32                  # optional: float32 (default), float16, bfloat16, int8 — bytes per element
params:                         # optional variables, usable in ${...} expressions
  width: 1.0
blocks:                         # optional reusable sub-networks
  inverted_residual:
    args: {expand: 6, out: null, stride: 1}    # defaults; null = the caller must give it
    layers:
      - {type: conv, filters: "${in_channels * expand}", kernel: 1, batchnorm: true, activation: relu6, when: "${expand != 1}"}
      - {type: depthwise, kernel: 3, stride: "${stride}", batchnorm: true, activation: relu6}
      - {type: conv, filters: "${make_divisible(out * width, 8)}", kernel: 1, batchnorm: true}
      - {type: add, inputs: [-1, input], when: "${stride == 1 and in_channels == make_divisible(out * width, 8)}"}
layers:
  - {name: stem, type: conv, filters: "${make_divisible(32 * width, 8)}", kernel: 3, stride: 2, batchnorm: true, activation: relu6}
  - {type: inverted_residual, expand: 1, out: 16}
  - {type: inverted_residual, out: 24, stride: "${2 if i == 0 else 1}", repeat: 2}
  # ...
  - {type: global_avgpool}
  - {type: dense, units: 1000}
budget:                         # optional; the same keys can come from the command line
  params: 3.6M
  maccs: 320M
  memory_accesses: 450M
  peak_activation_memory: 8MiB
  per_layer: {maccs: 60M}
"""


def test_whole_spec_example_validates():
    assert diagnose(WHOLE_SPEC) == []


def test_every_yaml_example_of_the_format_document_validates():
    doc = next((p for p in SPEC_FORMAT_CANDIDATES if p.is_file()), None)
    if doc is None:
        pytest.skip("spec-format.md is not available here")
    examples = re.findall(r"```yaml\n(.*?)```", doc.read_text(encoding="utf-8"), re.S)
    assert examples, "no ```yaml example found"
    for example in examples:
        assert diagnose(example) == [], example


def test_every_kind_of_input_and_layer_validates():
    text = """\
netspec: 1
name: all.layers-1
input: {height: "${h}", width: 64, channels: 3}
batch: 8
dtype: bfloat16
params: {h: 64, flag: true, label: x, nothing: null}
lint: {ignore: [NS401, NS404]}
layers:
  - {type: conv, filters: 32, kernel: [3, 5], stride: 2, padding: [1, 2, 1, 2], dilation: 1, groups: 1, bias: false}
  - {type: depthwise, kernel: 3, stride: [1, 2], padding: valid, dilation: [1, 1], multiplier: 2, batchnorm: true}
  - {type: separable, filters: 64, kernel: 3, stride: 1, padding: 1, dilation: 2, activation: swish}
  - {type: deconv, filters: 16, kernel: 4, stride: 2, padding: same, output_padding: [0, 1], dilation: 1}
  - {type: deconv, filters: 16, kernel: 4, output_padding: 1}
  - {type: maxpool, kernel: 2, stride: 2, padding: [0, 0], ceil_mode: true}
  - {type: avgpool, kernel: [2, 2], ceil_mode: "${h > 32}"}
  - {type: upsample, scale: 2, mode: bilinear}
  - {type: upsample, scale: 1.5}
  - {type: batchnorm}
  - {type: layernorm}
  - {type: relu}
  - {type: relu6}
  - {type: leaky_relu}
  - {type: sigmoid}
  - {type: tanh}
  - {type: swish}
  - {type: hswish}
  - {type: hsigmoid}
  - {type: gelu}
  - {type: softmax}
  - {type: dropout, rate: 0.2}
  - {type: dropout}
  - {type: identity, name: skip, note: keeps the shape}
  - {type: add, inputs: [-1, skip]}
  - {type: multiply, inputs: [-1, -2, -3]}
  - {type: concat, inputs: [skip, -1], repeat: 3, when: true}
  - {type: channel_shuffle, groups: "${h // 16}"}
  - {type: global_avgpool}
  - {type: global_maxpool, inputs: -2}
  - {type: flatten, inputs: skip}
  - {type: dense, units: 1e3}
  - {type: dense, units: 32.0, activation: softmax}
budget:
  params: 4.2M
  maccs: 569M
  flops: 1.5G
  memory_accesses: 800K
  compulsory_bytes: 16MB
  weight_bytes: 512KiB
  peak_activation_memory: 8 MiB
  per_layer: {params: 12, maccs: 1000000, flops: 2.5e6, memory_accesses: "1.5GB", compulsory_bytes: 100B,
              weight_bytes: 1TiB}
"""
    assert diagnose(text) == []
    assert diagnose(HEAD.replace("{height: 32, width: 32, channels: 3}", "{length: 197, channels: 768}")
                    + "layers: [{type: dense, units: 10}]\n") == []
    assert diagnose(HEAD.replace("{height: 32, width: 32, channels: 3}", "{channels: 1000}")
                    + "layers: [{type: dense, units: 10}]\n") == []


# --- broken specs: exact code and position ------------------------------------------------------

def test_typo_key_is_ns101_at_the_key():
    diags = diagnose(HEAD + """\
layers:
  - type: conv
    filter: 16
    kernel: 3
""")
    # line 6: `    filter: 16` (`filter` at column 5); the missing `filters` is not reported a second time
    assert where(diags) == [("NS101", 6, 5)]
    assert "unknown key `filter` in a conv layer (did you mean `filters`?)" == diags[0].message
    assert diags[0].path == "layers[0].filter"


def test_missing_key_without_a_close_typo_is_ns102_at_the_type():
    diags = diagnose(HEAD + """\
layers:
  - type: conv
    kernel: 3
""")
    # line 5: `  - type: conv` (`type` at column 5)
    assert where(diags) == [("NS102", 5, 5)]
    assert diags[0].message == "conv layer is missing `filters`"


def test_typo_key_in_a_flow_mapping():
    #               col: 1234567890123456789012345
    diags = diagnose(HEAD + "layers:\n  - {type: conv, filter: 32, kernel: 3}\n")
    assert ("NS101", 5, 18) in where(diags)


def test_missing_filters_is_ns102_at_the_type_key():
    diags = diagnose(HEAD + """\
layers:
  - type: conv
    kernel: 3
""")
    assert where(diags) == [("NS102", 5, 5)]
    assert "`filters`" in diags[0].message


def test_negative_kernel_is_ns104():
    diags = diagnose(HEAD + """\
layers:
  - type: conv
    filters: 8
    kernel: -3
""")
    # `    kernel: ` is 12 characters: the value starts at column 13
    assert where(diags) == [("NS104", 7, 13)]
    assert diags[0].message == "`kernel` must be >= 1, got -3"
    assert diags[0].path == "layers[0].kernel"


def test_wrong_type_is_ns103():
    diags = diagnose(HEAD + """\
layers:
  - type: dense
    units: [10]
""")
    assert where(diags) == [("NS103", 6, 12)]
    assert "got a list" in diags[0].message


def test_unknown_layer_type_is_ns105_at_the_type_value():
    diags = diagnose(HEAD + """\
layers:
  - type: conb
    filters: 8
""")
    assert where(diags) == [("NS105", 5, 11)]
    assert diags[0].message == "unknown layer type 'conb' (did you mean 'conv'?)"


def test_bad_quantity_is_ns106():
    diags = diagnose(HEAD + """\
layers: [{type: relu}]
budget:
  maccs: 4.2Q
""")
    assert where(diags) == [("NS106", 6, 10)]
    assert diags[0].message.startswith("`maccs`: '4.2Q' is not a quantity")


def test_yaml11_boolean_kernel_is_ns103_with_a_hint():
    diags = diagnose(HEAD + """\
layers:
  - type: conv
    filters: 8
    kernel: yes
""")
    assert where(diags) == [("NS103", 7, 13)]
    assert "got the string 'yes'" in diags[0].message
    assert "YAML 1.1 booleans are plain strings in netspec; write true/false" in diags[0].message


def test_yaml11_boolean_in_a_boolean_field():
    diags = diagnose(HEAD + "layers:\n  - {type: maxpool, kernel: 2, ceil_mode: On}\n")
    # `  - {type: maxpool, kernel: 2, ceil_mode: ` is 42 characters
    assert where(diags) == [("NS103", 5, 43)]
    assert "write true/false" in diags[0].message


BLOCK_SPEC = HEAD + """\
blocks:
  inverted_residual:
    args: {expand: 6, out: null}
    layers:
      - {type: conv, filters: "${out * expand}", kernel: 1}
layers:
"""  # the layers start on line 10


def test_unknown_block_argument_is_ns101_at_the_key():
    diags = diagnose(BLOCK_SPEC + """\
  - type: inverted_residual
    out: 16
    activation: relu
""")
    assert where(diags) == [("NS101", 12, 5)]
    assert diags[0].message.startswith("block 'inverted_residual' has no argument 'activation'")


def test_missing_required_block_argument_is_ns102_at_the_type_key():
    diags = diagnose(BLOCK_SPEC + """\
  - type: inverted_residual
    expand: 4
""")
    assert where(diags) == [("NS102", 10, 5)]
    assert "`out`" in diags[0].message


def test_block_named_like_a_layer_type_is_ns104():
    diags = diagnose(HEAD + """\
blocks:
  conv:
    layers: [{type: relu}]
layers: [{type: relu}]
""")
    assert where(diags) == [("NS104", 5, 3)]


def test_misspelled_budget_keys_are_ns101():
    diags = diagnose(HEAD + """\
layers: [{type: relu}]
budget:
  macc: 1M
  per_layer: {param: 10K}
""")
    assert where(diags) == [("NS101", 6, 3), ("NS101", 7, 15)]
    assert "did you mean `maccs`" in diags[0].message
    assert "did you mean `params`" in diags[1].message


def test_top_level_problems():
    diags = diagnose("""\
netspec: 2
name: MobileNet
input: {height: 224, chanels: 3}
layer: []
""")
    # A misspelt key close to a missing required one is one mistake: reported once, as NS101 with
    # the hint, not also as NS102 (`channels`) -- except the spec's own header keys, which are also
    # NS102 at the top (issue 12: without them nothing else can be checked).
    assert where(diags) == [
        ("NS102", 1, 1),    # the spec is missing `layers`
        ("NS104", 1, 10),   # netspec: 2
        ("NS104", 2, 7),    # name pattern
        ("NS102", 3, 8),    # image input is missing `width`
        ("NS101", 3, 22),   # chanels
        ("NS101", 4, 1),    # layer (did you mean `layers`?)
    ]
    assert "missing `layers`" in diags[0].message
    assert "did you mean `channels`" in diags[4].message
    assert "did you mean `layers`" in diags[5].message


def test_three_independent_errors_are_all_reported():
    diags = diagnose(HEAD + """\
layers:
  - {type: conv, filters: 8, kernel: 3, strid: 2}
  - {type: relu}
  - {type: maxpol, kernel: 2}
budget: {params: 4.2Q}
""")
    assert where(diags) == [("NS101", 5, 41), ("NS105", 7, 12), ("NS106", 8, 18)]


def test_every_problem_once_sorted_by_position():
    diags = diagnose(HEAD + """\
layers:
  - {type: add, inputs: [-1]}
  - {type: conv, filters: 0, kernel: [3, 0, 1], padding: full, activation: relu7}
  - {type: upsample, scale: -2}
  - {type: dropout, rate: 1.5}
  - {type: concat}
  - {type: dense, units: 4, inputs: [x, 0]}
  - 7
  - {name: nameless}
lint: {ignore: [NS4]}
""")
    assert where(diags) == [
        ("NS104", 5, 25),   # inputs needs two or more
        ("NS104", 6, 27),   # filters >= 1
        ("NS104", 6, 38),   # kernel has three items
        ("NS104", 6, 42),   # ... and its second is 0
        ("NS104", 6, 58),   # padding: full
        ("NS104", 6, 76),   # activation: relu7
        ("NS104", 7, 29),   # scale > 0
        ("NS104", 8, 27),   # rate <= 1
        ("NS102", 9, 6),    # concat is missing inputs
        ("NS104", 10, 41),  # inputs[1] = 0
        ("NS103", 11, 5),   # a layer that is not a mapping
        ("NS102", 12, 5),   # a layer without type
        ("NS104", 13, 17),  # lint code
    ]
    keys = [(d.code, d.line, d.column, d.message) for d in diags]
    assert len(keys) == len(set(keys))


def test_integral_floats_are_integers_and_other_floats_are_not():
    assert diagnose(HEAD + "layers: [{type: conv, filters: 1e2, kernel: 3.0}]\n") == []
    diags = diagnose(HEAD + "layers: [{type: conv, filters: 8, kernel: 3.5}]\n")
    assert where(diags) == [("NS103", 4, 43)]


def test_quantities():
    good = ["4.2M", "569M", "1.5G", "800K", "12", "8MiB", "16MB", "512KiB", "1.5GB", "100B", "2 T", "1TiB", "0"]
    bad = ["4.2Q", "M", "1.5 GiBs", "-1M", "1e6M", "8mib", ""]
    for q in good:
        assert diagnose(HEAD + f"layers: [{{type: relu}}]\nbudget: {{maccs: '{q}'}}\n") == [], q
    for q in bad:
        assert [d.code for d in diagnose(HEAD + f"layers: [{{type: relu}}]\nbudget: {{maccs: '{q}'}}\n")] \
            == ["NS106"], q
    assert [d.code for d in diagnose(HEAD + "layers: [{type: relu}]\nbudget: {params: -1}\n")] == ["NS106"]


# --- the fast path agrees with the editor-facing schema -------------------------------------------

_VALUES = [0, 1, 2, -1, -3, 1.0, 2.5, 1e6, True, False, None, "yes", "same", "valid", "full", "relu6", "x",
           "${k}", "${k", [], [1], [2, 3], [0, 1], [1, 2, 3], [0, 0, 1, 1], ["${k}", 2], ["a", -1], {"a": 1}]
_KEYS = ["filters", "kernel", "stride", "padding", "dilation", "groups", "multiplier", "units", "output_padding",
         "ceil_mode", "rate", "scale", "mode", "inputs", "repeat", "when", "activation", "batchnorm", "bias",
         "note", "name", "filter"]


_BASE = {"netspec": 1, "name": "t", "input": {"height": 32, "width": 32, "channels": 3}}


def _fast_ok(layer) -> bool:
    return validate(dict(_BASE, layers=[layer])) == []


def _enum(prop: dict, default: list) -> list:
    """An enum attribute's allowed strings (its own `enum`, or the enum branch of enum-or-expression)."""
    for branch in [prop, *prop.get("anyOf", [])]:
        if "enum" in branch:
            return branch["enum"]
    return default


def test_fast_path_agrees_with_the_full_schema():
    """validate() checks layers through a ref-inlined copy of `$defs/layer_<type>`; it must accept and
    refuse exactly what the editor-facing schema (the `$defs/layer` dispatcher, with its `$ref`s) does."""
    defs = schema()["$defs"]
    rng = random.Random(20240611)
    types = sorted(layer_types())
    dispatcher = Draft202012Validator({"$ref": "#/$defs/layer", "$defs": defs})
    for _ in range(300):
        t = rng.choice(types)
        layer = {"type": t}
        for key in rng.sample(_KEYS, rng.randint(0, 4)):
            layer[key] = rng.choice(_VALUES)
        assert _fast_ok(layer) == dispatcher.is_valid(layer), layer
    checked = 0
    common = ["inputs", "repeat", "when", "activation", "batchnorm", "bias", "note", "name"]
    for t in types:
        direct = Draft202012Validator({"$ref": f"#/$defs/layer_{t}", "$defs": defs})
        own = defs[f"layer_{t}"]
        # a valid value for each required key: an enum's first string, else 2
        base = {"type": t, **{k: _enum(own["properties"][k], [2])[0] for k in own["required"] if k != "type"}}
        if "inputs" in base:
            base["inputs"] = [-1, -2]
        assert _fast_ok(base) and direct.is_valid(base), base
        keys = [k for k in own["properties"] if k not in common and k != "type"]
        keys += rng.sample(common, 3) + ["filter"]
        for key in keys:
            for value in _VALUES:
                layer = dict(base, **{key: value})
                assert _fast_ok(layer) == direct.is_valid(layer), layer
                checked += 1
    assert checked > 2_000


# --- scale ----------------------------------------------------------------------------------------

def test_ten_thousand_layers():
    kinds = [
        "{type: conv, filters: %d, kernel: 3, stride: 2, batchnorm: true, activation: relu6}",
        "{type: depthwise, kernel: 3, stride: [1, 1], padding: same, note: n%d}",
        "{type: dense, units: %d, activation: gelu}",
        "{type: add, inputs: [-1, -3], name: a%d}",
        "{type: maxpool, kernel: 2, padding: [0, 1, 0, %d]}",
        "{type: relu, note: r%d}",
    ]
    lines = [f"  - {kinds[i % len(kinds)] % (i + 1)}" for i in range(10_000)]
    # 9,999 distinct valid layers, and one mistake at the very end: exactly that one is reported
    lines[9_999] = "  - {type: conv, filters: 8, kernel: 0}"
    diags = diagnose(HEAD + "layers:\n" + "\n".join(lines) + "\n")
    assert where(diags) == [("NS104", 5 + 9_999, 38)]
    assert diags[0].path == "layers[9999].kernel"
