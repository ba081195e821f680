"""The zoo's format 1.1 specs against plain-PyTorch references (tests/zoo_references.py).

Each torchvision reference is first held to torchvision's own published parameter count and
multiply-adds (its docs' "GFLOPS" column, in full as issue 15 quotes them), so a wrong reference
cannot pass; then the spec must give exactly the reference's params, MACCs and output shape.
The U-Net has no published count: its reference is the paper's network (572x572 in, 388x388 out).
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("torch")

import zoo_references as refs  # noqa: E402

from netspec.pipeline import Options, check_path  # noqa: E402

SPECS = Path(__file__).resolve().parent.parent / "specs"


def spec_counts(name: str, **overrides) -> tuple[int, int, tuple]:
    r = check_path(str(SPECS / name), Options(overrides=overrides))
    errors = [(d.line, d.column, d.code, d.message) for d in r.diagnostics
              if d.severity == "error" and not d.code.startswith("NS3")]  # a budget may fail at another size
    assert not errors and r.totals is not None, errors
    out = r.graph.shape_of(r.graph.output_ref)
    return r.totals.params, r.totals.maccs, (1, out[-1], *out[:-1])


# spec, reference, input (N, C, H, W), torchvision's published params and MACs (issue 15)
TORCHVISION = [
    ("shufflenet_v2_x1_0.yaml", refs.ShuffleNetV2, (1, 3, 224, 224), 2_278_604, 144_907_992),
    ("mobilenet_v3_large.yaml", refs.MobileNetV3Large, (1, 3, 224, 224), 5_483_032, 216_589_760),
    ("resnet34.yaml", refs.ResNet, (1, 3, 224, 224), 21_797_672, 3_663_761_408),
    ("vgg16.yaml", refs.VGG, (1, 3, 224, 224), 138_357_544, 15_470_264_320),
]


@pytest.mark.parametrize("spec,model,shape,params,maccs", TORCHVISION, ids=[t[0] for t in TORCHVISION])
def test_reference_is_torchvision_and_spec_is_reference(spec, model, shape, params, maccs):
    ref = refs.count(model(), *shape)
    assert ref[:2] == (params, maccs)
    assert spec_counts(spec) == ref


@pytest.mark.parametrize("res", [32, 100, 320])
def test_vgg16_adaptive_pool_is_right_at_any_input_size(res):
    """torchvision's VGG pools to 7x7 whatever the input: the classifier keeps its 102.8M weights."""
    ref = refs.count(refs.VGG(), 1, 3, res, res)
    assert ref[0] == 138_357_544
    assert spec_counts("vgg16.yaml", res=res) == ref


def test_unet_is_the_papers_network():
    ref = refs.count(refs.UNet(), 1, 1, 572, 572)
    assert ref[2] == (1, 2, 388, 388)  # Fig. 1: 572x572 in, 388x388 out
    assert spec_counts("unet.yaml") == ref
