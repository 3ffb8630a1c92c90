"""The typed append helpers of a session: one method per entry kind of the format.

:class:`TypedAppends` is an abstract base: it builds each typed entry and hands it to the
abstract :meth:`~TypedAppends._append`, which stamps it with a new id, its parent (the current
leaf unless said otherwise) and the time, atomically with the append itself (see
:meth:`~sesslog.write.appender.SessionHandle.append_new`). The helpers build entries with empty
placeholders in those three fields. A subclass (:class:`~sesslog.Session`) supplies the four
abstract members; the base needs nothing else of it.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from msgspec import UNSET

from sesslog._leaf import AT_LEAF, AtLeaf
from sesslog.format import entries as E
from sesslog.format.defaults import complete_assistant
from sesslog.format.records import Record

__all__ = ["LEAF_CUSTOM_TYPE", "Content", "TypedAppends"]

#: ``customType`` of the entry sesslog appends to persist a moved leaf.
LEAF_CUSTOM_TYPE = "sesslog.leaf"

Content = str | list[E.TextContent | E.ImageContent]


class TypedAppends(abc.ABC):
    """Typed ``append_*`` helpers, each appending one entry as a child of the leaf.

    Args:
        clock: Returns the current Unix time in milliseconds (messages carry it).
    """

    def __init__(self, clock: Callable[[], int]) -> None:
        self._clock = clock

    @abc.abstractmethod
    def _append(self, entry: E.Entry, parent_id: str | AtLeaf | None = AT_LEAF) -> Record:
        """Stamp ``entry`` (id, time, parent: the leaf by default) and append it, atomically."""

    @abc.abstractmethod
    def get(self, entry_id: str) -> Record:
        """The entry with this id (raises ``EntryNotFoundError``)."""

    @property
    @abc.abstractmethod
    def leaf_id(self) -> str | None:
        """The current position."""

    @abc.abstractmethod
    def _atomic(self) -> AbstractContextManager[object]:
        """Held, no append can happen in between (re-entrant: appends may run inside)."""

    def append_message(self, message: E.Message) -> Record:
        """Append a message of any role as a child of the leaf.

        An assistant message's ``usage`` gets ``totalTokens`` (the sum of its four counts) when
        it has none, so that pi finds every field it reads (see :mod:`sesslog.format.defaults`).
        """
        if isinstance(message, E.AssistantMessage):
            message = complete_assistant(message)
        return self._append(E.MessageEntry(id="", parent_id=None, timestamp="", message=message))

    def append_user_message(self, content: Content) -> Record:
        """Append a user message (text, or text and image blocks)."""
        message = E.UserMessage(content=content, timestamp=self._clock())
        return self._append(E.MessageEntry(id="", parent_id=None, timestamp="", message=message))

    def append_assistant_message(
        self,
        content: list[E.TextContent | E.ThinkingContent | E.ToolCall] | str,
        *,
        provider: str,
        model: str,
        api: str = "anthropic-messages",
        usage: E.Usage | None = None,
        stop_reason: E.StopReason | None = None,
        error_message: str | None = None,
    ) -> Record:
        """Append an assistant reply; tool calls are ``ToolCall`` blocks in ``content``.

        ``usage`` defaults to zero counts and costs (its ``totalTokens`` to the sum of the
        counts); ``stop_reason`` defaults to ``toolUse`` when the content has a tool call, else
        ``stop``.
        """
        blocks = [E.TextContent(text=content)] if isinstance(content, str) else content
        if stop_reason is None:
            stop_reason = "toolUse" if any(isinstance(b, E.ToolCall) for b in blocks) else "stop"
        message = E.AssistantMessage(
            content=list(blocks),
            api=api,
            provider=provider,
            model=model,
            usage=usage or E.Usage(cost=E.Cost()),
            stop_reason=stop_reason,
            timestamp=self._clock(),
            error_message=error_message if error_message is not None else UNSET,
        )
        return self.append_message(message)

    def append_tool_result(
        self,
        tool_call_id: str,
        tool_name: str,
        content: list[E.TextContent | E.ImageContent] | str,
        *,
        is_error: bool = False,
        details: Any = UNSET,
    ) -> Record:
        """Append the result of the tool call ``tool_call_id``."""
        blocks = [E.TextContent(text=content)] if isinstance(content, str) else content
        message = E.ToolResultMessage(
            tool_call_id=tool_call_id,
            tool_name=tool_name,
            content=list(blocks),
            is_error=is_error,
            timestamp=self._clock(),
            details=details,
        )
        return self.append_message(message)

    def append_bash_execution(
        self,
        command: str,
        output: str,
        *,
        exit_code: int | None = 0,
        cancelled: bool = False,
        truncated: bool = False,
        full_output_path: str | None = None,
        exclude_from_context: bool | None = None,
    ) -> Record:
        """Append a shell command the user ran through the agent."""
        message = E.BashExecutionMessage(
            command=command,
            output=output,
            cancelled=cancelled,
            truncated=truncated,
            timestamp=self._clock(),
            exit_code=exit_code,
            full_output_path=full_output_path if full_output_path is not None else UNSET,
            exclude_from_context=exclude_from_context
            if exclude_from_context is not None
            else UNSET,
        )
        return self.append_message(message)

    def append_model_change(self, provider: str, model_id: str) -> Record:
        """Switch the model."""
        return self._append(
            E.ModelChangeEntry(
                id="", parent_id=None, timestamp="", provider=provider, model_id=model_id
            )
        )

    def append_thinking_level_change(self, level: str) -> Record:
        """Switch the thinking level (one of :data:`~sesslog.format.entries.THINKING_LEVELS`)."""
        if level not in E.THINKING_LEVELS:
            raise ValueError(f"unknown thinking level {level!r}")
        return self._append(
            E.ThinkingLevelChangeEntry(id="", parent_id=None, timestamp="", thinking_level=level)
        )

    def append_compaction(
        self, summary: str, first_kept_entry_id: str, tokens_before: int, *, details: Any = UNSET
    ) -> Record:
        """Summarise the path before ``first_kept_entry_id``."""
        return self._append(
            E.CompactionEntry(
                id="",
                parent_id=None,
                timestamp="",
                summary=summary,
                first_kept_entry_id=first_kept_entry_id,
                tokens_before=tokens_before,
                details=details,
            )
        )

    def append_custom(self, custom_type: str, data: Any = UNSET) -> Record:
        """Append extension state (not part of the model context)."""
        return self._append(
            E.CustomEntry(id="", parent_id=None, timestamp="", custom_type=custom_type, data=data)
        )

    def append_custom_message(
        self, custom_type: str, content: Content, *, display: bool = True, details: Any = UNSET
    ) -> Record:
        """Append an extension message that enters the model context."""
        return self._append(
            E.CustomMessageEntry(
                id="",
                parent_id=None,
                timestamp="",
                custom_type=custom_type,
                content=content,
                display=display,
                details=details,
            )
        )

    def set_label(self, target_id: str, label: str | None) -> Record:
        """Label an entry (``None`` or ``""`` clears its label)."""
        self.get(target_id)
        return self._append(
            E.LabelEntry(
                id="", parent_id=None, timestamp="", target_id=target_id, label=label or UNSET
            )
        )

    def set_name(self, name: str) -> Record:
        """Name the session."""
        return self._append(E.SessionInfoEntry(id="", parent_id=None, timestamp="", name=name))

    def branch(
        self, entry_id: str | None, *, summary: str | None = None, details: Any = UNSET
    ) -> Record:
        """Move the leaf back to ``entry_id`` (``None``: before the first entry).

        The move is persisted by appending an entry whose parent is the new position, so a
        restart (of sesslog or pi) lands on the chosen branch: a ``branch_summary`` when a
        summary of the abandoned branch is given, else a ``custom`` entry of type
        :data:`LEAF_CUSTOM_TYPE`.

        Returns:
            The appended entry, which is the new leaf.
        """
        if entry_id is not None:
            self.get(entry_id)

        entry: E.Entry
        if summary is not None:
            entry = E.BranchSummaryEntry(
                id="",
                parent_id=None,
                timestamp="",
                from_id=entry_id or "root",
                summary=summary,
                details=details,
            )
            return self._append(entry, entry_id)
        with self._atomic():  # the leaf being left stays the leaf until the append
            entry = E.CustomEntry(
                id="",
                parent_id=None,
                timestamp="",
                custom_type=LEAF_CUSTOM_TYPE,
                data={"from": self.leaf_id},
            )
            return self._append(entry, entry_id)
