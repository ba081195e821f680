"""Read an ONNX model defensively and prepare its graph for mapping.

Reading never trusts the file: its size is bounded before parsing; a protobuf that does not parse,
a model without a graph, an initializer whose dims claim more data than it holds (a "2 GB
initializer" in a 1 KB file), external data that points outside the model's folder, a cyclic or
dangling graph all become `Problem`s, and nothing is ever allocated from a claimed size.
Preparation runs ONNX shape inference (with the batch fixed to its static value or 1), folds small
constant subgraphs (the Shape/Gather/Concat arithmetic exporters write for pads and reshapes) with
numpy, and records the dims of every weight (an initializer, or an Identity of one).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper

from . import ImportFailure, Problem

MAX_FILE_SIZE = 2 * 1024**3 - 1  # protobuf's own limit for one message
MAX_FOLD = 1 << 16  # elements: constant folding never builds a larger array
MAX_NODES = 1_000_000
MAX_NUMEL = 2**63 - 1

# bytes per element of the tensor data types a weight may have
ITEMSIZE = {TensorProto.FLOAT: 4, TensorProto.UINT8: 1, TensorProto.INT8: 1, TensorProto.UINT16: 2,
            TensorProto.INT16: 2, TensorProto.INT32: 4, TensorProto.INT64: 8, TensorProto.BOOL: 1,
            TensorProto.FLOAT16: 2, TensorProto.DOUBLE: 8, TensorProto.UINT32: 4, TensorProto.UINT64: 8,
            TensorProto.BFLOAT16: 2}
INTEGER = {TensorProto.INT64, TensorProto.INT32}  # an input of these holds token ids
FLOATS = {TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.BFLOAT16, TensorProto.DOUBLE}
# netspec's dtype for the model input's element type (others: float32)
DTYPES = {TensorProto.FLOAT16: "float16", TensorProto.BFLOAT16: "bfloat16", TensorProto.INT8: "int8",
          TensorProto.UINT8: "int8"}


@dataclass
class OnnxGraph:
    """The prepared graph: nodes in execution order, static shapes, folded constants, weight dims."""

    name: str
    nodes: list  # NodeProto, topologically sorted, constant-folded nodes left out
    input: str  # the data input's name
    input_shape: tuple  # its static shape, batch first
    dtype: str
    outputs: list[str]
    shapes: dict[str, tuple] = field(default_factory=dict)  # every value with a static shape
    consts: dict[str, np.ndarray] = field(default_factory=dict)  # small values known at import time
    weights: dict[str, tuple] = field(default_factory=dict)  # weight name -> dims
    weight_origin: dict[str, str] = field(default_factory=dict)  # an alias of a weight -> the initializer
    consumers: dict[str, int] = field(default_factory=dict)  # value -> number of reading nodes
    tokens: bool = False  # the input holds integer ids (a model that starts with an embedding)
    params: set = field(default_factory=set)  # the float initializers: learned weights, not constants
    derived: dict[str, frozenset] = field(default_factory=dict)  # a folded value -> the weights it is made of

    def sources(self, name: str) -> frozenset:
        """The learned weights (as the graph names them where they are read) a value is made of."""
        if self.weight_origin.get(name, name) in self.params:
            return frozenset((name,))
        return self.derived.get(name, frozenset())


# --------------------------------------------------------------------------------------------
# reading

def read_file(path: str, max_size: int = MAX_FILE_SIZE) -> onnx.ModelProto:
    """Parse an .onnx file; every failure is an ImportFailure with one Problem."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise ImportFailure([Problem(f"cannot read: {exc.strerror or exc}")]) from None
    if not os.path.isfile(path):
        raise ImportFailure([Problem("not a regular file")])
    if st.st_size > max_size:
        raise ImportFailure([Problem(f"the file is {st.st_size:,} bytes, over the limit of {max_size:,} "
                                     "(raise it with --max-file-size)")])
    try:
        with open(path, "rb") as fh:
            data = fh.read(st.st_size + 1)  # never a buffer of the limit's size
    except OSError as exc:
        raise ImportFailure([Problem(f"cannot read: {exc.strerror or exc}")]) from None
    if len(data) > max_size:  # it grew while we looked
        raise ImportFailure([Problem(f"the file is over the limit of {max_size:,} bytes")])
    return parse(data, os.path.dirname(os.path.abspath(path)))


def parse(data: bytes, folder: str | None = None) -> onnx.ModelProto:
    """Parse ONNX bytes (never loading external data) and check the claims the mapping relies on."""
    try:
        model = onnx.load_model_from_string(data)
    except Exception as exc:  # google.protobuf.message.DecodeError and friends
        raise ImportFailure([Problem(f"not an ONNX model: the protobuf does not parse ({type(exc).__name__})")]) \
            from None
    problems = []
    if not model.HasField("graph") or not model.graph.node:
        problems.append(Problem("not an ONNX model: it has no graph nodes"))
    elif len(model.graph.node) > MAX_NODES:
        problems.append(Problem(f"{len(model.graph.node):,} nodes, over the limit of {MAX_NODES:,}"))
    else:
        problems += check_initializers(model.graph, folder)
    if problems:
        raise ImportFailure(problems)
    return model


def numel_of(dims) -> int | None:
    n = 1
    for d in dims:
        if d < 0:
            return None
        n *= d
        if n > MAX_NUMEL:
            return None
    return n


def _held_bytes(t: TensorProto) -> int | None:
    """The bytes of data a tensor really holds inside the file (None: a type we cannot size)."""
    if t.HasField("raw_data") or t.raw_data:
        return len(t.raw_data)
    size = ITEMSIZE.get(t.data_type)
    if size is None:
        return None
    typed = {TensorProto.FLOAT: t.float_data, TensorProto.DOUBLE: t.double_data, TensorProto.INT64: t.int64_data,
             TensorProto.UINT64: t.uint64_data, TensorProto.UINT32: t.uint64_data}.get(t.data_type, t.int32_data)
    return len(typed) * size


def check_tensor(t: TensorProto, folder: str | None, what: str) -> list[Problem]:
    """A weight's claims: its dims, its data size, and where its external data lives."""
    n = numel_of(t.dims)
    if n is None:
        return [Problem(f"{what} {t.name!r} has impossible dims {list(t.dims)}")]
    size = ITEMSIZE.get(t.data_type)
    if t.data_location == TensorProto.EXTERNAL:
        info = {e.key: e.value for e in t.external_data}
        loc = info.get("location", "")
        if folder is None:
            return [Problem(f"{what} {t.name!r} keeps its data in an external file, which an in-memory model "
                            "cannot have")]
        target = os.path.realpath(os.path.join(folder, loc))
        if not loc or os.path.isabs(loc) or os.path.commonpath([target, os.path.realpath(folder)]) \
                != os.path.realpath(folder):
            return [Problem(f"{what} {t.name!r} points its external data outside the model's folder "
                            f"({loc!r}); refused")]
        if not os.path.isfile(target):
            return [Problem(f"{what} {t.name!r}: its external data file {loc!r} is missing")]
        if size is not None:
            try:
                length = int(info.get("length", -1))
                offset = int(info.get("offset", 0))
            except ValueError:
                return [Problem(f"{what} {t.name!r}: bad external data offset/length")]
            avail = os.path.getsize(target) - offset
            need = n * size if length < 0 else length
            if offset < 0 or need > avail or (length >= 0 and length != n * size):
                return [Problem(f"{what} {t.name!r} claims {n:,} elements but its external data holds "
                                f"{max(avail, 0):,} bytes")]
        return []
    held = _held_bytes(t)
    if size is not None and held is not None and held != n * size:
        return [Problem(f"{what} {t.name!r} claims dims {list(t.dims)} ({n:,} elements, {n * size:,} bytes) "
                        f"but holds {held:,} bytes")]
    return []


def check_initializers(graph, folder: str | None) -> list[Problem]:
    problems = []
    for t in graph.initializer:
        problems += check_tensor(t, folder, "initializer")
    if graph.sparse_initializer:
        problems.append(Problem("sparse initializers are not supported"))
    for node in graph.node:
        if node.op_type == "Constant":
            for a in node.attribute:
                if a.name == "value" and a.HasField("t"):
                    problems += [Problem(p.message, node.name, node.op_type)
                                 for p in check_tensor(a.t, folder, "constant")]
    return problems


# --------------------------------------------------------------------------------------------
# the order of the nodes

def topological(graph) -> tuple[list, list[Problem]]:
    """The nodes in an order where each runs after its inputs' producers; cycles and dangling inputs
    are problems (naming the nodes)."""
    produced: dict[str, int] = {}
    problems = []
    for i, node in enumerate(graph.node):
        for out in node.output:
            if out and out in produced:
                problems.append(Problem(f"its output {out!r} is also produced by another node", node.name,
                                        node.op_type))
            produced[out] = i
    known = {t.name for t in graph.initializer} | {v.name for v in graph.input}
    waiting = [0] * len(graph.node)
    readers: dict[int, list[int]] = {}
    for i, node in enumerate(graph.node):
        for name in node.input:
            if not name or name in known:
                continue
            if name not in produced:
                problems.append(Problem(f"reads {name!r}, which no node produces", node.name, node.op_type))
                continue
            waiting[i] += 1
            readers.setdefault(produced[name], []).append(i)
    ready = [i for i, w in enumerate(waiting) if w == 0]
    order = []
    while ready:
        i = ready.pop()
        order.append(i)
        for j in readers.get(i, ()):
            waiting[j] -= 1
            if waiting[j] == 0:
                ready.append(j)
    if len(order) < len(graph.node) and not problems:
        stuck = [graph.node[i] for i, w in enumerate(waiting) if w > 0]
        names = ", ".join(repr(n.name or n.op_type) for n in stuck[:10])
        problems.append(Problem(f"the graph has a cycle through {len(stuck)} node(s): {names}"
                                + (" ..." if len(stuck) > 10 else "")))
    order.sort()  # keep the file's order where it is valid (exporters write execution order) ...
    if any(produced.get(n, -1) > i for i in order for n in graph.node[i].input):
        order = _stable_topo(graph, produced)  # ... and sort properly where it is not
    return [graph.node[i] for i in order], problems


def _stable_topo(graph, produced) -> list[int]:
    done: set[int] = set()
    out: list[int] = []
    for start in range(len(graph.node)):
        stack = [(start, False)]
        while stack:
            i, expanded = stack.pop()
            if i in done:
                continue
            if expanded:
                done.add(i)
                out.append(i)
                continue
            stack.append((i, True))
            for name in graph.node[i].input:
                j = produced.get(name)
                if j is not None and j not in done:
                    stack.append((j, False))
    return out


# --------------------------------------------------------------------------------------------
# preparation

def _static(value_info) -> tuple | None:
    t = value_info.type
    if not t.HasField("tensor_type") or not t.tensor_type.HasField("shape"):
        return None
    dims = []
    for d in t.tensor_type.shape.dim:
        if not d.HasField("dim_value"):
            return None
        dims.append(d.dim_value)
    return tuple(dims)


def _data_input(graph) -> tuple[list, list[Problem]]:
    inits = {t.name for t in graph.initializer}
    data = [v for v in graph.input if v.name not in inits]
    if len(data) != 1:
        names = ", ".join(repr(v.name) for v in data) or "none"
        return data, [Problem(f"netspec specs have one input; this graph has {len(data)} ({names})")]
    return data, []


def prepare(model: onnx.ModelProto) -> tuple[OnnxGraph, list[Problem]]:
    """Shape inference and constant folding; the problems found are fatal to the mapping."""
    graph = model.graph
    nodes, problems = topological(graph)
    data, more = _data_input(graph)
    problems += more
    if problems:
        return None, problems
    inp = data[0]
    dims = inp.type.tensor_type.shape.dim
    fixed = []
    for i, d in enumerate(dims):
        if d.HasField("dim_value") and d.dim_value > 0:
            fixed.append(d.dim_value)
        elif i == 0:
            d.Clear()
            d.dim_value = 1  # a symbolic batch: one sample
            fixed.append(1)
        else:
            return None, [Problem(f"the input {inp.name!r} has a symbolic dimension {i} "
                                  f"({d.dim_param or '?'}); export the model with a fixed input shape")]
    elem = inp.type.tensor_type.elem_type
    g = OnnxGraph(name=graph.name, nodes=[], input=inp.name, input_shape=tuple(fixed),
                  dtype=DTYPES.get(elem, "float32"), outputs=[o.name for o in graph.output],
                  tokens=elem in INTEGER)
    for t in graph.initializer:
        _add_tensor(g, t.name, t)
        if t.data_type in FLOATS:
            g.params.add(t.name)
    for node in nodes:
        for name in node.input:
            g.consumers[name] = g.consumers.get(name, 0) + 1
    for name in g.outputs:
        g.consumers[name] = g.consumers.get(name, 0) + 1
    g.shapes[inp.name] = tuple(fixed)
    declared = {vi.name: _static(vi) for vi in (*graph.value_info, *graph.output)}
    pending = nodes
    for _ in range(8):  # folding a Pad's pads or a Reshape's shape lets inference see further
        problem = infer(g, model, pending)
        if problem:
            return None, [problem]
        for name, shape in declared.items():  # the exporter's own shapes (PyTorch's, where ONNX's rule for
            if shape is not None and name in g.shapes and name not in g.consts:  # a ceil_mode pool differs)
                g.shapes[name] = shape
        kept = [node for node in pending if not fold(g, node)]
        if len(kept) == len(pending):
            break
        pending = kept
    g.nodes = pending
    g.shapes[inp.name] = tuple(fixed)
    return g, []


STANDARD = ("", "ai.onnx")


def infer(g: OnnxGraph, model: onnx.ModelProto, nodes: list) -> Problem | None:
    """ONNX shape inference on a light copy of the graph: the nodes still to map, the folded
    constants as initializers, the weights as inputs of their shape (their data is never copied).
    Nodes of other domains are left out (ONNX cannot infer them; the mapping names them)."""
    nodes = [n for n in nodes if n.domain in STANDARD]
    graph = model.graph
    needed = {n for node in nodes for n in node.input if n}
    light = onnx.helper.make_graph(
        nodes, graph.name or "g",
        [graph.input[[v.name for v in graph.input].index(g.input)]]
        + [onnx.helper.make_tensor_value_info(name, TensorProto.FLOAT, list(dims))
           for name, dims in g.weights.items() if name in needed and name not in g.consts],
        list(graph.output),
        [numpy_helper.from_array(np.asarray(value), name) for name, value in g.consts.items() if name in needed])
    opsets = list(model.opset_import)
    try:
        inferred = onnx.shape_inference.infer_shapes(
            onnx.helper.make_model(light, opset_imports=opsets, ir_version=model.ir_version or 8),
            check_type=False, strict_mode=False, data_prop=True)
    except Exception as exc:  # onnx raises its own error types, and RuntimeError from C++
        return Problem(f"ONNX shape inference failed: {(str(exc).splitlines() or [''])[0][:300]}")
    for vi in (*inferred.graph.value_info, *inferred.graph.output):
        shape = _static(vi)
        if shape is not None:
            g.shapes[vi.name] = shape
    return None


def _add_tensor(g: OnnxGraph, name: str, t: TensorProto) -> None:
    g.weights[name] = tuple(t.dims)
    g.shapes[name] = tuple(t.dims)
    n = numel_of(t.dims)
    if n is not None and n <= MAX_FOLD and t.data_location != TensorProto.EXTERNAL:
        try:
            g.consts[name] = numpy_helper.to_array(t)
        except Exception:  # a data type numpy cannot hold: the dims still count
            pass


# --------------------------------------------------------------------------------------------
# constant folding: the arithmetic exporters write around shapes, pads and reshapes

def _attrs(node) -> dict:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def fold(g: OnnxGraph, node) -> bool:
    """Compute the node at import time if it only reads constants (or, for Shape, a static shape)."""
    op = node.op_type
    a = _attrs(node)
    ins = list(node.input)
    if op == "Constant":
        t = a.get("value")
        if isinstance(t, TensorProto):
            t.name = node.output[0]
            _add_tensor(g, node.output[0], t)
            return True
        for key in ("value_float", "value_int", "value_floats", "value_ints"):
            if key in a:
                return _set(g, node.output[0], np.array(a[key]))
        return False
    if op == "Identity" and ins[0] in g.weights:
        g.weights[node.output[0]] = g.weights[ins[0]]
        g.shapes[node.output[0]] = g.weights[ins[0]]
        g.weight_origin[node.output[0]] = g.weight_origin.get(ins[0], ins[0])
        if ins[0] in g.consts:
            g.consts[node.output[0]] = g.consts[ins[0]]
        return True
    if op == "Transpose" and ins[0] in g.weights:  # a weight, transposed (nn.Linear's MatMul)
        dims = g.weights[ins[0]]
        perm = a.get("perm", list(range(len(dims)))[::-1])
        g.weights[node.output[0]] = g.shapes[node.output[0]] = tuple(dims[p] for p in perm)
        g.weight_origin[node.output[0]] = g.weight_origin.get(ins[0], ins[0])
        if ins[0] in g.consts:
            g.consts[node.output[0]] = np.transpose(g.consts[ins[0]], perm)
        return True
    if op == "Shape":
        shape = g.shapes.get(ins[0])
        if shape is None:
            return False
        return _set(g, node.output[0], np.array(shape[a.get("start", 0):a.get("end", len(shape))], dtype=np.int64))
    if op not in FOLDERS or not ins or any(n and n not in g.consts for n in ins):
        return False
    try:
        values = FOLDERS[op]([g.consts[n] if n else None for n in ins], a)
    except Exception:  # not foldable after all: the mapping will say what it cannot do
        return False
    if not isinstance(values, tuple):
        values = (values,)
    if not all(_set(g, out, np.asarray(v)) for out, v in zip(node.output, values)):
        return False
    made_of = frozenset().union(*(g.sources(n) for n in ins if n))
    if made_of:
        for out in node.output:
            g.derived[out] = made_of
    return True


def _set(g: OnnxGraph, name: str, value: np.ndarray) -> bool:
    if value.size > MAX_FOLD:
        return False
    g.consts[name] = value
    g.shapes[name] = tuple(value.shape)
    return True


def _slice(ins, a):
    data, starts, ends = ins[0], ins[1], ins[2]
    axes = ins[3] if len(ins) > 3 and ins[3] is not None else range(len(starts))
    steps = ins[4] if len(ins) > 4 and ins[4] is not None else [1] * len(starts)
    index = [slice(None)] * data.ndim
    for s, e, ax, st in zip(starts, ends, axes, steps):
        index[int(ax)] = slice(int(s), int(e), int(st))
    return data[tuple(index)]


def _small_shape(shape) -> tuple:
    shape = tuple(int(d) for d in shape)
    if numel_of(shape) is None or numel_of(shape) > MAX_FOLD:
        raise ValueError("too large to fold")
    return shape


FOLDERS = {
    "Identity": lambda ins, a: ins[0],
    "Cast": lambda ins, a: ins[0].astype(onnx.helper.tensor_dtype_to_np_dtype(a["to"])),
    "Gather": lambda ins, a: np.take(ins[0], ins[1], axis=a.get("axis", 0)),
    "Unsqueeze": lambda ins, a: np.reshape(ins[0], _unsqueezed(ins[0].shape, ins[1] if len(ins) > 1 else a["axes"])),
    "Squeeze": lambda ins, a: np.squeeze(ins[0], axis=tuple(int(x) for x in (ins[1] if len(ins) > 1 else a["axes"]))),
    "Concat": lambda ins, a: np.concatenate(ins, axis=a.get("axis", 0)),
    "Reshape": lambda ins, a: np.reshape(ins[0], [int(d) for d in ins[1]]),
    "Transpose": lambda ins, a: np.transpose(ins[0], a.get("perm")),
    "Slice": _slice,
    "Add": lambda ins, a: ins[0] + ins[1],
    "Sub": lambda ins, a: ins[0] - ins[1],
    "Mul": lambda ins, a: ins[0] * ins[1],
    "Div": lambda ins, a: ins[0] // ins[1] if ins[0].dtype.kind in "iu" else ins[0] / ins[1],
    "Neg": lambda ins, a: -ins[0],
    "Mod": lambda ins, a: np.fmod(ins[0], ins[1]) if a.get("fmod", 0) else np.mod(ins[0], ins[1]),
    "Floor": lambda ins, a: np.floor(ins[0]),
    "Ceil": lambda ins, a: np.ceil(ins[0]),
    "Sqrt": lambda ins, a: np.sqrt(ins[0]),
    "Equal": lambda ins, a: ins[0] == ins[1],
    "Where": lambda ins, a: np.where(ins[0], ins[1], ins[2]),
    "Trilu": lambda ins, a: (np.triu if a.get("upper", 1) else np.tril)(ins[0], int(ins[1]) if len(ins) > 1 and
                                                                         ins[1] is not None else 0),
    "Range": lambda ins, a: np.arange(ins[0], ins[1], ins[2])[:MAX_FOLD + 1],
    "ConstantOfShape": lambda ins, a: np.full(_small_shape(ins[0]),
                                              numpy_helper.to_array(a["value"]).reshape(-1)[0]
                                              if "value" in a else np.float32(0)),
    "Expand": lambda ins, a: np.broadcast_to(ins[0], np.broadcast_shapes(ins[0].shape, _small_shape(ins[1]))),
}


def _unsqueezed(shape, axes) -> list[int]:
    out = list(shape)
    rank = len(shape) + len(axes)
    for ax in sorted(int(x) % rank for x in axes):
        out.insert(ax, 1)
    return out
