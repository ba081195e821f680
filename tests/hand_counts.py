"""Counts written out by hand from published configurations, shared by the zoo and oracle tests."""

from __future__ import annotations


def llama_params(vocab=32000, dim=2048, layers=22, heads=32, kv_heads=4, hidden=5632) -> int:
    """TinyLlama-1.1B's configuration (model card: 22 layers, 32 heads, 4 query groups, width 2048,
    SwiGLU 5632; the Llama 2 tokenizer's 32,000 tokens): the embedding, per layer q/k/v/o (no bias),
    the SwiGLU MLP and two RMSNorms, the final RMSNorm and the untied LM head."""
    d = dim // heads
    per_layer = dim * heads * d + 2 * dim * kv_heads * d + heads * d * dim + 3 * dim * hidden + 2 * dim
    return vocab * dim + layers * per_layer + dim + dim * vocab


def llama_maccs(length=2048, vocab=32000, dim=2048, layers=22, heads=32, kv_heads=4, hidden=5632) -> int:
    """Dot products of one forward pass over `length` tokens: projections, QKᵀ and A·V over all
    length x length pairs (the math path computes the masked half), SwiGLU, the LM head."""
    d = dim // heads
    proj = length * dim * (heads * d + 2 * kv_heads * d) + length * heads * d * dim
    attention = 2 * length * length * heads * d
    mlp = 3 * length * dim * hidden
    return layers * (proj + attention + mlp) + length * dim * vocab
