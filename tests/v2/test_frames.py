"""Frames: cut at line ends, bounded in size, and never decompressed past what the index says."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import zstandard

from sesslog.errors import SidecarCorruptError
from sesslog.v2.frames import FrameReader, frame_bounds
from sesslog.v2.manifest import SegmentFile


def test_frames_end_at_line_ends_and_stay_bounded() -> None:
    data = b"".join(f"line {i} ".encode() * (i % 7 + 1) + b"\n" for i in range(2000))
    bounds = frame_bounds(data, 0, len(data), 1000)
    assert bounds[0][0] == 0 and bounds[-1][1] == len(data)
    assert all(a == b for (_, a), (b, _) in itertools.pairwise(bounds))
    for start, end in bounds:
        assert end - start <= 1000
        assert data[end - 1 : end] == b"\n"


def test_a_line_longer_than_a_frame_gets_a_frame_of_its_own() -> None:
    data = b"short\n" + b"x" * 5000 + b"\nshort\nno newline"
    bounds = frame_bounds(data, 0, len(data), 1000)
    assert (6, 5007) in bounds
    assert bounds[-1][1] == len(data)


def _reader(tmp_path: Path, blob: bytes) -> FrameReader:
    (tmp_path / "seg-000000.zst").write_bytes(blob)
    return FrameReader(tmp_path, [SegmentFile("seg-000000.zst", len(blob), "sha256:-", 1)])


def test_a_frame_claiming_a_huge_size_is_refused_before_decompressing(tmp_path: Path) -> None:
    cctx = zstandard.ZstdCompressor(write_content_size=True)
    obj = cctx.compressobj(size=10**12)  # the header promises a terabyte
    blob = obj.compress(b"x" * 100) + obj.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)
    assert zstandard.frame_content_size(blob) == 10**12
    with _reader(tmp_path, blob) as reader, pytest.raises(SidecarCorruptError, match="declares"):
        reader.read(0, 0, len(blob), 100)


def test_a_truncated_frame_is_an_error_not_partial_data(tmp_path: Path) -> None:
    data = bytes(range(256)) * 400
    blob = zstandard.ZstdCompressor(write_content_size=True, write_checksum=True).compress(data)
    with _reader(tmp_path, blob[:-10]) as reader, pytest.raises(SidecarCorruptError):
        reader.read(0, 0, len(blob) - 10, len(data))
    with (
        _reader(tmp_path, blob[:-10]) as reader,
        pytest.raises(SidecarCorruptError, match="truncated"),
    ):
        reader.read(0, 0, len(blob), len(data))


def test_two_concatenated_frames_do_not_pass_for_one(tmp_path: Path) -> None:
    cctx = zstandard.ZstdCompressor(write_content_size=True, write_checksum=True)
    one, two = cctx.compress(b"a" * 1000), cctx.compress(b"b" * 1000)
    with _reader(tmp_path, one + two) as reader:
        with pytest.raises(SidecarCorruptError):
            reader.read(0, 0, len(one) + len(two), 2000)
        assert reader.read(0, len(one), len(two), 1000) == b"b" * 1000


def test_a_frame_without_content_size_is_refused(tmp_path: Path) -> None:
    blob = zstandard.ZstdCompressor(write_content_size=False).compress(b"z" * 500)
    with _reader(tmp_path, blob) as reader, pytest.raises(SidecarCorruptError, match="declares"):
        reader.read(0, 0, len(blob), 500)
