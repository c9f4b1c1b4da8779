"""The conformance kit (`loom.testing`) as an op-pack author meets it: `python -m loom check`,
the pytest plugin and `opcheck`, on real distributions built in temporary directories. A pack
with planted bugs is caught and each bug named; the bundled packs pass."""
from __future__ import annotations

import re
import textwrap
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import loom
from loom import testing
from plugin_env import REPO, make_dist, run

# ----------------------------------------------------------------------------- planted bugs

BROKEN = """
import numpy as np
from loom.plugin import ErrorInput, OpSpec, SampleInput, hookimpl


def _samples(rng, dt):
    return [SampleInput((rng.uniform(-1.0, 1.0, (3, 4)).astype(dt),)),
            SampleInput((rng.uniform(-1.0, 1.0, (5,)).astype(dt),), note="1-d")]


def _wrong_exp_bwd(ctx, g):
    (y,) = ctx.saved
    return (g * y * 2,)          # (a) planted: d/dx exp(x) is exp(x), not twice that


def _sin_bwd(ctx, g):
    (x,) = ctx.saved
    return (g * x.cos(),)


def _same_shape_add(xp, a, b):
    if a.shape != b.shape:
        raise RuntimeError(f"shapes {a.shape} and {b.shape} differ")
    return a + b


def _add_bwd(ctx, g):
    return g, g


def _add_samples(rng, dt):
    return [SampleInput((rng.uniform(-1, 1, (2, 3)).astype(dt),
                         rng.uniform(-1, 1, (2, 3)).astype(dt)))]


def _add_errors(rng):
    a = rng.uniform(-1, 1, (2, 3))
    # (c) planted: the op raises RuntimeError, the sample says ValueError
    return [ErrorInput((a, a[:, :2]), error=ValueError, note="shapes differ")]


STRICT_ADD = OpSpec("strict_add", kernel=_same_shape_add, inputs=2, backward=_add_bwd,
                    functions=("strict_add",), samples=_add_samples, error_samples=_add_errors,
                    reference=lambda a, b: a + b)


@hookimpl
def loom_register_ops():
    return [
        OpSpec("bad_exp", kernel=lambda xp, a: xp.exp(a), kind="unary",
               backward=_wrong_exp_bwd, save_output=True, functions=("bad_exp",),
               samples=_samples, reference=np.exp),
        # (b) planted: no samples
        OpSpec("unsampled_sin", kernel=lambda xp, a: xp.sin(a), kind="unary", backward=_sin_bwd,
               save_inputs=(0,), functions=("unsampled_sin",), reference=np.sin),
        STRICT_ADD,
    ]
"""

# A device backend with an array type of its own (host memory, NumPy underneath), so device
# parity runs without a GPU, and an op whose kernel for that device is wrong.
FAKE_DEVICE = """
import numpy as np
from loom.plugin import DeviceBackend, OpSpec, SampleInput, hookimpl


class FakeArray(np.ndarray):
    pass


def _fake(x):
    if type(x) is np.ndarray:
        return x.view(FakeArray)
    if isinstance(x, np.generic):
        return np.asarray(x).view(FakeArray)
    if isinstance(x, tuple):
        return tuple(_fake(e) for e in x)
    return x


class _XP:
    def __getattr__(self, name):
        f = getattr(np, name)
        if callable(f) and not isinstance(f, type):
            return lambda *args, **kwargs: _fake(f(*args, **kwargs))
        return f


class FakeBackend(DeviceBackend):
    type = "fake"
    xp = _XP()
    array_type = FakeArray

    def asarray(self, host_array, index=None):
        return np.array(host_array).view(FakeArray)

    def to_host(self, array):
        return np.asarray(array)

    def data_ptr(self, array):
        return array.__array_interface__["data"][0]


def _samples(rng, dt):
    return [SampleInput((rng.uniform(-1, 1, (3, 4)).astype(dt),)),
            SampleInput((rng.uniform(-1, 1, ()).astype(dt),), note="0-dim")]


def _exp_bwd(ctx, g):
    (y,) = ctx.saved
    return (g * y,)


@hookimpl
def loom_register_devices():
    return [FakeBackend()]


@hookimpl
def loom_register_ops():
    return [OpSpec("fexp", kernel=lambda xp, a: xp.exp(a), kind="unary", backward=_exp_bwd,
                   save_output=True, functions=("fexp",), samples=_samples, reference=np.exp),
            OpSpec("devbug", kernel=lambda xp, a: xp.exp(a), kind="unary", backward=_exp_bwd,
                   save_output=True, functions=("devbug",), samples=_samples,
                   reference=np.exp, device_kernels={"fake": lambda xp, a: xp.exp(a) + 1})]
"""


@pytest.fixture(scope="module")
def broken_site(tmp_path_factory):
    site = tmp_path_factory.mktemp("broken_site")
    make_dist(site, "loom-broken-ops", "broken_ops", "loom_broken_ops", BROKEN)
    return site


@pytest.fixture(scope="module")
def fake_device_site(tmp_path_factory):
    site = tmp_path_factory.mktemp("fake_device_site")
    make_dist(site, "loom-fake-device", "fake_device", "loom_fake_device", FAKE_DEVICE)
    return site


def _op_lines(report: str, op: str) -> str:
    """The summary line of `op` and its indented failure lines."""
    lines = report.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.strip().startswith(op + " "))
    out = [lines[start]]
    for ln in lines[start + 1:]:
        if not ln.startswith("      "):
            break
        out.append(ln)
    return "\n".join(out)


# ----------------------------------------------------------------------------- python -m loom check

def test_check_names_each_planted_bug_and_exits_nonzero(workdir, broken_site):
    p = run(["-m", "loom", "check", "broken_ops"], workdir, [broken_site])
    assert p.returncode == 1, p.stdout + p.stderr
    out = p.stdout
    assert "plugin broken_ops: 3 operators, 3 failed" in out

    bad_exp = _op_lines(out, "bad_exp")
    assert "FAIL" in bad_exp.splitlines()[0]
    assert re.search(r"FAILED gradient \[float64-sample0\]: gradient mismatch for output 0 "
                     r"with respect to input 0 \(args\[0\]\)", bad_exp), bad_exp
    assert "Jacobian entries differ" in bad_exp
    assert "forward 4/4" in bad_exp  # the forward is right: only the backward is named

    unsampled = _op_lines(out, "unsampled_sin")
    assert "FAILED metadata" in unsampled and "no sample inputs" in unsampled

    strict_add = _op_lines(out, "strict_add")
    assert "FAILED errors [error0]: expected ValueError, got RuntimeError: shapes (2, 3) and " \
           "(2, 2) differ (shapes differ)" in strict_add, strict_add
    assert "forward 2/2" in strict_add and "gradient 1/1" in strict_add
    assert out.rstrip().endswith("3 operators checked: 0 passed, 3 failed")


def test_bundled_packs_pass(workdir):
    p = run(["-m", "loom", "check", "ops_basic", "ops_linalg"], workdir, timeout=300)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-2000:]
    assert "plugin ops_basic:" in p.stdout and "all passed" in p.stdout
    assert "FAIL" not in p.stdout
    assert re.search(r"^  mm +PASS +metadata 1/1, forward \d+/\d+", p.stdout, re.M)


def test_unknown_plugin_is_named_with_the_loaded_ones(workdir):
    p = run(["-m", "loom", "check", "nosuchplugin"], workdir)
    assert p.returncode == 2
    assert "error: plugin 'nosuchplugin' is not installed" in p.stdout
    assert re.search(r"loaded plugins: .*ops_basic.*ops_linalg", p.stdout)


def test_example_pack_passes_with_its_error_samples(workdir, op_pack_site):
    p = run(["-m", "loom", "check", "example_ops", "--verbose"], workdir, [op_pack_site])
    assert p.returncode == 0, p.stdout + p.stderr
    hypot = _op_lines(p.stdout, "hypot")
    assert re.search(r"hypot +PASS .*errors 3/3", hypot), hypot
    for check in ("forward", "gradient", "gradgrad", "inplace", "out", "broadcasting",
                  "promotion"):
        assert re.search(rf"\b{check} [1-9]\d*/[1-9]\d*", hypot), (check, hypot)


def test_device_parity_against_a_second_backend(workdir, fake_device_site):
    p = run(["-m", "loom", "check", "fake_device"], workdir, [fake_device_site])
    assert p.returncode == 1, p.stdout + p.stderr
    assert "device parity against cpu on: fake" in p.stdout
    assert re.search(r"fexp +PASS .*device 4/4", p.stdout), p.stdout
    devbug = _op_lines(p.stdout, "devbug")
    assert "device 0/4" in devbug
    assert "FAILED device [fake-float64-sample0]: on fake vs cpu: values differ at 12 of 12 " \
           "elements" in devbug, devbug
    assert "forward 4/4" in devbug  # on cpu the op is right


def test_checks_option_selects_checks(workdir, broken_site):
    p = run(["-m", "loom", "check", "broken_ops", "--checks", "forward,errors"], workdir,
            [broken_site])
    assert p.returncode == 1
    assert re.search(r"bad_exp +PASS +forward 4/4$", p.stdout, re.M), p.stdout
    assert "gradient" not in p.stdout


# ----------------------------------------------------------------------------- pytest plugin

ONE_LINE = """
from loom.testing import conformance_tests

test_pack = conformance_tests("{plugin}")
"""


def _pytest(tmp_path, sites, plugin, extra=""):
    head = ONE_LINE.format(plugin=plugin) if plugin else ""
    (tmp_path / "test_pack.py").write_text(head + extra)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # keep loom's own settings out
    report = tmp_path / "report.xml"
    p = run(["-m", "pytest", "-p", "no:cacheprovider", "-q", f"--junitxml={report}",
             "test_pack.py"], tmp_path, sites, timeout=300)
    cases = {}
    for c in ET.parse(report).iter("testcase"):
        status = "passed"
        for kind in ("failure", "skipped", "error"):
            el = c.find(kind)
            if el is not None:
                status = (kind, el.get("message") or "")
        cases[c.get("name")] = status
    return p, cases


def _count_cases(plugin, sites, cwd):
    p = run(["-c", f"from loom.testing.runner import collect; print(len(collect({plugin!r})))"],
            cwd, sites)
    assert p.returncode == 0, p.stderr
    return int(p.stdout)


def test_pytest_plugin_runs_a_pack_in_one_line(tmp_path, workdir, op_pack_site):
    """The one-line form exactly as docs/testing.md shows it, against examples/op_pack."""
    (code,) = [b for b in _doc_blocks() if "conformance_tests" in b]
    assert len([ln for ln in code.splitlines() if ln.strip()]) == 2
    p, cases = _pytest(tmp_path, [op_pack_site], None, code)
    assert p.returncode == 0, p.stdout[-3000:]
    assert len(cases) == _count_cases("example_ops", [op_pack_site], workdir)
    assert all(v == "passed" for v in cases.values()), cases
    for name in ("hypot-metadata", "hypot-forward-float32-sample0",
                 "hypot-gradient-float64-sample1", "softplus-gradgrad-float64-sample0",
                 "hypot-errors-error2", "hypot-promotion-bool_bool"):
        assert f"test_example_ops[{name}]" in cases, sorted(cases)
    assert re.search(rf"{len(cases)} passed", p.stdout)


def test_pytest_plugin_reports_each_failure_of_a_broken_pack(tmp_path, broken_site):
    p, cases = _pytest(tmp_path, [broken_site], "broken_ops")
    assert p.returncode == 1
    failed = {k: v[1] for k, v in cases.items() if v != "passed"}
    # the wrong rule reads exp's output, whose derivative is the same wrong rule: the second
    # derivative fails as well
    assert set(failed) == {"test_pack[bad_exp-gradient-float64-sample0]",
                           "test_pack[bad_exp-gradient-float64-sample1]",
                           "test_pack[bad_exp-gradgrad-float64-sample0]",
                           "test_pack[bad_exp-gradgrad-float64-sample1]",
                           "test_pack[unsampled_sin-metadata]",
                           "test_pack[strict_add-errors-error0]"}, failed
    assert "gradient mismatch for output 0 with respect to input 0" in \
        failed["test_pack[bad_exp-gradient-float64-sample0]"]
    assert "no sample inputs" in failed["test_pack[unsampled_sin-metadata]"]
    assert "expected ValueError, got RuntimeError" in \
        failed["test_pack[strict_add-errors-error0]"]
    assert cases["test_pack[bad_exp-forward-float64-sample1]"] == "passed"


def test_pytest_plugin_loads_nothing_of_the_kit_until_used(workdir):
    """pytest imports the plugin in every run where loom is installed, so it imports no more
    than loom itself: not the checks, not PyTorch."""
    p = run(["-c", "import sys, loom.testing.pytest_plugin\n"
                   "print(sorted(m for m in sys.modules if m.startswith('loom.testing') or "
                   "m == 'torch'))\n"
                   "from loom.testing import opcheck, conformance_tests\n"
                   "print(callable(opcheck), callable(conformance_tests))"], workdir)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == ["['loom.testing', 'loom.testing.pytest_plugin']",
                                     "True True"]


def test_pytest_plugin_names_a_plugin_that_is_not_loaded(tmp_path):
    p, cases = _pytest(tmp_path, [], "nosuchplugin")
    assert p.returncode == 1
    (name, status), = cases.items()
    assert name == "test_pack[nosuchplugin-plugin-not-loaded]"
    assert "plugin 'nosuchplugin' is not installed" in status[1]


def test_pytest_plugin_marker_form_and_xfail(tmp_path, broken_site):
    extra = textwrap.dedent("""
        import pytest

        @pytest.mark.loom_conformance("broken_ops", ops=["strict_add"], checks=["errors"])
        def test_errors(loom_case):
            loom_case.run()

        test_known = conformance_tests(
            "broken_ops", ops=["bad_exp"], checks=["gradient"],
            xfail={"bad_exp-gradient-*": "the planted wrong backward"})
    """)
    p, cases = _pytest(tmp_path, [broken_site], "broken_ops", extra)
    assert cases["test_errors[strict_add-errors-error0]"][0] == "failure"
    assert cases["test_known[bad_exp-gradient-float64-sample0]"][0] == "skipped"  # xfail
    assert "the planted wrong backward" in cases["test_known[bad_exp-gradient-float64-sample1]"][1]


# ----------------------------------------------------------------------------- opcheck in process

def test_opcheck_of_a_bundled_op_passes_like_torch_library_opcheck():
    report = testing.opcheck("mul")
    assert report.passed and not report.failures
    assert report.as_dict() == {c: "SUCCESS" for c in (
        "metadata", "forward", "inplace", "out", "gradient", "gradgrad", "broadcasting",
        "promotion", "errors")}
    assert testing.opcheck("mul", checks=["forward"], dtypes=[loom.float64]).counts() == {
        "forward": (5, 0, 0)}


def test_opcheck_raises_opcheck_error_with_the_report():
    from loom.plugin import OpSpec, SampleInput, register
    from loom.registry import registry

    def samples(rng, dt):
        return [SampleInput((rng.uniform(0.5, 2.0, (4,)).astype(dt),))]

    op = OpSpec("kit_bad_square", kernel=lambda xp, a: a * a, kind="unary",
                backward=lambda ctx, g: (g * ctx.saved[0] * 3,), save_inputs=(0,),
                samples=samples, reference=np.square, functions=("kit_bad_square",))
    register(op, plugin="kit_tests")
    try:
        with pytest.raises(testing.OpCheckError) as info:
            testing.opcheck("kit_bad_square")
        report = info.value.report
        assert not report.passed
        # the rule is wrong but smooth, so its own derivative checks out: only "gradient" fails
        assert {r.check for r in report.failures} == {"gradient"}
        assert "gradient mismatch for output 0 with respect to input 0" in str(info.value)
        quiet = testing.opcheck(op, plugin="kit_tests", raise_exception=False)
        assert quiet.as_dict()["gradient"] == "FAILURE" and quiet.as_dict()["forward"] == "SUCCESS"
        with pytest.raises(ValueError, match="provided by plugin 'kit_tests', not 'ops_basic'"):
            testing.opcheck("kit_bad_square", plugin="ops_basic")
        assert not testing.check_plugin("kit_tests").passed
    finally:
        registry.unregister("kit_bad_square")


def test_check_plugin_refuses_an_unknown_plugin():
    with pytest.raises(ValueError, match="plugin 'nosuch' is not installed .*loaded plugins: "):
        testing.check_plugin("nosuch")


def test_unknown_check_is_refused():
    with pytest.raises(ValueError, match="unknown check\\(s\\) 'speed'"):
        testing.opcheck("add", checks=["speed"])


def test_gradcheck_is_one_function_everywhere():
    assert testing.gradcheck is loom.autograd.gradcheck
    assert testing.gradgradcheck is loom.autograd.gradgradcheck
    assert issubclass(testing.GradcheckError, RuntimeError)


def test_without_torch_the_numpy_reference_is_the_oracle(monkeypatch):
    from loom.testing import oracle
    monkeypatch.setattr(oracle, "_TORCH", [None])
    report = testing.opcheck("add", raise_exception=False)
    assert report.passed
    reasons = {r.message for r in report.skipped}
    assert reasons == {"PyTorch is not importable and operator 'add' has no NumPy reference",
                       "PyTorch is not importable: it is the oracle of type promotion"}


# ----------------------------------------------------------------------------- the docs

def _doc_blocks():
    text = (REPO / "docs" / "testing.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, re.S)


def test_docs_examples_run(workdir, op_pack_site):
    """Every Python block of docs/testing.md runs (the pytest one-liner is run by
    test_pytest_plugin_runs_a_pack_in_one_line)."""
    blocks = [b for b in _doc_blocks() if "conformance_tests" not in b]
    assert len(blocks) >= 3
    for i, code in enumerate(blocks):
        p = run(["-c", code], workdir, [op_pack_site])
        assert p.returncode == 0, f"docs/testing.md block {i}:\n{code}\n{p.stdout}{p.stderr}"
