"""Plain-PyTorch reference models for the transformer zoo: no netspec code, no torchvision.

torchvision cannot be imported on this machine (its only wheel is a CUDA build that breaks next to
CPU torch), so the torchvision models are rebuilt here from their published definitions
(torchvision/models/vision_transformer.py, swin_transformer.py, convnext.py): the same modules,
the same shapes and the same parameters, written out in our own words. GPT-2 small and a
TinyLlama-1.1B-style decoder are written from their published configurations.

`count(model, x)` is the oracle's procedure: parameters as PyTorch counts them (a tied weight
once), MACCs as `FlopCounterMode`'s total / 2 with the math attention backend and grad enabled.
Attention is written as explicit matmuls, except in ViT, which keeps torchvision's
`nn.MultiheadAttention` (the module whose fused CPU path the counter misses: see
tests/test_transformers.py). Weights are PyTorch's default initialisation; where values do not
matter the models are built on the meta device (shapes only, no memory, no arithmetic).

Import this only after `pytest.importorskip("torch")`.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode


def count(model: nn.Module, *inputs) -> tuple[int, int, tuple]:
    """(params, MACCs, output shape) of one forward pass, counted the oracle's way."""
    params = sum(p.numel() for p in model.parameters())  # parameters() yields a shared one once
    counter = FlopCounterMode(display=False)
    with sdpa_kernel(SDPBackend.MATH), torch.enable_grad(), counter:
        y = model(*inputs)
    return params, counter.get_total_flops() // 2, tuple(y.shape)


# ------------------------------------------------------------------------------------------------
# ViT-B/16 (torchvision vision_transformer.py: VisionTransformer(224, 16, 12 layers, 12 heads,
# hidden 768, MLP 3072), LayerNorm eps 1e-6, nn.MultiheadAttention with batch_first)

class VitEncoderBlock(nn.Module):
    def __init__(self, heads: int, dim: int, mlp: int) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(dim, eps=1e-6)
        self.self_attention = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.ln_2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp), nn.GELU(), nn.Dropout(0.0), nn.Linear(mlp, dim),
                                 nn.Dropout(0.0))

    def forward(self, x):
        y = self.ln_1(x)
        y, _ = self.self_attention(y, y, y, need_weights=False)
        x = x + y
        return x + self.mlp(self.ln_2(x))


class VisionTransformer(nn.Module):
    def __init__(self, image: int = 224, patch: int = 16, layers: int = 12, heads: int = 12, dim: int = 768,
                 mlp: int = 3072, classes: int = 1000) -> None:
        super().__init__()
        self.dim = dim
        self.conv_proj = nn.Conv2d(3, dim, kernel_size=patch, stride=patch)
        self.class_token = nn.Parameter(torch.zeros(1, 1, dim))
        tokens = (image // patch) ** 2 + 1
        self.pos_embedding = nn.Parameter(torch.empty(1, tokens, dim).normal_(std=0.02))
        self.layers = nn.Sequential(*(VitEncoderBlock(heads, dim, mlp) for _ in range(layers)))
        self.ln = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        n = x.shape[0]
        x = self.conv_proj(x).reshape(n, self.dim, -1).permute(0, 2, 1)  # patches in row-major order
        x = torch.cat([self.class_token.expand(n, -1, -1), x], dim=1)
        x = self.ln(self.layers(x + self.pos_embedding))
        return self.head(x[:, 0])


# ------------------------------------------------------------------------------------------------
# Swin-T (torchvision swin_transformer.py: patch 4, embed 96, depths [2, 2, 6, 2], heads
# [3, 6, 12, 24], window 7, MLP ratio 4, LayerNorm eps 1e-5; tensors are N, H, W, C throughout)

class WindowAttention(nn.Module):
    """Shifted-window multi-head self-attention with a relative-position bias table."""

    def __init__(self, dim: int, window: int, shift: int, heads: int) -> None:
        super().__init__()
        self.window, self.shift, self.heads = window, shift, heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * window - 1) ** 2, heads))
        ys, xs = torch.meshgrid(torch.arange(window), torch.arange(window), indexing="ij")
        coords = torch.stack([ys.flatten(), xs.flatten()])  # 2, w*w
        rel = coords[:, :, None] - coords[:, None, :] + (window - 1)  # 2, w*w, w*w, from 0
        self.register_buffer("index", rel[0] * (2 * window - 1) + rel[1], persistent=False)

    def forward(self, x):
        n, h, w, c = x.shape
        ws, heads = self.window, self.heads
        shift = self.shift if ws < h else 0  # a window covering the whole map is never shifted
        if shift:
            x = torch.roll(x, shifts=(-shift, -shift), dims=(1, 2))
        windows = (h // ws) * (w // ws)
        t = x.view(n, h // ws, ws, w // ws, ws, c).permute(0, 1, 3, 2, 4, 5).reshape(n * windows, ws * ws, c)
        qkv = self.qkv(t).reshape(t.shape[0], ws * ws, 3, heads, c // heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0] * (c // heads) ** -0.5, qkv[1], qkv[2]
        scores = q.matmul(k.transpose(-2, -1))
        bias = self.relative_position_bias_table[self.index.flatten()].view(ws * ws, ws * ws, heads)
        scores = scores + bias.permute(2, 0, 1).unsqueeze(0)
        if shift:
            scores = scores + self._mask(h, w, shift, windows).to(scores.device).repeat(n, 1, 1, 1)
        out = F.softmax(scores, dim=-1).matmul(v).transpose(1, 2).reshape(t.shape[0], ws * ws, c)
        out = self.proj(out)
        out = out.view(n, h // ws, w // ws, ws, ws, c).permute(0, 1, 3, 2, 4, 5).reshape(n, h, w, c)
        if shift:
            out = torch.roll(out, shifts=(shift, shift), dims=(1, 2))
        return out

    def _mask(self, h, w, shift, windows):
        """-100 between tokens that came from different regions of the rolled map, else 0."""
        ws = self.window
        region = torch.zeros(h, w)
        count = 0
        for hs in (slice(0, -ws), slice(-ws, -shift), slice(-shift, None)):
            for wsl in (slice(0, -ws), slice(-ws, -shift), slice(-shift, None)):
                region[hs, wsl] = count
                count += 1
        region = region.view(h // ws, ws, w // ws, ws).permute(0, 2, 1, 3).reshape(windows, ws * ws)
        diff = region.unsqueeze(1) - region.unsqueeze(2)
        return torch.where(diff != 0, -100.0, 0.0).unsqueeze(1)  # windows, 1, w*w, w*w


class SwinBlock(nn.Module):
    def __init__(self, dim: int, heads: int, window: int, shift: int) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention(dim, window, shift, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Dropout(0.0), nn.Linear(4 * dim, dim),
                                 nn.Dropout(0.0))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class PatchMerging(nn.Module):
    """2x2 neighbours side by side on the channels (order (0,0), (1,0), (0,1), (1,1)), norm, 4C -> 2C."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(4 * dim)
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)

    def forward(self, x):
        x = torch.cat([x[:, 0::2, 0::2], x[:, 1::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2, 1::2]], dim=-1)
        return self.reduction(self.norm(x))


class SwinTransformer(nn.Module):
    def __init__(self, embed: int = 96, depths=(2, 2, 6, 2), heads=(3, 6, 12, 24), window: int = 7,
                 classes: int = 1000) -> None:
        super().__init__()
        self.patch = nn.Conv2d(3, embed, kernel_size=4, stride=4)
        self.patch_norm = nn.LayerNorm(embed)
        stages = []
        for i, (depth, h) in enumerate(zip(depths, heads)):
            dim = embed * 2 ** i
            stages += [SwinBlock(dim, h, window, 0 if j % 2 == 0 else window // 2) for j in range(depth)]
            if i < len(depths) - 1:
                stages.append(PatchMerging(dim))
        self.features = nn.Sequential(*stages)
        last = embed * 2 ** (len(depths) - 1)
        self.norm = nn.LayerNorm(last)
        self.head = nn.Linear(last, classes)

    def forward(self, x):
        x = self.patch_norm(self.patch(x).permute(0, 2, 3, 1))
        x = self.norm(self.features(x))
        return self.head(x.mean(dim=(1, 2)))


# ------------------------------------------------------------------------------------------------
# ConvNeXt-T (torchvision convnext.py: stages (96, 3), (192, 3), (384, 9), (768, 3), layer scale,
# LayerNorm eps 1e-6, channels-last LayerNorm2d between stages and in the stem and head)

class LayerNorm2d(nn.LayerNorm):
    def forward(self, x):
        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class ConvNeXtBlock(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, kernel_size=7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.pwconv1 = nn.Linear(dim, 4 * dim)
        self.pwconv2 = nn.Linear(4 * dim, dim)
        self.layer_scale = nn.Parameter(torch.full((dim, 1, 1), 1e-6))

    def forward(self, x):
        y = self.norm(self.dwconv(x).permute(0, 2, 3, 1))
        y = self.pwconv2(F.gelu(self.pwconv1(y))).permute(0, 3, 1, 2)
        return x + self.layer_scale * y


class ConvNeXt(nn.Module):
    def __init__(self, dims=(96, 192, 384, 768), depths=(3, 3, 9, 3), classes: int = 1000) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(3, dims[0], kernel_size=4, stride=4), LayerNorm2d(dims[0], eps=1e-6)]
        for i, (dim, depth) in enumerate(zip(dims, depths)):
            layers += [ConvNeXtBlock(dim) for _ in range(depth)]
            if i < len(dims) - 1:
                layers += [LayerNorm2d(dim, eps=1e-6), nn.Conv2d(dim, dims[i + 1], kernel_size=2, stride=2)]
        self.features = nn.Sequential(*layers)
        self.norm = nn.LayerNorm(dims[-1], eps=1e-6)
        self.head = nn.Linear(dims[-1], classes)

    def forward(self, x):
        return self.head(self.norm(self.features(x).mean(dim=(2, 3))))


# ------------------------------------------------------------------------------------------------
# Decoders: attention as explicit matmuls (every product is counted), a causal mask on the scores

def attend(q, k, v, causal: bool, offset: int = 0):
    """softmax(q kᵀ / sqrt(d) + mask) v for (N, heads, L, d) tensors; key j is hidden from query i when
    j > i + offset (offset = the earlier positions in the keys)."""
    scores = q.matmul(k.transpose(-2, -1)) / math.sqrt(q.shape[-1])
    if causal:
        lq, lk = scores.shape[-2:]
        hidden = torch.ones(lq, lk, dtype=torch.bool, device=scores.device).triu(1 + offset)
        scores = scores.masked_fill(hidden, float("-inf"))
    return F.softmax(scores, dim=-1).matmul(v)


class GPT2Block(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.ln_1 = nn.LayerNorm(dim)
        self.c_attn = nn.Linear(dim, 3 * dim)
        self.attn_proj = nn.Linear(dim, dim)
        self.ln_2 = nn.LayerNorm(dim)
        self.c_fc = nn.Linear(dim, 4 * dim)
        self.mlp_proj = nn.Linear(4 * dim, dim)

    def forward(self, x):
        n, length, dim = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(dim, dim=-1)
        q, k, v = (t.view(n, length, self.heads, dim // self.heads).transpose(1, 2) for t in (q, k, v))
        a = attend(q, k, v, causal=True).transpose(1, 2).reshape(n, length, dim)
        x = x + self.attn_proj(a)
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class GPT2(nn.Module):
    """GPT-2 small: vocab 50257, 1024 positions, 12 layers, 12 heads, width 768; LM head tied to wte."""

    def __init__(self, vocab: int = 50257, positions: int = 1024, layers: int = 12, heads: int = 12,
                 dim: int = 768) -> None:
        super().__init__()
        self.wte = nn.Embedding(vocab, dim)
        self.wpe = nn.Embedding(positions, dim)
        self.h = nn.Sequential(*(GPT2Block(dim, heads) for _ in range(layers)))
        self.ln_f = nn.LayerNorm(dim)

    def forward(self, ids):
        pos = torch.arange(ids.shape[1], device=ids.device)
        x = self.ln_f(self.h(self.wte(ids) + self.wpe(pos)))
        return F.linear(x, self.wte.weight)  # the LM head: the token embedding, transposed


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return self.weight * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)


def rotate(x, positions, theta: float = 10000.0):
    """Rotary position embedding (the half-split form of Llama's reference code) on (N, heads, L, d)."""
    d = x.shape[-1]
    freq = theta ** (-torch.arange(0, d, 2, device=x.device, dtype=torch.float32) / d)
    angle = positions[:, None].float() * freq[None, :]
    cos, sin = torch.cat([angle.cos()] * 2, -1), torch.cat([angle.sin()] * 2, -1)
    half = torch.cat([-x[..., d // 2:], x[..., : d // 2]], dim=-1)
    return x * cos + half * sin


class LlamaBlock(nn.Module):
    def __init__(self, dim: int, heads: int, kv_heads: int, hidden: int) -> None:
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = heads, kv_heads, dim // heads
        self.input_layernorm = RMSNorm(dim)
        self.q_proj = nn.Linear(dim, heads * self.head_dim, bias=False)
        self.k_proj = nn.Linear(dim, kv_heads * self.head_dim, bias=False)
        self.v_proj = nn.Linear(dim, kv_heads * self.head_dim, bias=False)
        self.o_proj = nn.Linear(heads * self.head_dim, dim, bias=False)
        self.post_attention_layernorm = RMSNorm(dim)
        self.gate_proj = nn.Linear(dim, hidden, bias=False)
        self.up_proj = nn.Linear(dim, hidden, bias=False)
        self.down_proj = nn.Linear(hidden, dim, bias=False)

    def forward(self, x):
        n, length, _ = x.shape
        y = self.input_layernorm(x)
        pos = torch.arange(length, device=x.device)
        q = self.q_proj(y).view(n, length, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(y).view(n, length, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(y).view(n, length, self.kv_heads, self.head_dim).transpose(1, 2)
        q, k = rotate(q, pos), rotate(k, pos)
        group = self.heads // self.kv_heads  # grouped-query attention: each K/V head serves `group` queries
        k, v = k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)
        a = attend(q, k, v, causal=True).transpose(1, 2).reshape(n, length, -1)
        x = x + self.o_proj(a)
        y = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(y)) * self.up_proj(y))


class Llama(nn.Module):
    """TinyLlama-1.1B's published configuration: vocab 32000, width 2048, 22 layers, 32 heads,
    4 key/value heads (grouped-query attention), SwiGLU MLP 5632, RMSNorm, rotary positions,
    an untied LM head, no biases."""

    def __init__(self, vocab: int = 32000, dim: int = 2048, layers: int = 22, heads: int = 32, kv_heads: int = 4,
                 hidden: int = 5632) -> None:
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, dim)
        self.layers = nn.Sequential(*(LlamaBlock(dim, heads, kv_heads, hidden) for _ in range(layers)))
        self.norm = RMSNorm(dim)
        self.lm_head = nn.Linear(dim, vocab, bias=False)

    def forward(self, ids):
        return self.lm_head(self.norm(self.layers(self.embed_tokens(ids))))


def build(cls, device: str = "meta", **kwargs) -> nn.Module:
    """A reference model on `device` (meta: shapes only, built in milliseconds), in eval mode."""
    with torch.device(device):
        return cls(**kwargs).eval()
