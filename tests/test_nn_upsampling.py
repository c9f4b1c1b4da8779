"""F.interpolate (nearest, nearest-exact, linear, bilinear, trilinear, bicubic, area;
align_corners; size or scale_factor; recompute_scale_factor; antialiased bilinear, bicubic and
lanczos), F.pixel_shuffle/unshuffle and
the modules Upsample, UpsamplingNearest2d, UpsamplingBilinear2d, PixelShuffle, PixelUnshuffle
against PyTorch: outputs, input gradients, argument errors and reprs."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import loom
import loom.nn.functional as F
from loom import nn

from nn_oracle import close, compare_module, error_of, to_loom

MODES = [("nearest", 3), ("nearest", 4), ("nearest", 5), ("nearest-exact", 3),
         ("nearest-exact", 4), ("linear", 3), ("bilinear", 4), ("trilinear", 5),
         ("bicubic", 4), ("area", 3), ("area", 4), ("area", 5)]
CALLS = [dict(scale_factor=2), dict(scale_factor=1.7), dict(scale_factor=0.6), dict(size=4),
         dict(size="tuple"), dict(scale_factor=1.3, recompute_scale_factor=True),
         dict(scale_factor=2.5, recompute_scale_factor=False), dict(scale_factor="tuple")]


def _run(shape, dtype, **kw):
    x = torch.randn(*shape, dtype=dtype, generator=torch.Generator().manual_seed(0),
                    requires_grad=True)
    lx = to_loom(x).requires_grad_()
    t, out = TF.interpolate(x, **kw), F.interpolate(lx, **kw)
    tol = 1e-5 if dtype == torch.float32 else 1e-10
    close(out, t, tol, tol, f"output {kw}")
    g = torch.randn(t.shape, dtype=dtype, generator=torch.Generator().manual_seed(1))
    t.backward(g)
    out.backward(to_loom(g))
    close(lx.grad, x.grad, tol, tol, f"grad {kw}")


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=str)
@pytest.mark.parametrize("mode,nd", MODES, ids=lambda v: str(v))
@pytest.mark.parametrize("size", [2, 3, 7])
def test_interpolate_matches_torch(mode, nd, size, dtype):
    shape = (2, 3) + (size,) * (nd - 2)
    corners = [None] if mode in ("nearest", "nearest-exact", "area") else [False, True]
    for align in corners:
        for call in CALLS:
            kw = dict(call)
            if kw.get("size") == "tuple":
                kw["size"] = (9, 4, 6)[:nd - 2]
            if kw.get("scale_factor") == "tuple":
                kw["scale_factor"] = (1.5, 2.0, 0.75)[:nd - 2]
            sf = kw.get("scale_factor")
            if sf is not None and min(int(size * s) for s in
                                      (sf if isinstance(sf, tuple) else (sf,))) == 0:
                continue
            _run(shape, dtype, mode=mode, align_corners=align, **kw)


AA_CALLS = [dict(size=(3, 5)), dict(size=(12, 4)), dict(scale_factor=0.3),
            dict(scale_factor=(0.5, 1.7)), dict(size=(7, 7))]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=str)
@pytest.mark.parametrize("mode,align", [("bilinear", False), ("bilinear", True),
                                        ("bicubic", False), ("bicubic", True),
                                        ("lanczos", None)])
def test_antialiased_matches_torch(mode, align, dtype):
    for kw in AA_CALLS:
        _run((2, 3, 9, 11), dtype, mode=mode, align_corners=align, antialias=True, **kw)


ERRORS = [dict(size=4, scale_factor=2), dict(), dict(size=4, mode="nearest", align_corners=True),
          dict(size=4, mode="linear"), dict(size=4, mode="trilinear"), dict(size=(4,)),
          dict(size=(4.0, 4)), dict(size=4, recompute_scale_factor=True),
          dict(scale_factor=(2, 2, 2)), dict(size=4, mode="foo"), dict(size=0),
          dict(size=4, mode="area", antialias=True), dict(size=3, mode="lanczos"),
          dict(size=3, mode="lanczos", antialias=True, align_corners=True)]


@pytest.mark.parametrize("kw", ERRORS, ids=str)
def test_interpolate_errors(kw):
    x = torch.randn(1, 2, 3, 3)
    expected = error_of(lambda: TF.interpolate(x, **kw))
    assert expected is not None
    assert error_of(lambda: F.interpolate(to_loom(x), **kw)) == expected


def test_interpolate_sizes_error_names_dims():
    x = torch.randn(1, 1, 4)
    assert error_of(lambda: F.interpolate(to_loom(x), size=3, mode="lanczos",
                                          antialias=True)) == \
        error_of(lambda: TF.interpolate(x, size=3, mode="lanczos", antialias=True))
    for shape in [(1, 1, 3), (1, 1, 3, 3, 3)]:
        x = torch.randn(*shape)
        assert error_of(lambda: F.interpolate(to_loom(x), size=0)) == \
            error_of(lambda: TF.interpolate(x, size=0))


@pytest.mark.parametrize("make", [
    lambda lib: lib.nn.Upsample(scale_factor=2),
    lambda lib: lib.nn.Upsample(size=(5, 3), mode="bilinear"),
    lambda lib: lib.nn.Upsample(scale_factor=(1.5, 2.0), mode="bicubic", align_corners=True),
    lambda lib: lib.nn.Upsample(scale_factor=1.5, mode="nearest",
                                recompute_scale_factor=True),
    lambda lib: lib.nn.UpsamplingNearest2d(scale_factor=3),
    lambda lib: lib.nn.UpsamplingBilinear2d(size=7),
    lambda lib: lib.nn.PixelShuffle(2),
    lambda lib: lib.nn.PixelUnshuffle(2),
])
def test_modules_match_torch(make):
    tm, lm = make(torch), make(loom)
    assert repr(lm) == repr(tm)
    x = torch.randn(2, 8, 4, 6, dtype=torch.float64)
    compare_module(tm, lm, x, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("shape,r", [((1, 8, 3, 5), 2), ((2, 3, 18, 2, 2), 3), ((9, 1, 1), 3),
                                     ((4, 2, 2), 1)])
def test_pixel_shuffle_round_trip(shape, r):
    x = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
    lx = to_loom(x).requires_grad_()
    t, out = TF.pixel_shuffle(x, r), F.pixel_shuffle(lx, r)
    close(out, t)
    close(F.pixel_unshuffle(out, r), TF.pixel_unshuffle(t, r))
    (t * t).sum().backward()
    (out * out).sum().backward()
    close(lx.grad, x.grad)


@pytest.mark.parametrize("call", [
    lambda F, x: F.pixel_shuffle(x, 3), lambda F, x: F.pixel_shuffle(x[0, 0], 2),
    lambda F, x: F.pixel_shuffle(x, 0), lambda F, x: F.pixel_unshuffle(x, 3),
    lambda F, x: F.pixel_unshuffle(x[:, :, :, :3], 2), lambda F, x: F.pixel_unshuffle(x, -1)])
def test_pixel_shuffle_errors(call):
    x = torch.randn(1, 8, 4, 4)
    expected = error_of(lambda: call(TF, x))
    assert expected is not None
    assert error_of(lambda: call(F, to_loom(x))) == expected


@pytest.mark.filterwarnings("ignore:`nn.functional.upsample")
def test_exports():
    x = loom.arange(4.0).reshape(1, 1, 2, 2)
    for name in ["upsample_bilinear", "upsample_nearest"]:
        with pytest.warns(UserWarning, match=f"`nn.functional.{name}` is deprecated"):
            getattr(F, name)(x, size=3)
    for name in ["interpolate", "upsample", "pixel_shuffle", "pixel_unshuffle"]:
        assert callable(getattr(F, name)) and name in F.__all__
    close(F.upsample_bilinear(x, scale_factor=2),
          TF.upsample_bilinear(torch.arange(4.0).reshape(1, 1, 2, 2), scale_factor=2))
    close(F.upsample_nearest(x, size=3),
          TF.upsample_nearest(torch.arange(4.0).reshape(1, 1, 2, 2), size=3))


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "bilinear", "bicubic", "area"])
def test_dtypes(mode):
    x = torch.randint(0, 255, (1, 2, 5, 6), dtype=torch.uint8)
    # uint8: nearest exactly; the interpolating modes as PyTorch's uint8 kernels compute them
    # (separable passes, each rounded), in float32 rather than fixed point: within 2; area
    # refused as PyTorch refuses it
    expected = error_of(lambda: TF.interpolate(x, size=(7, 4), mode=mode))
    if expected is not None:
        assert error_of(lambda: F.interpolate(to_loom(x), size=(7, 4), mode=mode)) == expected
    else:
        for kw in [dict(size=(7, 4)), dict(size=(13, 20)), dict(scale_factor=0.4),
                   dict(scale_factor=1.5, antialias=mode in ("bilinear", "bicubic")),
                   dict(size=(3, 9), align_corners=True) if mode in ("bilinear", "bicubic")
                   else dict(size=(3, 9))]:
            t = TF.interpolate(x, mode=mode, **kw)
            out = F.interpolate(to_loom(x), mode=mode, **kw)
            assert out.dtype == loom.uint8
            diff = (out.numpy().astype(int) - t.numpy().astype(int))
            assert abs(diff).max() <= (0 if "nearest" in mode else 2), kw
    for dt in (torch.int64, torch.int32, torch.bool):
        xi = x.to(dt)
        expected = error_of(lambda: TF.interpolate(xi, size=(7, 4), mode=mode))
        assert expected is not None
        assert error_of(lambda: F.interpolate(to_loom(xi), size=(7, 4), mode=mode)) == expected
    h = torch.randn(1, 2, 5, 6).half()
    t, out = TF.interpolate(h, size=(7, 4), mode=mode), F.interpolate(to_loom(h), size=(7, 4),
                                                                      mode=mode)
    assert out.dtype == loom.float16
    np.testing.assert_allclose(out.numpy().astype(float), t.numpy().astype(float), atol=4e-3)
