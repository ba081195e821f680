"""Mutation fuzzing of the zoo (issue 12): the real specs in specs/, edited structurally, through
the whole pipeline and every output format, in-process.

Each case takes a zoo spec and applies one to four mutations, on the YAML tree (delete, duplicate,
rename or retype a key; extreme numbers; unicode in names, keys and values; splice in or drop a
layer) or on the text (line-break variants CRLF / CR / NEL / U+2028, duplicated or dropped lines,
a byte of unicode or a control character anywhere). Whatever the result, it must hold that:

- the run ends with exit 0, 1 or 2 and no exception (an exception is what the CLI turns into NS000);
- every format renders; JSON and SARIF are strict JSON (no NaN) whose integers fit 64 bits;
- every diagnostic's position is inside the text (1 <= line <= lines, 1 <= column <= length + 1);
- a costed network's totals are the sums of its layers, and each layer the sum of its parts;
- no case takes long (a bound far above the slowest seen, so a hang or a quadratic blow-up shows).
- every 4th case whose text is the dump of a mutated mapping also goes to the library's
  `analyze(mapping)`: SpecError or a result, the same verdict as the text's check, the same totals.

The generator is seeded (random.Random), so every run tries the same 2,000 cases: a failure names
its case number, which `python tests/test_fuzz_zoo.py N` replays and prints.

CI time stays bounded as the zoo grows: a spec is drawn with a weight of min(1, 60 / its layers),
so a 200-layer transformer is picked a third as often as a 60-layer CNN and every spec costs about
the same share of the run (2,000 cases over 12 specs: 15 s of CPU here; the weights keep a zoo of
25 specs with GPT-2 near that, and `test_cases_are_varied` still reaches every spec).
"""

from __future__ import annotations

import copy
import math
import random
import sys
import time
from pathlib import Path

import yaml
from jsonwalk import strict_loads, values

ROOT = Path(__file__).resolve().parent.parent
ZOO = sorted((ROOT / "specs").rglob("*.yaml"))
CASES = 2_000
SEED = 20_260_412
SLOW = 20.0  # seconds for one case (the slowest seen takes well under a second)
REF_LAYERS = 60  # a spec with more layers than this is drawn less often, in proportion

EXTREME = [0, -1, 1, 2**31, 2**63 - 1, 2**63, -(2**63), 10**30, 1e308, -1e-308, math.inf, math.nan, 0.5, True,
           None, "", "0755", "1e6", "${2**62}", "${in_channels * 1000000}", "${i}", "${1/0}", "${max()}"]
UNICODE = ["🙂", "\u202e", "\u200b", "é", "\u2028", "\x85", "\x1b[2J", "`<img src=x>`", "@here", "\ufeff", "Ω" * 300,
           "a\nb", "\t", "::error::x", "=cmd|' /C calc'!A0"]
KEYS = ["name", "type", "inputs", "input", "repeat", "when", "filters", "kernel", "stride", "padding", "units",
        "groups", "activation", "batchnorm", "bias", "note", "params", "blocks", "args", "layers", "budget",
        "lint", "dtype", "batch", "Input", "inputs ", "filter"]
BREAKS = ["\r\n", "\r", "\x85", "\u2028", "\n\n", "\n  \n"]

_TREES: dict = {}
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


_WEIGHTS: list[float] = []


def _weights() -> list[float]:
    """min(1, REF_LAYERS / layers) per zoo spec, from the unmutated spec (deterministic)."""
    if not _WEIGHTS:
        from netspec.pipeline import check_text

        for path in ZOO:
            graph = check_text(path.read_text(encoding="utf-8"), path.name).graph
            layers = len(graph.layers) if graph is not None else 1
            _WEIGHTS.append(min(1.0, REF_LAYERS / max(layers, 1)))
    return _WEIGHTS


def _tree(path: Path):
    if path not in _TREES:
        _TREES[path] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return copy.deepcopy(_TREES[path])


def _nodes(tree):
    """Every (container, key) below tree."""
    out, stack = [], [tree]
    while stack:
        node = stack.pop()
        keys = list(node) if isinstance(node, dict) else range(len(node)) if isinstance(node, list) else ()
        for k in keys:
            out.append((node, k))
            stack.append(node[k])
    return out


def _value(rng: random.Random, old):
    pick = rng.random()
    if pick < 0.35:
        return rng.choice(EXTREME)
    if pick < 0.55:
        return rng.choice(UNICODE) + (str(old) if isinstance(old, str) and rng.random() < 0.5 else "")
    if pick < 0.75:  # retype
        return {"int": [old], "list": {"x": old}, "dict": [old], "str": 7}.get(
            "list" if isinstance(old, list) else "dict" if isinstance(old, dict) else
            "str" if isinstance(old, str) else "int", str(old))
    if pick < 0.9:
        return copy.deepcopy(old) if not isinstance(old, (dict, list)) else []
    return {rng.choice(KEYS): rng.choice(EXTREME)}


def _tree_mutation(rng: random.Random, tree) -> None:
    where = _nodes(tree)
    if not where:
        return
    container, key = rng.choice(where)
    op = rng.choice(["delete", "value", "value", "rename", "duplicate", "layer", "layer", "top"])
    if op == "top" and isinstance(tree, dict):  # a top-level key set, replaced or misspelt
        tree[rng.choice(KEYS)] = _value(rng, rng.choice(EXTREME + [[], {}, ["NS401"], {"ignore": 5}]))
    elif op == "delete":
        del container[key]
    elif op == "value":
        container[key] = _value(rng, container[key])
    elif op == "rename" and isinstance(container, dict):
        container[rng.choice(KEYS + UNICODE)] = container.pop(key)
    elif op == "duplicate" and isinstance(container, list):
        container.insert(key, copy.deepcopy(container[key]))
    elif op == "layer" and isinstance(tree, dict) and isinstance(tree.get("layers"), list) and tree["layers"]:
        layers = tree["layers"]
        i = rng.randrange(len(layers))
        if rng.random() < 0.5:
            del layers[i]
        else:
            layers.insert(i, {"type": rng.choice(["conv", "add", "concat", "relu", "dense", "flatten", "nope"]),
                              rng.choice(KEYS): rng.choice(EXTREME)})


def _text_mutation(rng: random.Random, text: str) -> str:
    op = rng.choice(["breaks", "breaks", "line", "char", "cut"])
    lines = text.split("\n")
    if op == "breaks":
        brk = rng.choice(BREAKS)
        if rng.random() < 0.5:
            return text.replace("\n", brk)
        i = rng.randrange(len(lines))
        return "\n".join(lines[:i]) + brk + "\n".join(lines[i:])
    if op == "line":
        i = rng.randrange(len(lines))
        if rng.random() < 0.5:
            lines.insert(i, lines[rng.randrange(len(lines))])
        else:
            del lines[i]
        return "\n".join(lines)
    if op == "char":
        at = rng.randrange(len(text) + 1)
        return text[:at] + rng.choice(UNICODE + ["\x00", "\x07", "{", "[", ":", "&a ", "*a", "!!str ", "#"]) + text[at:]
    return text[:rng.randrange(len(text) + 1)]


def make_case(n: int) -> tuple[str, str, object]:
    """Case n: (the zoo spec it started from, the mutated text, the mutated mapping when the text
    is exactly its dump, else None)."""
    rng = random.Random(SEED * 100_003 + n)
    source = rng.choices(ZOO, weights=_weights())[0]
    mutations = rng.randint(1, 4)
    if rng.random() < 0.6:
        tree = _tree(source)
        for _ in range(mutations):
            _tree_mutation(rng, tree)
        text = yaml.dump(tree, Dumper=_DUMPER, sort_keys=False, allow_unicode=True, width=10**6)
        if rng.random() < 0.3:
            return source.name, _text_mutation(rng, text), None
        return source.name, text, tree
    text = source.read_text(encoding="utf-8")
    for _ in range(mutations):
        text = _text_mutation(rng, text)
    return source.name, text, None


_METRICS = ("params", "maccs", "flops", "memory_accesses", "compulsory_bytes", "weight_bytes")


def check_case(n: int) -> float:
    """Run case n through the pipeline and every format; returns its time in seconds."""
    from netspec.checking import exit_code
    from netspec.pipeline import check_text
    from netspec.report import FORMATS, Report, render

    name, text, tree = make_case(n)
    started = time.perf_counter()
    result = check_text(text, f"case{n}-{name}")
    code = exit_code([result], strict=False, exit_zero=False)
    assert code in (0, 1, 2), (n, code)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for d in result.diagnostics:
        assert d.code != "NS000", (n, d)
        if d.line:
            assert 1 <= d.line <= len(lines), (n, d.code, d.line, len(lines), d.message)
            assert 1 <= d.column <= len(lines[d.line - 1]) + 1, (n, d.code, d.line, d.column, d.message)
    if result.totals is not None:
        layers = result.graph.layers
        for m in _METRICS:
            assert sum(getattr(layer.cost, m) for layer in layers) == getattr(result.totals, m), (n, m)
        for layer in layers:
            for m in _METRICS:
                assert sum(getattr(r, m) for r in layer.rows) == getattr(layer.cost, m), (n, layer.name, m)
    for fmt in FORMATS:
        out = render(fmt, Report(results=[result], layers=True))
        out = out if isinstance(out, str) else "".join(out)
        assert isinstance(out, str) and out, (n, fmt)
        if fmt in ("json", "sarif"):
            doc = strict_loads(out)
            assert all(-(2**63) <= v < 2**63 for v in values(doc, int)), (n, fmt)
    if tree is not None and n % 4 == 0:
        check_mapping(n, tree, result)
    return time.perf_counter() - started


def check_mapping(n: int, tree, result) -> None:
    """The library's analyze(mapping) on the same mutated tree (issue 12, item 10): it raises
    SpecError or nothing, it refuses what the text's check found wrong and only that, and when both
    routes cost the spec they count the same."""
    from netspec import api

    try:
        analysis = api.analyze(tree)
    except api.SpecError:
        assert not result.ok, (n, "analyze(mapping) refused what check accepted")
        return
    assert result.ok, (n, "analyze(mapping) accepted what check refused", result.diagnostics[:3])
    if result.totals is not None:
        for m in _METRICS:
            assert getattr(analysis.result.totals, m) == getattr(result.totals, m), (n, m)


def test_zoo_mutations(monkeypatch):
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    slowest = 0.0
    for n in range(CASES):
        took = check_case(n)
        slowest = max(slowest, took)
        assert took < SLOW, (n, took)
    assert slowest < SLOW


def test_cases_are_varied():
    """The generator reaches every zoo spec and both kinds of mutation (no silent narrowing)."""
    sources = {make_case(n)[0] for n in range(600)}
    assert sources == {p.name for p in ZOO}
    texts = [make_case(n)[1] for n in range(300)]
    assert any("\r" in t for t in texts) and any("\u2028" in t or "\x85" in t for t in texts)


if __name__ == "__main__":  # replay one case: python tests/test_fuzz_zoo.py N
    sys.path.insert(0, str(ROOT))
    case = int(sys.argv[1])
    print(make_case(case)[1])
    print(f"--- case {case}: {check_case(case):.3f} s", file=sys.stderr)
