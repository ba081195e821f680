"""The import round trip over generated networks: the random chains of tests/test_torch_generated.py
(every conv/pool padding form, strides, dilations, groups, ceil_mode, deconv crops, fused batch
norm and activations, add and concat) go spec -> PyTorch -> ONNX -> spec, and the imported spec
must have the original's params, MACCs and output shape exactly, with and without --blocks (a
chain-shaped one with --blocks in at most twice the original's entries). Seeded: every run imports
the same networks; at least 50 of them must be networks netspec accepts (the rest both netspec and
PyTorch refuse, so there is nothing to export).
"""

from __future__ import annotations

import pytest

pytest.importorskip("onnx", reason="netspec import needs onnx: pip install 'netspec-cli[onnx]'")
pytest.importorskip("torch", reason="the round trip exports with PyTorch")

from import_checks import exact_imports, onnx_of_graph, seeded_round_trips, top_level_entries  # noqa: E402
from test_torch_generated import networks, to_yaml  # noqa: E402

from netspec.importer import ImportFailure  # noqa: E402
from netspec.importer.mapping import PRODUCES, VANISH  # noqa: E402
from netspec.pipeline import check_text  # noqa: E402

EXAMPLES = 200  # of which >= 50 are accepted by netspec (the generator also writes impossible ones)


def ceil_mode_disagreement(data: bytes) -> bool:
    """A ceil_mode pool whose last window starts in the padding: ONNX's shape rule and PyTorch's
    disagree on its output, and the import refuses it (saying so) rather than guess."""
    from netspec.importer.command import build_spec
    from netspec.importer.onnx_model import parse

    _, _, problems, _ = build_spec(parse(data), None, None, "generated", False, False)
    return bool(problems) and all("ceil_mode pool whose last window" in p.message for p in problems)


def round_trip(net: dict) -> bool:
    """True when netspec accepts the network and its import is exact; False when netspec refuses it."""
    text = to_yaml(net)
    original = check_text(text)
    if original.graph is None:
        return False
    used = {t for layer in original.graph.layers for t in (layer.type, *layer.fused)}
    if used - PRODUCES - VANISH:  # a layer type the import does not write yet (not counted as accepted)
        return False
    try:
        data = onnx_of_graph(original.graph)
    except ImportFailure:  # PyTorch's exporter fails on some ops of its own (adaptive pools whose windows vary)
        return False
    if ceil_mode_disagreement(data):
        return False
    _, folded = exact_imports(original, data, text)
    if all(not layer.get("inputs") for layer in net["layers"]):  # a chain: --blocks within twice its entries
        assert top_level_entries(folded) <= 2 * len(net["layers"]), folded
    return True


def test_generated_networks_round_trip():
    accepted = seeded_round_trips(networks(), EXAMPLES, round_trip)
    assert len(accepted) >= 50, f"only {len(accepted)} of {EXAMPLES} generated networks were valid"


def test_generated_sequence_window_networks_round_trip():
    """The same over the chains on sequences of tests/test_torch_generated.py (the 1-D window ops)."""
    import test_torch_generated

    if not hasattr(test_torch_generated, "sequence_networks"):
        pytest.skip("window ops on sequences (format 1.1) are not in this version")
    accepted = seeded_round_trips(test_torch_generated.sequence_networks(), EXAMPLES, round_trip)
    assert len(accepted) >= 50, f"only {len(accepted)} of {EXAMPLES} generated sequence networks were valid"
