"""mkdocs hooks for loom's site: every ```python block of a page runs while the site builds.

The blocks of one page run in order, in one fresh interpreter (a page reads as one session,
as tests/test_docs.py runs them), in a scratch directory, with the loom being documented first
on the path. A block that raises fails the build with the page's name and the error, so a
published example cannot be stale. A page that needs something the build does not install says
so in a ``<!-- docs-exec: skip REASON -->`` comment; the build reports the skip.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP = re.compile(r"<!--\s*docs-exec:\s*skip\s+(.*?)-->", re.S)
BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def python_blocks(markdown: str) -> list:
    """The ```python blocks of a page, in order."""
    return BLOCK.findall(markdown)


def run_blocks(name: str, markdown: str, timeout: float = 300) -> str | None:
    """Run the page's blocks; None when they pass (or there are none), the reason when the
    page opts out. Raises RuntimeError with the page's name and stderr when a block fails."""
    skip = SKIP.search(markdown)
    if skip:
        return skip.group(1).strip()
    blocks = python_blocks(markdown)
    if not blocks:
        return None
    src = "\n".join(f"# --- block {i}\n{b}" for i, b in enumerate(blocks))
    env = dict(os.environ, MPLBACKEND="Agg",
               PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    with tempfile.TemporaryDirectory() as tmp:
        p = subprocess.run([sys.executable, "-c", src], cwd=tmp, capture_output=True,
                           text=True, timeout=timeout, env=env)
    if p.returncode != 0:
        raise RuntimeError(f"an example of {name} failed:\n{p.stderr[-3000:]}")
    return None


def on_page_markdown(markdown, page, config, files, **kwargs):  # mkdocs hook
    import logging

    from mkdocs.exceptions import PluginError
    log = logging.getLogger("mkdocs.hooks.loom")
    try:
        reason = run_blocks(page.file.src_path, markdown)
    except RuntimeError as e:
        raise PluginError(str(e)) from None
    n = len(python_blocks(markdown))
    if reason:
        log.info("examples of %s not run here: %s", page.file.src_path, reason)
    elif n:
        log.info("ran %d example block(s) of %s", n, page.file.src_path)
    return markdown
