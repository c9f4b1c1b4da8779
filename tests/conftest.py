"""Fixtures shared by the test modules that start fresh interpreters."""
import shutil
import subprocess
import sys

import pytest

from plugin_env import NPDEV, OP_PACK


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """The children's working directory. Its loom.toml both pins the config file loom finds
    (nothing above it is read) and gives one setting a "config file" source."""
    d = tmp_path_factory.mktemp("cwd")
    (d / "loom.toml").write_text("strict_plugins = false\n", encoding="utf-8")
    return d


def _pip_install(tmp_path_factory, name, project):
    """`project` installed by pip into a temporary target directory, as a user installs it."""
    tmp = tmp_path_factory.mktemp(name)
    src = tmp / "src"
    # a copy, so that the build's build/ and *.egg-info stay out of the repository
    shutil.copytree(project, src, ignore=shutil.ignore_patterns("build", "*.egg-info",
                                                                "__pycache__"))
    site = tmp / "site"
    p = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-index",
                        "--no-deps", "--no-build-isolation", "--disable-pip-version-check",
                        "--target", str(site), str(src)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, f"pip install of {project.name} failed:\n{p.stdout}{p.stderr}"
    return site


@pytest.fixture(scope="session")
def op_pack_site(tmp_path_factory):
    """examples/op_pack installed into a temporary target, as pip installs it."""
    return _pip_install(tmp_path_factory, "op_pack", OP_PACK)


@pytest.fixture(scope="session")
def npdev_site(tmp_path_factory):
    """examples/device_npdev (the "npdev" device) installed into a temporary target."""
    return _pip_install(tmp_path_factory, "npdev", NPDEV)
