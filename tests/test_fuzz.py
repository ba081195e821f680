"""Fuzzing the CLI with mutated specs: whatever the input, `netspec check` ends with exit 0, 1 or 2,
prints a `file:line:col: error[NSxxx]` line whenever it does not pass, and never raises, crashes
(NS000) or prints a traceback.

Mutations start from a few small valid specs written below: at the data level (delete keys, swap
values for ones of other types or hostile ones, splice in layers, duplicate, reorder) and at the
byte level (corrupt, insert, delete, truncate, shuffle lines). The runs are seeded
(`derandomize=True`) so every run tries the same examples: 2,100 in all, well under a minute.
"""

from __future__ import annotations

import copy
import io
import math
import re
from contextlib import redirect_stderr, redirect_stdout

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonwalk import strict_loads
from jsonwalk import values as json_values

SEEDS = {
    "cnn": """\
netspec: 1
name: fuzz_cnn
description: a small image network with every feature
input: {height: 32, width: 32, channels: 3}
batch: 2
dtype: float16
params:
  width: 1.0
  deep: true
blocks:
  ir:
    args: {expand: 4, out: null, stride: 1}
    layers:
      - {type: conv, filters: "${in_channels * expand}", kernel: 1, batchnorm: true, activation: relu6, when: "${expand != 1}"}
      - {name: dw, type: depthwise, kernel: 3, stride: "${stride}", batchnorm: true, activation: relu6}
      - {type: conv, filters: "${make_divisible(out * width, 8)}", kernel: 1, batchnorm: true}
      - {type: add, inputs: [-1, input], when: "${stride == 1 and in_channels == make_divisible(out * width, 8)}"}
layers:
  - {name: stem, type: conv, filters: "${make_divisible(16 * width, 8)}", kernel: 3, stride: 2, padding: same}
  - {type: ir, expand: 1, out: 16}
  - {name: stage, type: ir, out: 24, stride: "${2 if i == 0 else 1}", repeat: 2}
  - {type: maxpool, kernel: [2, 2], ceil_mode: true}
  - {type: conv, filters: 32, kernel: [3, 1], dilation: 2, padding: [2, 2, 0, 0], groups: 8, when: "${deep}"}
  - {type: concat, inputs: [-1, -2]}
  - {type: global_avgpool}
  - {type: dropout, rate: 0.2}
  - {type: dense, units: 10, note: classifier}
budget:
  params: 1M
  maccs: 100M
  peak_activation_memory: 4MiB
  per_layer: {maccs: 50M}
""",
    "sequence": """\
netspec: 1
name: fuzz_seq
input: {length: 16, channels: 32}
params: {hidden: 64}
layers:
  - {name: proj, type: dense, units: "${hidden}"}
  - {type: layernorm}
  - {type: dense, units: "${hidden * 2}", activation: gelu}
  - {type: dense, units: "${hidden}"}
  - {type: add, inputs: [-1, proj]}
  - {type: global_maxpool}
  - {type: dense, units: 4, bias: false}
  - {type: softmax}
""",
    "mlp": """\
netspec: 1
name: fuzz_mlp
input: {channels: 100}
layers:
  - {type: dense, units: 64, activation: relu}
  - {type: batchnorm}
  - {type: dense, units: 64, repeat: 3, activation: swish}
  - {type: multiply, inputs: [-1, -2]}
  - {type: dense, units: 10}
""",
    "unet": """\
netspec: 1
name: fuzz_unet
input: {height: 16, width: 16, channels: 1}
layers:
  - {name: down, type: conv, filters: 8, kernel: 3, stride: 2, activation: leaky_relu}
  - {type: avgpool, kernel: 2, stride: 1, padding: valid}
  - {type: deconv, filters: 8, kernel: 3, stride: 2, output_padding: 1}
  - {type: upsample, scale: 2, mode: bilinear}
  - {type: separable, filters: 8, kernel: 3}
  - {type: identity}
  - {type: flatten}
""",
}

# Values a hostile or careless spec might put anywhere.
NASTY = [
    None, True, False, 0, -1, 1, 3, 2**31, 2**63 - 1, 2**63, 2**64, -(2**63), 10**30, 31.5, -0.0, 1e-300, 1e308,
    math.nan, math.inf, -math.inf, "", "abc", "same", "valid", "relu", "input", "-1", "x" * 2000,
    "${nope}", "${1/0}", "${2**2**40}", "${().__class__}", "${in_channels * 1000000}", "${i}", "${width}",
    "${}", "${" + "(" * 150 + "1" + ")" * 150 + "}", "${" + "1+" * 600 + "1}", "${-1}", "${31.5}", "${True}",
    "${in_height // 0}", "${max(1)}", "${make_divisible(1e308)}", "9" * 50, "\x1b[2J", "a\nb", "🙂",
    [], [1, 2, 3], [-1, -2], ["input", -1], [0], {}, {"a": 1}, {"type": "relu"},
]
LAYER_TYPES = ["conv", "depthwise", "separable", "deconv", "dense", "maxpool", "avgpool", "global_avgpool",
               "global_maxpool", "flatten", "batchnorm", "layernorm", "relu", "relu6", "leaky_relu", "sigmoid",
               "tanh", "swish", "hswish", "hsigmoid", "gelu", "softmax", "add", "multiply", "concat", "upsample",
               "dropout", "identity", "ir", "nonexistent"]
LAYER_KEYS = ["name", "inputs", "repeat", "when", "activation", "batchnorm", "bias", "note", "filters", "kernel",
              "stride", "padding", "dilation", "groups", "multiplier", "output_padding", "units", "ceil_mode",
              "scale", "mode", "rate", "expand", "out"]

scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12))
values = st.one_of(st.sampled_from(NASTY), scalars,
                   st.lists(scalars, max_size=4), st.dictionaries(st.text(max_size=6), scalars, max_size=3))
layers = st.fixed_dictionaries({"type": st.sampled_from(LAYER_TYPES)},
                               optional={k: values for k in LAYER_KEYS[:12]})

DIAGNOSTIC = re.compile(r"^.+:\d+:\d+: (error|warning)\[NS\d{3}\] ", re.M)
FUZZ = settings(derandomize=True, database=None, deadline=None, print_blob=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much, HealthCheck.large_base_example])
RUNS: dict[str, int] = {}  # test -> examples run, for test_example_count


@pytest.fixture(scope="module")
def spec_path(tmp_path_factory):
    return str(tmp_path_factory.mktemp("fuzz") / "spec.yaml")


def run_check(path: str, *extra: str) -> tuple[int, str, str]:
    from netspec.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = None
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main(["check", path, *extra])
        except SystemExit as exc:
            code = exc.code
    return code, out.getvalue(), err.getvalue()


def check(path: str, data: bytes, test: str) -> None:
    RUNS[test] = RUNS.get(test, 0) + 1
    with open(path, "wb") as fh:
        fh.write(data)
    code, out, err = run_check(path)
    text = out + err
    assert code in (0, 1, 2), (code, text[:2000])
    assert "Traceback" not in text and "NS000" not in text and "internal error" not in text, text[:2000]
    if code != 0:
        assert DIAGNOSTIC.search(out) or DIAGNOSTIC.search(err), (code, text[:2000])
    else:
        assert "error[NS" not in out, out[:2000]


_TREES: dict = {}
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def seed_tree(name: str):
    if name not in _TREES:
        _TREES[name] = yaml.safe_load(SEEDS[name])
    return copy.deepcopy(_TREES[name])


def dump(tree) -> bytes:
    return yaml.dump(tree, Dumper=_DUMPER, sort_keys=False, allow_unicode=True, width=10**6).encode("utf-8")


def nodes(tree, path=()):
    """Every (container, key) pair below tree, the path first."""
    out = []
    if isinstance(tree, dict):
        for k in list(tree):
            out.append((tree, k))
            out += nodes(tree[k], path + (k,))
    elif isinstance(tree, list):
        for i in range(len(tree)):
            out.append((tree, i))
            out += nodes(tree[i], path + (i,))
    return out


def test_seeds_are_valid(spec_path):
    for name, text in SEEDS.items():
        with open(spec_path, "w", encoding="utf-8") as fh:
            fh.write(text)
        code, out, err = run_check(spec_path)
        assert code == 0 and "error[" not in out, (name, out, err)


@settings(FUZZ, max_examples=700)
@given(data=st.data())
def test_mutated_values(spec_path, data):
    """Delete keys, replace values by ones of other types (or hostile ones), rename keys."""
    tree = seed_tree(data.draw(st.sampled_from(sorted(SEEDS)), label="seed"))
    for _ in range(data.draw(st.integers(1, 4), label="mutations")):
        where = nodes(tree)
        if not where:
            break
        container, key = data.draw(st.sampled_from(where), label="node")
        op = data.draw(st.sampled_from(["delete", "replace", "replace", "rename"]), label="op")
        if op == "delete":
            del container[key]
        elif op == "replace":
            container[key] = data.draw(values, label="value")
        elif isinstance(container, dict):
            new = data.draw(st.one_of(st.sampled_from(LAYER_KEYS + ["layers", "input", "blocks", "<<"]),
                                      st.text(max_size=8)), label="new key")
            container[new] = container.pop(key)
    check(spec_path, dump(tree), "values")


@settings(FUZZ, max_examples=300)
@given(data=st.data())
def test_spliced_layers(spec_path, data):
    """Splice in random layers, duplicate and reorder layers (of the network or of a block)."""
    tree = seed_tree(data.draw(st.sampled_from(sorted(SEEDS)), label="seed"))
    lists = [tree["layers"]] + [b["layers"] for b in (tree.get("blocks") or {}).values()]
    for _ in range(data.draw(st.integers(1, 4), label="mutations")):
        target = data.draw(st.sampled_from(lists), label="list")
        op = data.draw(st.sampled_from(["splice", "duplicate", "reorder", "move"]), label="op")
        if op == "splice":
            at = data.draw(st.integers(0, len(target)), label="at")
            target.insert(at, data.draw(layers, label="layer"))
        elif op == "duplicate" and target:
            i = data.draw(st.integers(0, len(target) - 1), label="i")
            target.insert(i, dict(target[i]) if isinstance(target[i], dict) else target[i])
        elif op == "reorder":
            target[:] = data.draw(st.permutations(target), label="order")
        elif target:
            i = data.draw(st.integers(0, len(target) - 1), label="from")
            target.insert(data.draw(st.integers(0, len(target) - 1), label="to"), target.pop(i))
    check(spec_path, dump(tree), "layers")


INTERESTING = [b"\x00", b"\xff", b"\xfe", b"\xc3", b"\xef\xbb\xbf", b"\r", b"\r\n", b"\t", b"\n", b" ", b"{", b"}",
               b"[", b"]", b",", b":", b"- ", b"#", b"'", b'"', b"&a ", b"*a", b"!!python/object ", b"!x ", b"---\n",
               b"...\n", b"? ", b"|", b">", b"%YAML 1.1\n", b"${", b"}", b"<<: ", b"9" * 40, b"-", b".nan", b"\x1b",
               b"\xe2\x80\xa8", b"\x85", b"\\", b"@", b"`"]


@settings(FUZZ, max_examples=800)
@given(data=st.data())
def test_corrupted_bytes(spec_path, data):
    """Corrupt the YAML text itself: bytes replaced, inserted or deleted, lines duplicated or swapped,
    the file cut short."""
    raw = bytearray(SEEDS[data.draw(st.sampled_from(sorted(SEEDS)), label="seed")].encode("utf-8"))
    for _ in range(data.draw(st.integers(1, 6), label="mutations")):
        op = data.draw(st.sampled_from(["replace", "insert", "delete", "truncate", "lines"]), label="op")
        pos = data.draw(st.integers(0, max(len(raw) - 1, 0)), label="pos")
        chunk = data.draw(st.one_of(st.sampled_from(INTERESTING), st.binary(min_size=1, max_size=4)), label="bytes")
        if op == "replace" and raw:
            raw[pos:pos + len(chunk)] = chunk
        elif op == "insert":
            raw[pos:pos] = chunk
        elif op == "delete":
            del raw[pos:pos + data.draw(st.integers(1, 40), label="n")]
        elif op == "truncate":
            del raw[pos:]
        else:
            lines = raw.split(b"\n")
            i, j = (data.draw(st.integers(0, len(lines) - 1), label=k) for k in ("i", "j"))
            if data.draw(st.booleans(), label="swap"):
                lines[i], lines[j] = lines[j], lines[i]
            else:
                lines.insert(j, lines[i])
            raw = bytearray(b"\n".join(lines))
    check(spec_path, bytes(raw), "bytes")


INT64 = 2**63 - 1


@settings(FUZZ, max_examples=300)
@given(data=st.data())
def test_json_report_stays_64_bit(spec_path, data):
    """With -f json the report is strict JSON whose integers all fit a signed 64-bit integer (NS215)."""
    tree = seed_tree(data.draw(st.sampled_from(sorted(SEEDS)), label="seed"))
    where = [(c, k) for c, k in nodes(tree) if not isinstance(c[k], (dict, list))]
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        container, key = data.draw(st.sampled_from(where), label="node")
        container[key] = data.draw(st.one_of(st.sampled_from([2**31, 2**40, 10**9, 3037000500, 2**62, 2**63 - 1, 2**63]),
                                             values), label="value")
    RUNS["json"] = RUNS.get("json", 0) + 1
    with open(spec_path, "wb") as fh:
        fh.write(dump(tree))
    code, out, err = run_check(spec_path, "-f", "json")
    assert code in (0, 1, 2) and "Traceback" not in out + err and "NS000" not in out + err, (out + err)[:2000]
    report = strict_loads(out)  # strict JSON: no NaN or Infinity either
    for n in json_values(report, int):
        assert -INT64 - 1 <= n <= INT64, n
    if code != 0:
        assert any(f["diagnostics"] for f in report["files"])


def test_example_count():
    """The four fuzz tests above ran 2,100 examples (when they all ran in this session)."""
    if set(RUNS) != {"values", "layers", "bytes", "json"}:
        pytest.skip("run the whole file to count the examples")
    assert sum(RUNS.values()) >= 2000, RUNS
