"""Run a script with loom standing in for torch: ``python seed_runner.py SCRIPT [ARGS...]``.

Puts `loom` into ``sys.modules`` as ``torch`` and `loom.autograd` as ``torch.autograd`` (the
only ``torch.*`` submodule the seed scripts import), then runs SCRIPT as ``__main__`` with
runpy, as ``python SCRIPT`` would. The script itself is not edited.
"""
import os
import runpy
import sys

import loom
import loom.autograd

sys.modules["torch"] = loom
sys.modules["torch.autograd"] = loom.autograd

if __name__ == "__main__":
    script = os.path.abspath(sys.argv[1])
    sys.argv = sys.argv[1:]
    sys.path[0] = os.path.dirname(script)
    runpy.run_path(script, run_name="__main__")
