"""`netspec import` of recurrent layers: ONNX LSTM/GRU/RNN (as torch.onnx.export writes nn.LSTM,
nn.GRU, nn.RNN) -> netspec's lstm/gru/rnn.

Oracles: the original spec's counts after spec -> PyTorch -> ONNX -> spec, PyTorch's own parameter
count of the exported module, and, for plain nn.LSTM/nn.GRU models written here (not by netspec),
the hand formula L·g·H·(C + H) MACCs per layer and direction (g gates). Cells netspec cannot express
exactly (clip, reverse, peepholes, other activations) are refused naming the node.
"""

from __future__ import annotations

import pytest

onnx = pytest.importorskip("onnx", reason="netspec import needs onnx: pip install 'netspec-cli[onnx]'")
torch = pytest.importorskip("torch")

import numpy as np  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from import_checks import imported, onnx_of_graph, round_trip_problems  # noqa: E402
from netspec.export.torch import build  # noqa: E402
from netspec.importer.command import build_spec  # noqa: E402
from netspec.importer.from_torch import export_module  # noqa: E402
from netspec.importer.onnx_model import parse  # noqa: E402
from netspec.pipeline import check_text  # noqa: E402

CASES = {
    "lstm_stack": "- {type: lstm, hidden: 8, repeat: 2}",
    "gru_bidirectional": "- {type: gru, hidden: 6, bidirectional: true}",
    "rnn_relu_no_bias_last": "- {type: rnn, hidden: 5, activation: relu, bias: false, return: last}",
    "rnn_then_relu": "- {type: rnn, hidden: 5}\n  - {type: relu}\n  - {type: dense, units: 3}",
    "lstm_bidirectional_last": "- {type: conv, filters: 8, kernel: 3}\n"
                               "  - {type: lstm, hidden: 4, bidirectional: true, return: last}\n"
                               "  - {type: dense, units: 2}",
    "gru_then_conv": "- {type: gru, hidden: 8, bias: false}\n  - {type: conv, filters: 8, kernel: 3}",
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_recurrent_round_trip(case):
    text = f"netspec: 1\nname: {case}\ninput: {{length: 7, channels: 3}}\nlayers:\n  {CASES[case]}\n"
    original = check_text(text, f"{case}.yaml")
    assert original.graph is not None and original.ok, [d.message for d in original.diagnostics]
    spec, result = imported(onnx_of_graph(original.graph), case)
    assert not round_trip_problems(original, result), spec
    assert result.totals.params == sum(p.numel() for p in build(original.graph).parameters())
    types = [layer.split("type: ")[1].split(",")[0].rstrip("}") for layer in spec.splitlines() if "type: " in layer]
    assert types == [line.split("type: ")[1].split(",")[0].rstrip("}")
                     for line in CASES[case].splitlines() for _ in range(2 if "repeat: 2" in line else 1)]


class TimeFirst(torch.nn.Module):
    """A recurrent module as people write it: time-first, a channels-first sequence in and out."""

    def __init__(self, rnn):
        super().__init__()
        self.rnn = rnn

    def forward(self, x):
        y, _ = self.rnn(x.permute(2, 0, 1))
        return y.permute(1, 2, 0)


@pytest.mark.parametrize("kind, gates", [("LSTM", 4), ("GRU", 3), ("RNN", 1)])
def test_plain_pytorch_stack_counts_exactly(kind, gates):
    c, h, length, layers = 10, 16, 12, 2
    module = TimeFirst(getattr(torch.nn, kind)(c, h, num_layers=layers, bidirectional=True)).eval()
    text, summary, problems, _ = build_spec(parse(export_module(module, (c, length))), None, None, kind, False, False)
    assert not problems and text is not None
    result = check_text(text, "x.yaml")
    assert result.ok, [d.message for d in result.diagnostics]
    assert f"type: {kind.lower()}" in text and text.count("bidirectional: true") == layers
    assert result.totals.params == sum(p.numel() for p in module.parameters())
    # per direction L*g*H*(C + H); the second layer reads both directions' 2H channels
    assert result.totals.maccs == 2 * length * gates * h * ((c + h) + (2 * h + h))
    assert result.graph.shape_of(result.graph.output_ref) == (length, 2 * h)


def _lstm_graph(**attrs) -> bytes:
    """x (1, 3, 5) -> Transpose to time-first -> LSTM of 4 units -> Squeeze -> Transpose back."""
    peephole = attrs.pop("peephole", False)
    dirs = 2 if attrs.get("direction") == b"bidirectional" else 1
    h = 4
    inits = [numpy_helper.from_array(np.zeros(dims, np.float32), n)
             for n, dims in (("W", (dirs, 4 * h, 3)), ("R", (dirs, 4 * h, h)), ("B", (dirs, 8 * h)),
                             ("P", (dirs, 3 * h)))]
    nodes = [helper.make_node("Transpose", ["x"], ["t"], name="/in/Transpose", perm=[2, 0, 1]),
             helper.make_node("LSTM", ["t", "W", "R", "B", "", "", "", "P" if peephole else ""], ["seq"],
                              name="/rnn/LSTM", hidden_size=h, **attrs),
             helper.make_node("Constant", [], ["ax"], name="/ax",
                              value=numpy_helper.from_array(np.array([1], np.int64))),
             helper.make_node("Squeeze", ["seq", "ax"], ["s"], name="/rnn/Squeeze"),
             helper.make_node("Transpose", ["s"], ["y"], name="/out/Transpose", perm=[1, 2, 0])]
    graph = helper.make_graph(nodes, "hand", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 5])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]).SerializeToString()


def test_a_hand_written_lstm_imports():
    text, _, problems, _ = build_spec(parse(_lstm_graph()), None, None, "m", False, False)
    assert not problems and "type: lstm, hidden: 4}" in text
    assert check_text(text, "m.yaml").totals.params == 4 * 4 * (3 + 4) + 2 * 4 * 4  # g·H·(C + H) + 2·g·H


@pytest.mark.parametrize("attrs, why", [
    ({"clip": 1.0}, "a cell clip"),
    ({"direction": b"reverse"}, "a reverse LSTM"),
    ({"peephole": True}, "peephole connections"),
    ({"activations": [b"Sigmoid", b"Relu", b"Relu"]}, "with the activations"),
    ({"input_forget": 1}, "input-forget coupling"),
])
def test_a_cell_netspec_cannot_express_is_refused_naming_the_node(attrs, why):
    text, _, problems, _ = build_spec(parse(_lstm_graph(**attrs)), None, None, "m", False, False)
    assert text is None
    assert any(p.node == "/rnn/LSTM" and p.op_type == "LSTM" and why in p.message for p in problems), \
        [p.message for p in problems]
