"""How an installed loom is found: from any working directory, including the parent folder of
a clone named ``loom`` (a notebook beside the repository), whose ``loom/`` folder has no
``__init__.py`` and would otherwise be imported as an empty namespace package."""
import pytest

from plugin_env import run


@pytest.fixture
def beside_a_clone(tmp_path):
    """A working directory holding a folder `loom/` laid out like the repository."""
    clone = tmp_path / "loom"
    (clone / "core").mkdir(parents=True)
    (clone / "plugins" / "ops_basic").mkdir(parents=True)
    (clone / "README.md").write_text("# loom\n")
    (clone / "core" / "tensor.py").write_text("raise AssertionError('the clone was imported')\n")
    return tmp_path


def test_import_beside_a_folder_named_loom(beside_a_clone):
    p = run(["-c", "import loom; print(loom.ones(2) + 1); print(loom.__file__)"],
            beside_a_clone)
    assert p.returncode == 0, p.stderr
    out, where = p.stdout.splitlines()
    assert out == "tensor([2., 2.])"
    assert not where.startswith(str(beside_a_clone))


def test_loom_info_beside_a_folder_named_loom(beside_a_clone):
    p = run(["-m", "loom", "info"], beside_a_clone)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("loom ")
    assert any(line.split()[0] == "ops_basic" and "loaded" in line.split()
               for line in p.stdout.splitlines() if line.strip())
