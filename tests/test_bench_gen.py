"""bench/gen.py writes specs that check clean and expand to exactly the number of layers asked for."""

from __future__ import annotations

import importlib.util
import os

import pytest

from netspec.pipeline import check_text

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def gen():
    spec = importlib.util.spec_from_file_location("bench_gen", os.path.join(ROOT, "bench", "gen.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("n", [12, 13, 20, 57, 300, 1_000])
def test_exact_layer_count_and_clean(gen, n):
    result = check_text(gen.spec_text(n))
    assert result.ok, [f"{d.code} {d.message}" for d in result.diagnostics]
    assert len(result.graph.layers) == n
    types = {layer.type for layer in result.graph.layers}
    assert {"conv", "depthwise", "relu", "add", "maxpool", "avgpool", "dense"} <= types
    if n >= 20:
        assert any(layer.source.calls for layer in result.graph.layers)  # some layers come from blocks


def test_instances_count_block_calls(gen):
    assert gen.instances(1_000) > 1_000
    assert gen.build(1_000)[1] == gen.instances(1_000)


@pytest.mark.parametrize("n", [13, 14, 57, 300, 1_000])
def test_transformer_exact_layer_count_and_clean(gen, n):
    result = check_text(gen.transformer_text(n))
    assert result.ok, [f"{d.code} {d.message}" for d in result.diagnostics]
    assert len(result.graph.layers) == n
    types = {layer.type for layer in result.graph.layers}
    assert {"embedding", "attention", "rmsnorm", "dense", "multiply", "add", "layer_scale"} <= types
    assert result.graph.layers[-1].attrs["tie"] == "embed"
    if n >= 57:  # about half of the layers come from block calls, half are written out
        called = sum(1 for layer in result.graph.layers if layer.source.calls)
        assert 0.3 * n < called < 0.8 * n
