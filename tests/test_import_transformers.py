"""`netspec import` of transformers and the format 1.1 layer types.

Two oracles. (1) Round trips: the specs in tests/data/import/ (every attention option the graph
shows: heads, head_dim, kv_heads, dim, causal, qkv/out bias, rope, context, cross-attention,
windows, shifts, relative-position bias; embeddings, tokens, tie; the layout and norm ops; slice
and concat on every axis) go spec -> PyTorch -> ONNX -> spec and must count exactly as the
original. (2) Plain PyTorch: GPT-2, a Llama-style decoder and ViT written with nn.Linear,
nn.MultiheadAttention, explicit matmuls and hand-written RMSNorm (tests/transformer_refs.py, no
netspec code) in small configurations, imported straight from PyTorch: params and MACCs equal
PyTorch's own count (parameters, FlopCounterMode under the math backend / 2).
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("onnx", reason="netspec import needs onnx: pip install 'netspec-cli[onnx]'")
torch = pytest.importorskip("torch", reason="the round trips export with PyTorch")

from import_checks import exported_spec, imported, round_trip_problems  # noqa: E402

from netspec.importer.mapping import VANISH  # noqa: E402
from netspec.ops import REGISTRY  # noqa: E402

needs_attention = pytest.mark.skipif("attention" not in REGISTRY,
                                     reason="format 1.1's transformer ops (issue 14) are not in this version")

ROOT = Path(__file__).resolve().parent.parent
DATA = sorted(str(p) for p in (ROOT / "tests" / "data" / "import").glob("*.yaml"))
SAME = {"silu": "swish"}  # written as the same function (and count) under another name


@pytest.mark.parametrize("spec", DATA, ids=lambda p: Path(p).stem)
def test_format_1_1_round_trip(spec):
    import yaml

    with open(spec, encoding="utf-8") as fh:
        missing = sorted({layer["type"] for layer in yaml.safe_load(fh)["layers"]} - set(REGISTRY))
    if missing:
        pytest.skip(f"this version of netspec has no {', '.join(missing)}")
    if "sequence_1d" in spec and not _rows():
        pytest.skip("window ops on sequences (format 1.1) are not in this version")
    original, data = exported_spec(spec)
    for blocks in (False, True):
        _, result = imported(data, spec, blocks=blocks)
        problems = round_trip_problems(original, result)
        assert not problems, "\n".join(problems)
    kinds = {SAME.get(t, t) for layer in original.graph.layers for t in (layer.type, *layer.fused)}
    back = {t for layer in result.graph.layers for t in (layer.type, *layer.fused)}
    assert kinds - VANISH <= back, kinds - back  # each type comes back as itself


def _rows() -> bool:
    from netspec.importer.mapping import ROW_OPS

    return ROW_OPS


@needs_attention
def test_attention_options_are_read_off_the_graph():
    """Every attribute of attention_sequences.yaml's layers comes back (heads, head_dim, kv_heads,
    dim, causal, rope, context, biases, cross-attention)."""
    spec = str(ROOT / "tests" / "data" / "import" / "attention_sequences.yaml")
    original, data = exported_spec(spec)
    text, result = imported(data, spec)
    assert "{name: gqa, type: attention, heads: 4, head_dim: 3, kv_heads: 2, dim: 12, qkv_bias: false, " \
           "out_bias: false}" in text
    assert "{name: decoder, type: attention, heads: 3, kv_heads: 1, causal: true, rope: true, context: 5}" in text
    assert "type: attention, heads: 2, head_dim: 4, rope: true, context: 2, inputs: [" in text
    assert result.totals.kv_cache_bytes == original.totals.kv_cache_bytes > 0


# ------------------------------------------------------------------------------------------------
# plain PyTorch models

SMALL = {
    "GPT2": (dict(vocab=100, positions=32, layers=2, heads=4, dim=32), (16,)),
    "Llama": (dict(vocab=100, dim=32, layers=2, heads=4, kv_heads=2, hidden=64), (16,)),
    "VisionTransformer": (dict(image=32, patch=8, layers=2, heads=4, dim=32, mlp=64, classes=10), (3, 32, 32)),
}
EXPECTED = {  # what the import writes, beside the counts
    "GPT2": ["type: embedding, vocab: 100, dim: 32", "type: position_embedding, max_length: 32",
             "type: attention, heads: 4, causal: true}", "type: dense, units: 100, tie: wte, bias: false"],
    "Llama": ["type: rmsnorm", "type: attention, heads: 4, kv_heads: 2, causal: true, rope: true, qkv_bias: false, "
              "out_bias: false", "activation: swish, bias: false", "type: multiply"],
    "VisionTransformer": ["type: to_sequence", "type: class_token", "type: position_embedding}",
                          "type: attention, heads: 4}", "type: slice, axis: length, index: 0"],
}


@needs_attention
@pytest.mark.parametrize("name", sorted(SMALL))
def test_plain_pytorch_transformers_import_exactly(name):
    import transformer_refs as refs

    from netspec.importer.from_torch import export_module

    needs = {"VisionTransformer": "slice"}.get(name)
    if needs and needs not in REGISTRY:
        pytest.skip(f"needs netspec's `{needs}`")
    kwargs, shape = SMALL[name]
    model = refs.build(getattr(refs, name), device="cpu", **kwargs)
    x = torch.randint(0, kwargs["vocab"], (1, *shape)) if "vocab" in kwargs else torch.randn(1, *shape)
    params, maccs, out = refs.count(model, x)
    text, result = imported(export_module(model, shape), name, blocks=True)  # token ids found by itself
    assert (result.totals.params, result.totals.maccs) == (params, maccs), text
    assert result.graph.shape_of(result.graph.output_ref)[-1] == out[-1]
    for piece in EXPECTED[name]:
        assert piece in text, text
    assert "repeat: 2" in text  # the two identical layers fold into one block called twice


def small_gpt2():
    """A 2-layer GPT-2 for the command line test (`--torch tests.test_import_transformers:small_gpt2`)."""
    import transformer_refs as refs

    return refs.build(refs.GPT2, device="cpu", **SMALL["GPT2"][0])


@needs_attention
def test_a_token_model_imports_from_the_command_line(cli, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "tests"))
    out = tmp_path / "gpt2.yaml"
    run = cli("import", "--torch", "test_import_transformers:small_gpt2", "--input-shape", "16", "-o", str(out))
    assert run.code == 0, run.err
    assert "input: {length: 16}" in out.read_text()
    assert cli("check", str(out)).code == 0


# ------------------------------------------------------------------------------------------------
# never wrong silently

class _MaskedAttention(torch.nn.Module):
    """Attention whose scores get a fixed mask that is not causal: netspec's attention has no such
    mask, so the import must refuse it (naming the node), not write a causal or plain attention."""

    def __init__(self) -> None:
        super().__init__()
        self.q, self.k, self.v, self.o = (torch.nn.Linear(8, 8) for _ in range(4))
        mask = torch.zeros(6, 6)
        mask[0, 3] = float("-inf")
        self.register_buffer("mask", mask)

    def forward(self, x):  # (N, C, L)
        t = x.transpose(1, 2)
        scores = self.q(t).matmul(self.k(t).transpose(1, 2)) + self.mask
        return self.o(scores.softmax(-1).matmul(self.v(t))).transpose(1, 2)


@needs_attention
def test_an_attention_netspec_cannot_express_is_refused():
    from netspec.importer.command import build_spec
    from netspec.importer.from_torch import export_module
    from netspec.importer.onnx_model import parse

    text, _, problems, _ = build_spec(parse(export_module(_MaskedAttention(), (8, 6))), None, None, "m", False, False)
    assert text is None
    assert any(p.op_type == "Softmax" and "attention" in p.message for p in problems), problems


@needs_attention
def test_vit_b_16_imports_at_torchvisions_counts():
    """ViT-B/16 at full size (torchvision's configuration, rebuilt in tests/transformer_refs.py with
    nn.MultiheadAttention), straight from PyTorch: torchvision's published 86,567,656 parameters and
    17.56 GFLOPS, which is 17,563,828,224 MACCs counted by FlopCounterMode under the math backend
    (spec-format-1.1's measurement)."""
    import transformer_refs as refs

    from netspec.importer.from_torch import export_module

    if "slice" not in REGISTRY:
        pytest.skip("needs netspec's `slice`")
    model = refs.build(refs.VisionTransformer, device="cpu")
    assert sum(p.numel() for p in model.parameters()) == 86_567_656
    text, result = imported(export_module(model, (3, 224, 224)), "vit_b_16", blocks=True)
    assert (result.totals.params, result.totals.maccs) == (86_567_656, 17_563_828_224)
    assert result.graph.shape_of(result.graph.output_ref) == (1000,)
    assert "repeat: 12" in text, text  # twelve encoder blocks, one block definition


class _SplitAndChunk(torch.nn.Module):
    """torch.split of the channels (an ONNX Split) and chunk of the height (Slices), joined again."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = torch.nn.Conv2d(3, 10, 3)
        self.a, self.b = torch.nn.Conv2d(4, 4, 1), torch.nn.Conv2d(6, 6, 3, padding=1)

    def forward(self, x):
        a, b = self.stem(x).split([4, 6], dim=1)
        y = torch.cat([self.a(a), self.b(b)], 1)
        top, middle, bottom = y.chunk(3, dim=2)
        return torch.cat([middle, top, bottom], 2)


def test_split_and_chunk_import_as_slices():
    from netspec.importer.from_torch import export_module

    if "slice" not in REGISTRY:
        pytest.skip("needs netspec's `slice`")
    model = _SplitAndChunk().eval()
    text, result = imported(export_module(model, (3, 8, 10)), "split")
    assert text.count("type: slice") == 5, text  # two parts of the channels, three of the height
    assert result.totals.params == sum(p.numel() for p in model.parameters())
    out = model(torch.randn(1, 3, 8, 10)).shape
    assert result.graph.shape_of(result.graph.output_ref) == (out[2], out[3], out[1])
