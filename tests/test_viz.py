"""loom.viz: the autograd graph of a loss as data, as DOT source, and as a picture through
matplotlib (always) and Graphviz (when `dot` is installed)."""
from __future__ import annotations

import shutil

import pytest

import loom
from loom import viz


def _regression_loss():
    w = loom.rand(1, 1, requires_grad=True)
    b = loom.zeros(1, 1, requires_grad=True)
    x, y = loom.rand(8, 1), loom.rand(8, 1)
    loss = (0.5 * (x.mm(w) + b.expand_as(y) - y) ** 2).sum()
    return loss, {"w": w, "b": b}


def test_the_graph_has_the_leaves_the_operators_and_the_root():
    loss, params = _regression_loss()
    pic = viz.graph_of(loss, params, root_name="loss")
    kinds = sorted(pic.nodes.values())
    assert ("root", "loss\n()") in kinds
    assert ("leaf", "w\n(1, 1)") in kinds and ("leaf", "b\n(1, 1)") in kinds
    ops = {label for kind, label in kinds if kind == "op"}
    assert ops == {"SumBackward0", "MulBackward0", "PowBackward0", "SubBackward0",
                   "AddBackward0", "MmBackward0", "ExpandBackward0"}
    ids = {label: n for n, (_, label) in pic.nodes.items()}
    assert (ids["w\n(1, 1)"], ids["MmBackward0"]) in pic.edges
    assert (ids["SumBackward0"], "root") in pic.edges
    assert len(pic.edges) == len(pic.nodes) - 1  # a tree here: every node feeds one other


def test_a_shared_input_is_one_node():
    a = loom.ones(2, requires_grad=True)
    out = (a * a).sum() + a.exp().sum()
    pic = viz.graph_of(out, {"a": a})
    ids = {label: n for n, (_, label) in pic.nodes.items()}
    assert sum(1 for k, _ in pic.nodes.values() if k == "leaf") == 1
    assert sorted(b for a_, b in pic.edges if a_ == ids["a\n(2,)"]) == \
        sorted([ids["MulBackward0"], ids["ExpBackward0"]])


def test_dot_source_names_every_node():
    loss, params = _regression_loss()
    src = viz.to_dot(loss, params, root_name="loss")
    assert src.startswith("digraph autograd {") and "MmBackward0" in src
    assert 'label="w\\n(1, 1)"' in src and "-> root;" in src


def test_a_leaf_alone_is_one_node():
    w = loom.ones(3, requires_grad=True)
    pic = viz.graph_of(w, {"w": w})
    assert list(pic.nodes.values()) == [("root", "w\n(3,)")] and pic.edges == []


@pytest.mark.parametrize("suffix", ["png", "svg"])
def test_matplotlib_drawing(tmp_path, suffix):
    loss, params = _regression_loss()
    out = viz.draw_graph(loss, tmp_path / f"g.{suffix}", params, engine="matplotlib")
    data = (tmp_path / f"g.{suffix}").read_bytes()
    assert out.endswith(suffix)
    assert data.startswith(b"\x89PNG") if suffix == "png" else b"<svg" in data[:2000]


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's `dot` is not installed")
def test_graphviz_drawing(tmp_path):
    pytest.importorskip("graphviz", reason="the graphviz package (loom-tensor[viz])")
    loss, params = _regression_loss()
    viz.draw_graph(loss, tmp_path / "g.svg", params, engine="graphviz")
    svg = (tmp_path / "g.svg").read_text()
    assert "<svg" in svg and "MmBackward0" in svg


def test_bad_arguments():
    loss, _ = _regression_loss()
    with pytest.raises(ValueError, match=r"\.svg, \.png or \.pdf"):
        viz.draw_graph(loss, "g.gif")
    with pytest.raises(ValueError, match="engine must be"):
        viz.draw_graph(loss, "g.svg", engine="ascii")
