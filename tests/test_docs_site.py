"""The docs site's sources: mkdocs.yml lists every page, each API reference page names a
module that imports, and the build hook that runs the pages' examples fails a build on a
broken example (the examples themselves run in tests/test_docs.py; `make docs` builds the
site, which takes longer than a test should)."""
from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"


def _hooks():
    spec = importlib.util.spec_from_file_location("mkdocs_hooks",
                                                  REPO / "tools" / "mkdocs_hooks.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_nav_lists_every_page():
    config = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    listed = set(re.findall(r":\s*([\w/]+\.md)\s*$", config, re.M))
    pages = {str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md")}
    assert pages == listed, f"not in the nav: {pages - listed}; missing: {listed - pages}"


@pytest.mark.parametrize("page", sorted((DOCS / "reference").glob("*.md")),
                         ids=lambda p: p.name)
def test_reference_pages_name_modules_that_import(page):
    modules = re.findall(r"^::: ([\w.]+)", page.read_text(encoding="utf-8"), re.M)
    assert modules
    for m in modules:
        importlib.import_module(m)


def test_the_build_hook_runs_examples_and_fails_on_a_broken_one():
    hooks = _hooks()
    ok = "text\n```python\nimport loom\nx = loom.ones(2)\n```\n```python\nassert x.sum() == 2\n```\n"
    assert hooks.python_blocks(ok) == ["import loom\nx = loom.ones(2)\n",
                                       "assert x.sum() == 2\n"]
    assert hooks.run_blocks("ok.md", ok) is None
    with pytest.raises(RuntimeError, match="an example of bad.md failed"):
        hooks.run_blocks("bad.md", "```python\nraise ValueError('stale')\n```\n")
    skipped = "<!-- docs-exec: skip needs a GPU -->\n```python\nraise SystemExit(1)\n```\n"
    assert hooks.run_blocks("gpu.md", skipped) == "needs a GPU"
