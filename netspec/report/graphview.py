"""The network as a picture needs it: layers grouped by the block call that made them, every input
lifted to the level where its two ends meet, and each level's items placed on ranks (top to
bottom) and columns. Shared by the HTML and Mermaid reporters; linear in the number of layers.

Items are numbered `0..n-1` for the layers and `n + g` for group `g`. A group is one block call
(`layer2.1`, from each layer's `Source.calls`); its layers are contiguous in execution order, so walking the layers in order meets
every item after all the items it reads: one pass places them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..graph import INPUT

NETWORK = -1  # the scope of the top level (and the parent of a top-level group)
FEED = -1  # the network input, as an item: rank 0, column 0 of the top level


@dataclass(slots=True)
class Group:
    id: str  # the block call's instance name: "layer2.1", "enc.0.attn"
    block: str  # the block it calls: "bottleneck"
    parent: int  # index of the enclosing group, NETWORK at the top
    first: int  # its first and last layer (a contiguous range)
    last: int
    children: list[int] = field(default_factory=list)  # items, in execution order


@dataclass(slots=True)
class GraphView:
    groups: list[Group]
    scope: list[int]  # per item: the group that holds it, or NETWORK
    rank: list[int]  # per item, within its scope (the top level's rank 0 is the network input)
    column: list[int]
    top: list[int]  # the top level's items, in execution order

    def as_dict(self) -> dict:
        return {"groups": [{"id": g.id, "block": g.block, "parent": g.parent, "first": g.first, "last": g.last,
                            "children": g.children} for g in self.groups],
                "scope": self.scope, "rank": self.rank, "column": self.column, "top": self.top}


def build(graph) -> GraphView:
    layers = graph.layers
    n = len(layers)
    groups: list[Group] = []
    open_: list[int] = []  # the groups around the current layer, outermost first
    scope = [NETWORK] * n
    top: list[int] = []
    chains: list[tuple[int, ...]] = []  # per layer: its groups, outermost first
    for i, layer in enumerate(layers):
        path = layer.source.calls  # (line, column, spec path, instance name, block name), outermost first
        k = 0
        while k < len(open_) and k < len(path) and groups[open_[k]].id == path[k][3]:
            k += 1
        del open_[k:]
        for call in path[k:]:
            parent = open_[-1] if open_ else NETWORK
            g = len(groups)
            groups.append(Group(call[3], call[4], parent, i, i))
            scope.append(parent)
            (groups[parent].children if parent != NETWORK else top).append(n + g)
            open_.append(g)
        for g in open_:
            groups[g].last = i
        holder = open_[-1] if open_ else NETWORK
        scope[i] = holder
        (groups[holder].children if holder != NETWORK else top).append(i)
        chains.append(tuple(open_))
    items = n + len(groups)
    preds: list[list[int]] = [[] for _ in range(items)]
    for i, layer in enumerate(layers):
        mine = chains[i]
        for r in layer.inputs:
            if r == INPUT:
                if mine:
                    preds[n + mine[0]].append(FEED)
                else:
                    preds[i].append(FEED)
                continue
            theirs = chains[r]
            k = 0  # the depth of the innermost group holding both ends
            while k < len(mine) and k < len(theirs) and mine[k] == theirs[k]:
                k += 1
            a = n + theirs[k] if k < len(theirs) else r
            b = n + mine[k] if k < len(mine) else i
            preds[b].append(a)
    rank = [0] * items
    column = [0] * items
    taken: dict[tuple[int, int], set] = {}  # (scope, rank) -> columns in use
    for item in _in_order(groups, top, n):
        s = scope[item]
        base = 1 if s == NETWORK else 0
        rk, col = base, None
        for p in preds[item]:
            if p == FEED:
                if s == NETWORK:
                    col = 0 if col is None else col
                continue
            rk = max(rk, rank[p] + 1)
            if col is None:
                col = column[p]
        col = col or 0
        used = taken.setdefault((s, rk), set())
        while col in used:
            col += 1
        used.add(col)
        rank[item], column[item] = rk, col
    return GraphView(groups, scope, rank, column, top)


def _in_order(groups: list[Group], top: list[int], n: int):
    """Every item, each after the items it reads: a group before its children, depth first."""
    stack = list(reversed(top))
    while stack:
        item = stack.pop()
        yield item
        if item >= n:
            stack.extend(reversed(groups[item - n].children))
