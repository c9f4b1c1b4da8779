"""Fixtures shared by the test modules that start fresh interpreters."""
import pytest


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """The children's working directory. Its loom.toml both pins the config file loom finds
    (nothing above it is read) and gives one setting a "config file" source."""
    d = tmp_path_factory.mktemp("cwd")
    (d / "loom.toml").write_text("strict_plugins = false\n", encoding="utf-8")
    return d
