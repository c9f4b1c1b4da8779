"""`loom.amp` against ``torch.amp``: GradScaler's scaling, skipping and scale updates on the
CPU, its disabled form without CUDA, and autocast's state, checks and warnings."""
import warnings

import numpy as np
import pytest
import torch

import loom


def _train(lib, inf_at=(2, 5), steps=8, **kw):
    """A few scaled SGD steps with inf gradients injected at `inf_at`; the trace of scales,
    growth trackers, step results and parameters."""
    p = lib.nn.Parameter(lib.tensor([1.0, -2.0]))
    opt = lib.optim.SGD([p], lr=0.1)
    s = lib.amp.GradScaler("cpu", **kw)
    trace = []
    for i in range(steps):
        opt.zero_grad()
        loss = (p * p).sum() * (float("inf") if i in inf_at else 1.0)
        s.scale(loss).backward()
        if i % 3 == 0:
            s.unscale_(opt)
        r = s.step(opt)
        s.update()
        trace.append((s.get_scale(), s._get_growth_tracker(), r, p.detach().numpy().tolist()))
    return trace, s.state_dict()


@pytest.mark.parametrize("kw", [dict(), dict(init_scale=8.0, growth_interval=2),
                                dict(init_scale=4.0, growth_factor=3.0, backoff_factor=0.25,
                                     growth_interval=3)])
def test_grad_scaler_on_cpu_matches_torch(kw):
    assert _train(loom, **kw) == _train(torch, **kw)


def test_scaled_outputs_and_gradients_match_torch():
    out = {}
    for lib in (torch, loom):
        s = lib.amp.GradScaler("cpu", init_scale=16.0)
        p = lib.nn.Parameter(lib.tensor([1.0, 2.0]))
        scaled = s.scale([p.sum(), (p.sum() * 2, p.sum())])
        scaled[0].backward()
        out[lib.__name__] = (float(scaled[1][0]), type(scaled).__name__,
                             type(scaled[1]).__name__, p.grad.tolist())
    assert out["loom"] == out["torch"]


def _outcome(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e)
    return None


def test_grad_scaler_errors_match_torch():
    def cases(lib):
        def fresh():
            p = lib.nn.Parameter(lib.ones(2))
            return lib.amp.GradScaler("cpu"), p, lib.optim.SGD([p], 0.1)

        def unscale_twice():
            s, p, o = fresh()
            s.scale(p.sum()).backward()
            s.unscale_(o)
            s.unscale_(o)

        def step_twice():
            s, p, o = fresh()
            s.scale(p.sum()).backward()
            s.step(o)
            s.step(o)

        def closure():
            s, p, o = fresh()
            s.scale(p.sum())
            s.step(o, closure=lambda: 0)

        def unscale_after_step():
            s, p, o = fresh()
            s.scale(p.sum()).backward()
            s.step(o)
            s.unscale_(o)

        return [lambda: fresh()[0].step(fresh()[2]), lambda: fresh()[0].update(),
                lambda: fresh()[0].scale(3.0), unscale_twice, step_twice, closure,
                unscale_after_step, lambda: lib.amp.GradScaler("cpu", growth_factor=0.5),
                lambda: fresh()[0].load_state_dict({})]
    assert [_outcome(c) for c in cases(loom)] == [_outcome(c) for c in cases(torch)]


def test_disabled_scaler_without_cuda_matches_torch():
    res = {}
    for lib in (torch, loom):
        with pytest.warns(UserWarning, match="CUDA is not available.  Disabling."):
            s = lib.amp.GradScaler()
        with pytest.warns(FutureWarning, match=r"torch.cuda.amp.GradScaler\(args...\)` is "):
            s2 = lib.cuda.amp.GradScaler()
        p = lib.nn.Parameter(lib.ones(2))
        o = lib.optim.SGD([p], 0.1)
        loss = p.sum()
        scaled = s.scale(loss)
        scaled.backward()
        s.unscale_(o)
        r = s.step(o)
        s.update()
        res[lib.__name__] = (s.is_enabled(), s2.is_enabled(), scaled is loss, r, s.get_scale(),
                             s.state_dict(), p.tolist())
    assert res["loom"] == res["torch"]


def test_state_dict_round_trip_matches_torch():
    def run(lib):
        s = lib.amp.GradScaler("cpu", init_scale=32.0, growth_interval=5)
        t = lib.amp.GradScaler("cpu")
        t.load_state_dict(s.state_dict())
        return t.state_dict(), t.get_scale()
    assert run(loom) == run(torch)


def test_autocast_state_matches_torch():
    def run(lib):
        seen = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with lib.autocast("cpu", dtype=lib.bfloat16):
                seen.append((lib.is_autocast_enabled("cpu"), lib.is_autocast_enabled(),
                             str(lib.get_autocast_dtype("cpu"))))
                with lib.autocast("cpu", enabled=False):
                    seen.append(lib.is_autocast_enabled("cpu"))
                seen.append(lib.is_autocast_enabled("cpu"))
            seen.append(lib.is_autocast_enabled("cpu"))
            with lib.amp.autocast(device_type="cpu"):
                seen.append(str(lib.get_autocast_dtype("cpu")))
            with lib.autocast("cuda"):
                seen.append((lib.is_autocast_enabled("cuda"), str(lib.get_autocast_dtype("cuda"))))

            @lib.autocast("cpu")
            def f():
                return lib.is_autocast_enabled("cpu")
            seen.append(f())
            a = lib.autocast("cpu", dtype=lib.float16)
            seen.append((str(a.fast_dtype), a.device, a._enabled))
            seen.append(lib.amp.is_autocast_available("cpu"))
        return seen
    assert run(loom) == run(torch)


def test_autocast_warnings_and_errors_match_torch():
    for lib in (torch, loom):
        with pytest.warns(UserWarning, match="target dtype is not supported. Disabling"):
            a = lib.autocast("cpu", dtype=lib.float32)
        assert not a._enabled
        with pytest.warns(UserWarning, match="CUDA is not available or torch_xla is imported"):
            lib.autocast("cuda")
        with pytest.warns(FutureWarning, match=r"torch.cuda.amp.autocast\(args...\)` is"):
            lib.cuda.amp.autocast()
        with pytest.raises(ValueError, match="Expected `device_type` of type `str`"):
            lib.autocast(3)
        with pytest.raises(RuntimeError, match="device type at start of device string: xyz"):
            lib.autocast("xyz")


def test_autocast_keeps_dtypes_and_says_so_once():
    from loom.amp import autocast_mode
    autocast_mode._warned.clear()
    lin = loom.nn.Linear(3, 2)
    with pytest.warns(UserWarning, match="runs every operator in its inputs' dtypes"):
        with loom.autocast("cpu"):
            y = lin(loom.ones(1, 3))
    assert y.dtype == loom.float32
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with loom.autocast("cpu"):
            pass
    np.testing.assert_allclose(y.detach().numpy(), lin(loom.ones(1, 3)).detach().numpy())
