"""The import round trip over generated transformer-like networks: the seeded random networks of
tests/test_torch_sequences.py (token ids through an embedding, sequences and images; attention with
every option, position embeddings, class tokens, layer scale, norms, dense with tie, glu, silu,
residual adds, to_sequence/to_image, space_to_depth/depth_to_space) go spec -> PyTorch -> ONNX ->
spec, and the imported spec must have the original's params, MACCs and output shape exactly, with
and without --blocks.
Networks netspec refuses, and those PyTorch's exporter cannot export (it fails on some degenerate
shapes of its own), are not counted; at least 50 must round-trip.
"""

from __future__ import annotations

import pytest

pytest.importorskip("onnx", reason="netspec import needs onnx: pip install 'netspec-cli[onnx]'")
pytest.importorskip("torch", reason="the round trip exports with PyTorch")
pytest.importorskip("hypothesis")
pytest.importorskip("test_torch_sequences", reason="the sequence network generator comes with issue 14")

from import_checks import exact_imports, onnx_of_graph, seeded_round_trips  # noqa: E402
from test_torch_sequences import sequence_networks, to_yaml  # noqa: E402

from netspec.importer import ImportFailure  # noqa: E402
from netspec.importer.mapping import PRODUCES, VANISH  # noqa: E402
from netspec.pipeline import check_text  # noqa: E402

EXAMPLES = 150


def round_trip(net: dict) -> bool:
    """True when the network was exported and its import is exact; False when there is nothing to
    import (netspec refuses it, or PyTorch's exporter cannot export it)."""
    text = to_yaml(net)
    original = check_text(text)
    if original.graph is None or not original.ok:
        return False
    used = {t for layer in original.graph.layers for t in (layer.type, *layer.fused)}
    assert not used - PRODUCES - VANISH, used - PRODUCES - VANISH
    try:
        data = onnx_of_graph(original.graph)
    except ImportFailure:
        return False
    exact_imports(original, data, text)
    return True


def test_generated_sequence_networks_round_trip():
    done = seeded_round_trips(sequence_networks(), EXAMPLES, round_trip)
    assert len(done) >= 50, f"only {len(done)} of {EXAMPLES} generated networks were exported"
