"""The layers of core/: every import, at the top of a file or inside a function, goes to a
strictly lower level; no module leaves a name `= None` for a higher one to fill in; bundled
plugins import only loom's public names, `loom.plugin`, `loom.library` and `loom.testing`.

The level table is the architecture (docs/design.md explains it); a new core module must be
given a level here before the suite passes.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORE = REPO / "core"
PLUGINS = REPO / "plugins"

# module (dotted, relative to loom) -> level. Lower levels know nothing of higher ones.
LEVELS = {
    # 0: values and settings, no loom imports
    "dtypes": 0, "device": 0, "config": 0, "grad_mode": 0, "hookspecs": 0, "cpu_random": 0,
    "tensor_str": 0, "spec": 0, "errors": 0, "return_types": 0, "formats": 0,
    "flags": 0, "version": 0,
    # 1: storage, the CPU backend object, what plugins there are
    "storage": 1, "cpu": 1, "catalog": 1,
    # 2: the Tensor class and the one way results are built
    "tensor": 2,
    # 3: graph nodes, the operator registry, custom ops' schemas
    "graph": 3, "registry": 3, "anomaly": 3, "schema": 3,
    # 4: device backends and kernel binding; the loom.linalg and loom.special namespaces (they
    # name the missing operator through the registry)
    "backends": 4, "linalg": 4, "special": 4,
    # 5: the per-call path's helpers and the executor
    "promotion": 5, "engine": 5, "generator": 5,
    # 6: dispatch and writes
    "recording": 5, "parsing": 5, "dispatch": 6, "inplace": 6,
    # 7: operator names on Tensor and loom, creation from data, legacy names
    "methods": 7, "creation": 7, "legacy": 7,
    # 8: helpers for kernels and backward rules, a device type's module (`loom.cuda`); 9: autograd's user API (a package)
    "kernel_utils": 8, "device_module": 8, "autograd": 9, "families": 9,
    # 9 too: what a custom op's spec runs (library, level 10, builds it)
    "custom_calls": 9,
    # 8: `loom.ops`, the namespaces of custom ops (filled from the registry)
    "ops": 8,
    # 10: the rest of Tensor (it calls autograd.backward), the extension API, custom ops
    "tensor_api": 10, "tensor_more": 10, "plugin": 10, "library": 10,
    # 11: loading plugins
    "plugins": 11,
    # 12: the package; 13: the conformance kit (it runs operators through `loom`, which never
    # imports it); 14: the command line
    "__init__": 12, "testing": 13, "__main__": 14,
    # 13 too: what is written against loom's public API only (DESIGN.md's level 6) -- the
    # package reaches them by name on first use (`loom.optim`, `loom.save`), never by import
    "optim": 13, "utils": 13, "serialization": 13, "viz": 13,
    # 13 too: the PyTorch namespaces written over the public API (torch.random, .special, ...)
    "random": 13, "accelerator": 13, "hub": 13, "jit": 13, "func": 13,
    "amp": 13, "fft": 13, "distributions": 13,
    # 15: written against loom's public surface only (see test_nn_uses_only_the_public_api)
    "nn": 15,
    # 16: what builds on nn: an averaged model (swa_utils) is a Module, torch.compile's
    # OptimizedModule too; `loom.optim` and `loom` load them on first use
    "optim.swa_utils": 16, "compiler": 16,
}

PUBLIC_FOR_PLUGINS = {"loom", "loom.plugin", "loom.library", "loom.testing"}


def _module_name(path: Path) -> str:
    rel = path.relative_to(CORE).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def _level(mod: str) -> int:
    """The level of a core module; a subpackage's modules share their package's level unless
    one has its own."""
    parts = mod.split(".")
    for n in range(len(parts), 0, -1):  # the longest dotted prefix with a level of its own
        if ".".join(parts[:n]) in LEVELS:
            return LEVELS[".".join(parts[:n])]
    raise KeyError(mod)


def _imports(path: Path, name: str | None = None):
    """(line, imported loom module) for every import in `path` (core module `name`), inside
    functions too."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    pkg = (name or _module_name(path)).split(".")
    if path.name != "__init__.py":
        pkg = pkg[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg[:len(pkg) - (node.level - 1)] if node.level > 1 else pkg
                target = ".".join(base + ([node.module] if node.module else []))
                names = [a.name for a in node.names]
                if node.module is None:  # from . import x, y
                    for n in names:
                        yield node.lineno, ".".join(base + [n])
                    continue
                yield node.lineno, target
                for n in names:  # from .pkg import submodule
                    sub = CORE.joinpath(*target.split("."), n)
                    if sub.with_suffix(".py").exists() or sub.is_dir():
                        yield node.lineno, f"{target}.{n}"
            elif node.module and (node.module == "loom" or node.module.startswith("loom.")):
                yield node.lineno, node.module[5:] or "__init__"
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name == "loom" or a.name.startswith("loom."):
                    yield node.lineno, a.name[5:] or "__init__"


CORE_FILES = sorted(p for p in CORE.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_core_module_has_a_level():
    missing = [str(p.relative_to(REPO)) for p in CORE_FILES
               if _module_name(p).split(".")[0] not in LEVELS]
    assert not missing, f"give these core modules a level in tests/test_layers.py: {missing}"


@pytest.mark.parametrize("path", CORE_FILES, ids=lambda p: str(p.relative_to(CORE)))
def test_core_imports_go_down(path):
    me = _module_name(path)
    my_level = _level(me)
    upward = []
    for line, target in _imports(path):
        if not target or target.split(".")[0] == me.split(".")[0]:
            continue  # within one module or subpackage
        try:
            lv = _level(target)
        except KeyError:
            continue  # not a loom module (e.g. a name re-exported from a module)
        if lv >= my_level:
            upward.append(f"line {line}: {me} (level {my_level}) imports {target} "
                          f"(level {lv})")
    assert not upward, "\n".join(upward)


@pytest.mark.parametrize("path", CORE_FILES, ids=lambda p: str(p.relative_to(CORE)))
def test_no_module_leaves_a_name_for_a_higher_one(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    placeholders = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) \
                and node.value.value is None:
            for t in node.targets:
                if isinstance(t, ast.Name) and t.id[:1].isupper():
                    placeholders.append(f"line {node.lineno}: {t.id} = None")
    assert not placeholders, placeholders


def test_layer_walker_sees_imports_inside_functions(tmp_path):
    p = tmp_path / "registry.py"
    p.write_text("import numpy\ndef f():\n    from .plugins import load_all\n"
                 "    import loom.testing\n")
    assert [t for _, t in _imports(p, "registry")] == ["plugins", "testing"]


PLUGIN_FILES = sorted(p for p in PLUGINS.rglob("*.py") if "__pycache__" not in p.parts)


@pytest.mark.parametrize("path", PLUGIN_FILES, ids=lambda p: str(p.relative_to(PLUGINS)))
def test_bundled_plugins_use_only_the_public_api(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bad = []
    for node in ast.walk(tree):
        mods = []
        if isinstance(node, ast.ImportFrom) and not node.level and node.module:
            mods = [node.module]
        elif isinstance(node, ast.Import):
            mods = [a.name for a in node.names]
        for m in mods:
            if (m == "loom" or m.startswith("loom.")) and m not in PUBLIC_FOR_PLUGINS:
                bad.append(f"line {node.lineno}: import of {m}")
    assert not bad, bad


NN_FILES = sorted(p for p in (CORE / "nn").rglob("*.py") if "__pycache__" not in p.parts)
PUBLIC_FOR_NN = {"loom", "loom.plugin", "loom.autograd"}


@pytest.mark.parametrize("path", NN_FILES, ids=lambda p: str(p.relative_to(CORE)))
def test_nn_uses_only_the_public_api(path):
    # loom.nn is a user of loom like any other: absolute imports of loom's public modules,
    # relative imports only within loom.nn itself
    tree = ast.parse(path.read_text(encoding="utf-8"))
    depth = len(path.relative_to(CORE / "nn").parts)  # 1 for core/nn/x.py
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            if node.level > depth:
                bad.append(f"line {node.lineno}: relative import leaves loom.nn")
            continue
        mods = [node.module] if isinstance(node, ast.ImportFrom) else \
            [a.name for a in node.names] if isinstance(node, ast.Import) else []
        for m in mods:
            if m and (m == "loom" or m.startswith("loom.")) and m not in PUBLIC_FOR_NN \
                    and not m.startswith("loom.nn"):
                bad.append(f"line {node.lineno}: import of {m}")
    assert not bad, bad
