"""The PyTorch oracle: run netspec's exported module and compare every layer with netspec's numbers.

Import this only after `pytest.importorskip("torch")`. Per layer it checks the output shape (a
forward hook on the layer's attribute), the parameters (`sum(p.numel())` of that attribute: the
layer with its fused batch norm) and the MACCs (FlopCounterMode's count for that attribute / 2);
and the totals. A mismatch is collected, not raised, so one failure shows every disagreement.

FlopCounterMode counts `nn.LSTM` as 0 on CPU: a recurrent module it did not count is counted by
its unrolled per-step reference (tests/recurrent_refs.py), which must reproduce the module's output.
"""

from __future__ import annotations

import torch
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode

from netspec.export.torch import build, class_name, input_vocab, layer_code
from netspec.ops import Tokens
from netspec.pipeline import check_text
from recurrent_refs import unrolled


# Above these sizes the exported module runs on the meta device: shapes, parameters and
# FlopCounterMode's counts are the same as on the CPU (they depend on shapes only), without
# allocating gigabytes or computing a trillion products on this 2-core machine.
META_MACCS = 20_000_000_000
META_PARAMS = 200_000_000


def torch_layout(shape: tuple, batch: int) -> tuple:
    """netspec (H, W, C) / (L, C) / (C,) -> the exported module's (N, C, H, W) / (N, C, L) / (N, C);
    token ids (L,) -> (N, L)."""
    if type(shape) is Tokens:
        return (batch, shape[0])
    return (batch, shape[-1], *shape[:-1])


def example_input(graph, device: str = "cpu"):
    """A batch of one: random features, or random token ids every embedding reading them accepts."""
    shape = torch_layout(graph.input, 1)
    if type(graph.input) is Tokens:
        return torch.randint(0, input_vocab(graph), shape, device=device)
    return torch.randn(*shape, device=device)


def hooked_layout(graph, layer, batch: int) -> tuple:
    """The shape a layer's attribute returns: channels-first, except where the op's export runs its
    attribute on the channels-last tensor (a layer norm over an image or a sequence, an embedding):
    the forward pass permutes around it."""
    if layer_code(graph, layer).channels_last and len(layer.output) > 1:
        return (batch, *layer.output)
    return torch_layout(layer.output, batch)


def per_sample_maccs(layer) -> int:
    return sum(c.maccs for _, c in layer.parts)


def _recurrent_hooks(model, calls: list) -> list:
    """Hooks recording (layer name, module path, module, input, output) of every recurrent module."""
    handles = []
    for name, attr in model.netspec_layers.items():
        for sub, mod in getattr(model, attr).named_modules():
            if isinstance(mod, torch.nn.RNNBase):
                def hook(m, inp, out, name=name, path=f"{attr}.{sub}"):
                    calls.append((name, path, m, inp[0], out[0]))

                handles.append(mod.register_forward_hook(hook))
    return handles


def _uncounted_recurrent(calls: list, counts: dict, prefix: str, flops: dict, problems: list) -> int:
    """Add the unrolled reference's FLOPs of each recurrent module FlopCounterMode counted as 0."""
    added = 0
    for name, path, mod, x, y in calls:
        if sum(counts.get(f"{prefix}.{path}", {}).values()):
            continue  # counted (nn.GRU, nn.RNN run as matrix products)
        with torch.no_grad():
            ref, _, maccs = unrolled(mod, x)
        if not y.is_meta and not torch.allclose(ref, y, atol=1e-5, rtol=1e-4):
            problems.append(f"{name}: the unrolled reference does not reproduce {type(mod).__name__}")
        flops[name] += 2 * maccs
        added += 2 * maccs
    return added


def run_export(graph, seed: int = 0, device: str | None = None, problems: list | None = None):
    """Build the exported module, run batch 1 through it in eval mode; per-layer shapes/params/MACCs.

    Attention is counted as the oracle must (tests/test_transformers.py): the export writes its
    products as explicit matmuls, and the count runs with the math backend and grad enabled.
    """
    if device is None:
        big = sum(per_sample_maccs(l) for l in graph.layers) > META_MACCS or \
            sum(l.cost.params for l in graph.layers) > META_PARAMS
        device = "meta" if big else "cpu"
    torch.manual_seed(seed)
    with torch.device(device):
        model = build(graph).eval()
    shapes: dict[str, tuple] = {}
    recurrent: list = []
    handles = _recurrent_hooks(model, recurrent)
    for name, attr in model.netspec_layers.items():
        module = getattr(model, attr)

        def hook(_mod, _inp, out, name=name):
            shapes[name] = tuple(out.shape)

        handles.append(module.register_forward_hook(hook))
    x = example_input(graph, device)
    counter = FlopCounterMode(display=False)
    with sdpa_kernel(SDPBackend.MATH), torch.enable_grad(), counter:
        y = model(x)
    for h in handles:
        h.remove()
    counts = counter.get_flop_counts()
    prefix = class_name(graph)
    flops = {name: sum(counts.get(f"{prefix}.{attr}", {}).values()) for name, attr in model.netspec_layers.items()}
    params = {name: sum(p.numel() for p in getattr(model, attr).parameters())
              for name, attr in model.netspec_layers.items()}
    total = counter.get_total_flops()
    total += _uncounted_recurrent(recurrent, counts, prefix, flops, [] if problems is None else problems)
    return model, y, shapes, params, flops, total


def compare_export(graph, totals) -> list[str]:
    """Every disagreement between netspec's graph and the exported PyTorch module (empty: they agree)."""
    problems: list[str] = []
    model, y, shapes, params, flops, total_flops = run_export(graph, problems=problems)
    for layer in graph.layers:
        want = hooked_layout(graph, layer, 1)
        if shapes.get(layer.name) != want:
            problems.append(f"{layer.name} ({layer.type}): torch shape {shapes.get(layer.name)}, netspec {want}")
        if params[layer.name] != layer.cost.params:
            problems.append(f"{layer.name} ({layer.type}): torch params {params[layer.name]:,}, "
                            f"netspec {layer.cost.params:,}")
        maccs = per_sample_maccs(layer)
        if flops[layer.name] != 2 * maccs:
            problems.append(f"{layer.name} ({layer.type}): torch MACCs {flops[layer.name] / 2:,}, netspec {maccs:,}")
    out = graph.shape_of(graph.output_ref)
    if tuple(y.shape) != torch_layout(out, 1):
        problems.append(f"network output: torch {tuple(y.shape)}, netspec {torch_layout(out, 1)}")
    total_params = sum(p.numel() for p in model.parameters())
    if total_params != totals.params:
        problems.append(f"total params: torch {total_params:,}, netspec {totals.params:,}")
    if totals.maccs % graph.batch or total_flops != 2 * (totals.maccs // graph.batch):
        problems.append(f"total MACCs per sample: torch {total_flops / 2:,}, netspec {totals.maccs / graph.batch:,}")
    if y.device.type != "meta" and not torch.isfinite(y).all():
        problems.append("the output holds NaN or infinity")
    return problems


class Refused(Exception):
    """A reference's own refusal, where PyTorch has no rule of its own but the format contract has one."""


def agree_with_reference(text: str, reference, refusal_codes: set[str]) -> str:
    """The generated-network property: netspec's check of `text` and `reference()` (rows of (name,
    netspec shape, params, MACCs), or an exception where PyTorch or the contract refuses) both refuse,
    or both accept with equal rows and an export that agrees. Returns the verdict for the statistics."""
    result = check_text(text)
    errors = [d for d in result.diagnostics if d.severity == "error"]
    try:
        ref, refusal = reference(), None
    except (RuntimeError, ValueError, Refused) as exc:
        ref, refusal = None, exc
    if errors:
        codes = {d.code for d in errors}
        assert codes <= refusal_codes, f"the generator wrote an invalid spec:\n{text}\n{errors}"
        assert refusal is not None, (f"netspec rejects, PyTorch runs:\n{text}\n"
                                     + "\n".join(f"{d.line}:{d.column} {d.code} {d.message}" for d in errors))
        return "both refuse: " + ", ".join(sorted(codes))
    assert refusal is None, f"PyTorch raises, netspec accepts:\n{text}\n{type(refusal).__name__}: {refusal}"
    layers = {l.name: l for l in result.graph.layers}
    problems = []
    for name, shape, params, maccs in ref:
        l = layers[name]
        ns_maccs = sum(c.maccs for _, c in l.parts)
        if (tuple(l.output), l.cost.params, ns_maccs) != (shape, params, maccs):
            problems.append(f"{name} ({l.type}): netspec {l.output} params {l.cost.params} MACCs {ns_maccs}; "
                            f"torch {shape} params {params} MACCs {maccs}")
    problems += [f"export: {p}" for p in compare_export(result.graph, result.totals)]
    assert not problems, text + "\n".join(problems)
    return "both accept"
