"""Format 1.1's transformer and layout ops in netspec itself: shapes and costs by hand formulas
(spec-format-1.1, "Other costs, precisely" and "attention, precisely"; the README's FLOP table),
and every bad input a located diagnostic (exact code, line and column).

PyTorch's own agreement for these ops is in tests/test_torch_oracle.py (tests/data/torch_ops/) and
the generated networks of tests/test_torch_generated.py.
"""

from __future__ import annotations

import json
import textwrap

import pytest

from netspec.ops import Tokens
from spec_checks import at as position
from spec_checks import ok, run


def spec(body: str, input_: str = "{height: 8, width: 6, channels: 4}", extra: str = "") -> str:
    return (f"netspec: 1\nname: t\ninput: {input_}\n{extra}" + textwrap.dedent(body).lstrip("\n"))


def layer(r, name):
    return next(l for l in r.graph.layers if l.name == name)


def located(text: str, **overrides) -> list[tuple[str, int, int]]:
    r = run(text, **overrides)
    assert r.graph is None or not r.ok
    return [(d.code, d.line, d.column) for d in r.diagnostics if d.severity == "error"]


# --- layout and norm ops ---------------------------------------------------------------------------

def test_layout_ops_shapes_and_costs():
    r = ok(spec("""
    layers:
      - {name: s2d, type: space_to_depth, block: 2}
      - {name: d2s, type: depth_to_space, block: 2}
      - {name: seq, type: to_sequence}
      - {name: img, type: to_image, height: 6, width: 8}
    """))
    s2d, d2s, seq, img = r.graph.layers
    assert (s2d.output, d2s.output, seq.output, img.output) == ((4, 3, 16), (8, 6, 4), (48, 4), (6, 8, 4))
    n = 8 * 6 * 4
    for copy in (s2d, d2s):  # a copy: every element read once and written once, nothing else
        c = copy.cost
        assert (c.params, c.maccs, c.flops, c.input_reads, c.output_writes) == (0, 0, 0, n, n)
        assert c.compulsory_bytes == 2 * n * 4
    for view in (seq, img):  # views: free
        assert view.cost.memory_accesses == view.cost.compulsory_bytes == 0
    # the views share d2s's buffer: the peak is s2d's input and output together
    assert r.totals.peak_activation_memory == 2 * n * 4


def test_norms_scale_glu_silu_costs():
    r = ok(spec("""
    layers:
      - {name: rms, type: rmsnorm}
      - {name: scale, type: layer_scale}
      - {name: gate, type: glu}
      - {name: act, type: silu}
      - {name: fused, type: dense, units: 6, activation: silu}
    """, "{length: 10, channels: 8}"))
    rms, scale, gate, act, fused = r.graph.layers
    n = 10 * 8
    assert (rms.cost.params, rms.cost.flops) == (8, 4 * n)  # a learned scale per channel; 4 FLOPs an element
    assert (scale.cost.params, scale.cost.flops) == (8, n)  # gamma per channel; one multiply
    assert gate.output == (10, 4) and gate.cost.flops == 5 * 40  # sigmoid (4) and a multiply per output
    assert (gate.cost.input_reads, gate.cost.output_writes) == (n, 40)
    assert act.cost.flops == 5 * 40  # silu = swish: 5 per element
    assert [label for label, _ in fused.parts] == ["dense", "silu"]


@pytest.mark.parametrize("body, code, needle, occurrence", [
    # 5 x 10 = 50 positions, the sequence has 48
    ("- {type: to_sequence}\n  - {type: to_image, height: 5, width: 10}", "NS203", "5, width", 1),
    ("- {type: to_sequence}\n  - {type: to_sequence}", "NS206", "{type: to_sequence}", 2),
    ("- {type: to_image, height: 8, width: 6}", "NS206", "{type: to_image", 1),  # an image already
    ("- {type: space_to_depth, block: 4}", "NS204", "4}", 2),  # 8x6 is no multiple of 4
    ("- {type: depth_to_space, block: 3}", "NS205", "3}", 1),  # 4 channels, no 3x3 blocks
    ("- {type: glu}\n  - {type: glu}\n  - {type: glu}", "NS205", "{type: glu}", 3),  # 4 -> 2 -> 1: odd
    ("- {type: global_avgpool}\n  - {type: space_to_depth, block: 1}", "NS206", "{type: space_to_depth", 1),
])
def test_layout_diagnostics(body, code, needle, occurrence):
    text = spec("layers:\n  " + body + "\n")
    assert located(text) == [(code, *position(text, needle, occurrence))]


# --- token ids ---------------------------------------------------------------------------------------

def test_token_input_is_its_own_kind():
    r = ok(spec("layers:\n  - {type: identity, when: false}\n", "{length: 16}"))
    assert r.graph.input == Tokens((16,)) and type(r.graph.input) is Tokens
    assert Tokens((16,)) != (16,) and hash(Tokens((16,))) != hash((16,))  # not a vector of 16 channels


@pytest.mark.parametrize("layer_text", ["{type: dense, units: 4}", "{type: relu}", "{type: layernorm}",
                                        "{type: add, inputs: [input, input]}", "{type: flatten}"])
def test_token_ids_feed_only_an_embedding(layer_text):
    text = spec(f"layers:\n  - {layer_text}\n", "{length: 16}")
    r = run(text)
    [d] = [d for d in r.diagnostics if d.severity == "error"]
    assert d.code == "NS206" and "token ids" in d.message and "embedding" in d.message
    assert (d.line, d.column) == position(text, "[input" if "inputs" in layer_text else layer_text)



def test_token_ids_slice_on_their_length_and_stay_token_ids():
    r = ok(spec("""
    layers:
      - {name: recent, type: slice, axis: length, start: -8}
      - {name: wte, type: embedding, vocab: 100, dim: 4}
    """, "{length: 16}"))
    assert r.graph.layers[0].output == Tokens((8,)) and r.graph.layers[1].output == (8, 4)
    assert r.graph.layers[0].cost.memory_accesses == 0  # a view


@pytest.mark.parametrize("layer_text, code, needle", [
    ("{type: slice, axis: length, index: 3}", "NS206", "3}"),  # one id would be no sequence at all
    ("{type: slice, axis: channels, stop: 2}", "NS206", "channels"),  # token ids have no channels
    ("{type: slice, axis: length, start: 17}", "NS204", "17}"),  # past the 16 ids
])
def test_token_slice_diagnostics(layer_text, code, needle):
    text = spec(f"layers:\n  - {layer_text}\n", "{length: 16}")
    assert located(text) == [(code, *position(text, needle))]

# --- embeddings and tokens ----------------------------------------------------------------------------

def test_embedding_position_and_class_token_costs():
    r = ok(spec("""
    layers:
      - {name: wte, type: embedding, vocab: 100, dim: 8}
      - {name: wpe, type: position_embedding, max_length: 32}
      - {name: cls, type: class_token, count: 2}
    """, "{length: 10}"))
    wte, wpe, cls = r.graph.layers
    assert (wte.output, wpe.output, cls.output) == ((10, 8), (10, 8), (12, 8))
    # embedding: vocab x dim parameters, no arithmetic; it reads its L ids and the L rows it gathers
    c = wte.cost
    assert (c.params, c.maccs, c.flops) == (800, 0, 0)
    assert (c.input_reads, c.weight_reads, c.output_writes) == (10, 80, 80)
    assert c.weight_bytes == 800 * 4 and c.compulsory_bytes == (10 + 80 + 80) * 4
    # position_embedding: a table of max_length x C; one add per element; rows 0..L-1 read
    c = wpe.cost
    assert (c.params, c.flops, c.weight_reads, c.input_reads, c.output_writes) == (32 * 8, 80, 80, 80, 80)
    # class_token: count x C; a copy of the sequence with the tokens in front
    c = cls.cost
    assert (c.params, c.flops, c.input_reads, c.output_writes, c.weight_reads) == (16, 0, 80, 96, 16)


def test_embedding_rows_scale_with_the_batch_and_the_table_bounds_the_traffic():
    r = ok(spec("layers:\n  - {type: embedding, vocab: 5, dim: 4}\n", "{length: 3}", "batch: 4\n"))
    c = r.graph.layers[0].cost
    assert c.weight_reads == 4 * 3 * 4  # 12 rows gathered, no reuse counted
    assert c.compulsory_bytes == (4 * (3 + 12) + 5 * 4) * 4  # ... but the whole table (20) at most, once


def test_image_position_embedding_covers_its_positions():
    r = ok(spec("layers:\n  - {type: position_embedding}\n"))
    assert r.graph.layers[0].cost.params == 8 * 6 * 4  # H x W x C


@pytest.mark.parametrize("body, input_, code, needle, occurrence", [
    # an embedding fed channels
    ("- {type: embedding, vocab: 10, dim: 4}", "{length: 5, channels: 3}", "NS206", "{type: embedding", 1),
    ("- {type: position_embedding, max_length: 4}", "{length: 5, channels: 3}", "NS203", "4}", 1),
    ("- {type: global_avgpool}\n  - {type: position_embedding}", None, "NS206", "{type: position_embedding", 1),
    ("- {type: class_token}", None, "NS206", "{type: class_token", 1),  # an image
])
def test_token_op_diagnostics(body, input_, code, needle, occurrence):
    text = spec("layers:\n  " + body + "\n", input_ or "{height: 8, width: 6, channels: 4}")
    assert located(text) == [(code, *position(text, needle, occurrence))]


# --- attention: the contract's formulas ---------------------------------------------------------------

def parts(layer) -> dict:
    return {label: c for label, c in layer.parts}


def test_self_attention_counts():
    """L = 10, C = 16, h = 4, d = 4 (C / h), g = h: params 4·C·h·d + biases 3·h·d + C."""
    r = ok(spec("layers:\n  - {type: attention, heads: 4}\n", "{length: 10, channels: 16}"))
    att = r.graph.layers[0]
    p = parts(att)
    assert list(p) == ["qkv", "scores", "context", "out"]
    assert att.output == (10, 16)
    assert att.cost.params == 16 * 16 * 4 + 3 * 16 + 16
    assert p["qkv"].maccs == 3 * 10 * 16 * 16  # L·C·h·d + 2·L·C·g·d
    assert p["scores"].maccs == p["context"].maccs == 10 * 10 * 4 * 4  # L·Lk·h·d each
    assert p["out"].maccs == 10 * 16 * 16
    # FLOPs: biased dot products 2n per output; per score 2d - 1 + scale 1 + softmax 3; A·V 2Lk - 1
    assert p["qkv"].flops == 2 * 16 * 3 * 10 * 16
    assert p["scores"].flops == (2 * 4 - 1 + 1 + 3) * 10 * 10 * 4
    assert p["context"].flops == (2 * 10 - 1) * 10 * 16
    assert p["out"].flops == 2 * 16 * 10 * 16
    # the L·Lk·h score matrix is written by `scores` and read (once per MACC) by `context`
    assert p["scores"].output_writes == 400 and p["context"].input_reads == 10 * 10 * 4 * 4
    assert att.cost.kv_cache_bytes == 0


def test_grouped_query_rope_causal_context():
    """h = 8, d = 8, g = 2 on C = 32, no biases, rope, causal, 6 new tokens after 10 cached."""
    text = spec("layers:\n  - {type: attention, heads: 8, head_dim: 8, kv_heads: 2, dim: 24, qkv_bias: false, "
                "out_bias: false, rope: true, causal: true, context: 10}\n", "{length: 6, channels: 32}")
    att = ok(text).graph.layers[0]
    p = parts(att)
    assert list(p) == ["qkv", "rope", "scores", "context", "out"]
    assert att.output == (6, 24)
    assert att.cost.params == 32 * 64 + 2 * 32 * 16 + 64 * 24
    assert p["qkv"].maccs == 6 * 32 * 64 + 2 * 6 * 32 * 16  # the 10 cached positions are not recomputed
    assert p["scores"].maccs == p["context"].maccs == 6 * 16 * 8 * 8  # Lk = 6 + 10
    assert p["rope"].flops == 3 * (6 * 64 + 6 * 16)
    assert att.cost.kv_cache_bytes == 2 * 10 * 16 * 4  # 2·n·g·d elements of float32
    # causal is a mask: the same counts without it
    plain = ok(text.replace("causal: true", "causal: false")).graph.layers[0]
    assert [c for _, c in plain.parts] == [c for _, c in att.parts]


def test_cross_attention_counts():
    r = ok(spec("""
    layers:
      - {name: memory, type: dense, units: 6}
      - {name: cross, type: attention, heads: 2, head_dim: 5, inputs: [input, memory]}
    """, "{length: 4, channels: 8}"))
    cross = r.graph.layers[1]
    p = parts(cross)
    assert cross.output == (4, 8)
    assert cross.cost.params == 8 * 10 + 2 * 6 * 10 + 10 * 8 + 3 * 10 + 8
    assert p["qkv"].maccs == 4 * 8 * 10 + 2 * 4 * 6 * 10  # keys and values from the memory (Lm = 4, Cm = 6)


def test_window_attention_counts():
    """A 4x6 image in 2x3 windows: Lk = 6 keys per query; a relative-position table (3·5)·h."""
    text = spec("layers:\n  - {type: attention, heads: 2, window: [2, 3], shift: 1, relative_position_bias: true}\n",
                "{height: 4, width: 6, channels: 8}")
    att = ok(text).graph.layers[0]
    p = parts(att)
    assert att.output == (4, 6, 8)
    assert att.cost.params == 4 * 8 * 8 + 4 * 8 + 3 * 5 * 2
    assert p["scores"].maccs == 24 * 6 * 8  # L·Lk·h·d with Lk = wh·ww
    assert p["scores"].flops == (2 * 4 - 1 + 1 + 3 + 1) * 24 * 6 * 2  # + the bias add per score
    unshifted = ok(text.replace("shift: 1, ", "")).graph.layers[0]
    assert [c for _, c in unshifted.parts] == [c for _, c in att.parts]  # a shift changes no count


def test_attention_keeps_its_intermediates_in_peak_memory():
    """Q, K, V, the scores and the context are alive while attention runs: L = 8, C = 4, h = 2."""
    r = ok(spec("layers:\n  - {type: attention, heads: 2}\n", "{length: 8, channels: 4}"))
    scratch = 2 * 8 * 4 + 2 * 8 * 4 + 8 * 8 * 2  # Q and context, K and V, scores
    assert r.totals.peak_activation_memory == (8 * 4 + 8 * 4 + scratch) * 4


@pytest.mark.parametrize("layer_text, input_, code, needle", [
    ("{type: attention, heads: 5}", "{length: 4, channels: 16}", "NS205", "5}"),
    ("{type: attention, heads: 4, kv_heads: 3}", "{length: 4, channels: 16}", "NS205", "3}"),
    ("{type: attention, heads: 2, head_dim: 3, rope: true}", "{length: 4, channels: 16}", "NS205", "true}"),
    ("{type: attention, heads: 2, window: 4}", "{height: 6, width: 8, channels: 4}", "NS204", "4}"),
    ("{type: attention, heads: 2, window: 2}", "{length: 4, channels: 16}", "NS206", "2}"),
    ("{type: attention, heads: 2, window: 2, shift: 2}", "{height: 4, width: 4, channels: 4}", "NS104", "2}"),
    ("{type: attention, heads: 2, shift: 1}", "{height: 4, width: 4, channels: 4}", "NS104", "1}"),
    ("{type: attention, heads: 2, relative_position_bias: true}", "{height: 4, width: 4, channels: 4}", "NS104",
     "true}"),
    ("{type: attention, heads: 2, window: 2, context: 3}", "{height: 4, width: 4, channels: 4}", "NS104", "3}"),
    ("{type: attention, heads: 2, causal: true, inputs: [input, input]}", "{length: 4, channels: 4}", "NS104",
     "true,"),
    ("{type: attention, heads: 2, inputs: [input, input, input]}", "{length: 4, channels: 4}", "NS210",
     "[input"),
    ("{type: attention, heads: 1}", "{channels: 4}", "NS206", "{type: attention"),
])
def test_attention_diagnostics(layer_text, input_, code, needle):
    text = spec(f"layers:\n  - {layer_text}\n", input_)
    assert located(text) == [(code, *position(text, needle, text.count(needle) if needle == "4}" else 1))]


# --- dense `tie` ---------------------------------------------------------------------------------------

LM = """
layers:
  - {name: wte, type: embedding, vocab: 50, dim: 8}
  - {name: body, type: dense, units: 8}
  - {name: head, type: dense, units: 50, tie: wte}
"""


def test_tied_head_counts_only_its_bias_and_reads_the_table():
    r = ok(spec(LM, "{length: 4}"))
    wte, body, head = r.graph.layers
    assert head.attrs["tie"] == "wte" and head.output == (4, 50)
    assert head.cost.params == 50  # its bias; the 50 x 8 table is the embedding's
    assert head.cost.maccs == 4 * 8 * 50
    assert head.cost.weight_reads == 8 * 50 + 50 and head.cost.weight_bytes == 50 * 4
    assert r.totals.params == 50 * 8 + 8 * 8 + 8 + 50


@pytest.mark.parametrize("head, code, needle", [
    ("{name: head, type: dense, units: 50, tie: body}", "NS218", "body}"),  # a dense, not an embedding
    ("{name: head, type: dense, units: 40, tie: wte}", "NS218", "wte}"),  # 40 units for a 50-row table
    ("{name: head, type: dense, units: 50, tie: input}", "NS218", "input}"),  # the token ids themselves
    ("{name: head, type: dense, units: 50, tie: nope}", "NS202", "nope}"),  # no such layer
    ("{name: head, type: dense, units: 50, tie: later}", "NS209", "later}"),  # written further down
])
def test_tie_diagnostics(head, code, needle):
    text = spec(LM.replace("{name: head, type: dense, units: 50, tie: wte}", head)
                + "  - {name: later, type: relu}\n", "{length: 4}")
    assert located(text) == [(code, *position(text, needle))]


# --- the KV cache, its budget --------------------------------------------------------------------------

def test_kv_cache_budget_fails_the_check(cli, write):
    path = write("dec.yaml", spec("""
    params: {context: 0}
    layers:
      - {type: attention, heads: 4, kv_heads: 2, causal: true, context: "${context}", repeat: 3}
    """, "{length: 1, channels: 64}"))
    r = cli("check", path, "--set", "context=1024")
    assert r.code == 0 and "KV cache 768 KiB" in r.out  # 3 layers x 2·n·g·d = 2·1024·2·16 x 4 bytes
    r = cli("check", path, "--set", "context=1024", "--max-kv-cache", "512KiB")
    assert r.code == 1
    assert "error[NS301] KV cache 768 KiB exceeds the budget 512 KiB by 256 KiB (50.0%) " \
           "[budget at --max-kv-cache]" in r.out
    r = cli("check", path, "--set", "context=1024", "-f", "json")
    net = json.loads(r.out)["files"][0]["network"]
    assert net["totals"]["kv_cache_bytes"] == 3 * 2 * 1024 * 2 * 16 * 4
    assert [l["kv_cache_bytes"] for l in net["layers"]] == [2 * 1024 * 2 * 16 * 4] * 3


def test_kv_cache_budget_in_the_spec(cli, write):
    path = write("dec.yaml", spec("""
    layers:
      - {type: attention, heads: 4, context: 4096}
    budget: {kv_cache_bytes: 1MiB, per_layer: {kv_cache_bytes: 4MiB}}
    """, "{length: 1, channels: 64}"))
    r = cli("check", path)
    assert r.code == 1 and "error[NS301] KV cache 2.00 MiB exceeds the budget 1.00 MiB" in r.out
    assert "NS302" not in r.out


# --- several bad layers in one file: each located, the rest still checked ---------------------------

MANY = """
layers:
  - {name: a, type: attention, heads: 5}
  - {name: b, type: attention, heads: 4, kv_heads: 3, inputs: input}
  - {name: c, type: to_image, height: 3, width: 5, inputs: input}
  - {name: d, type: embedding, vocab: 10, dim: 4, inputs: input}
  - {name: g, type: dense, units: 8, inputs: input}
  - {name: h, type: dense, units: 8, tie: g, inputs: input}
  - {name: i, type: to_image, height: 4, width: 4, inputs: input}
  - {name: j, type: attention, heads: 4, window: 3}
  - {name: k, type: slice, axis: length, start: 20, inputs: input}
  - {name: fine, type: attention, heads: 4, inputs: input}
"""


def test_every_bad_transformer_layer_is_found_in_one_run(cli, write):
    text = spec(MANY, "{length: 16, channels: 64}")
    expected = [("NS205", *position(text, "5}")), ("NS205", *position(text, "3, inputs")),
                ("NS203", *position(text, "3, width")), ("NS206", *position(text, "input}\n  - {name: g")),
                ("NS218", *position(text, "g, inputs")), ("NS204", *position(text, "3}")),
                ("NS204", *position(text, "20, inputs"))]
    assert located(text) == expected
    r = cli("check", write("many.yaml", text))
    assert r.code == 1 and "Traceback" not in r.out + r.err
    assert [line.split(": ")[0].rsplit(":", 2)[1:] for line in r.out.splitlines() if "error[" in line] == \
        [[str(line), str(col)] for _, line, col in expected]


def test_sweep_judges_the_kv_cache_budget(cli, write):
    """`sweep` takes the same --max-kv-cache: 3 layers x 2·n·g·d x 4 bytes is 384 KiB at n = 512,
    768 KiB at n = 1024."""
    path = write("dec.yaml", spec("""
    params: {context: 0}
    layers:
      - {type: attention, heads: 4, kv_heads: 2, causal: true, context: "${context}", repeat: 3}
    """, "{length: 1, channels: 64}"))
    r = cli("sweep", path, "--set", "context=512,1024", "--max-kv-cache", "512KiB", "-f", "json")
    assert r.code == 0
    assert [row["fits"] for row in json.loads(r.out)["rows"]] == [True, False]
