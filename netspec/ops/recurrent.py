"""Recurrent family (format 1.1): lstm, gru and rnn over a sequence, one direction or both.

Per direction, with g gates (lstm 4, gru 3, rnn 1), input channels C, hidden size H and L steps:
params g·H·(C + H), + 2·g·H with `bias` (PyTorch keeps two bias vectors, b_ih and b_hh); MACCs
L·g·H·(C + H): every step multiplies the input x_t and the previous state h_{t-1} (h_0 = 0 is
multiplied too, as PyTorch does) by the gate weights. FLOPs: each gate output is a (C + H)-term dot
product, 2·(C + H) − 1, + 2 with the two biases; then the cell's element-wise work per hidden unit
and step, from the README's table: lstm 26 (three sigmoids 12, two tanh 10, c = f·c + i·g 3,
h = o·tanh(c) 1), gru 18 (two sigmoids 8, r·(W_hn·h + b_hn) 1, tanh 5, h = (1 − z)·n + z·h 4),
rnn the activation (tanh 5, relu 1). Sliding-window memory: one input read per MACC (x_t or
h_{t-1}), the weights once, one write per hidden state (L·H per direction, also under
`return: last`: every step's state is written). A stack is `repeat` (layer l + 1 reads layer l's
sequence, as `num_layers` does in PyTorch).

PyTorch: `nn.LSTM`/`nn.GRU`/`nn.RNN` (batch_first) inside a small class of the exported file that
reads and writes channels-first sequences; `last` is PyTorch's h_n, the final state of each
direction (the backward one after its step over position 0), concatenated forward first.
"""

from __future__ import annotations

from .base import Attr, Cost, Op, ShapeError, TorchCode, fmt_shape, kind_of, numel, register, torch_helper
from .elementwise import FLOPS_PER_ELEMENT as PER

# Cell work per hidden unit and step besides the gate products, from the element-wise table
LSTM_CELL = 3 * PER["sigmoid"] + 2 * PER["tanh"] + 3 + 1  # c = f*c + i*g; h = o*tanh(c)  (26)
GRU_CELL = 2 * PER["sigmoid"] + 1 + PER["tanh"] + 4  # r*(W_hn h + b_hn); h = (1 - z)*n + z*h  (18)

RECURRENT = torch_helper("NetspecRecurrent", '''
class NetspecRecurrent(nn.Module):
    """netspec `lstm`/`gru`/`rnn`: a PyTorch recurrent layer on a channels-first sequence (N, C, L);
    returns the sequence of hidden states (N, D*H, L), or with `last` the final hidden state of
    each direction, concatenated (N, D*H)."""

    def __init__(self, rnn, last=False):
        super().__init__()
        self.rnn = rnn
        self.last = last

    def forward(self, x):
        y, h = self.rnn(x.transpose(1, 2))
        if self.last:
            h = h[0] if isinstance(h, tuple) else h  # an LSTM's (h_n, c_n)
            return h.transpose(0, 1).flatten(1)
        return y.transpose(1, 2)
''')


class RecurrentOp(Op):
    """A recurrent layer of `gates` gates; `cell_flops` per hidden unit and step besides the dot products."""

    has_bias = True
    common = (Attr("hidden", "int+", doc="Hidden size H: the state's channels (output H, or 2*H bidirectional)."),
              Attr("bidirectional", "bool", False, "Also run backwards over the sequence and concatenate: 2*H channels."),
              Attr("return", ("sequence", "last"), "sequence", "`sequence`: the hidden state at every step (LxH); "
                   "`last`: the final hidden state of each direction, a vector (PyTorch's h_n)."))

    def __init__(self, type_: str, gates: int, cell_flops: int, module: str, doc: str, attrs: tuple = ()) -> None:
        self.type = type_
        self.gates = gates
        self.cell_flops = cell_flops
        self.module = module
        self.doc = doc
        self.attrs = self.common + attrs

    def infer(self, a, ins):
        shape = ins[0]
        if len(shape) != 2:
            raise ShapeError("NS206", f"{self.type} needs a sequence (LxC) input, got the {kind_of(shape)} "
                             f"{fmt_shape(shape)}", "inputs")
        width = a["hidden"] * (2 if a["bidirectional"] else 1)
        return (shape[0], width) if a["return"] == "sequence" else (width,)

    def cell(self, a) -> int:
        return self.cell_flops

    def cost(self, a, ins, out):
        length, c = ins[0]
        h, g = a["hidden"], self.gates
        dirs = 2 if a["bidirectional"] else 1
        n = c + h
        outputs = length * g * h  # gate outputs per direction
        maccs = outputs * n
        bias = a["bias"]
        flops = outputs * (2 * n - 1 + (2 if bias else 0)) + length * h * self.cell(a)
        params = g * h * n + (2 * g * h if bias else 0)
        states = length * h
        return [(self.type, Cost(params=dirs * params, maccs=dirs * maccs, flops=dirs * flops,
                                 input_reads=dirs * maccs, output_writes=dirs * states,
                                 act_io=length * c + numel(out)))]

    def torch(self, layer, ins):
        a = layer.attrs
        args = f"{ins[0][-1]}, {a['hidden']}, batch_first=True"
        args += self.torch_args(a)
        if not a["bias"]:
            args += ", bias=False"
        if a["bidirectional"]:
            args += ", bidirectional=True"
        last = ", last=True" if a["return"] == "last" else ""
        return TorchCode([f"{RECURRENT}({self.module}({args}){last})"], helpers=(RECURRENT,))

    def torch_args(self, a) -> str:
        return ""


class RNNOp(RecurrentOp):
    """Elman RNN: h = act(W_ih·x + b_ih + W_hh·h + b_hh); its `activation` is the cell's, not a fused one."""

    def cell(self, a) -> int:
        return PER[a["activation"]]

    def torch_args(self, a) -> str:
        return ', nonlinearity="relu"' if a["activation"] == "relu" else ""


register(RecurrentOp("lstm", 4, LSTM_CELL, "nn.LSTM", "LSTM over a sequence: LxC -> LxH (or 2H bidirectional), or the "
                     "final state with `return: last`. Stack layers with `repeat`."),
         RecurrentOp("gru", 3, GRU_CELL, "nn.GRU", "GRU over a sequence: LxC -> LxH (or 2H bidirectional), or the "
                     "final state with `return: last`. Stack layers with `repeat`."),
         RNNOp("rnn", 1, PER["tanh"], "nn.RNN", "Elman RNN over a sequence: LxC -> LxH (or 2H bidirectional), or the "
               "final state with `return: last`. Stack layers with `repeat`.",
               (Attr("activation", ("tanh", "relu"), "tanh", "The cell's nonlinearity (PyTorch's `nonlinearity`); "
                     "on `rnn` this key is not a fused activation."),)))
