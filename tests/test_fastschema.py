"""netspec.fastschema must agree with jsonschema: a "valid" answer is trusted without jsonschema.

Differential tests: the same instance through both, for every layer type and for whole documents,
on hand-picked edge values (true vs 1, 1.0 as an integer, patterns, bounds, lists of the wrong
length) and on random combinations of them.
"""

from __future__ import annotations

import glob
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

jsonschema = pytest.importorskip("jsonschema")

from netspec.fastschema import FastChecks, Unsupported, compile_schema  # noqa: E402
from netspec.loader import load_text  # noqa: E402
from netspec.resources import schema  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT_SCHEMA = schema()
DEFS = ROOT_SCHEMA["$defs"]
FAST = FastChecks(ROOT_SCHEMA)
TYPES = sorted(FAST.types)


def _reference(name: str):
    """jsonschema's validator for $defs/<name>, with $defs/layer accepting anything (as netspec does)."""
    return jsonschema.Draft202012Validator({"$defs": dict(DEFS, layer=True), "$ref": f"#/$defs/{name}"})


def _doc_reference():
    root = dict(ROOT_SCHEMA)
    root["$defs"] = dict(DEFS, layer=True)
    return jsonschema.Draft202012Validator(root)


REF_LAYERS = {t: _reference(f"layer_{t}") for t in TYPES}
REF_CALL = _reference("layer_block_call")
REF_DOC = _doc_reference()

VALUES = [0, 1, 2, 3, -1, -2, 1.0, 2.5, -0.5, 0.0, True, False, None, "same", "valid", "relu", "relu6",
          "nearest", "bilinear", "", "x", "a-b", "1abc", "stem", "input", "${x}", "${2 * width}", "${", "$x}",
          [], [1], [1, 2], [2, 3, 4], [1, 2, 3, 4], [0, 0], [-1], [-1, "input"], ["a", "b"], [1, "${i}"],
          [1.0, 2], [True, 1], {}, {"a": 1}, "4.2M", "8MiB", 10**20, 1e300]
KEYS = sorted({k for t in TYPES for k in DEFS[f"layer_{t}"].get("properties", {})} | {"bogus", "filter", "units"})


def _agree(fast, ref, instance) -> None:
    want = not any(True for _ in ref.iter_errors(instance))
    assert fast(instance) == want, (instance, [e.message for e in ref.iter_errors(instance)])


@pytest.mark.parametrize("type_", TYPES)
def test_each_key_and_value_alone(type_):
    fast, ref = FAST.layer(type_), REF_LAYERS[type_]
    props = DEFS[f"layer_{type_}"].get("properties", {})
    for key in list(props) + ["bogus"]:
        for value in VALUES:
            layer = {"type": type_, key: value}
            for req in DEFS[f"layer_{type_}"].get("required", []):
                layer.setdefault(req, 3 if req != "inputs" else ["a", "b"])
            _agree(fast, ref, layer)


def test_block_call_keys_and_values():
    for key in ["name", "inputs", "repeat", "when", "note", "out", "expand", "stride"]:
        for value in VALUES:
            _agree(FAST.block_call, REF_CALL, {"type": "ir", key: value})
    _agree(FAST.block_call, REF_CALL, {})
    _agree(FAST.block_call, REF_CALL, {"type": 3})


layers = st.builds(
    lambda t, items: {"type": t, **dict(items)},
    st.sampled_from(TYPES + ["not_a_type"]),
    st.lists(st.tuples(st.sampled_from(KEYS), st.sampled_from(VALUES)), max_size=6),
)


@settings(max_examples=400, deadline=None)
@given(layers)
def test_random_layers(layer):
    t = layer["type"]
    if isinstance(t, str) and t in FAST.types:
        _agree(FAST.layer(t), REF_LAYERS[t], layer)
    _agree(FAST.block_call, REF_CALL, layer)


TOP_KEYS = ["netspec", "name", "description", "input", "batch", "dtype", "params", "blocks", "layers", "budget",
            "lint", "bogus"]
TOP_VALUES = VALUES + [
    {"height": 224, "width": 224, "channels": 3}, {"length": 10, "channels": 8}, {"channels": 1000},
    {"height": 0, "width": 2, "channels": 3}, {"height": "${h}", "width": 2, "channels": 3},
    {"width": 1.0, "classes": 10}, {"1bad": 1}, {"b": {"layers": [{"type": "relu"}]}},
    {"b": {"args": {"out": None}, "layers": []}}, {"b": {"args": {"type": 1}, "layers": [{"type": "relu"}]}},
    {"params": "3.6M", "maccs": 320000000}, {"params": "lots"}, {"per_layer": {"maccs": "60M"}},
    {"ignore": ["NS401"]}, {"ignore": ["X1"]}, "float16", "int4", [{"type": "relu"}],
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(TOP_KEYS), st.sampled_from(TOP_VALUES)), max_size=9))
def test_random_documents(items):
    doc = {"netspec": 1, "name": "n", "input": {"channels": 3}, "layers": [{"type": "relu"}]}
    doc.update(dict(items))
    _agree(FAST.doc, REF_DOC, doc)


def test_every_spec_in_the_repo():
    paths = glob.glob(os.path.join(ROOT, "specs", "**", "*.y*ml"), recursive=True)
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            data = load_text(fh.read()).data
        if not isinstance(data, dict):
            continue
        _agree(FAST.doc, REF_DOC, data)
        lists = [data.get("layers")] + [b.get("layers") for b in (data.get("blocks") or {}).values()
                                        if isinstance(b, dict)]
        for layers_ in lists:
            for layer in layers_ or []:
                if isinstance(layer, dict) and layer.get("type") in FAST.types:
                    _agree(FAST.layer(layer["type"]), REF_LAYERS[layer["type"]], layer)


def test_semantics_of_the_keywords():
    check = compile_schema({"type": "integer", "minimum": 1})
    assert check(1) and check(2.0) and not check(True) and not check(0) and not check(1.5) and not check("1")
    check = compile_schema({"const": 1})
    assert check(1) and check(1.0) and not check(True) and not check("1")
    check = compile_schema({"enum": [True]})
    assert check(True) and not check(1)
    check = compile_schema({"pattern": "b"})
    assert check("abc") and not check("xyz") and check(3)  # search, strings only
    check = compile_schema({"not": {"minItems": 3, "maxItems": 3}})
    assert check([1, 2]) and not check([1, 2, 3]) and not check("abc")  # the inner schema accepts a string
    check = compile_schema({"if": {"type": "string"}, "then": {"minLength": 2}, "else": {"type": "integer"}})
    assert check("ab") and not check("a") and check(3) and not check(3.5)
    check = compile_schema({"type": "array"})
    assert not check((1, 2))  # a tuple is not a JSON array for jsonschema either
    check = compile_schema({"minimum": 0})
    assert not check(__import__("decimal").Decimal(1))  # cannot judge exactly: defers
    with pytest.raises(Unsupported):
        compile_schema({"uniqueItems": True})
    with pytest.raises(Unsupported):
        compile_schema({"$ref": "http://example.com/schema"})
