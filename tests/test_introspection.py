"""Generated functions and methods read like hand-written ones: `help()` shows the operator's
docstring and `inspect.signature` a real signature, not ``call(*args, **kw)``."""
from __future__ import annotations

import inspect
import pydoc

import pytest

import loom
from loom.registry import registry


def _public_callables():
    for entry in registry.ops.values():
        for name in entry.functions:
            fn = loom
            for part in name.split("."):  # linalg.solve: loom.linalg.solve
                fn = getattr(fn, part)
            yield f"loom.{name}", fn, entry
        for name in entry.methods:
            if not name.startswith("__"):
                yield f"Tensor.{name}", getattr(loom.Tensor, name), entry


@pytest.mark.parametrize("label, fn, entry", list(_public_callables()),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_every_generated_callable_has_its_ops_doc_and_a_signature(label, fn, entry):
    assert fn.__doc__ == entry.doc and entry.doc, label
    params = inspect.signature(fn).parameters
    assert params and not (list(params) == ["args", "kw"]), (label, params)


def test_help_shows_the_docstring_and_parameters():
    text = pydoc.render_doc(loom.sigmoid, renderer=pydoc.plaintext)
    assert "Logistic sigmoid" in text and "call(" not in text
    assert str(inspect.signature(loom.add)) == "(input, other, *, alpha=1, out=None)"
    assert "keepdim" in inspect.signature(loom.Tensor.sum).parameters
    assert "dim" in inspect.signature(loom.cat).parameters
    assert loom.add.__name__ == "add" and loom.Tensor.add_.__name__ == "add_"
    assert loom.exp.__module__ == "loom"
