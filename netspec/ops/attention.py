"""Multi-head attention: self or cross, grouped-query, causal, windowed (Swin), rotary, with a KV cache.

With d = head_dim, h = heads, g = kv_heads, L query positions (H·W for an image), Lnew the new key
positions (L, or the memory's Lm for cross-attention), n = context (cached positions) and Lk the
keys each query sees (Lnew + n; wh·ww with a window), a layer is five parts, each a kernel:
- `qkv`: the projections, L·C·h·d + 2·Lnew·Cm·g·d MACCs (the cache is read, never recomputed);
- `rope` (with `rope: true`): queries and keys rotated, 3 FLOPs an element;
- `scores`: QKᵀ, L·Lk·h·d MACCs; per score the dot product (2d − 1 FLOPs), the scale (1), the
  relative-position bias (1, if any) and the softmax (3: exp, sum, divide, as the softmax layer);
- `context`: A·V, L·Lk·h·d MACCs, 2·Lk − 1 FLOPs per output;
- `out`: the output projection, L·h·d·dim MACCs.
`causal` and `shift` are masks on the scores: they change no count (the masked scores are
computed, as PyTorch's math path does; a causal-aware count would skip about half of QKᵀ and A·V).
Memory: each part reads its inputs and writes its output (the math path, not a fused kernel), so
Q, K, V, the L·Lk·h scores and the context are written and read once in the compulsory traffic,
the KV cache (2·n·g·d elements) is read, and the intermediates are alive during the layer (peak
activation memory). The cache itself is `kv_cache_bytes`, not activation memory.

PyTorch: `NetspecAttention`, a class the exported file defines, with every product an explicit
matmul (so FlopCounterMode counts them all: PyTorch's fused CPU attention counts 0).
"""

from __future__ import annotations

from .base import Attr, Cost, Op, ShapeError, Tokens, TorchCode, fmt_shape, kind_of, numel, register, torch_helper

ATTRS = (
    Attr("heads", "int+", doc="Number of query heads h."),
    Attr("head_dim", "int+", None, "Width d of each head (default: channels / heads, which must divide)."),
    Attr("kv_heads", "int+", None, "Key/value heads g (default: heads; fewer: grouped-query attention, 1: "
         "multi-query); must divide heads."),
    Attr("dim", "int+", None, "Output channels (default: the input's channels)."),
    Attr("causal", "bool", False, "Each position sees only itself and earlier ones: a mask, which changes no "
         "count. Self-attention only."),
    Attr("qkv_bias", "bool", True, "Biases on the query, key and value projections."),
    Attr("out_bias", "bool", True, "A bias on the output projection."),
    Attr("window", "pair+", None, "Attention within non-overlapping windows [wh, ww] of an image (Swin); H and W "
         "must be multiples of them."),
    Attr("shift", "pair0", (0, 0), "Shifted windows (Swin): a cyclic shift of the image by [sh, sw] before the "
         "windows, smaller than the window; changes no count."),
    Attr("relative_position_bias", "bool", False, "A learned bias per head and relative position within a window, "
         "added to the scores ((2wh-1)(2ww-1)·heads parameters); needs `window`."),
    Attr("rope", "bool", False, "Rotary position embedding of queries and keys (head_dim must be even)."),
    Attr("context", "int0", 0, "Earlier positions held in a KV cache (decoding): their keys and values are read, "
         "not computed. Global self- or cross-attention only."),
)


def _sizes(a: dict, ins: list) -> tuple:
    """(L, C, Lnew, Cm, Lk, keys, h, d, g): queries, their channels, new keys, their channels, keys
    per query, keys read in all, heads, head width, key/value heads."""
    x = ins[0]
    memory = ins[1] if len(ins) > 1 else x
    length, channels = numel(x[:-1]), x[-1]
    new, mem_channels = numel(memory[:-1]), memory[-1]
    h = a["heads"]
    d = a["head_dim"] or channels // h
    g = a["kv_heads"] or h
    if a["window"]:  # each query sees its window; the keys of all windows are the L positions
        per_query, keys = a["window"][0] * a["window"][1], length
    else:
        per_query = keys = new + a["context"]
    return length, channels, new, mem_channels, per_query, keys, h, d, g


class AttentionOp(Op):
    type = "attention"
    doc = ("Multi-head attention (self, or cross with a second input as memory): grouped-query, causal, windowed, "
           "rotary, with a KV cache. Output: the input's shape with `dim` channels.")
    attrs = ATTRS
    max_inputs = 2
    special_costs = True  # a KV cache, and intermediates alive while it runs
    family = "attention"  # the latency estimate's efficiencies (calibrated on whole attention layers)

    def infer(self, a, ins):
        x = ins[0]
        for i, shape in enumerate(ins):
            if len(shape) == 1:
                what = "its memory (second input)" if i else "its input"
                raise ShapeError("NS206", f"attention reads a sequence (LxC) or an image (HxWxC); {what} is the "
                                 f"{kind_of(shape)} {fmt_shape(shape)}", "inputs")
        channels, h = x[-1], a["heads"]
        if a["head_dim"] is None and channels % h:
            raise ShapeError("NS205", f"attention: {h} heads do not divide {channels} channels (give `head_dim`, or "
                             "heads that divide the channels)", "heads")
        g = a["kv_heads"] or h
        if h % g:
            raise ShapeError("NS205", f"attention: {g} kv_heads do not divide {h} heads (each key/value head serves "
                             "a whole group of query heads)", "kv_heads")
        d = a["head_dim"] or channels // h
        if a["rope"] and d % 2:
            raise ShapeError("NS205", f"attention: rope rotates pairs of channels, and head_dim {d} is odd", "rope")
        if a["causal"] and len(ins) > 1:
            raise ShapeError("NS104", "attention: `causal` masks later positions of the same sequence; "
                             "cross-attention (a second input) reads the whole memory", "causal")
        self._check_window(a, ins)
        return (*x[:-1], a["dim"] or channels)

    @staticmethod
    def _check_window(a, ins) -> None:
        window, shift = a["window"], a["shift"]
        if window is None:
            if any(shift):
                raise ShapeError("NS104", "attention: `shift` moves the windows, and there is no `window`", "shift")
            if a["relative_position_bias"]:
                raise ShapeError("NS104", "attention: `relative_position_bias` is a table over the positions of a "
                                 "window; give `window`", "relative_position_bias")
            return
        x = ins[0]
        if len(x) != 3 or len(ins) > 1:
            what = "cross-attention" if len(ins) > 1 else f"the {kind_of(x)} {fmt_shape(x)}"
            raise ShapeError("NS206", f"attention: windows tile an image in self-attention, not {what}", "window")
        (hh, ww), (sh, sw) = window, shift
        if x[0] % hh or x[1] % ww:
            raise ShapeError("NS204", f"attention: the {hh}x{ww} window does not tile the {x[0]}x{x[1]} image "
                             "(H and W must be multiples of it)", "window")
        if sh >= hh or sw >= ww:
            raise ShapeError("NS104", f"attention: shift {sh}x{sw} must be smaller than the {hh}x{ww} window", "shift")
        if a["context"]:
            raise ShapeError("NS104", "attention: a KV cache (`context`) is for global attention, not windows",
                             "context")

    def cost(self, a, ins, out):
        length, channels, new, mem_channels, per_query, keys, h, d, g = _sizes(a, ins)
        qd, kvd, dim = h * d, g * d, out[-1]
        bias_in, bias_out = int(a["qkv_bias"]), int(a["out_bias"])
        cross = numel(ins[1]) if len(ins) > 1 else 0
        qkv_out = length * qd + 2 * new * kvd
        qkv_maccs = length * channels * qd + 2 * new * mem_channels * kvd
        parts = [("qkv", Cost(
            params=channels * qd + 2 * mem_channels * kvd + bias_in * (qd + 2 * kvd), maccs=qkv_maccs,
            flops=2 * qkv_maccs - qkv_out + bias_in * qkv_out, input_reads=qkv_maccs, output_writes=qkv_out,
            act_io=numel(ins[0]) + cross + qkv_out, kv_cache=2 * a["context"] * kvd))]
        if a["rope"]:
            rotated = length * qd + new * kvd
            parts.append(("rope", Cost(flops=3 * rotated, input_reads=rotated, output_writes=rotated,
                                       act_io=2 * rotated)))
        scores = length * per_query * h
        table = 0
        if a["relative_position_bias"]:
            (wh, ww) = a["window"]
            table = (2 * wh - 1) * (2 * ww - 1) * h
        per_score = 2 * d - 1 + 1 + 3 + (1 if table else 0)  # dot product, scale, softmax, bias
        parts.append(("scores", Cost(
            params=table, maccs=scores * d, flops=per_score * scores, input_reads=scores * d, output_writes=scores,
            act_io=length * qd + keys * kvd + scores, scratch=2 * length * qd + 2 * new * kvd + scores)))
        parts.append(("context", Cost(
            maccs=scores * d, flops=(2 * per_query - 1) * length * qd, input_reads=scores * d,
            output_writes=length * qd, act_io=scores + keys * kvd + length * qd)))
        out_maccs = length * qd * dim
        parts.append(("out", Cost(
            params=qd * dim + bias_out * dim, maccs=out_maccs, flops=(2 * qd - 1 + bias_out) * length * dim,
            input_reads=out_maccs, output_writes=length * dim, act_io=length * qd + length * dim)))
        return parts

    def torch(self, layer, ins):
        a = layer.attrs
        x, memory = ins[0], ins[-1]
        h = a["heads"]
        d = a["head_dim"] or x[-1] // h
        args = [str(x[-1]), str(memory[-1]), f"heads={h}", f"head_dim={d}", f"kv_heads={a['kv_heads'] or h}",
                f"dim={layer.output[-1]}"]
        for key in ("causal", "rope"):
            if a[key]:
                args.append(f"{key}=True")
        for key in ("qkv_bias", "out_bias"):
            if not a[key]:
                args.append(f"{key}=False")
        if a["window"]:
            args.append(f"window={tuple(a['window'])}")
            if any(a["shift"]):
                args.append(f"shift={tuple(a['shift'])}")
            if a["relative_position_bias"]:
                args.append("relative_position_bias=True")
        if a["context"]:
            args.append(f"context={a['context']}")
        call = "{m}(({0}, {1}))" if len(ins) > 1 else "{m}({0})"
        return TorchCode([f"{ATTENTION}({', '.join(args)})"], call, helpers=(ATTENTION,))


ATTENTION = torch_helper("NetspecAttention", '''
class NetspecAttention(nn.Module):
    """netspec `attention` on channels-first tensors, (N, C, L) or (N, C, H, W) (positions row-major).

    Every product is an explicit matmul, so FlopCounterMode sees them all. Called with a tuple
    (x, memory) it is cross-attention. The KV cache (`context`) is state, not parameters: zeros here.
    """

    def __init__(self, channels, memory_channels, heads, head_dim, kv_heads, dim, causal=False, qkv_bias=True,
                 out_bias=True, window=None, shift=(0, 0), relative_position_bias=False, rope=False, context=0):
        super().__init__()
        self.heads, self.head_dim, self.kv_heads = heads, head_dim, kv_heads
        self.causal, self.window, self.shift, self.rope, self.context = causal, window, shift, rope, context
        self.q = nn.Linear(channels, heads * head_dim, bias=qkv_bias)
        self.k = nn.Linear(memory_channels, kv_heads * head_dim, bias=qkv_bias)
        self.v = nn.Linear(memory_channels, kv_heads * head_dim, bias=qkv_bias)
        self.out = nn.Linear(heads * head_dim, dim, bias=out_bias)
        self.relative_position_bias = None
        if relative_position_bias:
            wh, ww = window
            self.relative_position_bias = nn.Parameter(torch.zeros((2 * wh - 1) * (2 * ww - 1), heads))
            ys, xs = torch.meshgrid(torch.arange(wh), torch.arange(ww), indexing="ij")
            ys, xs = ys.flatten(), xs.flatten()
            index = (ys[:, None] - ys[None, :] + wh - 1) * (2 * ww - 1) + xs[:, None] - xs[None, :] + ww - 1
            self.register_buffer("bias_index", index, persistent=False)
        if context:
            self.register_buffer("k_cache", torch.zeros(1, kv_heads, context, head_dim), persistent=False)
            self.register_buffer("v_cache", torch.zeros(1, kv_heads, context, head_dim), persistent=False)

    def forward(self, x):
        x, memory = x if isinstance(x, tuple) else (x, None)
        n, spatial = x.shape[0], x.shape[2:]
        t = x.flatten(2).transpose(1, 2)  # (N, L, C)
        m = t if memory is None else memory.flatten(2).transpose(1, 2)
        if self.window is not None:
            t = m = self.windows(t, spatial)  # (N * windows, wh * ww, C)
        b, length, keys = t.shape[0], t.shape[1], m.shape[1]
        q = self.q(t).view(b, length, self.heads, self.head_dim).transpose(1, 2)
        k = self.k(m).view(b, keys, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v(m).view(b, keys, self.kv_heads, self.head_dim).transpose(1, 2)
        if self.rope:
            q, k = netspec_rotate(q, self.context), netspec_rotate(k, self.context)
        if self.context:
            k = torch.cat([self.k_cache.expand(b, -1, -1, -1), k], dim=2)
            v = torch.cat([self.v_cache.expand(b, -1, -1, -1), v], dim=2)
        if self.kv_heads != self.heads:  # grouped-query: each key/value head serves a group of query heads
            k = k.repeat_interleave(self.heads // self.kv_heads, dim=1)
            v = v.repeat_interleave(self.heads // self.kv_heads, dim=1)
        scores = q.matmul(k.transpose(-2, -1)) * self.head_dim ** -0.5
        if self.relative_position_bias is not None:
            scores = scores + self.relative_position_bias[self.bias_index].permute(2, 0, 1)
        if self.window is not None and any(self.shift):
            mask = self.shift_mask(spatial, scores.device)  # (windows, wh * ww, wh * ww)
            scores = (scores.view(n, -1, self.heads, length, length) + mask[None, :, None]).flatten(0, 1)
        if self.causal:  # key j is hidden from query i when j > i + context
            hidden = torch.ones(length, k.shape[2], dtype=torch.bool, device=scores.device).triu(self.context + 1)
            scores = scores.masked_fill(hidden, float("-inf"))
        a = torch.softmax(scores, dim=-1).matmul(v)
        y = self.out(a.transpose(1, 2).reshape(b, length, -1))
        if self.window is not None:
            y = self.unwindows(y, n, spatial)
        return y.transpose(1, 2).reshape(n, -1, *spatial)

    def windows(self, t, spatial):
        (h, w), (wh, ww), c = spatial, self.window, t.shape[-1]
        x = t.view(-1, h, w, c)
        if any(self.shift):
            x = torch.roll(x, (-self.shift[0], -self.shift[1]), (1, 2))
        return x.view(-1, h // wh, wh, w // ww, ww, c).permute(0, 1, 3, 2, 4, 5).reshape(-1, wh * ww, c)

    def unwindows(self, y, n, spatial):
        (h, w), (wh, ww), c = spatial, self.window, y.shape[-1]
        x = y.view(n, h // wh, w // ww, wh, ww, c).permute(0, 1, 3, 2, 4, 5).reshape(n, h, w, c)
        if any(self.shift):
            x = torch.roll(x, self.shift, (1, 2))
        return x.reshape(n, h * w, c)

    def shift_mask(self, spatial, device):
        """-100 between tokens of one window that come from different regions of the rolled image."""
        (h, w), (wh, ww) = spatial, self.window
        region = torch.zeros(h, w, device=device)
        rows = [slice(0, h - wh), slice(h - wh, h - self.shift[0]), slice(h - self.shift[0], h)]
        cols = [slice(0, w - ww), slice(w - ww, w - self.shift[1]), slice(w - self.shift[1], w)]
        for i, r in enumerate(rows):
            for j, c in enumerate(cols):
                region[r, c] = 3 * i + j
        region = region.view(h // wh, wh, w // ww, ww).permute(0, 2, 1, 3).reshape(-1, wh * ww)
        differ = region[:, None, :] != region[:, :, None]
        return differ.float() * -100.0


def netspec_rotate(x, offset):
    """Rotary position embedding of (N, heads, L, d), positions offset .. offset + L - 1 (half-split form)."""
    half = x.shape[-1] // 2
    positions = torch.arange(offset, offset + x.shape[2], device=x.device, dtype=torch.float32)
    freq = 10000.0 ** (-torch.arange(half, device=x.device, dtype=torch.float32) / half)
    angle = positions[:, None] * freq[None, :]
    cos, sin = angle.cos().repeat(1, 2), angle.sin().repeat(1, 2)
    return x * cos + torch.cat([-x[..., half:], x[..., :half]], dim=-1) * sin
''')

register(AttentionOp())
