"""A progress bar for training loops: tqdm when it is installed, a plain line every so often
when it is not (progress is a nicety; a loop never fails for the want of it)."""
from __future__ import annotations

import sys
import time
from typing import Iterable

__all__ = ["progress"]


def progress(iterable: Iterable | None = None, *, total: int | None = None, desc: str = "",
             disable: bool = False, **tqdm_kwargs):
    """Wrap `iterable` (a DataLoader, a range) in a progress bar; use ``.set_postfix(loss=...)``
    to show values and ``.update(n)`` / ``.close()`` as with tqdm, which it is when installed.

        for x, y in progress(loader, desc="epoch 1"):
            ...
    """
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _PlainBar(iterable, total=total, desc=desc, disable=disable)
    return tqdm(iterable, total=total, desc=desc, disable=disable, **tqdm_kwargs)


class _PlainBar:
    """tqdm's small API (iteration, update, set_postfix, close) printing a line at most every
    two seconds to stderr."""

    def __init__(self, iterable=None, total=None, desc="", disable=False, interval=2.0):
        self.iterable, self.desc, self.disable = iterable, desc, disable
        if total is None and iterable is not None and hasattr(iterable, "__len__"):
            total = len(iterable)
        self.total, self.n, self.postfix = total, 0, ""
        self._interval, self._last = interval, 0.0

    def __iter__(self):
        for item in self.iterable:
            yield item
            self.update(1)
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def update(self, n: int = 1) -> None:
        self.n += n
        now = time.monotonic()
        if now - self._last >= self._interval:
            self._last = now
            self._print()

    def set_postfix(self, ordered_dict=None, refresh=True, **kwargs) -> None:
        items = dict(ordered_dict or {}, **kwargs)
        self.postfix = ", ".join(f"{k}={v}" for k, v in items.items())

    def set_description(self, desc: str = "", refresh: bool = True) -> None:
        self.desc = desc

    def _print(self) -> None:
        if self.disable:
            return
        of = f"/{self.total}" if self.total is not None else ""
        print(f"{self.desc}: {self.n}{of} {self.postfix}".strip(), file=sys.stderr)

    def close(self) -> None:
        if not self.disable and self.n:
            self._print()
        self.disable = True
