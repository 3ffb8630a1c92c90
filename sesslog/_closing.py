"""A mixin for objects used in ``with`` blocks that end by calling ``close()``."""

from __future__ import annotations

from typing import TypeVar

__all__ = ["Closing"]

_T = TypeVar("_T", bound="Closing")


class Closing:
    """``with obj:`` returns ``obj`` and calls ``obj.close()`` at the end of the block."""

    def close(self) -> None:
        """Release what the object holds (subclasses define it)."""
        raise NotImplementedError

    def __enter__(self: _T) -> _T:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
