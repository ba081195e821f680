"""The transformer zoo against PyTorch: plain-PyTorch references (tests/transformer_refs.py) held to
the published numbers, and the oracle's counting procedure held to what it must be.

Sources of the numbers:
- vit_b_16: torchvision's ViT_B_16_Weights meta, num_params 86,567,656 and "_ops" 17.56 GFLOPS
  (multiply-adds): 17,563,828,224 MACCs with the math attention backend and grad enabled;
  11,271,124,992 under eval + no_grad (spec-format-1.1, "Oracle trap (measured)").
- swin_t: torchvision's Swin_T_Weights meta, num_params 28,288,354; 4,490,566,656 MACCs (issue 14).
- convnext_tiny: torchvision's ConvNeXt_Tiny_Weights meta, num_params 28,589,128; 4,455,531,264
  MACCs (issue 14; "_ops" 4.46).
- gpt2: GPT-2 small at 1,024 tokens with the LM head tied: 124,439,808 params (Hugging Face's
  gpt2 checkpoint) and 145,824,153,600 MACCs (issue 14).
- llama_style: TinyLlama-1.1B's published configuration (model card: 22 layers, 32 heads, 4 query
  groups, width 2048, SwiGLU 5632, sequence 2048; the Llama 2 tokenizer's 32,000 tokens), "1.1B"
  parameters; the exact figures are the reference's, written out as a formula below.
"""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="the PyTorch oracle needs torch: pip install 'netspec-cli[torch]'")

import transformer_refs as refs  # noqa: E402
from hand_counts import llama_maccs, llama_params  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from netspec.pipeline import check_path  # noqa: E402

SPECS = Path(__file__).resolve().parent.parent / "specs"


REFERENCES = {
    # name: (class, input on the meta device, params, MACCs, output shape)
    "vit_b_16": (refs.VisionTransformer, lambda: torch.randn(1, 3, 224, 224, device="meta"),
                 86_567_656, 17_563_828_224, (1, 1000)),
    "swin_t": (refs.SwinTransformer, lambda: torch.randn(1, 3, 224, 224, device="meta"),
               28_288_354, 4_490_566_656, (1, 1000)),
    "convnext_tiny": (refs.ConvNeXt, lambda: torch.randn(1, 3, 224, 224, device="meta"),
                      28_589_128, 4_455_531_264, (1, 1000)),
    "gpt2": (refs.GPT2, lambda: torch.zeros(1, 1024, dtype=torch.long, device="meta"),
             124_439_808, 145_824_153_600, (1, 1024, 50257)),
    "llama_style": (refs.Llama, lambda: torch.zeros(1, 2048, dtype=torch.long, device="meta"),
                    llama_params(), llama_maccs(), (1, 2048, 32000)),
}


@pytest.fixture(scope="module")
def counted():
    """Each reference built once (on the meta device) and counted once for the whole module."""
    cache = {}

    def get(name):
        if name not in cache:
            cls, make_input, *_ = REFERENCES[name]
            cache[name] = refs.count(refs.build(cls), make_input())
        return cache[name]

    return get


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_reference_gives_the_published_numbers(name, counted):
    *_, params, maccs, shape = REFERENCES[name]
    assert counted(name) == (params, maccs, shape)


@pytest.mark.parametrize("name", ["vit_b_16", "convnext_tiny", "swin_t", "gpt2", "llama_style"])
def test_spec_counts_what_the_reference_counts(name, counted):
    """The zoo spec against its PyTorch reference: totals and output (per-layer agreement of the
    spec's own export is tests/test_torch_oracle.py)."""
    result = check_path(str(SPECS / f"{name}.yaml"))
    assert result.ok, [(d.line, d.column, d.code, d.message) for d in result.diagnostics]
    params, maccs, shape = counted(name)
    assert (result.totals.params, result.totals.maccs, (1, *result.graph.shape_of(result.graph.output_ref))) == \
        (params, maccs, shape)



@pytest.mark.parametrize("name", ["vit_b_16", "swin_t", "convnext_tiny"])
def test_spec_counts_what_torchvision_counts(name):
    """torchvision's own module too, where torchvision imports (not on the development machine: the
    only wheel its index serves is a CUDA build that does not load beside CPU torch), counted the
    oracle's way on the meta device."""
    try:
        import torchvision.models as models
    except Exception as exc:  # noqa: BLE001  (ImportError, or a CUDA build failing to load its ops)
        pytest.skip(f"torchvision does not import here: {type(exc).__name__}: {exc}")
    with torch.device("meta"):
        model = getattr(models, name)().eval()
    params, maccs, shape = refs.count(model, torch.randn(1, 3, 224, 224, device="meta"))
    result = check_path(str(SPECS / f"{name}.yaml"))
    assert (result.totals.params, result.totals.maccs, (1, *result.graph.shape_of(result.graph.output_ref))) == \
        (params, maccs, shape) == REFERENCES[name][2:]

def test_tinyllama_hand_formula_is_the_published_size():
    assert llama_params() == 1_100_048_384
    assert round(llama_params() / 1e9, 1) == 1.1  # the model card's "1.1B"


def test_meta_device_counts_what_the_cpu_counts():
    """Counting on the meta device is the CPU count (it is a count of shapes): one Swin stage,
    with its shifted windows and relative-position bias, both ways."""
    torch.manual_seed(0)
    results = []
    for device in ("cpu", "meta"):
        block = refs.build(refs.SwinBlock, device, dim=96, heads=3, window=7, shift=3)
        results.append(refs.count(block, torch.randn(1, 14, 14, 96, device=device)))
    assert results[0] == results[1]
    assert results[0][1] == 12 * 196 * 96 * 96 + 2 * 196 * 49 * 96  # projections + MLP, QKᵀ + A·V


def test_the_oracle_needs_the_math_backend_with_grad():
    """The trap the oracle avoids: PyTorch's fused CPU attention is invisible to FlopCounterMode.

    torchvision's ViT-B/16 (nn.MultiheadAttention) counted in eval mode under no_grad, as most
    people would, misses every attention product and projection inside the fused kernel:
    11,271,124,992 MACCs instead of 17,563,828,224. Likewise CPU scaled_dot_product_attention
    outside the math backend counts 0. Do not "fix" the oracle back to no_grad.
    """
    torch.manual_seed(0)
    vit = refs.build(refs.VisionTransformer, "cpu")
    x = torch.randn(1, 3, 224, 224)
    fused = FlopCounterMode(display=False)
    with torch.no_grad(), fused:
        vit(x)
    assert fused.get_total_flops() // 2 == 11_271_124_992
    assert refs.count(vit, x)[1] == 17_563_828_224

    q = torch.randn(1, 4, 16, 8)
    plain = FlopCounterMode(display=False)
    with plain:
        torch.nn.functional.scaled_dot_product_attention(q, q, q)
    assert plain.get_total_flops() == 0
    with torch.nn.attention.sdpa_kernel(torch.nn.attention.SDPBackend.MATH):
        math = FlopCounterMode(display=False)
        with math:
            torch.nn.functional.scaled_dot_product_attention(q, q, q)
    assert math.get_total_flops() // 2 == 2 * 16 * 16 * 8 * 4  # QKᵀ and A·V, 4 heads of 16x16x8
