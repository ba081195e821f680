"""ONNX LSTM, GRU and RNN nodes -> netspec's `lstm`, `gru` and `rnn` (format 1.1), as PyTorch exports
nn.LSTM/nn.GRU/nn.RNN.

ONNX's recurrent ops read and write time-first tensors: X (L, N, C), Y (L, D, N, H), Y_h (D, N, H).
A Transpose of a channels-first sequence (N, C, L) to (L, N, C) makes a *time-first* value (`Val.
time_major`), which only a recurrent node or a Transpose back to batch-first may read. The node's
output is followed through the views PyTorch writes after it: the sequence Y through a Squeeze of
the direction axis (one direction) or a Transpose and Reshape that put both directions' states side
by side (bidirectional) — a time-first value again, so stacked layers chain — or the final state
Y_h through a Transpose and Flatten/Reshape to (N, D*H) (netspec's `return: last`). A stack
(`num_layers`) is consecutive nodes, so consecutive layers.

Mapped only exactly: PyTorch's cells (default activations, rnn tanh|relu; GRU with
linear_before_reset, as PyTorch computes it), zero initial states, no peepholes, clip, sequence
lengths or input-forget coupling, and every direction's weights of the shapes netspec counts.
"""

from __future__ import annotations

import numpy as np

from ..ops import REGISTRY
from .mapping import Mapper, Unsupported, Val

# op type -> (netspec type, gates, PyTorch's activations per direction)
CELLS = {"LSTM": ("lstm", 4, ["sigmoid", "tanh", "tanh"]), "GRU": ("gru", 3, ["sigmoid", "tanh"]),
         "RNN": ("rnn", 1, None)}
RNN_ACTIVATIONS = {"tanh": "tanh", "relu": "relu"}


def _text(v) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


def is_time_first(m: Mapper, node, x: Val, perm) -> bool:
    """Whether a Transpose puts a sequence's steps first, the batch second and the channels last, for a
    recurrent node to read."""
    perm = list(perm)
    return (len(x.shape) == 2 and len(x.axes) == 2 and len(perm) == 3 and perm[1] == 0 and 0 not in perm[::2]
            and x.axes[perm[0] - 1] == 0 and x.axes[perm[2] - 1] == 1 and x.pad is None and x.shuffle is None
            and x.pixel is None and not x.tokens
            and any(r.op_type in CELLS for r in m.readers.get(node.output[0], [])))


def time_first(m: Mapper, node, x: Val) -> None:
    """A Transpose of a sequence to (L, N, C): the input of a recurrent node."""
    m.vals[node.output[0]] = Val(x.ref, x.shape, x.axes, node.output[0], time_major=True)


def transpose_back(m: Mapper, node, x: Val, perm: list) -> None:
    """A Transpose of a time-first (L, N, C) value that puts the batch first again."""
    if len(perm) != 3 or perm[0] != 1:
        raise Unsupported(f"a Transpose {list(perm)} of a time-first sequence that does not put the batch first")
    where = {0: 0, 2: 1}  # ONNX axis of (L, N, C) -> netspec axis of LxC
    m.vals[node.output[0]] = Val(x.ref, x.shape, tuple(where[p] for p in perm[1:]), node.output[0])


def _check_cell(node, a: dict, type_: str, dirs: int) -> dict:
    """The netspec attributes the cell's ONNX attributes say, or Unsupported for a cell netspec lacks."""
    for key, what in (("clip", "a cell clip"), ("input_forget", "input-forget coupling"),
                      ("activation_alpha", "activation parameters"), ("activation_beta", "activation parameters")):
        if key in a and (key != "input_forget" or a[key]):
            raise Unsupported(f"{what} (netspec's {type_} is PyTorch's cell, which has none)")
    if int(a.get("layout", 0)) != 0:
        raise Unsupported("a batch-first layout (layout=1); PyTorch exports time-first")
    acts = [_text(v).lower() for v in a.get("activations", [])]
    attrs = {}
    op_type = node.op_type
    if op_type == "RNN":
        acts = acts or ["tanh"] * dirs
        if len(set(acts)) != 1 or acts[0] not in RNN_ACTIVATIONS:
            raise Unsupported(f"an RNN with the activations {acts} (netspec's rnn has tanh or relu)")
        if acts[0] != "tanh":
            attrs["activation"] = RNN_ACTIVATIONS[acts[0]]
    else:
        default = CELLS[op_type][2]
        if acts and acts != default * dirs:
            raise Unsupported(f"a {op_type} with the activations {acts} (netspec's {type_} is PyTorch's: "
                              f"{default})")
    if op_type == "GRU" and int(a.get("linear_before_reset", 0)) != 1:
        raise Unsupported("a GRU with linear_before_reset=0 (netspec's gru is PyTorch's, which applies the reset "
                          "gate after the recurrent product)")
    return attrs


def _zero_state(m: Mapper, node, i: int, what: str) -> None:
    name = node.input[i] if i < len(node.input) else ""
    if not name:
        return
    if name in m.vals:
        raise Unsupported(f"its {what} is computed from the input (netspec's {node.op_type.lower()} starts at zero)")
    value = m.g.consts.get(name)
    if value is None or np.any(np.asarray(value) != 0):
        raise Unsupported(f"its {what} is not zero (netspec's recurrent layers start from a zero state)")


def _dims(m: Mapper, node, i: int) -> tuple:
    name = node.input[i]
    if name in m.vals:
        raise Unsupported(f"its input {i + 1} (weights) is computed at run time")
    dims = m.g.weights.get(name) or m.g.shapes.get(name)
    if dims is None:
        raise Unsupported(f"its input {i + 1} (weights) has no static shape")
    return tuple(dims)


def _readers(m: Mapper, value: str) -> list:
    return m.readers.get(value, []) if value else []


def _only_reader(m: Mapper, value: str, op_type: str):
    readers = _readers(m, value)
    if len(readers) != 1 or readers[0].op_type != op_type or m.skip[id(readers[0])]:
        return None
    return readers[0]


def _axes(m: Mapper, node) -> list | None:
    a = {x.name: x for x in node.attribute}
    if "axes" in a:
        return list(a["axes"].ints)
    if len(node.input) > 1 and node.input[1] in m.g.consts:
        return [int(v) for v in np.asarray(m.g.consts[node.input[1]]).reshape(-1)]
    return None


def _perm(node) -> list | None:
    for x in node.attribute:
        if x.name == "perm":
            return list(x.ints)
    return None


def _sequence_out(m: Mapper, node, dirs: int, width: int) -> tuple | None:
    """(last node, its output) of the views that make Y (L, D, N, H) the time-first (L, N, D*H)."""
    y = node.output[0]
    if dirs == 1:
        sq = _only_reader(m, y, "Squeeze")
        if sq is None or _axes(m, sq) not in ([1], [-3]):
            return None
        return [sq], sq.output[0]
    tr = _only_reader(m, y, "Transpose")
    if tr is None or _perm(tr) != [0, 2, 1, 3]:
        return None
    rs = _only_reader(m, tr.output[0], "Reshape")
    shape = m.g.shapes.get(rs.output[0]) if rs is not None else None
    if shape is None or len(shape) != 3 or shape[2] != width:
        return None
    return [tr, rs], rs.output[0]


def _last_out(m: Mapper, node, dirs: int, width: int) -> tuple | None:
    """(nodes, output) of the views that make Y_h (D, N, H) the vector (N, D*H) (PyTorch's h_n, each
    direction's final state, forward first)."""
    h = node.output[1]
    if dirs == 1:
        sq = _only_reader(m, h, "Squeeze")
        if sq is not None and _axes(m, sq) == [0]:
            return [sq], sq.output[0]
    tr = _only_reader(m, h, "Transpose")
    if tr is None or _perm(tr) != [1, 0, 2]:
        return None
    flat = _only_reader(m, tr.output[0], "Flatten") or _only_reader(m, tr.output[0], "Reshape")
    shape = m.g.shapes.get(flat.output[0]) if flat is not None else None
    if shape is None or tuple(shape[1:]) != (width,):
        return None
    return [tr, flat], flat.output[0]


def recurrent(m: Mapper, node, a: dict) -> None:
    type_, gates, _ = CELLS[node.op_type]
    if type_ not in REGISTRY:
        raise Unsupported(f"no netspec layer computes {node.op_type} in this version")
    x = m.vals.get(node.input[0])
    if x is None or not x.time_major or len(x.shape) != 2:
        raise Unsupported("its input is not a sequence laid out time-first (L, N, C) from a netspec sequence")
    length, c = x.shape
    direction = _text(a.get("direction", "forward"))
    if direction not in ("forward", "bidirectional"):
        raise Unsupported(f"a {direction} {node.op_type} (netspec runs forward, or both ways with `bidirectional`)")
    dirs = 2 if direction == "bidirectional" else 1
    h = int(a["hidden_size"]) if "hidden_size" in a else None
    attrs = _check_cell(node, a, type_, dirs)
    w, r = _dims(m, node, 1), _dims(m, node, 2)
    if h is None:
        h = r[-1]
    if w != (dirs, gates * h, c) or r != (dirs, gates * h, h):
        raise Unsupported(f"its weights {list(w)} and {list(r)} are not those of {dirs} direction(s) of {gates} "
                          f"gate(s) of {h} units over {c} channels")
    bias = len(node.input) > 3 and bool(node.input[3])
    if bias and _dims(m, node, 3) != (dirs, 2 * gates * h):
        raise Unsupported(f"its bias {list(_dims(m, node, 3))} is not PyTorch's two per gate")
    if len(node.input) > 4 and node.input[4]:
        raise Unsupported("explicit sequence lengths (netspec's sequences are all of one length)")
    _zero_state(m, node, 5, "initial hidden state")
    if node.op_type == "LSTM":
        _zero_state(m, node, 6, "initial cell state")
        if len(node.input) > 7 and node.input[7]:
            raise Unsupported("peephole connections (netspec's lstm is PyTorch's, which has none)")
        if len(node.output) > 2 and _readers(m, node.output[2]):
            raise Unsupported("its final cell state is read (a netspec layer has one output)")
    width = dirs * h
    seq = _readers(m, node.output[0]) if node.output else []
    last = _readers(m, node.output[1]) if len(node.output) > 1 else []
    if seq and last:
        raise Unsupported("both its sequence and its final state are read (a netspec layer has one output)")
    found = _sequence_out(m, node, dirs, width) if seq else _last_out(m, node, dirs, width) if last else None
    if found is None:
        raise Unsupported("its output is not read through the views PyTorch writes (a Squeeze, or Transpose and "
                          "Reshape, of the sequence; a Transpose and Flatten of the final state)")
    views, out = found
    if dirs == 2:
        attrs["bidirectional"] = True
    if last:
        attrs["return"] = "last"
    shape = (length, width) if seq else (width,)
    layer = m.add(node, type_, {"hidden": h, **attrs}, [x.ref], shape, bias=bias)
    for view in views:
        m.skip[id(view)] += 1
        layer.nodes.append(view.name)
    m.vals[out] = Val(layer.name, shape, (0,), out, time_major=bool(seq))
