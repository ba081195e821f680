"""netspec.analyze(): paths, YAML text, loaded and plain dicts, param overrides, SpecError.

Expected figures are computed by hand from the cost model (docs: cost-model.md), not taken from
the tool's output:

  input 8x8x3
  c1  conv 3x3, 4 filters, pad same, bias   params 3*3*3*4 + 4 = 112
                                             MACCs  (3*3*3) * (8*8*4) = 27 * 256 = 6,912
                                             FLOPs  (2*27 - 1 + 1) * 256 = 13,824   output 8x8x4
  relu                                       0 params, 0 MACCs, 1 FLOP per element = 256
  pool global_avgpool                        0 MACCs, H*W adds/divide per channel = 64 * 4 = 256  -> 4
  fc  dense 4 -> 10, bias                    params 4*10 + 10 = 50, MACCs 40, FLOPs (2*4 - 1 + 1) * 10 = 80
  totals                                     params 162, MACCs 6,952, FLOPs 14,416

  width = 2.0 doubles c1's filters to 8:     c1 params 27*8 + 8 = 224, MACCs 27 * 8*8*8 = 13,824
                                             fc params 8*10 + 10 = 90, MACCs 80
                                             totals params 314, MACCs 13,904
"""

from __future__ import annotations

import copy
import json
import os
import pathlib
import subprocess
import sys

import pytest

import netspec
from netspec.api import Analysis, SpecError, analyze

TINY = """\
netspec: 1
name: tiny
input: {height: 8, width: 8, channels: 3}
params: {width: 1.0, classes: 10}
layers:
  - {name: c1, type: conv, filters: "${int(4 * width)}", kernel: 3}
  - {type: relu}
  - {name: pool, type: global_avgpool}
  - {name: fc, type: dense, units: "${classes}"}
"""

TINY_DICT = {
    "netspec": 1,
    "name": "tiny",
    "input": {"height": 8, "width": 8, "channels": 3},
    "params": {"width": 1.0, "classes": 10},
    "layers": [
        {"name": "c1", "type": "conv", "filters": "${int(4 * width)}", "kernel": 3},
        {"type": "relu"},
        {"name": "pool", "type": "global_avgpool"},
        {"name": "fc", "type": "dense", "units": "${classes}"},
    ],
}


def _check_tiny(a: Analysis) -> None:
    assert isinstance(a, Analysis)
    t = a.totals
    assert (t.params, t.maccs, t.flops) == (162, 6_952, 14_416)
    assert a.output == (10,)
    assert [layer.name for layer in a.graph.layers] == ["c1", "relu_1", "pool", "fc"]
    by_name = {f["name"]: f for f in a.layers}
    assert by_name["c1"]["output"] == [8, 8, 4]
    assert (by_name["c1"]["params"], by_name["c1"]["maccs"], by_name["c1"]["flops"]) == (112, 6_912, 13_824)
    assert (by_name["relu_1"]["maccs"], by_name["relu_1"]["flops"]) == (0, 256)
    assert by_name["pool"]["output"] == [4] and by_name["pool"]["flops"] == 256
    assert (by_name["fc"]["params"], by_name["fc"]["maccs"], by_name["fc"]["flops"]) == (50, 40, 80)
    assert by_name["fc"]["inputs"] == ["pool"]
    assert a.network["totals"]["layers"] == 4
    assert not any(d.severity == "error" for d in a.diagnostics)


def test_plain_dict():
    _check_tiny(analyze(copy.deepcopy(TINY_DICT)))


def test_dict_from_yaml_safe_load_and_json():
    yaml = pytest.importorskip("yaml")
    _check_tiny(analyze(yaml.safe_load(TINY)))
    _check_tiny(analyze(json.loads(json.dumps(TINY_DICT))))


def test_yaml_text_and_bytes():
    _check_tiny(analyze(TINY))
    _check_tiny(analyze(TINY.encode("utf-8")))


def test_path_str_and_pathlike(tmp_path):
    p = tmp_path / "tiny.yaml"
    p.write_text(TINY, encoding="utf-8")
    _check_tiny(analyze(str(p)))
    a = analyze(pathlib.Path(p))
    _check_tiny(a)
    assert a.path == str(p)


def test_overrides_as_keywords_and_as_params():
    for a in (analyze(TINY_DICT, width=2.0), analyze(TINY_DICT, params={"width": 2.0}),
              netspec.analyze(TINY_DICT, width=2.0), netspec.analyze(TINY, params={"width": 2.0})):
        assert (a.totals.params, a.totals.maccs) == (314, 13_904)
        assert a.graph.params["width"] == 2.0
    # keyword arguments win over `params`
    a = analyze(TINY_DICT, params={"width": 2.0}, width=1.0)
    assert a.totals.params == 162


def test_the_dict_is_not_changed_and_calls_repeat():
    spec = copy.deepcopy(TINY_DICT)
    first = analyze(spec, width=2.0)
    assert spec == TINY_DICT
    second = analyze(spec)
    assert (first.totals.maccs, second.totals.maccs) == (13_904, 6_952)


def test_tuples_count_as_lists():
    spec = copy.deepcopy(TINY_DICT)
    spec["layers"][0]["kernel"] = (3, 3)
    _check_tiny(analyze(spec))


def test_invalid_spec_raises_spec_error_with_diagnostics():
    spec = copy.deepcopy(TINY_DICT)
    del spec["layers"][3]["units"]
    with pytest.raises(SpecError) as info:
        analyze(spec)
    err = info.value
    assert isinstance(err, ValueError)
    codes = [d.code for d in err.errors]
    assert "NS102" in codes
    assert all(d.line == 0 for d in err.diagnostics)  # a dict has no positions
    assert "units" in str(err)


def test_invalid_text_keeps_positions():
    with pytest.raises(SpecError) as info:
        analyze(TINY.replace("kernel: 3", "kernel: 0"))
    d = info.value.errors[0]
    assert d.line == 6 and d.column > 1


def test_unknown_override_is_an_error():
    with pytest.raises(SpecError) as info:
        analyze(TINY_DICT, depth=3)
    assert [d.code for d in info.value.errors] == ["NS201"]


def test_missing_file_is_a_spec_error(tmp_path):
    with pytest.raises(SpecError) as info:
        analyze(str(tmp_path / "nope.yaml"))
    assert info.value.errors[0].code == "NS001"


def test_bad_keys_and_nesting_in_plain_data():
    spec = copy.deepcopy(TINY_DICT)
    spec[None] = 1
    with pytest.raises(SpecError) as info:
        analyze(spec)
    assert "NS013" in [d.code for d in info.value.errors]
    deep: dict = {}
    node = deep
    for _ in range(100):
        node["x"] = {}
        node = node["x"]
    with pytest.raises(SpecError) as info:
        analyze(deep)
    assert info.value.errors[0].code == "NS012"
    loop = copy.deepcopy(TINY_DICT)
    loop["params"]["self"] = loop  # a mapping that contains itself
    with pytest.raises(SpecError) as info:
        analyze(loop)
    assert info.value.errors[0].code == "NS012"


def test_wrong_argument_type():
    with pytest.raises(TypeError):
        analyze(42)


def test_a_dict_reads_no_file(monkeypatch):
    import netspec.loader

    def refuse(*args, **kwargs):
        raise AssertionError("analyze(dict) must not read a file")

    monkeypatch.setattr(netspec.loader, "read_text", refuse)
    monkeypatch.setattr(netspec.loader, "load_file", refuse)
    _check_tiny(analyze(copy.deepcopy(TINY_DICT)))


def test_validators_are_built_once_per_process():
    """A search loop must not recompile the schema: jsonschema is not even imported for valid specs,
    and the jsonschema validators (for invalid ones) are built once."""
    code = f"""
import sys, copy
import netspec
spec = {TINY_DICT!r}
for w in (1.0, 2.0, 3.0):
    netspec.analyze(spec, width=w)
print("jsonschema" in sys.modules)
bad = copy.deepcopy(spec); bad["layers"][0]["kernal"] = 3
for _ in range(3):
    try:
        netspec.analyze(bad)
    except netspec.api.SpecError:
        pass
from netspec.validate import _compiled
from netspec.fastschema import fast
print(_compiled.cache_info().misses, fast.cache_info().misses)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.split("\n")
    assert lines[0] == "False"
    assert lines[1] == "1 1"


def test_loaded_posdict_keeps_positions_and_other_mappings_work():
    from types import MappingProxyType

    from netspec.loader import load_text

    data = load_text(TINY.replace("kernel: 3", "kernel: 0")).data
    with pytest.raises(SpecError) as info:
        analyze(data)
    assert info.value.errors[0].line == 6  # positions of the loader's PosDict survive
    _check_tiny(analyze(load_text(TINY).data))
    _check_tiny(analyze(MappingProxyType(copy.deepcopy(TINY_DICT))))
