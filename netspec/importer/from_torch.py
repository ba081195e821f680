"""`netspec import --torch package.module:factory`: build a PyTorch model and export it to ONNX in memory.

The export uses PyTorch's TorchScript-based exporter (`torch.onnx.export(..., dynamo=False)`): it
needs nothing beyond torch and onnx, runs offline, and writes the same graph for the same model
every time. Two settings keep the graph close to the model: eval mode, and no constant folding,
so batch norm stays a BatchNormalization node (folded into the convolution it would be a bias, and
the parameter count would change).
"""

from __future__ import annotations

import importlib
import io
import re
import sys
import warnings

from . import ImportFailure, Problem

DEFAULT_SHAPE = (3, 224, 224)


def parse_shape(text: str | None) -> tuple[int, ...]:
    """`3x224x224` or `3,224,224` (channels first, as PyTorch; no batch) -> (3, 224, 224)."""
    if not text:
        return DEFAULT_SHAPE
    parts = [p for p in re.split(r"[x,\s]+", text.strip()) if p]
    try:
        dims = tuple(int(p) for p in parts)
    except ValueError:
        dims = ()
    if not 1 <= len(dims) <= 3 or any(d < 1 for d in dims):
        failure = ImportFailure([Problem(f"--input-shape takes channels-first sizes without the batch, such as "
                                         f"3x224x224; got {text!r}")])
        failure.usage = True
        raise failure
    return dims


def load_factory(spec: str):
    """The model a `package.module:factory` names: the factory's result (or the module object itself)."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        failure = ImportFailure([Problem(f"--torch takes package.module:factory, got {spec!r}")])
        failure.usage = True
        raise failure
    try:
        obj = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except Exception as exc:  # the user's module failing to import is their error, said in one line
        failure = ImportFailure([Problem(f"cannot load {spec}: {type(exc).__name__}: {exc}")])
        failure.usage = True
        raise failure from None
    import torch

    try:
        model = obj if isinstance(obj, torch.nn.Module) else obj()
    except Exception as exc:
        raise ImportFailure([Problem(f"{spec}() failed: {type(exc).__name__}: {exc}")]) from None
    if not isinstance(model, torch.nn.Module):
        raise ImportFailure([Problem(f"{spec} gave a {type(model).__name__}, not a torch.nn.Module")])
    return model


def export_module(model, shape: tuple[int, ...], vocab: int | None = None) -> bytes:
    """ONNX bytes of `model` in eval mode on one random sample of `shape` (batch 1): floats, or with
    `vocab`, token ids below it (a model that starts with an embedding)."""
    import torch

    model = model.eval()
    if vocab is None and len(shape) == 1:  # a model that starts with an embedding reads token ids
        vocab = min((m.num_embeddings for m in model.modules() if isinstance(m, torch.nn.Embedding)), default=None)
    x = torch.randn(1, *shape) if vocab is None else torch.randint(0, vocab, (1, *shape))
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _register_rms_norm()
        try:
            torch.onnx.export(model, (x,), buf, dynamo=False, do_constant_folding=False,
                              training=torch.onnx.TrainingMode.EVAL)
        except Exception as exc:
            message = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
            raise ImportFailure([Problem(f"torch.onnx.export failed: {type(exc).__name__}: {message}")]) from None
    return buf.getvalue()


def _rms_norm(g, x, normalized_shape, weight, eps):
    """aten::rms_norm, which the TorchScript exporter has no symbolic for before opset 23, written out:
    x / sqrt(mean(x², last axes) + eps) * weight (the import folds it back into `rmsnorm`)."""
    import torch
    from torch.onnx import symbolic_helper

    count = len(symbolic_helper._get_const(normalized_shape, "is", "normalized_shape"))
    eps = symbolic_helper._maybe_get_const(eps, "f")
    if not isinstance(eps, float):
        eps = float(torch.finfo(torch.float32).eps)
    axes = g.op("Constant", value_t=torch.tensor(list(range(-count, 0)), dtype=torch.int64))
    square = g.op("Pow", x, g.op("Constant", value_t=torch.tensor(2.0)))
    mean = g.op("ReduceMean", square, axes, keepdims_i=1)
    root = g.op("Sqrt", g.op("Add", mean, g.op("Constant", value_t=torch.tensor(eps))))
    y = g.op("Div", x, root)
    return y if symbolic_helper._is_none(weight) else g.op("Mul", y, weight)


def _register_rms_norm() -> None:
    from torch.onnx import register_custom_op_symbolic

    register_custom_op_symbolic("aten::rms_norm", _rms_norm, 18)


def export_factory(spec: str, input_shape: str | None) -> bytes:
    if importlib.util.find_spec("torch") is None:
        from .. import DISTRIBUTION

        failure = ImportFailure([Problem(f"--torch needs PyTorch, which is not installed: "
                                         f"pip install '{DISTRIBUTION}[torch,onnx]'")])
        failure.usage = True
        raise failure
    shape = parse_shape(input_shape)
    if "" not in sys.path and "." not in sys.path:
        sys.path.insert(0, "")  # `package.module` from the current directory, as `python -m` finds it
    return export_module(load_factory(spec), shape)
