"""Run-time settings: the default device and the thread-local `config.using` block."""
import threading

import pytest

import loom


def test_set_default_device_and_source():
    assert loom.get_default_device() == loom.device("cpu")
    loom.set_default_device("cpu")
    try:
        assert loom.config.source("default_device") == "run time"
        assert loom.zeros(2).device == loom.device("cpu")
    finally:
        loom.config._runtime.pop("default_device", None)
    assert loom.config.source("default_device") != "run time"


def test_default_device_without_a_backend_names_the_plugin():
    with loom.config.using(default_device="cuda"):
        if loom.cuda.is_available():
            pytest.skip("a CUDA device is available here; the error only exists without one")
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            loom.ones(2)
    assert loom.ones(2).device.type == "cpu"


def test_using_is_thread_local_and_rejects_unknown_settings():
    seen = []
    with loom.config.using(strict_plugins=True):
        t = threading.Thread(target=lambda: seen.append(loom.config.get("strict_plugins")))
        t.start()
        t.join()
        assert loom.config.get("strict_plugins") is True
    assert seen == [False]
    with pytest.raises(KeyError, match="unknown loom setting 'nope'"):
        with loom.config.using(nope=1):
            pass
