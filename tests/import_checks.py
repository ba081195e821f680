"""The import round trip, shared by the import tests: spec -> PyTorch module -> ONNX -> spec.

The oracle is the original spec: the imported one must have its parameters, MACCs and output
shape exactly (and the zoo's originals are held to published numbers in tests/test_zoo.py).
Import this only after `pytest.importorskip("torch")` and `pytest.importorskip("onnx")`.
"""

from __future__ import annotations

import functools
import os

from netspec.export.torch import build
from netspec.importer.command import build_spec
from netspec.importer.from_torch import export_module
from netspec.importer.onnx_model import parse
from netspec.pipeline import Options, check_path, check_text

# Zoo specs whose full size would make the test slow (GPT-2's 124M weights serialised by the
# exporter, then parsed): counted at smaller values of their own params, as `--set` would (the
# mapping does not depend on size; the original at the same values is the oracle).
SMALL = {
    "gpt2.yaml": {"length": 32, "vocab": 500, "positions": 64, "width": 64, "heads": 4},
    "llama_style.yaml": {"length": 32, "vocab": 500, "width": 64, "heads": 4, "kv_heads": 2, "hidden": 128},
    "vit_b_16.yaml": {"width": 64, "heads": 4, "mlp": 128, "classes": 10},  # full size: test_import_transformers
}
# Zoo specs PyTorch's exporter cannot export as they are: the text changed (said why).
RESIZED = {
    # at 224 stage 4 is one 7x7 window shifted by 3: the exported shift mask slices empty regions,
    # which torch.onnx's shape inference rejects (an internal assert); at 448 every stage exports
    "swin_t.yaml": ("input: {height: 224, width: 224, channels: 3}", "input: {height: 448, width: 448, channels: 3}"),
}


def original_of(path: str):
    """The check result of a zoo spec, at its test size (SMALL, RESIZED)."""
    name = os.path.basename(path)
    options = Options(overrides=dict(SMALL.get(name, {})))
    if name in RESIZED:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        old, new = RESIZED[name]
        assert old in text, f"{name}: update RESIZED"
        return check_text(text.replace(old, new), path, options)
    return check_path(path, options)


def onnx_of_graph(graph) -> bytes:
    """ONNX bytes of a checked netspec graph, exported the way `netspec import --torch` exports."""
    if type(graph.input).__name__ == "Tokens":  # token ids (format 1.1): below the embeddings' vocabulary
        from netspec.export.torch import input_vocab

        return export_module(build(graph), tuple(graph.input), input_vocab(graph))
    shape = (graph.input[-1], *graph.input[:-1])
    return export_module(build(graph), shape)


@functools.lru_cache(maxsize=None)
def exported_spec(path: str):
    """(original check result, ONNX bytes) of a spec file: exported once per test session."""
    result = original_of(path)
    assert result.graph is not None, [d.message for d in result.diagnostics]
    return result, onnx_of_graph(result.graph)


def imported(data: bytes, label: str, blocks: bool = False):
    """(spec text, check result) of importing ONNX bytes; fails the test on any import problem."""
    text, summary, problems, fatal = build_spec(parse(data), None, None, label, blocks, False)
    assert text is not None and not problems, "\n".join(p.render(label) for p in problems)
    result = check_text(text, label)
    assert result.graph is not None and result.ok, [d.message for d in result.diagnostics]
    return text, result


def zoo_import(path: str, blocks: bool = False):
    """(original, imported text, imported check result) of a zoo spec's round trip. A spec using a
    layer type the import does not write yet must be refused with every node named (never a wrong
    spec): then the test is skipped, saying which types."""
    import pytest

    from netspec.importer.mapping import PRODUCES, VANISH

    original = original_of(path)
    used = {t for layer in original.graph.layers for t in (layer.type, *layer.fused)} if original.graph else set()
    missing = sorted(used - PRODUCES - VANISH)
    try:
        original, data = exported_spec(path)
    except Exception as exc:  # noqa: BLE001  (PyTorch's exporter on a layer type the import does not know)
        if missing:
            pytest.skip(f"the import writes no {', '.join(missing)} yet (ONNX export: {type(exc).__name__})")
        raise
    if missing:
        text, _, problems, _ = build_spec(parse(data), None, None, path, blocks, False)
        if text is None:
            assert problems, "refused without naming a node"
            pytest.skip(f"the import writes no {', '.join(missing)} yet ({len(problems)} ONNX nodes named)")
    text, result = imported(data, path, blocks)
    return original, text, result


def round_trip_problems(original, result) -> list[str]:
    """What differs between the original's and the import's params, MACCs and output shape."""
    a, b = original.totals, result.totals
    problems = []
    if a.params != b.params:
        problems.append(f"params: original {a.params:,}, imported {b.params:,}")
    if a.maccs != b.maccs:
        problems.append(f"MACCs: original {a.maccs:,}, imported {b.maccs:,}")
    out_a = original.graph.shape_of(original.graph.output_ref)
    out_b = result.graph.shape_of(result.graph.output_ref)
    if out_a != out_b:
        problems.append(f"output: original {out_a}, imported {out_b}")
    return problems


def top_level_entries(text: str) -> int:
    """The number of entries in a spec's top-level `layers:` list (the import writes one per line)."""
    body = text.split("\nlayers:\n", 1)[1]
    return sum(1 for line in body.splitlines() if line.startswith("  - "))


def seeded_round_trips(strategy, examples: int, round_trip) -> list:
    """The draws of `strategy` (seeded: every run the same `examples` networks) that `round_trip`
    accepted (it returns False for a network with nothing to import, and asserts on the rest)."""
    from hypothesis import HealthCheck, given, settings

    done = []

    @settings(max_examples=examples, derandomize=True, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(strategy)
    def check(net):
        if round_trip(net):
            done.append(net)

    check()
    return done


def exact_imports(original, data: bytes, text: str) -> tuple[str, str]:
    """The flat and the --blocks import of ONNX `data`, each asserted to count exactly as `original`
    (the spec `text`, shown when they do not)."""
    out = []
    for blocks in (False, True):
        imported_text, result = imported(data, "generated", blocks=blocks)
        problems = round_trip_problems(original, result)
        assert not problems, f"{'--blocks ' if blocks else ''}round trip of\n{text}\n" + "\n".join(problems) \
            + "\nimported:\n" + imported_text
        out.append(imported_text)
    return out[0], out[1]
