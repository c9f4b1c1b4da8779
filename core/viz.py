"""`loom.viz`: pictures of a tensor's autograd graph — the leaves (parameters and inputs that
require grad), the operators that recorded a node (`MmBackward0`, ...) and the root — as
seed 001 draws by hand.

`draw_graph(tensor, path)` renders through Graphviz when the ``dot`` program and the
``graphviz`` Python package are both present, and draws the same graph with matplotlib
otherwise, so a picture never depends on a system package. `to_dot` gives the Graphviz source.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from typing import Mapping

import loom

__all__ = ["draw_graph", "to_dot", "graph_of", "GraphPicture"]

_COLORS = {"leaf": "#cfe2f3", "op": "#eeeeee", "root": "#c9ead0"}


@dataclass
class GraphPicture:
    """The graph as plain data: ``nodes`` maps an id to ``(kind, label)`` with kind one of
    "leaf", "op", "root"; ``edges`` are ``(from, to)`` pairs in the direction data flows
    (leaves towards the root)."""

    nodes: dict = field(default_factory=dict)
    edges: list = field(default_factory=list)


def _shape(t) -> str:
    return str(tuple(t.shape))


def graph_of(tensor: loom.Tensor, params: Mapping[str, loom.Tensor] | None = None,
             root_name: str = "output") -> GraphPicture:
    """Walk `tensor`'s graph from its ``grad_fn`` (no recursion: graphs of long training
    loops are deep). `params` names leaves (``{"w": w, "b": b}`` or a module's
    ``named_parameters()``), others are labelled by shape."""
    names = {id(v): k for k, v in dict(params or {}).items()}
    pic = GraphPicture()
    root = "root"
    pic.nodes[root] = ("root", f"{root_name}\n{_shape(tensor)}")
    fn = tensor.grad_fn
    if fn is None:  # a leaf (or a tensor outside any graph): the picture is that one node
        if tensor.requires_grad:
            pic.nodes[root] = ("root", f"{names.get(id(tensor), 'leaf')}\n{_shape(tensor)}")
        return pic
    seen = {}

    def node_id(f) -> str:
        key = id(f)
        if key not in seen:
            seen[key] = f"n{len(seen)}"
            var = getattr(f, "variable", None)
            if var is not None:  # AccumulateGrad: the leaf it fills
                label = f"{names.get(id(var), 'leaf')}\n{_shape(var)}"
                pic.nodes[seen[key]] = ("leaf", label)
            else:
                pic.nodes[seen[key]] = ("op", f.name())
            stack.append(f)
        return seen[key]

    stack: list = []
    pic.edges.append((node_id(fn), root))
    while stack:
        f = stack.pop()
        me = seen[id(f)]
        for nxt, _ in getattr(f, "next_functions", ()):
            if nxt is not None:
                edge = (node_id(nxt), me)
                if edge not in pic.edges:
                    pic.edges.append(edge)
    return pic


def to_dot(tensor: loom.Tensor, params: Mapping[str, loom.Tensor] | None = None,
           root_name: str = "output") -> str:
    """The graph as Graphviz DOT source (leaves blue, operators grey, the root green)."""
    pic = graph_of(tensor, params, root_name)
    lines = ["digraph autograd {", '  graph [rankdir=BT, fontname="Helvetica"];',
             '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11];']
    for nid, (kind, label) in pic.nodes.items():
        text = label.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        lines.append(f'  {nid} [label="{text}", fillcolor="{_COLORS[kind]}"];')
    for a, b in pic.edges:
        lines.append(f"  {a} -> {b};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _graphviz_available() -> bool:
    if shutil.which("dot") is None:
        return False
    try:
        import graphviz  # noqa: F401
    except ImportError:
        return False
    return True


def draw_graph(tensor: loom.Tensor, path: str | os.PathLike,
               params: Mapping[str, loom.Tensor] | None = None, *, root_name: str = "output",
               engine: str | None = None) -> str:
    """Draw `tensor`'s autograd graph to `path` (``.svg``, ``.png`` or ``.pdf``, from its
    suffix) and return the path written. `engine` is ``"graphviz"``, ``"matplotlib"`` or None
    (Graphviz when ``dot`` and the ``graphviz`` package are present, matplotlib otherwise)."""
    path = os.fspath(path)
    fmt = os.path.splitext(path)[1].lstrip(".").lower() or "svg"
    if fmt not in ("svg", "png", "pdf"):
        raise ValueError(f"draw_graph writes .svg, .png or .pdf, not .{fmt}")
    if engine is None:
        engine = "graphviz" if _graphviz_available() else "matplotlib"
    if engine == "graphviz":
        if not _graphviz_available():
            raise RuntimeError("engine='graphviz' needs the Graphviz `dot` program on PATH and "
                               "the `graphviz` package (pip install 'loom-tensor[viz]')")
        import graphviz
        src = graphviz.Source(to_dot(tensor, params, root_name))
        data = src.pipe(format=fmt)
        with open(path, "wb") as fh:
            fh.write(data)
        return path
    if engine != "matplotlib":
        raise ValueError(f"engine must be 'graphviz', 'matplotlib' or None, not {engine!r}")
    _draw_matplotlib(graph_of(tensor, params, root_name), path, fmt)
    return path


def _layers(pic: GraphPicture) -> dict:
    """Each node's distance from the root, by its longest path (so a node sits above every
    node that consumes it)."""
    consumers: dict = {n: [] for n in pic.nodes}
    for a, b in pic.edges:
        consumers[a].append(b)
    depth: dict = {}
    order = [n for n in pic.nodes if not consumers[n]]
    for n in order:
        depth[n] = 0
    changed = True
    while changed:  # longest path on a DAG; graphs here have tens of nodes
        changed = False
        for a, b in pic.edges:
            if b in depth and depth.get(a, -1) < depth[b] + 1:
                depth[a] = depth[b] + 1
                changed = True
    return depth


def _draw_matplotlib(pic: GraphPicture, path: str, fmt: str) -> None:
    import matplotlib
    matplotlib.use("Agg")  # a file, never a window
    from matplotlib import pyplot as plt

    depth = _layers(pic)
    rows: dict = {}
    for n, d in depth.items():
        rows.setdefault(d, []).append(n)
    top = max(rows) if rows else 0
    consumers: dict = {}
    for a, b in pic.edges:
        consumers.setdefault(a, []).append(b)
    pos = {}
    for d in sorted(rows):  # from the root down: a row follows its consumers' order (fewer
        members = rows[d]    # crossings)
        members.sort(key=lambda n: sum(pos[c][0] for c in consumers.get(n, []) if c in pos)
                     / max(1, len(consumers.get(n, []))))
        for i, n in enumerate(members):
            # the root on top, leaves below, as Graphviz lays out rankdir=BT
            pos[n] = ((i + 1) / (len(members) + 1), 1 - (d + 0.5) / (top + 1))
    width = max(4.0, 2.2 * max(len(m) for m in rows.values()))
    fig, ax = plt.subplots(figsize=(width, 1.1 * (top + 1) + 0.6))
    ax.set_axis_off()
    for a, b in pic.edges:
        (x0, y0), (x1, y1) = pos[a], pos[b]
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                    arrowprops=dict(arrowstyle="->", color="#555555", shrinkA=14, shrinkB=14))
    for n, (kind, label) in pic.nodes.items():
        x, y = pos[n]
        ax.text(x, y, label, ha="center", va="center", fontsize=9,
                bbox=dict(boxstyle="round,pad=0.4", facecolor=_COLORS[kind],
                          edgecolor="#666666"))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    fig.tight_layout()
    fig.savefig(path, format=fmt, dpi=110)
    plt.close(fig)
