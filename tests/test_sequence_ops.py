"""Sequence (LxC) ops of format 1.1: the 1-D window ops (conv, depthwise, separable, deconv, max/avg
pool, upsample) by hand, and every bad input a located diagnostic. Their counts against PyTorch are
in tests/data/torch_ops/sequence_1d_ops.yaml (tests/test_torch_oracle.py) and the generated
sequence networks of tests/test_torch_generated.py."""

from __future__ import annotations

import pytest

import located
from located import at, error

SEQ = "{length: 100, channels: 8}"


def spec(layers: str, input_: str = SEQ) -> str:
    return located.spec(layers, input_)


def layers(text: str) -> dict:
    return {l.name: l for l in located.checked(text).graph.layers}


# --- 1-D window ops: shapes and counts by hand ------------------------------------------------------

@pytest.mark.parametrize("layer,shape", [
    ("{name: x, type: conv, filters: 16, kernel: 80, stride: 4, padding: valid}", (6, 16)),   # (100-80)//4+1
    ("{name: x, type: conv, filters: 16, kernel: 3}", (100, 16)),                              # same
    ("{name: x, type: conv, filters: 16, kernel: 3, stride: 3}", (34, 16)),                    # ceil(100/3)
    ("{name: x, type: conv, filters: 16, kernel: 3, padding: [2, 0]}", (100, 16)),             # causal padding
    ("{name: x, type: conv, filters: 16, kernel: 3, dilation: 4, padding: 0}", (92, 16)),
    ("{name: x, type: depthwise, kernel: 5, multiplier: 2, stride: 2}", (50, 16)),
    ("{name: x, type: separable, filters: 4, kernel: 9, padding: valid}", (92, 4)),
    ("{name: x, type: deconv, filters: 4, kernel: 4, stride: 2}", (200, 4)),
    ("{name: x, type: deconv, filters: 4, kernel: 4, stride: 2, padding: valid}", (202, 4)),
    ("{name: x, type: maxpool, kernel: 4}", (25, 8)),
    ("{name: x, type: avgpool, kernel: 3, stride: 2, ceil_mode: true}", (50, 8)),
    ("{name: x, type: upsample, scale: 2}", (200, 8)),
    ("{name: x, type: upsample, scale: 1.5, mode: bilinear}", (150, 8)),
    ("{name: x, type: global_avgpool}", (8,)),
    ("{name: x, type: batchnorm}", (100, 8)),
])
def test_window_ops_on_a_sequence(layer, shape):
    assert layers(spec(f"  - {layer}\n"))["x"].output == shape


def test_conv1d_counts_by_hand():
    """M5's first layer: 80-tap filters, stride 4, on 1 s of 8 kHz audio (8000x1): 1,993 outputs of 128
    channels; each output a dot product of 80 terms; weights 80*128 + 128 biases."""
    x = layers(spec("  - {name: x, type: conv, filters: 128, kernel: 80, stride: 4, padding: valid}\n",
                     "{length: 8000, channels: 1}"))["x"]
    assert x.output == (1981, 128)  # (8000 - 80) // 4 + 1
    assert x.cost.maccs == 80 * 1981 * 128
    assert x.cost.params == 80 * 128 + 128
    assert x.cost.flops == 2 * 80 * 1981 * 128  # (2n - 1) + 1 for the bias


def test_linear_upsample_flops():
    x = layers(spec("  - {name: x, type: upsample, scale: 2, mode: bilinear}\n"))["x"]
    assert x.cost.flops == 3 * 200 * 8  # 2 multiplies and an add per output


# --- located diagnostics ------------------------------------------------------------------------

def test_1d_kernel_larger_than_the_sequence():
    text = spec("  - {name: x, type: conv, filters: 4, kernel: 9, padding: valid}\n", "{length: 5, channels: 2}")
    msg = error(text, "kernel: 9", "NS204")
    assert "larger than the padded input length 5" in msg


def test_1d_pool_larger_than_the_sequence():
    text = spec("  - {name: x, type: maxpool, kernel: 6}\n", "{length: 5, channels: 2}")
    assert "length 5" in error(text, "kernel: 6", "NS204")


def test_dilated_1d_kernel_larger_than_the_sequence():
    text = spec("  - {name: x, type: depthwise, kernel: 3, dilation: 3, padding: valid}\n", "{length: 6, channels: 2}")
    assert "dilated 7" in error(text, "kernel: 3", "NS204")


def test_a_pair_kernel_on_a_sequence():
    text = spec("  - {name: x, type: conv, filters: 4, kernel: [3, 5]}\n")
    assert "integer kernel" in error(text, "kernel: [3, 5]", "NS206")


def test_a_pair_stride_on_a_sequence():
    text = spec("  - {name: x, type: avgpool, kernel: 2, stride: [1, 2]}\n")
    assert "integer stride" in error(text, "stride: [1, 2]", "NS206")


def test_four_paddings_on_a_sequence():
    text = spec("  - {name: x, type: conv, filters: 4, kernel: 3, padding: [1, 0, 1, 0]}\n")
    assert "[before, after]" in error(text, "padding: [1, 0, 1, 0]", "NS206")


def test_deconv_output_padding_pair_on_a_sequence():
    text = spec("  - {name: x, type: deconv, filters: 4, kernel: 3, stride: 2, output_padding: [0, 1]}\n")
    error(text, "output_padding: [0, 1]", "NS206")


@pytest.mark.parametrize("layer", ["{type: conv, filters: 4, kernel: 3}", "{type: depthwise, kernel: 3}",
                                   "{type: separable, filters: 4, kernel: 3}", "{type: deconv, filters: 4, kernel: 3}",
                                   "{type: maxpool, kernel: 2}", "{type: avgpool, kernel: 2}"])
def test_window_op_on_a_vector(layer):
    text = spec(f"  - {{name: v, type: global_avgpool}}\n  - {{name: x, inputs: v, {layer[1:]}\n")
    assert "image (HxWxC) or a sequence (LxC)" in error(text, "inputs: v", "NS206")


def test_upsample_of_a_short_sequence_to_nothing():
    text = spec("  - {name: x, type: upsample, scale: 0.1}\n", "{length: 5, channels: 2}")
    assert "length 5" in error(text, "scale: 0.1", "NS204")
