"""`loom.optim.Optimizer`: parameter groups, per-parameter state and their state dict, as
`torch.optim.Optimizer`.

Subclasses give their defaults and implement `step`; everything else (groups, hooks,
`zero_grad`, `state_dict`/`load_state_dict` in PyTorch's layout, so that a state dict moves
between loom and PyTorch by value) lives here.
"""
from __future__ import annotations

from collections import OrderedDict, defaultdict
from copy import deepcopy
from itertools import chain
from typing import Any, Callable, Iterable

import loom

__all__ = ["Optimizer", "required"]


class _Required:
    """The marker for a hyperparameter with no default (PyTorch's `optim.optimizer.required`)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _Required()


def _check_lr(lr) -> None:
    if isinstance(lr, loom.Tensor):
        if lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        lr = lr.item()
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


def _check_range(name: str, value, low=0.0, high=None, label=None) -> None:
    """PyTorch's 'Invalid <label> value: v' ValueError for a hyperparameter out of range."""
    if not low <= value or (high is not None and not value < high):
        raise ValueError(f"Invalid {label or name}: {value}")


class Optimizer:
    """Base class of loom's optimizers: `params` is an iterable of tensors, of
    ``(name, tensor)`` pairs, or of dicts (parameter groups, each with ``"params"`` and any
    hyperparameter that overrides `defaults`)."""

    def __init__(self, params: Iterable, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self._step_pre_hooks: OrderedDict = OrderedDict()
        self._step_post_hooks: OrderedDict = OrderedDict()
        if isinstance(params, loom.Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {params.type()}")
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def __getstate__(self) -> dict:
        return {"defaults": self.defaults, "state": self.state,
                "param_groups": self.param_groups}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.__dict__.setdefault("_step_pre_hooks", OrderedDict())
        self.__dict__.setdefault("_step_post_hooks", OrderedDict())

    def __repr__(self) -> str:
        s = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            s += f"\nParameter Group {i}"
            for key in sorted(group):
                if key != "params":
                    s += f"\n    {key}: {group[key]}"
        return s + "\n)"

    # -- groups ----------------------------------------------------------------------------
    def add_param_group(self, param_group: dict) -> None:
        """Add a parameter group (a dict with ``"params"``; missing hyperparameters take the
        optimizer's defaults), as when fine-tuning unfreezes layers."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, loom.Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        else:
            param_group["params"] = list(params)
        plist, names = [], []
        for p in param_group["params"]:
            if isinstance(p, tuple) and len(p) == 2:  # named parameters
                names.append(p[0])
                p = p[1]
            plist.append(p)
        if names:
            param_group["param_names"] = names
        param_group["params"] = plist
        for p in plist:
            if not isinstance(p, loom.Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + type(p).__name__)
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)
        seen = set()
        for group in self.param_groups:
            seen.update(map(id, group["params"]))
        if not seen.isdisjoint(map(id, plist)):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # -- hooks -----------------------------------------------------------------------------
    def register_step_pre_hook(self, hook: Callable):
        """`hook(optimizer, args, kwargs)` before each `step`; it may return new
        ``(args, kwargs)``. Returns a handle with ``remove()``."""
        return _Handle(self._step_pre_hooks, hook)

    def register_step_post_hook(self, hook: Callable):
        """`hook(optimizer, args, kwargs)` after each `step`. Returns a handle."""
        return _Handle(self._step_post_hooks, hook)

    def _run_step(self, impl, closure):
        args, kwargs = (), {"closure": closure}
        for hook in list(self._step_pre_hooks.values()):
            out = hook(self, args, kwargs)
            if out is not None:
                args, kwargs = out
        loss = None
        closure = kwargs.get("closure")
        if closure is not None:
            with loom.enable_grad():
                loss = closure()
        with loom.no_grad():  # updates are not part of any graph
            for group in self.param_groups:
                impl(group)
        for hook in list(self._step_post_hooks.values()):
            hook(self, args, kwargs)
        return loss

    # -- gradients -------------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of every parameter: to None (the default), or to zeros in
        place when `set_to_none` is False."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if p.grad.grad_fn is not None:
                        p.grad.detach_()
                    else:
                        p.grad.requires_grad_(False)
                    p.grad.zero_()

    def step(self, closure: Callable | None = None):
        """One optimisation step; `closure` re-evaluates the model and returns the loss."""
        raise NotImplementedError

    # -- state dict ------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}``: the
        layout PyTorch uses, parameters replaced by their position across groups."""
        index: dict[int, int] = {}
        start = 0
        groups = []
        for g in self.param_groups:
            for i, p in enumerate(g["params"], start):
                index.setdefault(id(p), i)
            packed = {k: v for k, v in g.items() if k != "params"}
            packed["params"] = [index[id(p)] for p in g["params"]]
            start += len(packed["params"])
            groups.append(packed)
        state = {index[id(p)]: v for p, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore what `state_dict` returned (by loom or PyTorch); state tensors take each
        parameter's dtype (floating point, except ``step``) and device."""
        state_dict = state_dict.copy()
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        state: defaultdict = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = {key: _cast_state(param, key, value) for key, value in v.items()}
            else:
                state[k] = v
        new_groups = []
        for g, s in zip(groups, saved_groups):
            s["params"] = g["params"]
            if "param_names" in g and "param_names" not in s:
                s["param_names"] = g["param_names"]
            new_groups.append(s)
        self.state = state
        self.param_groups = new_groups

    # -- helpers for subclasses -------------------------------------------------------------
    def _params_with_grad(self, group, with_state=True):
        """The group's parameters that have a gradient, each with its state dict (made on
        first use; without `with_state`, None: SGD without momentum keeps no state)."""
        state = self.state
        for p in group["params"]:
            if p.grad is not None:
                yield p, p.grad, (state[p] if with_state else None)


def _cast_state(param, key, value):
    if isinstance(value, loom.Tensor):
        if key == "step":  # PyTorch keeps step a float32 scalar whatever the parameter
            return value.to(device=param.device)
        if param.is_floating_point() or param.is_complex():
            return value.to(dtype=param.dtype, device=param.device)
        return value.to(device=param.device)
    if isinstance(value, dict):
        return {k: _cast_state(param, k, v) for k, v in value.items()}
    return value


def _step_value(state) -> float:
    """The step counter after incrementing it (a float32 scalar tensor, as PyTorch's)."""
    step = state["step"]
    step.add_(1)
    return step.item()


class _Handle:
    """What `register_*_hook` returns: ``remove()`` takes the hook out."""

    _next = 0

    def __init__(self, table: OrderedDict, hook) -> None:
        _Handle._next += 1
        self.id = _Handle._next
        self._table = table
        table[self.id] = hook

    def remove(self) -> None:
        self._table.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


