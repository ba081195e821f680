"""Output shapes of the zoo against the published architecture tables.

MobileNet V1 Table 1 lists each layer's *input* size; a layer's output is the next row's input.
ResNet Table 1 lists the stage outputs (conv1 112, conv2_x 56, conv3_x 28, conv4_x 14, conv5_x 7).
torchvision's AlexNet conv1 (11x11/4, padding 2) gives 55x55x64: (224 + 4 - 11) // 4 + 1 = 55.
A 3x3/2 max pool with ceil_mode on 112 gives ceil((112 - 3) / 2) + 1 = 56 (floor would give 55).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from netspec.pipeline import check_path, check_text

SPECS = Path(__file__).resolve().parent.parent / "specs"


def build(name: str):
    r = check_path(str(SPECS / name))
    assert r.ok, [(d.line, d.column, d.code, d.message) for d in r.diagnostics]
    return r.graph


def block_output(graph, call: str):
    """The output shape of a block call: the last layer expanded under `call.`."""
    inside = [l for l in graph.layers if l.name.startswith(call + ".")]
    assert inside, call
    return inside[-1].output


def by_name(graph, name: str):
    (l,) = [l for l in graph.layers if l.name == name]
    return l


# MobileNet V1, Table 1 (Howard et al. 2017): (type, filter shape, input size). The "5x" rows
# are written out. The 13th depthwise is marked s2 in the paper but its output stays 7x7.
MOBILENET_V1_TABLE1 = [
    ("conv", (3, 3, 3, 32), (224, 224, 3)),
    ("dw", (3, 3, 32), (112, 112, 32)),
    ("conv", (1, 1, 32, 64), (112, 112, 32)),
    ("dw", (3, 3, 64), (112, 112, 64)),
    ("conv", (1, 1, 64, 128), (56, 56, 64)),
    ("dw", (3, 3, 128), (56, 56, 128)),
    ("conv", (1, 1, 128, 128), (56, 56, 128)),
    ("dw", (3, 3, 128), (56, 56, 128)),
    ("conv", (1, 1, 128, 256), (28, 28, 128)),
    ("dw", (3, 3, 256), (28, 28, 256)),
    ("conv", (1, 1, 256, 256), (28, 28, 256)),
    ("dw", (3, 3, 256), (28, 28, 256)),
    ("conv", (1, 1, 256, 512), (14, 14, 256)),
    *[row for _ in range(5) for row in (("dw", (3, 3, 512), (14, 14, 512)),
                                        ("conv", (1, 1, 512, 512), (14, 14, 512)))],
    ("dw", (3, 3, 512), (14, 14, 512)),
    ("conv", (1, 1, 512, 1024), (7, 7, 512)),
    ("dw", (3, 3, 1024), (7, 7, 1024)),
    ("conv", (1, 1, 1024, 1024), (7, 7, 1024)),
    ("avgpool", (7, 7), (7, 7, 1024)),
    ("fc", (1024, 1000), (1, 1, 1024)),
    ("softmax", (), (1, 1, 1000)),
]
FINAL_OUTPUT = (1, 1, 1000)


def test_mobilenet_v1_table1_has_28_rows_plus_pool_fc_softmax():
    assert len(MOBILENET_V1_TABLE1) == 30


def test_mobilenet_v1_table1_every_layer():
    graph = build("mobilenet_v1.yaml")
    assert len(graph.layers) == len(MOBILENET_V1_TABLE1)
    assert graph.input == MOBILENET_V1_TABLE1[0][2]
    expected_outputs = [row[2] for row in MOBILENET_V1_TABLE1[1:]] + [FINAL_OUTPUT]
    kinds = {"conv": "conv", "dw": "depthwise", "avgpool": "avgpool", "fc": "dense", "softmax": "softmax"}
    for i, ((kind, filt, in_size), out, l) in enumerate(zip(MOBILENET_V1_TABLE1, expected_outputs, graph.layers)):
        assert l.type == kinds[kind], (i, l.name)
        assert graph.shape_of(l.inputs[0]) == in_size, (i, l.name)
        assert l.output == out, (i, l.name)
        if kind in ("conv", "dw"):
            (weights,) = [c.params for label, c in l.parts if label in ("conv", "depthwise")]
            n = 1
            for d in filt:
                n *= d
            assert weights == n, (i, l.name)  # the filter shape's element count (no bias: batch norm)
        if kind == "avgpool":
            assert l.attrs["kernel"] == filt
        if kind == "fc":
            assert l.cost.params == filt[0] * filt[1] + filt[1]


def test_mobilenet_v2_table2_sequence_outputs():
    # Table 2: each row's input is the previous row's output.
    g = build("mobilenet_v2.yaml")
    assert by_name(g, "stem").output == (112, 112, 32)
    for call, out in [("ir1", (112, 112, 16)), ("ir2", (56, 56, 24)), ("ir3", (28, 28, 32)),
                      ("ir4", (14, 14, 64)), ("ir5", (14, 14, 96)), ("ir6", (7, 7, 160)), ("ir7", (7, 7, 320))]:
        assert block_output(g, call) == out, call
    assert by_name(g, "last").output == (7, 7, 1280)
    assert by_name(g, "classifier").output == (1000,)
    # t = 6 expands the input channels: 16 -> 96 in the first bottleneck of the 24-channel sequence.
    assert by_name(g, "ir2.0.expand").output == (112, 112, 96)
    assert by_name(g, "ir2.0.dw").output == (56, 56, 96)


@pytest.mark.parametrize("spec,block_channels", [("resnet50.yaml", (256, 512, 1024, 2048)),
                                                 ("resnet18.yaml", (64, 128, 256, 512))])
def test_resnet_stage_outputs(spec, block_channels):
    g = build(spec)
    assert by_name(g, "conv1").output == (112, 112, 64)      # conv1
    assert by_name(g, "maxpool").output == (56, 56, 64)
    for stage, size, c in zip(("layer1", "layer2", "layer3", "layer4"), (56, 28, 14, 7), block_channels):
        assert block_output(g, stage) == (size, size, c), stage  # conv2_x .. conv5_x
    assert g.shape_of(g.output_ref) == (1000,)


def test_resnet50_is_v1_5_stride_on_the_3x3():
    g = build("resnet50.yaml")
    assert by_name(g, "layer2.0.conv1").output == (56, 56, 128)
    assert by_name(g, "layer2.0.conv2").output == (28, 28, 128)
    assert by_name(g, "layer2.0.downsample").output == (28, 28, 512)
    # Only the first block of a stage projects its shortcut.
    assert not [l for l in g.layers if l.name.startswith("layer2.1.downsample")]
    assert len([l for l in g.layers if l.name.endswith(".downsample")]) == 4


def test_alexnet_conv1_gives_55():
    g = build("alexnet.yaml")
    assert by_name(g, "conv1").output == (55, 55, 64)
    assert by_name(g, "pool1").output == (27, 27, 64)
    assert by_name(g, "pool2").output == (13, 13, 192)
    assert by_name(g, "pool5").output == (6, 6, 256)            # what AdaptiveAvgPool2d((6, 6)) keeps
    assert by_name(g, "fc6").cost.params == 256 * 6 * 6 * 4096 + 4096


def test_vgg16_stage_outputs():
    g = build("vgg16.yaml")
    for i, (size, c) in enumerate([(112, 64), (56, 128), (28, 256), (14, 512), (7, 512)], start=1):
        assert block_output(g, f"stage{i}") == (size, size, c)
    assert by_name(g, "flatten").output == (7 * 7 * 512,)


def test_ceil_mode_pool_112_to_56():
    r = check_text("""
netspec: 1
name: ceil
input: {height: 112, width: 112, channels: 64}
layers:
  - {name: ceil, type: maxpool, kernel: 3, stride: 2, ceil_mode: true}
  - {name: floor, type: maxpool, kernel: 3, stride: 2, inputs: input}
""")
    assert r.ok
    assert by_name(r.graph, "ceil").output == (56, 56, 64)
    assert by_name(r.graph, "floor").output == (55, 55, 64)


def test_googlenet_ceil_mode_pools():
    g = build("googlenet.yaml")
    assert by_name(g, "conv1").output == (112, 112, 64)
    assert by_name(g, "maxpool1").output == (56, 56, 64)
    assert by_name(g, "maxpool2").output == (28, 28, 192)
    assert by_name(g, "maxpool3").output == (14, 14, 480)
    assert by_name(g, "maxpool4").output == (7, 7, 832)
    # Table 1 of Szegedy et al.: inception output depths.
    for call, depth in [("inception3a", 256), ("inception3b", 480), ("inception4a", 512), ("inception4b", 512),
                        ("inception4c", 512), ("inception4d", 528), ("inception4e", 832), ("inception5a", 832),
                        ("inception5b", 1024)]:
        assert block_output(g, call)[-1] == depth, call


def test_squeezenet1_1_ceil_mode_pools():
    g = build("squeezenet1_1.yaml")
    assert by_name(g, "conv1").output == (111, 111, 64)         # (224 - 3) // 2 + 1
    assert by_name(g, "pool1").output == (55, 55, 64)           # ceil((111 - 3) / 2) + 1
    assert by_name(g, "pool3").output == (27, 27, 128)
    assert by_name(g, "pool5").output == (13, 13, 256)
    assert block_output(g, "fire9") == (13, 13, 512)


# --- the output-size rule, as a property ---------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from netspec.ops import ShapeError  # noqa: E402
from netspec.ops.conv import resolve_padding, spatial_out, window_out  # noqa: E402


def contract_out(size, k, s, d, pb, pa, ceil_mode):
    """spec-format.md: floor((in + pad_before + pad_after - dilation*(kernel - 1) - 1) / stride) + 1,
    ceil instead of floor under ceil_mode; None (NS204) when the kernel is larger than the padded
    input (floor) or the output would be <= 0. Under ceil_mode, as in PyTorch, one window may
    overhang the padded input (a 1x1 input, kernel 2, stride 2 gives 1x1)."""
    num = size + pb + pa - d * (k - 1) - 1
    if num < 0 and not ceil_mode:
        return None
    out = (-(-num // s) if ceil_mode else num // s) + 1
    return out if out > 0 else None


def windows_counted(size, k, s, d, pb, pa, ceil_mode):
    """The same count by enumerating window starts, in input coordinates (padding starts at -pb).

    floor: every window that lies inside the padded input. ceil (PyTorch): also a last window that
    runs past the right edge, as long as it starts inside the input or the left padding.
    """
    eff = d * (k - 1) + 1
    count, start = 0, -pb
    while True:
        fits = start + eff <= size + pa
        overhangs = ceil_mode and start + eff - (size + pa) < s and start < size
        if not (fits or overhangs):
            return count or None
        count += 1
        start += s


sizes = st.integers(1, 300)
kernels = st.integers(1, 12)
strides = st.integers(1, 8)
dilations = st.integers(1, 4)
pads = st.integers(0, 6)


@settings(max_examples=600, deadline=None)
@given(sizes, kernels, strides, dilations, pads, pads, st.booleans())
def test_window_out_follows_the_contract(size, k, s, d, pb, pa, ceil_mode):
    if ceil_mode:  # ceil_mode is a pool option; pools (like PyTorch) take padding <= kernel / 2
        pb, pa = min(pb, k // 2), min(pa, k // 2)
    expected = contract_out(size, k, s, d, pb, pa, ceil_mode)
    # PyTorch's extra rule under ceil_mode: the last window must start inside the input or the
    # left padding, i.e. (out - 1) * stride < in + pad_before.
    if expected is not None and ceil_mode and (expected - 1) * s >= size + pb:
        expected = (expected - 1) or None
    assert expected == windows_counted(size, k, s, d, pb, pa, ceil_mode)
    try:
        got = window_out("conv", "height", size, k, s, d, (pb, pa), ceil_mode)
    except ShapeError as exc:
        assert exc.code == "NS204"
        got = None
    assert got == expected


@settings(max_examples=300, deadline=None)
@given(sizes, sizes, kernels, kernels, strides, strides, dilations)
def test_same_padding_gives_ceil_of_input_over_stride(h, w, kh, kw, sh, sw, d):
    a = {"kernel": (kh, kw), "stride": (sh, sw), "dilation": (d, d), "padding": "same"}
    ho, wo, (t, b, l, r) = spatial_out("conv", a, h, w)
    assert (ho, wo) == (-(-h // sh), -(-w // sw))
    # TensorFlow's split: total = max((out - 1) * s + d * (k - 1) + 1 - in, 0), the extra pixel after.
    total = max((ho - 1) * sh + d * (kh - 1) + 1 - h, 0)
    assert (t, b) == (total // 2, total - total // 2) == resolve_padding("same", h, kh, sh, d)


@settings(max_examples=300, deadline=None)
@given(sizes, kernels, strides, dilations, pads, pads, pads, pads, st.booleans())
def test_spatial_out_with_explicit_and_valid_padding(size, k, s, d, t, b, l, r, ceil_mode):
    if ceil_mode:
        t, b, l, r = (min(p, k // 2) for p in (t, b, l, r))
    a = {"kernel": (k, k), "stride": (s, s), "dilation": (d, d), "padding": (t, b, l, r)}
    assert resolve_padding((t, b), size, k, s, d) == (t, b)
    assert resolve_padding("valid", size, k, s, d) == (0, 0)
    exp_h = windows_counted(size, k, s, d, t, b, ceil_mode)
    exp_w = windows_counted(size, k, s, d, l, r, ceil_mode)
    try:
        ho, wo, got_pads = spatial_out("conv", a, size, size, ceil_mode)
    except ShapeError as exc:
        assert exc.code == "NS204" and None in (exp_h, exp_w)
        return
    assert (ho, wo, got_pads) == (exp_h, exp_w, (t, b, l, r))


@pytest.mark.parametrize("size,k,s,pb,pa,ceil_mode,expected", [
    (112, 3, 2, 0, 0, True, 56),    # GoogLeNet's first pool
    (112, 3, 2, 0, 0, False, 55),
    (111, 3, 2, 0, 0, True, 55),    # SqueezeNet's first pool
    (1, 2, 2, 0, 0, True, 1),       # PyTorch: MaxPool2d(2, 2, ceil_mode=True) on 1x1 gives 1x1
    (1, 2, 2, 0, 0, False, None),   # without ceil_mode the kernel does not fit: NS204
    (5, 2, 2, 1, 1, True, 3),       # ceil((5 + 2 - 2) / 2) + 1 = 4, but the 4th window would start
                                    # at 6 - 1 = 5, past the input: PyTorch drops it
    (224, 11, 4, 2, 2, False, 55),  # AlexNet conv1
])
def test_window_out_worked_cases(size, k, s, pb, pa, ceil_mode, expected):
    try:
        got = window_out("maxpool", "height", size, k, s, 1, (pb, pa), ceil_mode)
    except ShapeError as exc:
        assert exc.code == "NS204"
        got = None
    assert got == expected
