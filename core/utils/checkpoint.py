"""`loom.utils.checkpoint`: activation checkpointing (``torch.utils.checkpoint``).

`checkpoint(fn, *args)` runs `fn` without recording its graph and runs it again, with the
same random state, when backward reaches it; the gradients are those of calling `fn`
directly, and the activations inside `fn` are not kept between forward and backward. Both
of PyTorch's variants are here: ``use_reentrant=False`` (recommended) takes keyword
arguments and gives parameters inside `fn` their gradients even when no input requires
grad; ``use_reentrant=True`` is the older one, with its restrictions. Without
``use_reentrant`` PyTorch's warning is given and the reentrant variant runs, as in PyTorch.
"""
from __future__ import annotations

import warnings

import loom
from loom.autograd import Function

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointError"]


class CheckpointError(RuntimeError):
    """A checkpointed function did something recomputation cannot repeat."""


def _detach_like(x):
    if isinstance(x, loom.Tensor):
        d = x.detach()
        d.requires_grad_(x.requires_grad)
        return d
    return x


class _Checkpoint(Function):
    @staticmethod
    def forward(ctx, run, preserve, n_args, *args):
        # args: the caller's positional arguments, then (non-reentrant) one extra tensor that
        # makes the call recorded when no argument requires grad
        ctx.run, ctx.n_args, ctx.n_extra = run, n_args, len(args) - n_args
        ctx.rng = loom.get_rng_state() if preserve else None
        tensors = [a for a in args[:n_args] if isinstance(a, loom.Tensor)]
        ctx.save_for_backward(*tensors)
        ctx.others = [None if isinstance(a, loom.Tensor) else a for a in args[:n_args]]
        with loom.no_grad():
            out = run(*args[:n_args])
        ctx.single = not isinstance(out, tuple)
        outs = (out,) if ctx.single else out
        ctx.mark_non_differentiable(*[o for o in outs if isinstance(o, loom.Tensor)
                                      and not o.is_floating_point() and not o.is_complex()])
        return out

    @staticmethod
    def backward(ctx, *grads):
        saved = iter(ctx.saved_tensors)
        args = [_detach_like(next(saved)) if o is None else o for o in ctx.others]
        state = loom.get_rng_state()
        if ctx.rng is not None:
            loom.set_rng_state(ctx.rng)
        try:
            with loom.enable_grad():
                out = ctx.run(*args)
        finally:
            if ctx.rng is not None:
                loom.set_rng_state(state)
        outs = (out,) if not isinstance(out, tuple) else out
        pairs = [(o, g) for o, g in zip(outs, grads)
                 if isinstance(o, loom.Tensor) and o.requires_grad and g is not None]
        if not pairs:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is "
                               "not necessary")
        loom.autograd.backward([o for o, _ in pairs], [g for _, g in pairs])
        arg_grads = tuple(a.grad if isinstance(a, loom.Tensor) and a.requires_grad else None
                          for a in args)
        return (None, None, None) + arg_grads + (None,) * ctx.n_extra


_WARNING = ("torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. "
            "Starting in PyTorch 2.9, calling checkpoint without use_reentrant will raise an "
            "exception. use_reentrant=False is recommended, but if you need to preserve the "
            "current default behavior, you can pass use_reentrant=True. Refer to docs for more "
            "details on the differences between the two variants.")


def checkpoint(function, *args, use_reentrant=None, context_fn=None, determinism_check="default",
               debug=False, preserve_rng_state=True, early_stop=True, **kwargs):
    """`function(*args, **kwargs)`, recomputed during backward instead of keeping its
    activations. `preserve_rng_state` replays the CPU generator's state, so dropout inside
    `function` draws the same mask twice. ``use_reentrant=True`` accepts no keyword arguments
    for `function` (ValueError, as PyTorch)."""
    if use_reentrant is None:
        warnings.warn(_WARNING, UserWarning, stacklevel=2)
        use_reentrant = True
    if use_reentrant:
        if kwargs:
            raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
        if context_fn is not None or debug:
            raise ValueError("Passing `context_fn` or `debug` is only supported when "
                             "use_reentrant=False.")
        if not any(isinstance(a, loom.Tensor) and a.requires_grad for a in args) \
                and loom.is_grad_enabled():
            warnings.warn("None of the inputs have requires_grad=True. Gradients will be None",
                          UserWarning, stacklevel=2)
        return _Checkpoint.apply(function, preserve_rng_state, len(args), *args)
    run = (lambda *a: function(*a, **kwargs)) if kwargs else function
    if not loom.is_grad_enabled():
        return run(*args)
    marker = loom.zeros((), requires_grad=True)
    return _Checkpoint.apply(run, preserve_rng_state, len(args), *args, marker)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Run a sequence of modules (or an `nn.Sequential`) in `segments` checkpointed chunks;
    the last chunk runs normally, as PyTorch's."""
    if use_reentrant is None:
        warnings.warn(_WARNING, UserWarning, stacklevel=2)
        use_reentrant = True
    if hasattr(functions, "children") and not isinstance(functions, (list, tuple)):
        functions = list(functions.children())

    def run_function(start, end, functions):
        def forward(x):
            for j in range(start, end + 1):
                x = functions[j](x)
            return x
        return forward

    size = len(functions) // segments
    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run_function(start, end, functions), input,
                           use_reentrant=use_reentrant, **kwargs)
    return run_function(end + 1, len(functions) - 1, functions)(input)
