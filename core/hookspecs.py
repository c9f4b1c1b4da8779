"""The hooks a loom plugin implements (pluggy specifications).

A plugin is a module (or object) with functions marked `@loom.plugin.hookimpl`, listed as an
entry point in the group ``loom.plugins``. loom calls these hooks once per plugin while it loads
plugins at import; nothing here is called per operation.
"""
from __future__ import annotations

import pluggy

#: The version of the plugin API these hooks (and `loom.plugin`, `loom.library`) form. A plugin
#: declares the version it targets (``"api": "1.0"`` in its ``loom-plugin.json``, or
#: ``LOOM_PLUGIN_API = "1.0"`` in its module); the major versions must match and the plugin's
#: minor version may not be newer than loom's, or the plugin is refused at load with a message
#: naming both versions.
PLUGIN_API = "1.0"

hookspec = pluggy.HookspecMarker("loom")
hookimpl = pluggy.HookimplMarker("loom")


@hookspec
def loom_register_devices():
    """Called once when the plugin loads, before its operators are registered.

    Return an iterable of `loom.plugin.DeviceBackend` instances, one per device type the plugin
    serves. A backend that cannot run here (library missing, no hardware) should still be
    returned, answering `is_available()` with False and saying why in `unavailable_reason()`, so
    that `loom info` and the errors can explain it.
    """


@hookspec
def loom_register_ops():
    """Called once when the plugin loads.

    Return an iterable of `loom.plugin.OpSpec` records. They are registered under this plugin's
    name; a name another plugin already provides is an error unless configuration
    (``op_providers``) names the winner or the spec is returned from `loom_override_ops`.
    """


@hookspec
def loom_override_ops():
    """Like `loom_register_ops`, but these records replace an existing operator of that name."""


@hookspec
def loom_configure(config):
    """Called after all plugins have loaded, with the `loom.config` module."""
