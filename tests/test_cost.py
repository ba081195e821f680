"""Cost engine facts computed by hand: peak activation memory on a residual block, batch and dtype
scaling, and the per-element FLOP table the README publishes."""

from __future__ import annotations

import pytest

from netspec.pipeline import check_text

RESIDUAL = """\
netspec: 1
name: residual
input: {height: 8, width: 8, channels: 4}
dtype: DTYPE
batch: BATCH
layers:
  - {name: a, type: conv, filters: 8, kernel: 3}
  - {name: b, type: conv, filters: 8, kernel: 3}
  - {name: c, type: add, inputs: [b, a]}
  - {name: p, type: global_avgpool}
"""


def run(text: str):
    result = check_text(text)
    assert result.ok, [d.message for d in result.diagnostics]
    return result


@pytest.mark.parametrize("dtype,nbytes,batch", [("float32", 4, 1), ("float16", 2, 1), ("int8", 1, 1),
                                                ("float32", 4, 2)])
def test_peak_activation_memory_residual(dtype, nbytes, batch):
    # Elements per sample: input 8*8*4 = 256; a, b, c 8*8*8 = 512 each; p 8.
    # Live tensors while each layer runs (a tensor lives until its last reader):
    #   a: input + a = 768;  b: a + b = 1,024;  c: a + b + c = 1,536 (a is still read by c);
    #   p: c + p = 520.  Peak 1,536 elements at c.
    r = run(RESIDUAL.replace("DTYPE", dtype).replace("BATCH", str(batch)))
    assert r.totals.peak_activation_memory == 1536 * nbytes * batch
    assert r.totals.peak_layer == "c"


def test_views_share_their_input_buffer():
    # flatten and dropout allocate nothing: input 4x4x2 = 32 elements; conv 1x1 -> 4x4x4 = 64;
    # flatten (view of 64) ; dense 64 -> 10. At the dense: conv buffer (64) + its output 10 = 74.
    # At the conv: input 32 + 64 = 96, the peak.
    text = """\
netspec: 1
name: views
input: {height: 4, width: 4, channels: 2}
layers:
  - {name: conv, type: conv, filters: 4, kernel: 1}
  - {name: flat, type: flatten}
  - {name: drop, type: dropout}
  - {name: fc, type: dense, units: 10}
"""
    r = run(text)
    assert r.totals.peak_activation_memory == 96 * 4
    assert r.totals.peak_layer == "conv"


def test_the_network_output_lives_to_the_end_and_an_unread_tensor_only_at_its_layer():
    # The last entry is dropped by `when`, so the network output is `a` (its first input).
    # Elements: input 4x4x1 = 16; a 4x4x8 = 128; b 4x4x1 = 16 (read by no one, not the output).
    #   a: input + a = 144;  b: input (read by b) + a (the output, alive to the end) + b = 160.
    # Were `a` freed after its last reader (there is none), b would hold 32 and the peak be 144 at a.
    text = """\
netspec: 1
name: output_lives
input: {height: 4, width: 4, channels: 1}
layers:
  - {name: a, type: conv, filters: 8, kernel: 1}
  - {name: b, type: conv, filters: 1, kernel: 1, inputs: [input]}
  - {name: c, type: relu, inputs: [a], when: false}
"""
    r = run(text)
    assert r.graph.shape_of(r.graph.output_ref) == (4, 4, 8)
    assert r.totals.peak_activation_memory == 160 * 4
    assert r.totals.peak_layer == "b"


def test_batch_scales_compute_and_activations_not_weights():
    one = run(RESIDUAL.replace("DTYPE", "float32").replace("BATCH", "1")).totals
    four = run(RESIDUAL.replace("DTYPE", "float32").replace("BATCH", "4")).totals
    assert four.params == one.params and four.weight_bytes == one.weight_bytes
    assert four.maccs == 4 * one.maccs and four.flops == 4 * one.flops
    assert four.input_reads == 4 * one.input_reads and four.output_writes == 4 * one.output_writes
    assert four.weight_reads == one.weight_reads
    # by hand: a = 8*8*8 outputs * 36 terms = 18,432 MACCs; b: 8*8*8 * 72 = 36,864
    assert one.maccs == 18432 + 36864


def test_fused_parts_and_flop_table():
    text = """\
netspec: 1
name: fused
input: {height: 2, width: 2, channels: 3}
layers:
  - {name: c, type: conv, filters: 4, kernel: 1, batchnorm: true, activation: hswish}
  - {name: s, type: sigmoid}
  - {name: m, type: maxpool, kernel: 2}
"""
    r = run(text)
    c, s, m = r.graph.layers
    labels = [row.label for row in c.rows]
    assert labels == ["conv", "batchnorm", "hswish"]
    conv, bn, act = c.rows
    # conv 1x1, 3 -> 4, no bias (batchnorm): 2*2*4 = 16 outputs of 3-term dot products: 16 * (2*3 - 1) = 80 FLOPs
    assert (conv.params, conv.maccs, conv.flops) == (12, 48, 80)
    # batchnorm: 2*4 params, 2 FLOPs per element; hswish: 5 per element; fused: no feature-map traffic
    assert (bn.params, bn.flops, bn.input_reads, bn.output_writes) == (8, 32, 0, 0)
    assert (act.flops, act.memory_accesses) == (80, 0)
    assert bn.weight_reads == 8
    # standalone sigmoid: 4 FLOPs per element, reads and writes every element
    assert (s.cost.flops, s.cost.input_reads, s.cost.output_writes) == (64, 16, 16)
    # maxpool 2x2 -> 1x1x4: K*K - 1 = 3 comparisons per output, K*K reads per output
    assert (m.cost.flops, m.cost.input_reads, m.cost.output_writes) == (12, 16, 4)


def test_compulsory_bytes_and_intensity():
    text = """\
netspec: 1
name: fc
input: {channels: 100}
layers:
  - {name: fc, type: dense, units: 10}
"""
    t = run(text).totals
    # weights (100 + 1) * 10 = 1,010; activations in 100 + out 10; float32
    assert t.compulsory_bytes == (1010 + 110) * 4
    assert t.weight_bytes == 1010 * 4
    assert t.flops == (2 * 100 - 1 + 1) * 10
    assert t.arithmetic_intensity == pytest.approx(2000 / 4480)


def test_channel_shuffle_is_a_copy():
    """Format 1.1: same shape out, no FLOPs, no parameters; a copy reads and writes every element."""
    r = run("""\
netspec: 1
name: shuffle
input: {height: 4, width: 5, channels: 6}
layers:
  - {name: s, type: channel_shuffle, groups: 3}
""")
    (s,) = r.graph.layers
    assert s.output == (4, 5, 6)
    # 4 * 5 * 6 = 120 elements: 120 reads + 120 writes, nothing computed, nothing learned
    assert (s.cost.params, s.cost.maccs, s.cost.flops) == (0, 0, 0)
    assert (s.cost.input_reads, s.cost.weight_reads, s.cost.output_writes, s.cost.memory_accesses) == (120, 0, 120, 240)
    assert s.cost.compulsory_bytes == 240 * 4  # float32
    # a copy allocates its output: input and output live together, 2 * 120 * 4 bytes
    assert r.totals.peak_activation_memory == 960

