"""Fixtures shared by the test modules that start fresh interpreters."""
import shutil
import subprocess
import sys

import pytest

from plugin_env import OP_PACK


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """The children's working directory. Its loom.toml both pins the config file loom finds
    (nothing above it is read) and gives one setting a "config file" source."""
    d = tmp_path_factory.mktemp("cwd")
    (d / "loom.toml").write_text("strict_plugins = false\n", encoding="utf-8")
    return d


@pytest.fixture(scope="session")
def op_pack_site(tmp_path_factory):
    """examples/op_pack installed into a temporary target, as pip installs it."""
    tmp = tmp_path_factory.mktemp("op_pack")
    src = tmp / "src"
    # a copy, so that the build's build/ and *.egg-info stay out of the repository
    shutil.copytree(OP_PACK, src, ignore=shutil.ignore_patterns("build", "*.egg-info",
                                                                "__pycache__"))
    site = tmp / "site"
    p = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-index",
                        "--no-deps", "--no-build-isolation", "--disable-pip-version-check",
                        "--target", str(site), str(src)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, f"pip install of examples/op_pack failed:\n{p.stdout}{p.stderr}"
    return site
