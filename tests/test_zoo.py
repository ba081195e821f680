"""The model zoo (`specs/`) held to numbers from outside netspec.

Every expectation here comes from a paper, from torchvision's published figures (as listed in
`/work/shared/reference/published-tables.md`), from TF-slim's reference docstring, or from a hand
computation written out below. None of them was copied from netspec's own output.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hand_counts import llama_maccs, llama_params
from netspec.cli import main
from netspec.pipeline import Options, check_path

SPECS = Path(__file__).resolve().parent.parent / "specs"
ALL_SPECS = sorted(str(p) for p in SPECS.rglob("*.yaml"))


def check(name: str, **overrides):
    result = check_path(str(SPECS / name), Options(overrides=overrides))
    errors = [f"{d.line}:{d.column} {d.code} {d.message}" for d in result.diagnostics if d.severity == "error"]
    assert result.ok and not errors, errors
    assert result.graph is not None and result.totals is not None
    return result


def layer(result, name: str):
    for l in result.graph.layers:
        if l.name == name:
            return l
    raise AssertionError(f"no layer {name!r} in {[l.name for l in result.graph.layers]}")


def part(l, label: str):
    """The per-sample Cost of one part of a layer (e.g. the conv, without its fused batch norm)."""
    found = [c for lab, c in l.parts if lab == label]
    assert len(found) == 1, (l.name, [lab for lab, _ in l.parts])
    return found[0]


# --- hand computations ---------------------------------------------------------------------------

def squeezenet1_1_maccs() -> int:
    """torchvision squeezenet1_1 at 224: K*K*Cin*Hout*Wout*Cout summed by hand.

    conv1 3x3/2, no padding: (224 - 3) // 2 + 1 = 111. Max pools 3x3/2 with ceil_mode:
    ceil((111 - 3) / 2) + 1 = 55, ceil((55 - 3) / 2) + 1 = 27, ceil((27 - 3) / 2) + 1 = 13.
    A fire module (in, s, e) at HxW: H*W*(in*s + s*e + 9*s*e).
    """
    conv1 = 111 * 111 * 64 * (3 * 3 * 3)                          # 21,290,688

    def fire(hw, cin, s, e):
        return hw * hw * (cin * s + s * e + 9 * s * e)

    fires = (fire(55, 64, 16, 64)      # 34,073,600
             + fire(55, 128, 16, 64)   # 37,171,200
             + fire(27, 128, 32, 128)  # 32,845,824
             + fire(27, 256, 32, 128)  # 35,831,808
             + fire(13, 256, 48, 192)  # 17,651,712
             + fire(13, 384, 48, 192)  # 18,690,048
             + fire(13, 384, 64, 256)  # 31,842,304
             + fire(13, 512, 64, 256))  # 33,226,752
    conv10 = 13 * 13 * 512 * 1000                                 # 86,528,000
    return conv1 + fires + conv10


def squeezenet1_1_params() -> int:
    """Weights + biases of every conv (all have a bias): K*K*Cin*Cout + Cout."""
    def conv(k, cin, cout):
        return k * k * cin * cout + cout

    def fire(cin, s, e):
        return conv(1, cin, s) + conv(1, s, e) + conv(3, s, e)

    return (conv(3, 3, 64) + fire(64, 16, 64) + fire(128, 16, 64) + fire(128, 32, 128) + fire(256, 32, 128)
            + fire(256, 48, 192) + fire(384, 48, 192) + fire(384, 64, 256) + fire(512, 64, 256)
            + conv(1, 512, 1000))


def googlenet_maccs() -> int:
    """torchvision GoogLeNet (no aux heads) at 224, by hand; its "5x5" branch is a 3x3 conv.

    conv1 7x7/2 -> 112; pools with ceil_mode: 112 -> 56, 56 -> 28, 28 -> 14, 14 -> 7 (2x2/2).
    An inception module at HxW: H*W*(in*c1 + in*c3r + 9*c3r*c3 + in*c5r + 9*c5r*c5 + in*pool_proj).
    """
    def inception(hw, cin, c1, c3r, c3, c5r, c5, pp):
        return hw * hw * (cin * c1 + cin * c3r + 9 * c3r * c3 + cin * c5r + 9 * c5r * c5 + cin * pp)

    stem = 112 * 112 * 64 * (7 * 7 * 3) + 56 * 56 * 64 * 64 + 56 * 56 * 192 * (3 * 3 * 64)
    modules = (inception(28, 192, 64, 96, 128, 16, 32, 32) + inception(28, 256, 128, 128, 192, 32, 96, 64)
               + inception(14, 480, 192, 96, 208, 16, 48, 64) + inception(14, 512, 160, 112, 224, 24, 64, 64)
               + inception(14, 512, 128, 128, 256, 24, 64, 64) + inception(14, 512, 112, 144, 288, 32, 64, 64)
               + inception(14, 528, 256, 160, 320, 32, 128, 128)
               + inception(7, 832, 256, 160, 320, 32, 128, 128) + inception(7, 832, 384, 192, 384, 48, 128, 128))
    return stem + modules + 1024 * 1000


def m5_maccs() -> int:
    """M5 (torchaudio's speech-command tutorial) on 8,000 samples, valid convs, max pools of 4:
    conv1 80 taps stride 16: (8000 - 80) // 16 + 1 = 496 -> 124; conv2 3 taps: 122 -> 30;
    conv3: 28 -> 7; conv4: 5 -> 1. Each conv K*Cin*Lout*Cout; the classifier 64*35."""
    return (80 * 1 * 496 * 32        # 1,269,760
            + 3 * 32 * 122 * 32      # 374,784
            + 3 * 32 * 28 * 64       # 172,032
            + 3 * 64 * 5 * 64        # 61,440
            + 64 * 35)               # 2,240


def lstm_lm_counts() -> tuple[int, int]:
    """Zaremba et al. 2014's medium PTB model (vocabulary 10,000, 650 units, 2 layers, 35 steps),
    untied: the embedding 10,000*650; per LSTM layer 4*650*(650 + 650) weights + 8*650 biases
    (PyTorch's b_ih and b_hh); the decoder 650*10,000 + 10,000. MACCs per 35-token pass: the LSTM's
    4*650*(650 + 650) per step and layer, the decoder 650*10,000 per token; the embedding none."""
    lstm_layer = 4 * 650 * (650 + 650) + 8 * 650
    params = 10_000 * 650 + 2 * lstm_layer + 650 * 10_000 + 10_000
    maccs = 35 * (2 * 4 * 650 * (650 + 650) + 650 * 10_000)
    return params, maccs


# --- exact published figures ---------------------------------------------------------------------

# (spec, params, MACCs): torchvision's published parameter counts and multiply-adds (its "GFLOPS").
PUBLISHED = [
    ("mobilenet_v2.yaml", 3_504_872, 300_774_272),
    ("resnet50.yaml", 25_557_032, 4_089_184_256),
    ("resnet18.yaml", 11_689_512, 1_814_073_344),
    ("vgg16.yaml", 138_357_544, 15_470_264_320),
    ("alexnet.yaml", 61_100_840, 714_188_480),
    ("squeezenet1_1.yaml", 1_235_496, squeezenet1_1_maccs()),
    ("googlenet.yaml", 6_624_904, googlenet_maccs()),
    # torchvision ViT_B_16_Weights: num_params 86,567,656; "_ops" 17.56 GFLOPS (multiply-adds) =
    # 17,563,828,224 MACCs with the math attention backend and grad enabled (spec-format-1.1, "Oracle
    # trap (measured)"), equal to tests/transformer_refs.py's VisionTransformer counted by FlopCounterMode
    ("vit_b_16.yaml", 86_567_656, 17_563_828_224),
    # torchvision ConvNeXt_Tiny_Weights: num_params 28,589,128; 4,455,531,264 multiply-adds (issue 14,
    # "_ops" 4.46), equal to tests/transformer_refs.py's ConvNeXt counted by FlopCounterMode
    ("convnext_tiny.yaml", 28_589_128, 4_455_531_264),
    # torchvision Swin_T_Weights: num_params 28,288,354; 4,490,566,656 multiply-adds (issue 14; "_ops"
    # 4.49), equal to tests/transformer_refs.py's SwinTransformer counted by FlopCounterMode
    ("swin_t.yaml", 28_288_354, 4_490_566_656),
    # GPT-2 small at 1,024 tokens, LM head tied: 124,439,808 params (Hugging Face's gpt2) and
    # 145,824,153,600 MACCs (issue 14: a plain-PyTorch GPT-2 with explicit attention matmuls and the
    # head, counted by FlopCounterMode; tests/transformer_refs.py's GPT2 gives the same)
    ("gpt2.yaml", 124_439_808, 145_824_153_600),
    # TinyLlama-1.1B's published configuration at its 2,048-token context, written out by hand in
    # tests/hand_counts.py (1,100,048,384 params: the model card's "1.1B"); tests/transformer_refs.py's
    # Llama, counted by FlopCounterMode, gives the same
    ("llama_style.yaml", llama_params(), llama_maccs()),
    # format 1.1 (issue 15): torchvision's docs, params and "GFLOPS" in full as PyTorch counts them;
    # tests/test_zoo_torch.py also holds each to a plain-PyTorch rebuild of torchvision's definition
    ("shufflenet_v2_x1_0.yaml", 2_278_604, 144_907_992),  # channel split (slice) + channel_shuffle
    ("mobilenet_v3_large.yaml", 5_483_032, 216_589_760),  # one block, activation an argument
    ("resnet34.yaml", 21_797_672, 3_663_761_408),  # stage depths a list param
    # unet.yaml (Ronneberger et al. 2015) has no published count: tests/test_zoo_torch.py checks it
    # against the paper's network in plain PyTorch (572x572 in, 388x388 out)
    # M5 for keyword spotting (Dai et al. 2017) as torchaudio's tutorial "Speech Command Classification
    # with torchaudio" defines it: 26,915 params, the count the tutorial prints; MACCs by hand above;
    # tests/sequence_refs.py's M5 counted by FlopCounterMode gives both (test_sequence_zoo_against_pytorch)
    ("m5_kws.yaml", 26_915, m5_maccs()),
    # an LSTM language model, Zaremba et al. 2014 "medium" in PyTorch's word_language_model example:
    # 19,780,400 params and 464,100,000 MACCs by hand above; tests/sequence_refs.py's RNNModel gives both
    # (its LSTM counted by the unrolled per-step reference: FlopCounterMode counts nn.LSTM as 0)
    ("lstm_lm.yaml", *lstm_lm_counts()),
]


@pytest.mark.parametrize("spec,params,maccs", PUBLISHED, ids=[p[0] for p in PUBLISHED])
def test_published_params_and_maccs(spec, params, maccs):
    totals = check(spec).totals
    assert totals.params == params
    assert totals.maccs == maccs


@pytest.mark.parametrize("spec, output", [("vit_b_16.yaml", (1000,)), ("convnext_tiny.yaml", (1000,)),
                                          ("swin_t.yaml", (1000,)), ("gpt2.yaml", (1024, 50257)),
                                          ("llama_style.yaml", (2048, 32000))])
def test_transformer_zoo_outputs(spec, output):
    result = check(spec)
    assert result.graph.shape_of(result.graph.output_ref) == output


def test_sequence_zoo_against_pytorch():
    """m5_kws and lstm_lm against their plain-PyTorch references (tests/sequence_refs.py): params,
    MACCs (FlopCounterMode / 2; the LSTM's from the unrolled per-step reference) and output shape."""
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode

    from recurrent_refs import unrolled
    from sequence_refs import M5, RNNModel

    torch.manual_seed(0)
    m5 = M5().eval()
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        y = m5(torch.randn(1, 1, 8000))
    spec = check("m5_kws.yaml")
    assert sum(p.numel() for p in m5.parameters()) == spec.totals.params == 26_915
    assert counter.get_total_flops() // 2 == spec.totals.maccs == m5_maccs()
    assert tuple(y.shape) == (1, 1, 35) and spec.graph.shape_of(spec.graph.output_ref) == (35,)

    lm = RNNModel().eval()
    tokens = torch.randint(0, 10_000, (35, 1))  # (steps, batch), as the example feeds it
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        out, _ = lm(tokens, lm.init_hidden(1))
        emb = lm.encoder(tokens).transpose(0, 1)
    assert counter.get_flop_counts().get("RNNModel.rnn", {}) == {}  # the trap: nn.LSTM counts nothing
    with torch.no_grad():
        _, _, lstm_maccs = unrolled(_batch_first(torch, lm.rnn), emb)
    spec = check("lstm_lm.yaml")
    assert sum(p.numel() for p in lm.parameters()) == spec.totals.params == lstm_lm_counts()[0]
    assert counter.get_total_flops() // 2 + lstm_maccs == spec.totals.maccs == lstm_lm_counts()[1]
    assert tuple(out.shape) == (35, 1, 10_000) and spec.graph.shape_of(spec.graph.output_ref) == (35, 10_000)


def _batch_first(torch, lstm):
    """The same LSTM (shared weights) taking (N, L, C), as the unrolled reference reads it."""
    twin = torch.nn.LSTM(lstm.input_size, lstm.hidden_size, lstm.num_layers, batch_first=True)
    twin.load_state_dict(lstm.state_dict())
    return twin


def test_gpt2_kv_cache_is_reported_and_budgeted(capsys):
    """12 layers x 2·n·g·d = 2 x 4096 x 12 x 64 elements x 4 bytes = 301,989,888 bytes (288 MiB)."""
    with pytest.raises(SystemExit) as exc:
        main(["check", str(SPECS / "gpt2.yaml"), "--set", "context=4096", "-f", "json"])
    assert exc.value.code == 0
    totals = json.loads(capsys.readouterr().out)["files"][0]["network"]["totals"]
    assert totals["kv_cache_bytes"] == 12 * 2 * 4096 * 12 * 64 * 4 == 301_989_888
    with pytest.raises(SystemExit) as exc:
        main(["check", str(SPECS / "gpt2.yaml"), "--set", "context=4096"])
    assert exc.value.code == 0 and "KV cache 288 MiB" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(["check", str(SPECS / "gpt2.yaml"), "--set", "context=4096", "--max-kv-cache", "256MiB"])
    assert exc.value.code == 1
    assert "gpt2.yaml:2:1: error[NS301] KV cache 288 MiB exceeds the budget 256 MiB by 32.0 MiB (12.5%) " \
           "[budget at --max-kv-cache]" in capsys.readouterr().out


def test_hand_computations_agree_with_published_rounding():
    # The hand sums above against torchvision's rounded figures (0.35 and 1.50 GFLOPS).
    assert squeezenet1_1_params() == 1_235_496
    assert round(squeezenet1_1_maccs() / 1e9, 2) == 0.35
    assert round(googlenet_maccs() / 1e9, 2) == 1.50


def test_mobilenet_v2_width_1_4():
    totals = check("mobilenet_v2.yaml", width=1.4).totals
    assert totals.params == 6_108_776
    assert totals.maccs == 582_195_824


def test_mobilenet_v2_width_1_4_from_the_command_line(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["check", str(SPECS / "mobilenet_v2.yaml"), "--set", "width=1.4", "-f", "json"])
    assert exc.value.code == 0
    totals = json.loads(capsys.readouterr().out)["files"][0]["network"]["totals"]
    assert (totals["params"], totals["maccs"]) == (6_108_776, 582_195_824)


def test_mobilenet_v2_paper_figures():
    # Sandler et al.: 300M MAdds / 3.4M params at 1.0 (torchvision's classifier makes it 3.5M);
    # 585M / 6.9M at 1.4 (torchvision keeps the last conv at 1792 and measures 582M).
    t10 = check("mobilenet_v2.yaml").totals
    assert round(t10.maccs / 1e6) == 301
    t14 = check("mobilenet_v2.yaml", width=1.4).totals
    assert abs(t14.maccs - 585e6) / 585e6 < 0.01


def test_mobilenet_v2_channels_follow_make_divisible():
    # Table 2 channels at 1.0; at 1.4 make_divisible(c * 1.4, 8): 32->48 (44.8), 16->24 (22.4),
    # 24->32 (33.6), 32->48 (44.8), 64->88 (89.6), 96->136 (134.4), 160->224, 320->448; last 1792.
    r10 = check("mobilenet_v2.yaml")
    r14 = check("mobilenet_v2.yaml", width=1.4)
    for name, c10, c14 in [("stem", 32, 48), ("ir1.project", 16, 24), ("ir2.1.project", 24, 32),
                           ("ir3.2.project", 32, 48), ("ir4.3.project", 64, 88), ("ir5.2.project", 96, 136),
                           ("ir6.2.project", 160, 224), ("ir7.project", 320, 448), ("last", 1280, 1792)]:
        assert layer(r10, name).output[-1] == c10, name
        assert layer(r14, name).output[-1] == c14, name


# --- MobileNet V1 against the paper and TF-slim --------------------------------------------------

def test_mobilenet_v1_paper_table6():
    totals = check("mobilenet_v1.yaml").totals
    assert abs(totals.maccs - 569e6) / 569e6 < 0.01
    assert abs(totals.params - 4.2e6) / 4.2e6 < 0.01


@pytest.mark.parametrize("width,madds_m,params_m", [(1.0, 569, 4.2), (0.75, 325, 2.6), (0.5, 149, 1.3),
                                                   (0.25, 41, 0.5)])
def test_mobilenet_v1_width_multipliers_table6(width, madds_m, params_m):
    # The paper rounds to whole millions of Mult-Adds and to 0.1M params.
    totals = check("mobilenet_v1.yaml", width=width).totals
    assert round(totals.maccs / 1e6) == madds_m
    assert round(totals.params / 1e6, 1) == params_m


@pytest.mark.parametrize("resolution,madds_m", [(224, 569), (192, 418), (160, 290), (128, 186)])
def test_mobilenet_v1_resolutions_table7(resolution, madds_m):
    # The paper's figures are rounded (and 160's 290.7M is truncated), so within 1%.
    totals = check("mobilenet_v1.yaml", resolution=resolution).totals
    assert abs(totals.maccs - madds_m * 1e6) / (madds_m * 1e6) < 0.01
    assert abs(totals.params - 4.2e6) / 4.2e6 < 0.01  # params do not depend on the resolution


def conv_parts(result):
    """(params, MACCs) of every conv/depthwise weight tensor, in order: no bias, no batch norm."""
    out = []
    for l in result.graph.layers:
        for label, c in l.parts:
            if label in ("conv", "depthwise"):
                out.append((l.name, c.params, c.maccs))
    return out


def test_mobilenet_v1_tf_slim_per_layer():
    r = check("mobilenet_v1.yaml")
    conv0 = part(layer(r, "conv0"), "conv")
    assert (conv0.params, conv0.maccs) == (864, 10_838_016)           # Conv2d_0
    dw1 = part(layer(r, "sep1.depthwise"), "depthwise")
    assert (dw1.params, dw1.maccs) == (288, 3_612_672)                # Conv2d_1_depthwise
    pw1 = part(layer(r, "sep1.pointwise"), "conv")
    assert (pw1.params, pw1.maccs) == (2_048, 25_690_112)             # Conv2d_1_pointwise


def test_mobilenet_v1_tf_slim_body_totals():
    # TF-slim's docstring: the body without the classifier, conv weights only, at 224:
    # 3,185,088 params and 567,716,352 MACs (27 weight layers: conv0 + 13 depthwise + 13 pointwise).
    parts = conv_parts(check("mobilenet_v1.yaml"))
    assert len(parts) == 27
    assert sum(p for _, p, _ in parts) == 3_185_088
    assert sum(m for _, _, m in parts) == 567_716_352


def test_mobilenet_v1_classifier_is_a_1024_to_1000_fc():
    # Seed rule for FC: I*J MACCs, (I + 1)*J weights.
    fc = layer(check("mobilenet_v1.yaml"), "fc")
    assert (fc.cost.maccs, fc.cost.params) == (1024 * 1000, 1025 * 1000)


# --- every spec checks clean ---------------------------------------------------------------------

def test_zoo_is_not_empty():
    names = {Path(p).name for p in ALL_SPECS}
    for expected in ("mobilenet_v1.yaml", "mobilenet_v2.yaml", "resnet50.yaml", "resnet18.yaml", "vgg16.yaml",
                     "alexnet.yaml", "squeezenet1_1.yaml", "googlenet.yaml", "tiny.yaml", "shufflenet_v2_x1_0.yaml",
                     "mobilenet_v3_large.yaml", "resnet34.yaml", "unet.yaml", "seed_conv3x3.yaml",
                     "seed_separable.yaml", "seed_fc.yaml"):
        assert expected in names


@pytest.mark.parametrize("path", ALL_SPECS, ids=lambda p: str(Path(p).relative_to(SPECS)))
def test_every_spec_checks_clean(path, capsys):
    result = check_path(path)
    assert result.ok, [(d.line, d.column, d.code, d.message) for d in result.diagnostics]
    assert not [d for d in result.diagnostics if d.severity == "error"]
    with pytest.raises(SystemExit) as exc:
        main(["check", path])
    assert exc.value.code == 0, capsys.readouterr()


@pytest.mark.parametrize("path", ALL_SPECS, ids=lambda p: str(Path(p).relative_to(SPECS)))
def test_every_spec_json_is_consistent(path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["check", path, "-f", "json"])
    assert exc.value.code == 0
    f = json.loads(capsys.readouterr().out)["files"][0]
    net = f["network"]
    assert f["ok"] and net is not None
    for key in ("params", "maccs", "flops", "memory_accesses"):
        assert net["totals"][key] == sum(l[key] for l in net["layers"]), key


def test_resnet34_stage_depths_are_a_list_param():
    """`--set depths=[2,2,2,2]` turns resnet34.yaml into ResNet-18: torchvision's published resnet18."""
    totals = check("resnet34.yaml", depths=[2, 2, 2, 2]).totals
    assert (totals.params, totals.maccs) == (11_689_512, 1_814_073_344)


def test_mobilenet_v3_large_is_one_block_with_its_activation_an_argument():
    from netspec.loader import load_file

    data = load_file(str(SPECS / "mobilenet_v3_large.yaml")).data
    assert list(data["blocks"]) == ["bneck"]
    assert data["blocks"]["bneck"]["args"]["act"] == "relu"
    r = check("mobilenet_v3_large.yaml")
    dw = {l.name: l.fused for l in r.graph.layers if l.name.endswith(".dw")}
    assert dw["b2.dw"] == ("batchnorm", "relu") and dw["b7.dw"] == ("batchnorm", "hswish")  # torchvision's RE / HS
