"""SwarmX: a `fan_out`-ary tree between MemoryX (the root) and the wafers (the leaves). Weights go
down (each tree node forwards a copy to each child), gradients come up (each node sums its
children's): Cerebras glossary, "SwarmX". The reduction really happens node by node here, so the
sum order is the tree's; bytes are counted per tree link and the depth gives the hops."""

from __future__ import annotations

from dataclasses import dataclass

from wafersim.mesh.functional.gpt import Params


@dataclass(frozen=True)
class Tree:
    """The tree over `leaves` wafers: `levels` of internal nodes, each with up to `fan_out`
    children. One wafer needs no tree (MemoryX feeds it directly, depth 0)."""

    leaves: int
    fan_out: int

    @property
    def depth(self) -> int:
        """Tree levels between MemoryX and a wafer: ceil(log_fan_out(leaves)), exactly."""
        depth, reach = 0, 1
        while reach < self.leaves:
            reach, depth = reach * self.fan_out, depth + 1
        return depth

    def links(self) -> int:
        """Tree links a message crosses in total to reach every leaf: each level's nodes."""
        total, width = 0, self.leaves
        for _ in range(self.depth):
            total += width
            width = -(-width // self.fan_out)
        return total if self.leaves > 1 else 1  # one wafer: the MemoryX link itself


def reduce_tree(tree: Tree, grads: list[Params]) -> Params:
    """Sum the wafers' gradients level by level: each node adds its children's in order."""
    level = grads
    while len(level) > 1:
        level = [_sum(level[i:i + tree.fan_out]) for i in range(0, len(level), tree.fan_out)]
    return level[0]


def _sum(children: list[Params]) -> Params:
    out = {k: g.copy() for k, g in children[0].items()}
    for child in children[1:]:
        for k, g in child.items():
            out[k] = out[k] + g
    return out

