"""Typed declarations of the session format (pi format version 3).

This module reads like the format contract: the header, every entry type, every message role
and every content block, as msgspec Structs. It holds declarations only.

The JSON names are camelCase; Python attributes are snake_case. Fields that pi always writes
(``parentId`` included, written as ``null`` for a root) are required; fields that pi may leave
out default to :data:`msgspec.UNSET` so they are omitted again on encode. Numbers that come from
JavaScript are ``int | float`` so that ``5`` stays ``5``.

Unknown entry types, roles, blocks and fields are not modelled here: the reader keeps every
line's original bytes, and writes those back.
"""

from __future__ import annotations

from typing import Any, Literal, TypeAlias

import msgspec
from msgspec import UNSET, UnsetType

#: The format version sesslog writes.
SESSION_VERSION = 3

#: Thinking levels pi knows, lowest first.
THINKING_LEVELS = ("off", "minimal", "low", "medium", "high", "xhigh")

Number: TypeAlias = int | float


class _Base(msgspec.Struct, rename="camel", omit_defaults=True, kw_only=True):
    """Shared configuration: camelCase JSON names, unset optionals omitted."""


# --------------------------------------------------------------------------- content blocks


class TextContent(_Base, tag="text", tag_field="type"):
    """A block of plain text."""

    text: str
    text_signature: str | UnsetType = UNSET


class ThinkingContent(_Base, tag="thinking", tag_field="type"):
    """The model's visible reasoning."""

    thinking: str
    thinking_signature: str | UnsetType = UNSET
    redacted: bool | UnsetType = UNSET


class ImageContent(_Base, tag="image", tag_field="type"):
    """An inline image, base64-encoded."""

    data: str
    mime_type: str


class ToolCall(_Base, tag="toolCall", tag_field="type"):
    """A tool invocation requested by the assistant."""

    id: str
    name: str
    arguments: dict[str, Any]
    thought_signature: str | UnsetType = UNSET


UserContentBlock: TypeAlias = TextContent | ImageContent
AssistantContentBlock: TypeAlias = TextContent | ThinkingContent | ToolCall
ContentBlock: TypeAlias = TextContent | ThinkingContent | ImageContent | ToolCall


# --------------------------------------------------------------------------- messages


class Cost(msgspec.Struct, rename="camel", kw_only=True):
    """Cost of one model call, in dollars (every field written, as pi does)."""

    input: Number = 0
    output: Number = 0
    cache_read: Number = 0
    cache_write: Number = 0
    total: Number = 0


class Usage(msgspec.Struct, rename="camel", kw_only=True, omit_defaults=True):
    """Token usage of one model call (counts always written; ``totalTokens`` when known)."""

    input: Number = msgspec.field(default_factory=lambda: 0)
    output: Number = msgspec.field(default_factory=lambda: 0)
    cache_read: Number = msgspec.field(default_factory=lambda: 0)
    cache_write: Number = msgspec.field(default_factory=lambda: 0)
    total_tokens: Number | UnsetType = UNSET
    cost: Cost = msgspec.field(default_factory=Cost)


StopReason = Literal["stop", "length", "toolUse", "error", "aborted"]


class UserMessage(_Base, tag="user", tag_field="role"):
    """A message typed by the user."""

    content: str | list[UserContentBlock]
    timestamp: Number


class AssistantMessage(_Base, tag="assistant", tag_field="role"):
    """A model reply: text, thinking and tool calls."""

    content: list[AssistantContentBlock]
    api: str
    provider: str
    model: str
    usage: Usage
    stop_reason: StopReason
    timestamp: Number
    error_message: str | UnsetType = UNSET


class ToolResultMessage(_Base, tag="toolResult", tag_field="role"):
    """The outcome of a tool call, linked by ``tool_call_id``."""

    tool_call_id: str
    tool_name: str
    content: list[UserContentBlock]
    is_error: bool
    timestamp: Number
    details: Any | UnsetType = UNSET


class BashExecutionMessage(_Base, tag="bashExecution", tag_field="role", kw_only=True):
    """A shell command run by the user through the agent."""

    command: str
    output: str
    exit_code: int | UnsetType | None = UNSET
    cancelled: bool
    truncated: bool
    full_output_path: str | UnsetType = UNSET
    timestamp: Number
    exclude_from_context: bool | UnsetType = UNSET


class CustomMessage(_Base, tag="custom", tag_field="role"):
    """A message injected by an extension (``hookMessage`` in v2 files)."""

    custom_type: str
    content: str | list[UserContentBlock]
    display: bool
    timestamp: Number
    details: Any | UnsetType = UNSET


Message: TypeAlias = (
    UserMessage | AssistantMessage | ToolResultMessage | BashExecutionMessage | CustomMessage
)


# --------------------------------------------------------------------------- header


class SessionHeader(_Base, tag="session", tag_field="type"):
    """Line 1 of every session file."""

    version: int | UnsetType = UNSET
    id: str | UnsetType = UNSET
    timestamp: str | UnsetType = UNSET
    cwd: str | UnsetType = UNSET
    parent_session: str | UnsetType = UNSET
    branched_from: str | UnsetType = UNSET
    provider: str | UnsetType = UNSET
    model_id: str | UnsetType = UNSET
    thinking_level: str | UnsetType = UNSET


# --------------------------------------------------------------------------- entries


class _EntryBase(_Base):
    """Fields every entry has, first so key order matches pi's output."""

    id: str
    parent_id: str | None
    timestamp: str


class MessageEntry(_EntryBase, tag="message", tag_field="type"):
    """A conversation message."""

    message: Message


class ModelChangeEntry(_EntryBase, tag="model_change", tag_field="type"):
    """Switches the model."""

    provider: str
    model_id: str


class ThinkingLevelChangeEntry(_EntryBase, tag="thinking_level_change", tag_field="type"):
    """Switches the thinking level."""

    thinking_level: str


class CompactionEntry(_EntryBase, tag="compaction", tag_field="type"):
    """Summarises everything before ``first_kept_entry_id``."""

    summary: str
    first_kept_entry_id: str
    tokens_before: Number
    details: Any | UnsetType = UNSET
    from_hook: bool | UnsetType = UNSET


class BranchSummaryEntry(_EntryBase, tag="branch_summary", tag_field="type"):
    """Summarises the branch that was left when moving back to ``from_id``."""

    from_id: str
    summary: str
    details: Any | UnsetType = UNSET
    from_hook: bool | UnsetType = UNSET


class CustomEntry(_EntryBase, tag="custom", tag_field="type"):
    """State kept by an extension; not part of the model context."""

    custom_type: str
    data: Any | UnsetType = UNSET


class CustomMessageEntry(_EntryBase, tag="custom_message", tag_field="type"):
    """An extension's message that enters the model context."""

    custom_type: str
    content: str | list[UserContentBlock]
    display: bool
    details: Any | UnsetType = UNSET


class LabelEntry(_EntryBase, tag="label", tag_field="type"):
    """Sets (or, with no label, clears) the label of ``target_id``."""

    target_id: str
    label: str | UnsetType = UNSET


class SessionInfoEntry(_EntryBase, tag="session_info", tag_field="type"):
    """Names the session."""

    name: str


Entry: TypeAlias = (
    MessageEntry
    | ModelChangeEntry
    | ThinkingLevelChangeEntry
    | CompactionEntry
    | BranchSummaryEntry
    | CustomEntry
    | CustomMessageEntry
    | LabelEntry
    | SessionInfoEntry
)

#: Entry ``type`` values this module declares.
KNOWN_ENTRY_TYPES = frozenset(str(cls.__struct_config__.tag) for cls in Entry.__args__)
