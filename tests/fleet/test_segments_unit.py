"""Segments and manifests without a server: cutting at line ends, sealing, checks, encoding."""

from __future__ import annotations

import hashlib

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sesslog.backends.objectstore.manifest import Manifest, decode_manifest, encode_manifest
from sesslog.backends.objectstore.segments import (
    block_span,
    check_blocks,
    check_whole,
    cut_lines,
    seal,
)

_lines = st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"") + b"\n"), min_size=1)


@given(_lines, st.integers(min_value=1, max_value=64))
def test_cut_lines_gives_whole_lines_that_join_back(lines: list[bytes], target: int) -> None:
    data = b"".join(lines)
    runs = cut_lines(data, target)
    assert b"".join(runs) == data
    assert runs == cut_lines(data, target)  # the same bytes always cut the same way
    for run in runs:
        assert run.endswith(b"\n")
        assert len(run) <= target or run.count(b"\n") == 1


def test_cut_lines_refuses_a_partial_line() -> None:
    with pytest.raises(ValueError, match="whole lines"):
        cut_lines(b'{"a":1}\n{"b"', 10)
    with pytest.raises(ValueError, match="whole lines"):
        cut_lines(b"", 10)


def test_a_segment_is_named_by_its_offset_and_content() -> None:
    first = seal(4096, b"one\ntwo\n", 4)
    assert first.name == seal(4096, b"one\ntwo\n", 4).name
    assert first.name.startswith("0000000000001000-")
    assert first.name.endswith(first.sha256)
    assert seal(4096, b"one\ntwo!\n", 4).name != first.name
    assert seal(0, b"one\ntwo\n", 4).name != first.name
    assert (first.lines, first.size, len(first.crc32)) == (2, 8, 2)


def test_checks_find_changed_bytes_and_sizes() -> None:
    data = b"".join(b"line %03d\n" % n for n in range(100))
    ref = seal(0, data, 64)
    assert check_whole(ref, data) is None
    flipped = data[:500] + b"X" + data[501:]
    assert (check_whole(ref, flipped) or "").startswith("sha256")
    assert (check_whole(ref, data[:-1]) or "").startswith("size")
    assert block_span(ref, 130, 140, 64) == (128, 192)
    assert check_blocks(ref, (128, 192), data[128:192], 64) is None
    assert check_blocks(ref, (128, 192), flipped[128:192], 64) is None  # the flip is elsewhere
    assert (check_blocks(ref, (448, 512), flipped[448:512], 64) or "").startswith("crc32: block 7")
    assert block_span(ref, 850, 900, 64) == (832, 900)  # the last block is short
    assert check_blocks(ref, (832, 900), data[832:900], 64) is None
    assert (check_blocks(ref, (832, 900), data[832:899], 64) or "").startswith("size")
    assert (check_blocks(ref, (768, 900), data[768:832], 64) or "").startswith("size")


def test_manifest_round_trips_and_detects_tampering() -> None:
    refs = [seal(0, b"a\nb\n", 2), seal(4, b"c\n", 2)]
    manifest = Manifest.empty("s1", 2).appended(refs, fence=3)
    assert (manifest.generation, manifest.size, manifest.lines, manifest.fence) == (1, 6, 3, 3)
    raw = encode_manifest(manifest)
    assert decode_manifest(raw) == manifest
    with pytest.raises(ValueError, match="checksum"):
        decode_manifest(raw.replace(b'"lines":3', b'"lines":4'))
    body = msgspec.json.encode(msgspec.structs.replace(manifest, size=7))
    forged = body + b"\nsha256:" + hashlib.sha256(body).hexdigest().encode()
    with pytest.raises(ValueError, match="size says 7"):
        decode_manifest(forged)


def test_overlapping_finds_the_segments_of_a_range() -> None:
    refs = [seal(0, b"aaaa\n", 8), seal(5, b"bb\n", 8), seal(8, b"cccccc\n", 8)]
    manifest = Manifest.empty("s", 8).appended(refs, fence=0)
    names = lambda start, end: [r.offset for r in manifest.overlapping(start, end)]  # noqa: E731
    assert names(0, 15) == [0, 5, 8]
    assert names(5, 8) == [5]
    assert names(4, 6) == [0, 5]
    assert names(14, 15) == [8]
    assert names(3, 3) == []
