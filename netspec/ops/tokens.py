"""Token ops: embedding (token ids -> vectors), position_embedding and class_token.

embedding: vocab·dim parameters, no MACCs; it reads the L rows it gathers (L·dim weight reads, not
the whole table) and the L ids, and writes L·dim. position_embedding: max_length·C parameters (the
rows of positions 0 .. L-1 are read), one add per element. class_token: count·C parameters; a copy
of the sequence with the tokens in front (every element read and written).

PyTorch: `nn.Embedding` (run on the ids; the forward pass makes its (N, L, dim) channels-first);
position_embedding and class_token are small classes the exported file defines.
"""

from __future__ import annotations

from .base import Attr, Cost, Op, ShapeError, Tokens, TorchCode, fmt_shape, kind_of, numel, register, torch_helper


class EmbeddingOp(Op):
    type = "embedding"
    doc = "A learned table of `vocab` vectors of `dim`: token ids (L) -> sequence L x dim."
    attrs = (Attr("vocab", "int+", doc="Vocabulary size: the rows of the table (token ids are below it)."),
             Attr("dim", "int+", doc="Width of each vector: the output channels."))
    takes_tokens = True
    special_costs = True  # it reads the rows it gathers, not its table

    def infer(self, a, ins):
        if type(ins[0]) is not Tokens:
            raise ShapeError("NS206", f"embedding needs token ids (input: {{length: N}}), got the {kind_of(ins[0])} "
                             f"{fmt_shape(ins[0])}", "inputs")
        return (ins[0][0], a["dim"])

    def cost(self, a, ins, out):
        length, rows = ins[0][0], numel(out)
        return [("embedding", Cost(params=a["vocab"] * a["dim"], input_reads=length, output_writes=rows,
                                   act_io=length + rows, gathered=rows))]

    def torch(self, layer, ins):
        a = layer.attrs
        return TorchCode([f"nn.Embedding({a['vocab']}, {a['dim']})"], "{m}({0}).transpose(1, 2)", channels_last=True)


POSITION_EMBEDDING = torch_helper("NetspecPositionEmbedding", '''
class NetspecPositionEmbedding(nn.Module):
    """netspec `position_embedding`: a learned vector per position (rows 0 .. L-1 of the table)
    added to a channels-first sequence (N, C, L) or image (N, C, H, W, positions row-major)."""

    def __init__(self, channels, max_length):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1, channels, max_length))

    def forward(self, x):
        positions = x[0, 0].numel()
        return x + self.weight[:, :, :positions].reshape(1, -1, *x.shape[2:])
''')


class PositionEmbeddingOp(Op):
    type = "position_embedding"
    doc = "Adds a learned vector per position (a table of max_length x C; an image's H*W positions row-major)."
    special_costs = True  # it reads the rows of its positions, not all max_length
    attrs = (Attr("max_length", "int+", None, "Rows of the table: positions it can embed (default and minimum: "
                  "the input's length, H*W for an image)."),)

    def infer(self, a, ins):
        shape = ins[0]
        if len(shape) == 1:
            raise ShapeError("NS206", f"position_embedding needs a sequence or an image, got the {kind_of(shape)} "
                             f"{fmt_shape(shape)}", "inputs")
        positions = numel(shape[:-1])
        if a["max_length"] is not None and a["max_length"] < positions:
            raise ShapeError("NS203", f"position_embedding: max_length {a['max_length']:,} is shorter than the "
                             f"{positions:,} positions of {fmt_shape(shape)}", "max_length")
        return shape

    def cost(self, a, ins, out):
        n = numel(out)
        rows = a["max_length"] or numel(out[:-1])
        return [("position_embedding", Cost(params=rows * out[-1], flops=n, input_reads=n, output_writes=n,
                                            act_io=2 * n, gathered=n))]

    def torch(self, layer, ins):
        shape = ins[0]
        rows = layer.attrs["max_length"] or numel(shape[:-1])
        return TorchCode([f"{POSITION_EMBEDDING}({shape[-1]}, {rows})"], helpers=(POSITION_EMBEDDING,))


CLASS_TOKEN = torch_helper("NetspecClassToken", '''
class NetspecClassToken(nn.Module):
    """netspec `class_token`: learned tokens put in front of a channels-first sequence (N, C, L)."""

    def __init__(self, channels, count):
        super().__init__()
        self.tokens = nn.Parameter(torch.zeros(1, channels, count))

    def forward(self, x):
        return torch.cat([self.tokens.expand(x.shape[0], -1, -1), x], dim=2)
''')


class ClassTokenOp(Op):
    type = "class_token"
    doc = "Prepends `count` learned tokens to a sequence: (L+count) x C (ViT's class token)."
    attrs = (Attr("count", "int+", 1, "Number of learned tokens put in front."),)

    def infer(self, a, ins):
        shape = ins[0]
        if len(shape) != 2:
            raise ShapeError("NS206", f"class_token needs a sequence (LxC), got the {kind_of(shape)} "
                             f"{fmt_shape(shape)}", "inputs")
        return (shape[0] + a["count"], shape[1])

    def cost(self, a, ins, out):
        read, n = numel(ins[0]), numel(out)
        return [("class_token", Cost(params=a["count"] * out[-1], input_reads=read, output_writes=n, act_io=read + n))]

    def torch(self, layer, ins):
        return TorchCode([f"{CLASS_TOKEN}({ins[0][-1]}, {layer.attrs['count']})"], helpers=(CLASS_TOKEN,))


register(EmbeddingOp(), PositionEmbeddingOp(), ClassTokenOp())
