"""lstm, gru and rnn (format 1.1): counts against PyTorch's own modules, the per-step unrolled
reference (tests/recurrent_refs.py) held to the modules' outputs, and every bad input a located
diagnostic. The exported modules are also run by the oracle on tests/data/torch_ops/recurrent_ops.yaml
and on the generated sequence networks of tests/test_torch_generated.py."""

from __future__ import annotations

import pytest

import located
from located import at, checked, error
from netspec.pipeline import check_text

SEQ = "{length: 128, channels: 256}"


def spec(layers: str, input_: str = SEQ) -> str:
    return located.spec(layers, input_)



# --- the oracle: a 2-layer nn.LSTM(256, 512) over 128 steps ---------------------------------

def test_two_layer_lstm_matches_the_published_oracle():
    """Issue 15: 3,678,208 params (PyTorch's count of nn.LSTM(256, 512, num_layers=2)) and
    469,762,048 MACCs for 128 steps (the unrolled per-step count; FlopCounterMode says 0)."""
    r = checked(spec("  - {name: lstm, type: lstm, hidden: 512, repeat: 2}\n"))
    assert r.totals.params == 3_678_208
    assert r.totals.maccs == 469_762_048
    assert r.graph.layers[-1].output == (128, 512)


def test_two_layer_lstm_against_pytorch():
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode

    from recurrent_refs import formula_maccs, unrolled

    torch.manual_seed(0)
    lstm = torch.nn.LSTM(256, 512, num_layers=2, batch_first=True)
    assert sum(p.numel() for p in lstm.parameters()) == 3_678_208
    x = torch.randn(1, 128, 256)
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        y, (h, _) = lstm(x)
    assert counter.get_total_flops() == 0  # the trap: the fused CPU LSTM is not counted at all
    with torch.no_grad():
        ref, h_ref, maccs = unrolled(lstm, x)
    assert torch.allclose(ref, y, atol=1e-5) and torch.allclose(h_ref, h, atol=1e-5)
    assert maccs == formula_maccs(lstm, 128) == 469_762_048


# --- every option against nn.LSTM / nn.GRU / nn.RNN ------------------------------------------------

CASES = [  # (type, hidden, bidirectional, bias, activation, return, layers)
    ("lstm", 16, False, True, None, "sequence", 1),
    ("lstm", 12, True, False, None, "last", 2),
    ("gru", 16, False, True, None, "sequence", 2),
    ("gru", 9, True, True, None, "last", 1),
    ("gru", 5, False, False, None, "sequence", 1),
    ("rnn", 16, False, True, "tanh", "sequence", 1),
    ("rnn", 7, True, False, "relu", "last", 2),
    ("rnn", 4, True, True, "relu", "sequence", 3),
]


@pytest.mark.parametrize("kind,hidden,bi,bias,act,ret,layers", CASES)
def test_recurrent_against_pytorch(kind, hidden, bi, bias, act, ret, layers):
    """netspec's params, output shape and MACCs equal PyTorch's module (num_layers = `repeat`), its
    unrolled per-step reference reproduces the module's output, and the MACCs equal the reference's
    count (and FlopCounterMode's, where it counts the module: GRU and RNN)."""
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode

    from recurrent_refs import formula_maccs, unrolled

    length, channels = 10, 6
    extra = (f", bidirectional: {str(bi).lower()}, bias: {str(bias).lower()}"
             + (f", activation: {act}" if act else ""))
    stack = [f"  - {{name: r{i}, type: {kind}, hidden: {hidden}{extra}}}\n" for i in range(layers - 1)]
    stack.append(f"  - {{name: top, type: {kind}, hidden: {hidden}, return: {ret}{extra}}}\n")
    r = checked(spec("".join(stack), f"{{length: {length}, channels: {channels}}}"))
    cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[kind]
    kwargs = {"nonlinearity": act} if kind == "rnn" else {}
    torch.manual_seed(0)
    mod = cls(channels, hidden, num_layers=layers, bias=bias, batch_first=True, bidirectional=bi, **kwargs)
    x = torch.randn(2, length, channels)
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        y, h = mod(x)
    h = h[0] if kind == "lstm" else h
    with torch.no_grad():
        ref, h_ref, maccs = unrolled(mod, x)
    assert torch.allclose(ref, y, atol=1e-5) and torch.allclose(h_ref, h, atol=1e-5)
    d = 2 if bi else 1
    want = (length, d * hidden) if ret == "sequence" else (d * hidden,)
    assert r.graph.layers[-1].output == want
    last = h[-d:].transpose(0, 1).flatten(1)  # `return: last`: the top layer's final state per direction
    assert last.shape[1] == d * hidden and torch.equal(last[:, :hidden], h[-d])
    assert r.totals.params == sum(p.numel() for p in mod.parameters())
    assert 2 * r.totals.maccs == 2 * formula_maccs(mod, length) == maccs  # maccs: both samples
    if kind != "lstm":
        assert counter.get_total_flops() == 2 * maccs


def test_lstm_flops_and_memory_by_hand():
    """The cost-model conventions (docs/cost-model.md): each gate output a (C + H)-term dot product,
    2(C + H) - 1 FLOPs + 2 for the two biases; 26 FLOPs of cell work per hidden unit and step."""
    r = checked(spec("  - {name: x, type: lstm, hidden: 3}\n", "{length: 5, channels: 2}"))
    c = r.graph.layers[0].cost
    gates = 5 * 4 * 3
    assert c.maccs == gates * 5
    assert c.flops == gates * (2 * 5 - 1 + 2) + 5 * 3 * 26
    assert c.params == 4 * 3 * 5 + 2 * 4 * 3
    assert c.output_writes == 5 * 3
    assert c.memory_accesses == c.maccs + c.params + 5 * 3  # input reads = MACCs, weights, states


def test_gru_and_rnn_flops_by_hand():
    gru = checked(spec("  - {name: x, type: gru, hidden: 3, bias: false}\n", "{length: 5, channels: 2}"))
    assert gru.graph.layers[0].cost.flops == 5 * 3 * 3 * (2 * 5 - 1) + 5 * 3 * 18
    rnn = checked(spec("  - {name: x, type: rnn, hidden: 3, activation: relu}\n", "{length: 5, channels: 2}"))
    assert rnn.graph.layers[0].cost.flops == 5 * 3 * (2 * 5 + 1) + 5 * 3 * 1


def test_rnn_activation_is_the_cell_nonlinearity_not_a_fused_one():
    r = checked(spec("""
      - {name: a, type: rnn, hidden: 8, activation: relu}
      - {name: b, type: lstm, hidden: 8, activation: relu}
    """))
    a, b = r.graph.layers
    assert a.fused == () and a.attrs["activation"] == "relu"
    assert b.fused == ("relu",)


def test_bidirectional_doubles_and_last_is_a_vector():
    r = checked(spec("""
      - {name: a, type: gru, hidden: 8, bidirectional: true}
      - {name: b, type: lstm, hidden: 4, bidirectional: true, return: last}
      - {name: c, type: dense, units: 2}
    """))
    assert [l.output for l in r.graph.layers] == [(128, 16), (8,), (2,)]


# --- located diagnostics ------------------------------------------------------------------------

def test_recurrent_on_an_image():
    text = spec("  - {name: x, type: lstm, hidden: 8}\n", "{height: 8, width: 8, channels: 3}")
    msg = error(text, "{name: x", "NS206")
    assert "lstm needs a sequence (LxC) input, got the image 8x8x3" in msg


def test_recurrent_on_a_vector():
    text = spec("  - {name: v, type: global_avgpool}\n  - {name: x, type: gru, hidden: 8, inputs: v}\n")
    assert "gru needs a sequence" in error(text, "inputs: v", "NS206")


def test_recurrent_after_return_last():
    text = spec("  - {name: a, type: lstm, hidden: 8, return: last}\n  - {name: b, type: rnn, hidden: 8}\n")
    assert "got the vector 8" in error(text, "{name: b", "NS206")


def test_recurrent_without_hidden():
    text = spec("  - {name: x, type: lstm}\n")
    assert "missing `hidden`" in error(text, "type", "NS102")  # at the key `type`


@pytest.mark.parametrize("needle", ["return: all", "activation: sigmoid", "hidden: 0", "bidirectional: 2"])
def test_recurrent_bad_values(needle):
    text = spec(f"  - {{name: x, type: rnn, hidden: 8, {needle}}}\n".replace("hidden: 8, hidden: 0", "hidden: 0"))
    r = check_text(text)
    errors = [d for d in r.diagnostics if d.severity == "error"]
    assert len(errors) == 1 and errors[0].code.startswith("NS1"), [(d.code, d.message) for d in errors]
    assert (errors[0].line, errors[0].column) == at(text, needle)


def test_recurrent_on_token_ids():
    text = spec("  - {name: x, type: lstm, hidden: 8}\n", "{length: 35}")
    assert "embedding" in error(text, "{name: x", "NS206")
