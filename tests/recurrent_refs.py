"""Unrolled per-step references of PyTorch's recurrent layers, written from the equations in the docs
of `nn.LSTM`, `nn.GRU` and `nn.RNN` (gate order i, f, g, o and r, z, n; h_0 = c_0 = 0; the reverse
direction steps from the last position to the first; layer l + 1 reads layer l's sequence).

Why: `FlopCounterMode` counts `nn.LSTM` as 0 on CPU (its fused kernel has no formula), so the MACCs
of an LSTM come from this reference, which computes each step as explicit matrix products
(`F.linear`, counted by FlopCounterMode) and must reproduce the module's output to be trusted.
Import only after `pytest.importorskip("torch")`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode


def _step(kind: str, x, h, c, w_ih, w_hh, b_ih, b_hh, nonlinearity: str):
    gi, gh = F.linear(x, w_ih, b_ih), F.linear(h, w_hh, b_hh)
    if kind == "LSTM":
        i, f, g, o = (gi + gh).chunk(4, -1)
        c = f.sigmoid() * c + i.sigmoid() * g.tanh()
        return o.sigmoid() * c.tanh(), c
    if kind == "GRU":
        ir, iz, inn = gi.chunk(3, -1)
        hr, hz, hn = gh.chunk(3, -1)
        r, z = (ir + hr).sigmoid(), (iz + hz).sigmoid()
        n = (inn + r * hn).tanh()
        return (1 - z) * n + z * h, c
    s = gi + gh
    return (s.tanh() if nonlinearity == "tanh" else s.relu()), c


def unrolled(rnn, x) -> tuple:
    """(output (N, L, D*H), h_n (layers*D, N, H), MACCs per the whole batch) of a batch_first `rnn` on x."""
    kind = type(rnn).__name__
    nonlinearity = getattr(rnn, "nonlinearity", "tanh")
    n, length, _ = x.shape
    hidden = rnn.hidden_size
    finals = []
    seq = x
    counter = FlopCounterMode(display=False)
    with counter:
        for layer in range(rnn.num_layers):
            outs = []
            for direction in range(2 if rnn.bidirectional else 1):
                sfx = f"_l{layer}" + ("_reverse" if direction else "")
                w_ih, w_hh = getattr(rnn, "weight_ih" + sfx), getattr(rnn, "weight_hh" + sfx)
                b_ih = getattr(rnn, "bias_ih" + sfx) if rnn.bias else None
                b_hh = getattr(rnn, "bias_hh" + sfx) if rnn.bias else None
                h = c = x.new_zeros(n, hidden)
                ys = [None] * length
                for t in (range(length - 1, -1, -1) if direction else range(length)):
                    h, c = _step(kind, seq[:, t], h, c, w_ih, w_hh, b_ih, b_hh, nonlinearity)
                    ys[t] = h
                outs.append(torch.stack(ys, 1))
                finals.append(h)
            seq = torch.cat(outs, -1)
    return seq, torch.stack(finals), counter.get_total_flops() // 2


def formula_maccs(rnn, length: int) -> int:
    """MACCs by the docs' equations: per layer and direction, L steps of g*H x (C + H) products."""
    gates = {"LSTM": 4, "GRU": 3, "RNN": 1}[type(rnn).__name__]
    d = 2 if rnn.bidirectional else 1
    total = 0
    for layer in range(rnn.num_layers):
        c = rnn.input_size if layer == 0 else d * rnn.hidden_size
        total += d * length * gates * rnn.hidden_size * (c + rnn.hidden_size)
    return total
