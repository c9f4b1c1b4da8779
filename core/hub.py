"""`loom.hub`: PyTorch Hub's names (``torch.hub``). loom downloads nothing: loading a model
or weights from a repository or a URL raises a RuntimeError that says so; `get_dir` and
`set_dir` keep the cache directory PyTorch would use, for scripts that read it, and
`load_state_dict_from_url` reads a file already in that cache."""
from __future__ import annotations

import os

__all__ = ["get_dir", "set_dir", "help", "list", "load", "load_state_dict_from_url",
           "download_url_to_file"]

_dir = None


def get_dir() -> str:
    """The hub cache directory: `set_dir`'s, else ``$TORCH_HOME/hub``, else
    ``~/.cache/torch/hub`` (``$XDG_CACHE_HOME`` respected), as PyTorch."""
    if _dir is not None:
        return _dir
    home = os.environ.get("TORCH_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "torch")
    return os.path.join(os.path.expanduser(home), "hub")


def set_dir(d) -> None:
    """Use directory `d` as the hub cache."""
    global _dir
    _dir = os.path.expanduser(os.fspath(d))


def _offline(what: str):
    raise RuntimeError(f"loom.hub cannot {what}: loom does not download models or code. Build "
                       "the model in your script and load its weights with loom.load "
                       "(state dicts saved by loom.save or torch.save).")


def list(github, force_reload=False, skip_validation=False, trust_repo=None,  # noqa: A001
         verbose=True):
    """Raises RuntimeError: listing a repository's entry points needs a download."""
    _offline(f"list the entry points of {github!r}")


def help(github, model, force_reload=False, skip_validation=False, trust_repo=None):  # noqa: A001
    """Raises RuntimeError: reading an entry point's docstring needs a download."""
    _offline(f"show help for {github!r}")


def load(repo_or_dir, model, *args, source="github", trust_repo=None, force_reload=False,
         verbose=True, skip_validation=False, **kwargs):
    """Raises RuntimeError: loom does not run a repository's ``hubconf.py``."""
    _offline(f"load {model!r} from {repo_or_dir!r}")


def download_url_to_file(url, dst, hash_prefix=None, progress=True):
    """Raises RuntimeError: loom downloads nothing."""
    _offline(f"download {url!r}")


def load_state_dict_from_url(url, model_dir=None, map_location=None, progress=True,
                             check_hash=False, file_name=None, weights_only=False):
    """The state dict at `url` if its file is already in the cache (``<hub dir>/checkpoints``
    or `model_dir`), read with `loom.load`; otherwise RuntimeError (loom downloads nothing)."""
    import urllib.parse

    import loom
    folder = model_dir or os.path.join(get_dir(), "checkpoints")
    name = file_name or os.path.basename(urllib.parse.urlparse(url).path)
    path = os.path.join(folder, name)
    if os.path.exists(path):
        return loom.load(path, map_location=map_location, weights_only=weights_only)
    _offline(f"download {url!r} (no {name!r} in {folder})")
