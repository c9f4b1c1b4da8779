"""The docs' examples run: every ```python block of a page, in order, in a fresh interpreter
(so a page reads as one session). docs/plugins.md documents every field of the operator spec
and every name of the extension API."""
from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import pytest

import loom.plugin
from loom.spec import OpSpec

DOCS = Path(__file__).resolve().parent.parent / "docs"
# docs/testing.md needs the example op pack installed: tests/test_kit.py runs its blocks;
# docs/op_packs.md needs the signal pack: tests/test_signal_pack.py runs its blocks
PAGES = sorted(p for p in DOCS.glob("*.md")
               if "```python" in p.read_text(encoding="utf-8") and
               p.name not in ("testing.md", "op_packs.md"))


def _blocks(page: Path) -> list:
    return re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.S)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_examples_of_the_page_run(page, tmp_path):
    src = "\n".join(f"# --- block {i}\n{b}" for i, b in enumerate(_blocks(page)))
    p = subprocess.run([sys.executable, "-c", src], cwd=tmp_path, capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == 0, f"{page.name}:\n{p.stderr[-3000:]}"


def test_plugin_guide_documents_every_spec_field_and_public_name():
    text = (DOCS / "plugins.md").read_text(encoding="utf-8")
    fields = [f.name for f in dataclasses.fields(OpSpec)]
    missing = [f for f in fields if f"`{f}`" not in text]
    assert not missing, f"OpSpec fields not in docs/plugins.md: {missing}"
    lines = Path(loom.spec.__file__).read_text(encoding="utf-8").splitlines()
    for f in fields:  # and each is documented on the class, in the line above it
        i = next(i for i, ln in enumerate(lines) if ln.startswith(f"    {f}: "))
        assert lines[i - 1].lstrip().startswith("#:"), f"OpSpec.{f} has no doc comment"
    names = [n for n in loom.plugin.__all__ if n not in ("Tensor",)]
    missing = [n for n in names if n not in text]
    assert not missing, f"loom.plugin names not in docs/plugins.md: {missing}"
