"""`loom.cuda.Stream` and `loom.cuda.Event` on CuPy's streams and events, with PyTorch's
method names (``query``, ``wait_stream``, ``record_event``, ``elapsed_time``)."""
from __future__ import annotations

__all__ = ["CudaStream", "CudaEvent"]


class CudaStream:
    """A CUDA stream of one device; ``with stream:`` queues work to it."""

    def __init__(self, cupy, stream, index):
        self._cupy, self.cupy_stream, self.device_index = cupy, stream, index

    def synchronize(self) -> None:
        """Wait for all the work queued to the stream."""
        self.cupy_stream.synchronize()

    def query(self) -> bool:
        """Whether all the work queued to the stream is done."""
        return bool(self.cupy_stream.done)

    def wait_event(self, event) -> None:
        """Make work queued after this call wait for `event`."""
        self.cupy_stream.wait_event(event.cupy_event)

    def wait_stream(self, other) -> None:
        """Make work queued after this call wait for the work queued to `other` so far."""
        self.wait_event(other.record_event())

    def record_event(self, event=None):
        """Record `event` (a new one if None) on this stream; returns it."""
        event = event if event is not None else CudaEvent(self._cupy)
        event.record(self)
        return event

    def __enter__(self):
        self.cupy_stream.__enter__()
        return self

    def __exit__(self, *exc):
        return self.cupy_stream.__exit__(*exc)

    def __eq__(self, other):
        return isinstance(other, CudaStream) and self.cupy_stream.ptr == other.cupy_stream.ptr

    def __hash__(self):
        return hash(self.cupy_stream.ptr)

    def __repr__(self):
        return (f"<loom.cuda.Stream device=cuda:{self.device_index} "
                f"cuda_stream={self.cupy_stream.ptr:#x}>")


class CudaEvent:
    """A CUDA event: a point in a stream's work to wait for or time."""

    def __init__(self, cupy, enable_timing=False, blocking=False):
        self._cupy, self.enable_timing = cupy, enable_timing
        self.cupy_event = cupy.cuda.Event(block=blocking, disable_timing=not enable_timing)

    def record(self, stream=None) -> None:
        """Record the event on `stream` (None: the current stream)."""
        self.cupy_event.record(None if stream is None else stream.cupy_stream)

    def query(self) -> bool:
        """Whether the work before the event is done."""
        return bool(self.cupy_event.done)

    def synchronize(self) -> None:
        """Wait for the work before the event."""
        self.cupy_event.synchronize()

    def wait(self, stream=None) -> None:
        """Make work queued to `stream` (None: the current one) wait for the event."""
        s = self._cupy.cuda.get_current_stream() if stream is None else stream.cupy_stream
        s.wait_event(self.cupy_event)

    def elapsed_time(self, end) -> float:
        """Milliseconds between this event and `end` (both recorded with timing enabled)."""
        if not (self.enable_timing and end.enable_timing):
            raise RuntimeError("Both events must be created with argument 'enable_timing=True'.")
        return float(self._cupy.cuda.get_elapsed_time(self.cupy_event, end.cupy_event))
