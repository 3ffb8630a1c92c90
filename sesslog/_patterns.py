"""Regular expressions compiled on first use.

Compiling a character class over wide Unicode ranges costs about a millisecond, and a read
command loads modules holding a dozen patterns of which it uses few (``sesslog context --json``
escapes nothing and parses no ages), so module-level patterns are :class:`LazyPattern`\\ s:
importing the module compiles nothing, the first match compiles once.
"""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING, Any, AnyStr, Generic

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["LazyPattern"]


class LazyPattern(Generic[AnyStr]):
    """A regular expression compiled the first time it is used.

    Offers the methods of :class:`re.Pattern` that sesslog uses, with the same arguments.

    >>> digits = LazyPattern(r"\\d+")
    >>> digits.search("a12b").group()
    '12'
    """

    __slots__ = ("_compiled", "_source")

    def __init__(self, source: AnyStr) -> None:
        self._source: AnyStr = source
        self._compiled: re.Pattern[AnyStr] | None = None

    @property
    def compiled(self) -> re.Pattern[AnyStr]:
        """The compiled pattern (compiled now if it was not yet)."""
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = re.compile(self._source)
        return compiled

    def search(
        self, string: AnyStr, pos: int = 0, endpos: int = sys.maxsize
    ) -> re.Match[AnyStr] | None:
        """:meth:`re.Pattern.search`."""
        return self.compiled.search(string, pos, endpos)

    def match(
        self, string: AnyStr, pos: int = 0, endpos: int = sys.maxsize
    ) -> re.Match[AnyStr] | None:
        """:meth:`re.Pattern.match`."""
        return self.compiled.match(string, pos, endpos)

    def fullmatch(
        self, string: AnyStr, pos: int = 0, endpos: int = sys.maxsize
    ) -> re.Match[AnyStr] | None:
        """:meth:`re.Pattern.fullmatch`."""
        return self.compiled.fullmatch(string, pos, endpos)

    def sub(self, repl: AnyStr | Callable[[re.Match[AnyStr]], AnyStr], string: AnyStr) -> AnyStr:
        """:meth:`re.Pattern.sub` (every match)."""
        return self.compiled.sub(repl, string)

    def split(self, string: AnyStr) -> list[AnyStr | Any]:
        """:meth:`re.Pattern.split` (at every match)."""
        return self.compiled.split(string)
