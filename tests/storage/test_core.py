"""The Cython core: CRC32C, the redo frame codec, LogIndex and QuorumTracker.

One named test per edge case, LevelDB style. Expected values come from
RFC 3720 (the iSCSI CRC32C test vectors), LevelDB's crc32c mask, the frame
layout in _core.pyx's docstring (re-implemented here in plain Python) and
plain-Python models of the index and the quorum rules.
"""
from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aurora_lite import _core

HDR = 48                      # frame header bytes (docs/log_format.md)
MAX_PAYLOAD = 0x7FFFFFFF
HEADER = struct.Struct("<IIQQQQIB3x")  # masked crc, length, lsn, prev, page, txn, epoch, kind, 3 reserved
UPSERT, COMMIT, EPOCH = 1, 6, 7
FAST = settings(max_examples=150, deadline=None, database=None)


# ---------------------------------------------------------------- plain-Python reference
def ref_crc32c(data: bytes, crc: int = 0) -> int:
    """Bitwise CRC32C (Castagnoli, reflected polynomial 0x82F63B78)."""
    crc ^= 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 & -(crc & 1))
    return crc ^ 0xFFFFFFFF


def ref_mask(crc: int) -> int:
    """LevelDB's crc32c::Mask."""
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def ref_frame(lsn: int, prev: int = 0, page: int = 0, txn: int = 0, epoch: int = 1, kind: int = UPSERT,
              payload: bytes = b"") -> bytes:
    """A frame built from the documented layout, independent of the extension."""
    body = HEADER.pack(0, len(payload), lsn, prev, page, txn, epoch, kind)[4:] + payload
    return struct.pack("<I", ref_mask(ref_crc32c(body))) + body


def chain(count: int, first: int = 1, epoch: int = 1) -> list[bytes]:
    """count chained frames with payloads of varied lengths (0, 3, 6, ... 24 bytes)."""
    return [ref_frame(lsn, lsn - 1 if lsn > first else 0, page=lsn % 3, txn=7, epoch=epoch,
                      payload=bytes(range((lsn - first) % 9)) * 3)
            for lsn in range(first, first + count)]


def boundaries(frames: list[bytes], start: int = 0) -> list[int]:
    """Offsets where each frame ends."""
    out, off = [], start
    for f in frames:
        off += len(f)
        out.append(off)
    return out


def indexed(buf: bytes, **kw: object) -> tuple[_core.LogIndex, tuple[int, int, int, list[int]]]:
    """A fresh index of buf and what add_frames returned."""
    log = _core.LogIndex()
    return log, log.add_frames(buf, 0, **kw)


def flipped(buf: bytes, offset: int, bit: int) -> bytes:
    """buf with one bit flipped."""
    out = bytearray(buf)
    out[offset] ^= 1 << bit
    return bytes(out)


# ---------------------------------------------------------------- CRC32C
def test_crc32c_of_32_zero_bytes() -> None:
    assert _core.crc32c(bytes(32)) == 0x8A9136AA


def test_crc32c_of_32_ff_bytes() -> None:
    assert _core.crc32c(b"\xff" * 32) == 0x62A8AB43


def test_crc32c_of_ascending_bytes() -> None:
    assert _core.crc32c(bytes(range(32))) == 0x46DD794E


def test_crc32c_of_descending_bytes() -> None:
    assert _core.crc32c(bytes(range(31, -1, -1))) == 0x113FDB5C


def test_crc32c_of_check_string() -> None:
    assert _core.crc32c(b"123456789") == 0xE3069283


def test_crc32c_of_iscsi_read_command_pdu() -> None:
    pdu = bytes.fromhex("01c00000" "00000000" "00000000" "00000000" "14000000" "00000400"
                        "00000014" "00000018" "28000000" "00000000" "02000000" "00000000")
    assert _core.crc32c(pdu) == 0xD9963A56


def test_crc32c_of_empty_is_the_seed() -> None:
    assert _core.crc32c(b"") == 0
    assert _core.crc32c(b"", 0x1234) == 0x1234


@pytest.mark.parametrize("cut", range(10))
def test_crc32c_continues_from_a_previous_crc(cut: int) -> None:
    data = b"123456789"
    assert _core.crc32c(data[cut:], _core.crc32c(data[:cut])) == 0xE3069283


@FAST
@given(st.binary(max_size=300), st.integers(0, 15))
def test_crc32c_matches_bitwise_reference_at_every_length_and_alignment(data: bytes, skip: int) -> None:
    view = memoryview(data)[min(skip, len(data)):]  # unaligned starts exercise the 8-byte loop
    assert _core.crc32c(view) == ref_crc32c(bytes(view))


def test_mask_matches_leveldb() -> None:
    crc = _core.crc32c(b"foo")
    assert _core.mask_crc(crc) == ref_mask(crc)
    assert _core.mask_crc(crc) != crc
    assert _core.mask_crc(_core.mask_crc(crc)) != crc


@FAST
@given(st.integers(0, 0xFFFFFFFF))
def test_unmask_inverts_mask(crc: int) -> None:
    assert _core.unmask_crc(_core.mask_crc(crc)) == crc
    assert _core.unmask_crc(_core.unmask_crc(_core.mask_crc(_core.mask_crc(crc)))) == crc


# ---------------------------------------------------------------- frame codec
def test_header_constants_match_the_documented_layout() -> None:
    assert _core.HEADER_SIZE == HDR == HEADER.size
    assert _core.MAX_PAYLOAD == MAX_PAYLOAD
    assert (_core.SCAN_CLEAN, _core.SCAN_TORN_TAIL, _core.SCAN_CORRUPT) == (0, 1, 2)


@pytest.mark.parametrize("payload", [b"", b"x", b"payload" * 37])
def test_encode_frame_matches_the_documented_layout(payload: bytes) -> None:
    got = _core.encode_frame(42, 17, 2**40 + 3, 2**63 + 5, 9, COMMIT, payload)
    assert got == ref_frame(42, 17, 2**40 + 3, 2**63 + 5, 9, COMMIT, payload)


def test_frame_round_trips_through_add_frames() -> None:
    frames = chain(5)
    log, (count, end, status, skipped) = indexed(b"".join(frames))
    assert (count, end, status, skipped) == (5, sum(map(len, frames)), _core.SCAN_CLEAN, [])
    for i, frame in enumerate(frames):
        _, length, lsn, prev, page, txn, epoch, kind = HEADER.unpack_from(frame)
        offset = boundaries(frames)[i] - len(frame)
        assert log.entry(i) == (lsn, prev, page, txn, epoch, kind, 0, offset, length)


def test_add_frames_from_a_start_offset_records_chunk_and_offset() -> None:
    prefix = b"AURLSEG1"
    frames = chain(3)
    log = _core.LogIndex()
    count, end, status, _ = log.add_frames(prefix + b"".join(frames), 4, len(prefix))
    assert (count, end, status) == (3, len(prefix) + sum(map(len, frames)), _core.SCAN_CLEAN)
    assert [log.entry(i)[6:8] for i in range(3)] == [(4, len(prefix)), (4, boundaries(frames, 8)[0]),
                                                     (4, boundaries(frames, 8)[1])]


def test_add_frames_of_empty_buffer_is_clean() -> None:
    log, result = indexed(b"")
    assert result == (0, 0, _core.SCAN_CLEAN, []) and len(log) == 0


def test_skip_kind_frames_are_returned_not_indexed() -> None:
    frames = [ref_frame(1), ref_frame(0, kind=EPOCH, payload=b"marker"), ref_frame(2, 1)]
    log, (count, end, status, skipped) = indexed(b"".join(frames), skip_kind=EPOCH)
    assert (count, status, skipped) == (2, _core.SCAN_CLEAN, [len(frames[0])])
    assert log.lsns() == [1, 2]


def test_encode_batch_groups_by_protection_group_and_links_each_chain() -> None:
    class Rec:
        def __init__(self, page: int, payload: bytes) -> None:
            self.page, self.kind, self.payload = page, UPSERT, payload

    records = [Rec(0, b"a"), Rec(5, b"bb"), Rec(1, b""), Rec(4, b"ccc")]
    tails = {0: 3, 2: 9}
    out = _core.encode_batch(records, 10, 77, 2, 2, tails)
    # pages 0,1 -> PG 0 (LSNs 10, 12); pages 4,5 -> PG 2 (LSNs 11, 13)
    assert out[0] == (ref_frame(10, 3, 0, 77, 2, UPSERT, b"a") + ref_frame(12, 10, 1, 77, 2, UPSERT, b""), 10, 12, 2)
    assert out[2] == (ref_frame(11, 9, 5, 77, 2, UPSERT, b"bb") + ref_frame(13, 11, 4, 77, 2, UPSERT, b"ccc"),
                      11, 13, 2)
    assert tails == {0: 12, 2: 13}


def test_truncated_trailing_record_is_ignored() -> None:
    frames = chain(6)
    log_bytes = b"".join(frames)
    ends = [0] + boundaries(frames)
    for cut in range(len(log_bytes) + 1):
        whole = max(i for i, e in enumerate(ends) if e <= cut)
        log, (count, end, status, _) = indexed(log_bytes[:cut])
        expected_status = _core.SCAN_CLEAN if cut == ends[whole] else _core.SCAN_TORN_TAIL
        assert (count, end, status) == (whole, ends[whole], expected_status), cut
        assert log.lsns() == list(range(1, whole + 1)), cut


def test_truncated_trailing_record_after_start_offset_is_ignored() -> None:
    frames = chain(2)
    data = b"AURLSEG1" + b"".join(frames)
    for cut in range(8, len(data) + 1):
        _, (count, end, status, _) = indexed(data[:cut], start=8)
        assert end in (8, 8 + len(frames[0]), len(data)) and end <= cut
        assert status == (_core.SCAN_CLEAN if end == cut else _core.SCAN_TORN_TAIL)


def expected_after_flip(buf: bytes, frame_start: int) -> int:
    """Status the reader owes a damaged frame: torn when, as its header now reads, it reaches the end."""
    (length,) = struct.unpack_from("<I", buf, frame_start + 4)
    if length > MAX_PAYLOAD:
        return _core.SCAN_CORRUPT  # no writer ever wrote this length: malformed, not torn
    return _core.SCAN_TORN_TAIL if frame_start + HDR + length >= len(buf) else _core.SCAN_CORRUPT


def test_checksum_mismatch_before_the_tail_is_corruption() -> None:
    frames = chain(5)
    log_bytes = b"".join(frames)
    starts = [0] + boundaries(frames)[:-1]
    for victim in range(len(frames) - 1):
        for offset in range(starts[victim], starts[victim] + len(frames[victim])):
            for bit in range(8):
                damaged = flipped(log_bytes, offset, bit)
                log, (count, end, status, _) = indexed(damaged)
                assert (count, end) == (victim, starts[victim]), (victim, offset, bit)
                assert log.lsns() == list(range(1, victim + 1))
                if not 4 <= offset - starts[victim] < 8:   # outside the length field: never ambiguous
                    assert status == _core.SCAN_CORRUPT, (victim, offset, bit)
                else:
                    assert status == expected_after_flip(damaged, starts[victim]), (victim, offset, bit)


def test_checksum_mismatch_in_the_last_frame_is_a_torn_tail() -> None:
    frames = chain(4)
    log_bytes = b"".join(frames)
    last = len(log_bytes) - len(frames[-1])
    for offset in range(last, len(log_bytes)):
        for bit in range(8):
            damaged = flipped(log_bytes, offset, bit)
            log, (count, end, status, _) = indexed(damaged)
            assert (count, end) == (3, last) and log.lsns() == [1, 2, 3]
            if not 4 <= offset - last < 8:
                assert status == _core.SCAN_TORN_TAIL, (offset, bit)
            else:
                assert status == expected_after_flip(damaged, last), (offset, bit)


def test_impossible_length_is_corruption_not_a_torn_tail() -> None:
    frames = chain(3)
    damaged = bytearray(b"".join(frames))
    damaged[len(frames[0]) + 7] |= 0x80  # second frame claims more than MAX_PAYLOAD bytes
    _, (count, end, status, _) = indexed(bytes(damaged))
    assert (count, end, status) == (1, len(frames[0]), _core.SCAN_CORRUPT)


def test_nonzero_reserved_bytes_are_malformed_even_with_a_valid_checksum() -> None:
    bad = bytearray(ref_frame(2, 1))
    bad[46] = 1
    bad[:4] = struct.pack("<I", ref_mask(ref_crc32c(bytes(bad[4:]))))
    middle = ref_frame(1) + bytes(bad) + ref_frame(3, 2)
    assert indexed(middle)[1][:3] == (1, len(ref_frame(1)), _core.SCAN_CORRUPT)
    assert indexed(ref_frame(1) + bytes(bad))[1][:3] == (1, len(ref_frame(1)), _core.SCAN_TORN_TAIL)


def test_verify_false_trusts_the_frames() -> None:
    damaged = flipped(b"".join(chain(3)), HDR + 1, 0)  # frame 2's stored CRC no longer matches
    log, (count, _, status, _) = indexed(damaged, verify=False)
    assert (count, status) == (3, _core.SCAN_CLEAN)


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(st.one_of(st.binary(max_size=120), st.sampled_from(chain(8))), max_size=8).map(b"".join))
def test_reader_is_total_on_arbitrary_bytes(data: bytes) -> None:
    """Junk mixed with real frames: the reader never fails and indexes only whole, checksummed frames."""
    log, (count, end, status, skipped) = indexed(data)
    assert status in (_core.SCAN_CLEAN, _core.SCAN_TORN_TAIL, _core.SCAN_CORRUPT)
    assert 0 <= end <= len(data) and (status == _core.SCAN_CLEAN) == (end == len(data))
    offset = 0
    for i in range(count):  # every indexed record is a whole, checksummed frame, back to back
        _, _, _, _, _, _, _, at, length = log.entry(i)
        assert at == offset
        frame = data[at : at + HDR + length]
        assert struct.unpack_from("<I", frame)[0] == ref_mask(ref_crc32c(frame[4:]))
        offset += HDR + length
    assert offset == end and skipped == []


@settings(max_examples=300, deadline=None, database=None)
@given(st.data())
def test_reader_is_total_on_damaged_logs(data: st.DataObject) -> None:
    frames = chain(data.draw(st.integers(1, 6)))
    buf = bytearray(b"".join(frames))
    for _ in range(data.draw(st.integers(0, 3))):
        at = data.draw(st.integers(0, len(buf) - 1))
        buf[at] = data.draw(st.integers(0, 255))
    buf = buf[: data.draw(st.integers(0, len(buf)))]
    log, (count, end, status, _) = indexed(bytes(buf))
    ends = [0] + boundaries(frames)
    # What is returned is a prefix of whole original records, never a partial or altered one.
    assert end == ends[count] and bytes(buf[:end]) == b"".join(frames[:count])
    assert log.lsns() == list(range(1, count + 1))


# ---------------------------------------------------------------- LogIndex
def index_of(*frames: bytes) -> _core.LogIndex:
    """A LogIndex fed each frame as its own chunk, in the given order."""
    log = _core.LogIndex()
    for i, frame in enumerate(frames):
        assert log.add_frames(frame, i)[2] == _core.SCAN_CLEAN
    return log


def test_log_index_sorts_out_of_order_arrivals() -> None:
    log = index_of(ref_frame(3, 2), ref_frame(1), ref_frame(2, 1))
    assert log.lsns() == [1, 2, 3]
    assert [log.entry(i)[6] for i in range(3)] == [1, 2, 0]  # chunk of each, after sorting


def test_log_index_dedup_keeps_the_highest_epoch() -> None:
    for order in ((1, 2), (2, 1)):
        log = index_of(ref_frame(1), *(ref_frame(5, 1, epoch=e, payload=bytes([e])) for e in order))
        assert log.lsns() == [1, 5]
        assert log.entry(1)[4] == 2


def test_log_index_dedup_of_identical_copies() -> None:
    log = index_of(ref_frame(1), ref_frame(2, 1), ref_frame(2, 1), ref_frame(1))
    assert log.lsns() == [1, 2] and len(log) == 2


def test_log_index_grows_past_its_first_capacity() -> None:
    frames = chain(1000)
    log, (count, _, status, _) = indexed(b"".join(frames))
    assert (count, status, len(log), log.last_lsn()) == (1000, _core.SCAN_CLEAN, 1000, 1000)
    assert log.find(777) == 776


def test_log_index_truncate_drops_only_older_epochs_above_the_point() -> None:
    log = index_of(*chain(5, epoch=1), ref_frame(6, 3, epoch=2), ref_frame(7, 6, epoch=2))
    assert log.truncate(3, 2) == 2          # LSNs 4, 5 of epoch 1
    assert log.lsns() == [1, 2, 3, 6, 7]
    assert log.truncate(3, 2) == 0          # idempotent
    assert log.truncate(6, 3) == 1 and log.lsns() == [1, 2, 3, 6]


def test_log_index_complete_lsn_follows_the_back_link_chain() -> None:
    # One protection group's chain skips LSNs that went to other groups.
    log = index_of(ref_frame(1), ref_frame(3, 1), ref_frame(7, 3), ref_frame(9, 8))
    assert log.complete_lsn() == 7           # 9 links to 8, which this segment lacks
    assert log.complete_lsn(8) == 9
    assert _core.LogIndex().complete_lsn() == 0


def test_log_index_complete_lsn_stops_at_a_gap() -> None:
    assert index_of(ref_frame(1), ref_frame(3, 2), ref_frame(4, 3)).complete_lsn() == 1
    assert index_of(ref_frame(2, 1)).complete_lsn() == 0


def test_log_index_missing_from_lists_peer_positions_up_to_a_point() -> None:
    mine = index_of(ref_frame(1), ref_frame(3, 2))
    peer = index_of(*chain(6))
    assert mine.missing_from(peer, 5) == [1, 3, 4]     # LSNs 2, 4, 5
    assert mine.missing_from(peer, 0) == []
    assert peer.missing_from(mine, 10) == []


def test_log_index_select_by_lsn_page_and_kind() -> None:
    log = index_of(*(ref_frame(lsn, lsn - 1, page=lsn % 4, kind=COMMIT if lsn % 3 == 0 else UPSERT)
                     for lsn in range(1, 13)))
    lsns = lambda positions: [log.lsn_at(p) for p in positions]  # noqa: E731
    assert lsns(log.select(3, 8)) == [4, 5, 6, 7, 8]             # lo exclusive, hi inclusive
    assert lsns(log.select(0, 12, 1, 3)) == [1, 2, 5, 6, 9, 10]  # pages 1 and 2
    assert lsns(log.select(0, 12, kind=COMMIT)) == [3, 6, 9, 12]
    assert lsns(log.select(0, 12, 2, 3, COMMIT)) == [6]
    assert log.select(12, 100) == []


def test_log_index_find_and_bounds() -> None:
    log = index_of(ref_frame(2), ref_frame(4, 2))
    assert (log.find(2), log.find(4), log.find(3), log.find(5), log.find(0)) == (0, 1, -1, -1, -1)
    assert _core.LogIndex().find(1) == -1 and _core.LogIndex().last_lsn() == 0
    with pytest.raises(IndexError):
        log.entry(2)
    with pytest.raises(IndexError):
        log.lsn_at(-1)


# ---------------------------------------------------------------- QuorumTracker
def open_part(tracker: _core.QuorumTracker, last: int, cpl: bool = True, pg: int = 0) -> int:
    """A one-part batch ending at last; returns the part id."""
    batch, _ = tracker.open_batch(last, cpl, 1)
    return tracker.add_part(batch, pg, last)


def test_quorum_three_acks_do_not_advance_four_do() -> None:
    tracker = _core.QuorumTracker()
    part = open_part(tracker, 3)
    assert [tracker.ack(part, s) for s in (0, 2, 4)] == [False, False, False]
    assert (tracker.vcl, tracker.vdl, tracker.acks_of(part)) == (0, 0, 0b010101)
    assert tracker.ack(part, 5) is True
    assert (tracker.vcl, tracker.vdl, tracker.pending_batches) == (3, 3, 0)
    assert tracker.ack(part, 1) is False     # acks past quorum change nothing


def test_quorum_repeated_ack_from_one_segment_counts_once() -> None:
    tracker = _core.QuorumTracker()
    part = open_part(tracker, 1)
    for _ in range(5):
        tracker.ack(part, 0)
    for s in (1, 2):
        tracker.ack(part, s)
    assert tracker.vcl == 0


def test_quorum_batch_needs_every_part() -> None:
    tracker = _core.QuorumTracker()
    batch, _ = tracker.open_batch(4, True, 2)
    a, b = tracker.add_part(batch, 0, 3), tracker.add_part(batch, 1, 4)
    for s in range(4):
        tracker.ack(a, s)
    assert tracker.vdl == 0 and tracker.pending_parts(1) == [(b, 4, 0)]
    for s in (3, 4, 5):
        tracker.ack(b, s)
    assert tracker.vdl == 0
    tracker.ack(b, 0)
    assert (tracker.vcl, tracker.vdl) == (4, 4)


def test_quorum_vdl_only_at_consistency_points() -> None:
    tracker = _core.QuorumTracker()
    plain, commit = open_part(tracker, 2, cpl=False), open_part(tracker, 3, cpl=True)
    assert not any(tracker.ack(plain, s) for s in range(4))
    assert (tracker.vcl, tracker.vdl) == (2, 0)
    assert [tracker.ack(commit, s) for s in range(4)] == [False, False, False, True]
    assert (tracker.vcl, tracker.vdl) == (3, 3)


def test_quorum_later_durable_batch_waits_for_an_earlier_pending_one() -> None:
    tracker = _core.QuorumTracker()
    first, second = open_part(tracker, 2), open_part(tracker, 5, pg=1)
    for s in range(6):
        tracker.ack(second, s)
    assert (tracker.vcl, tracker.vdl, tracker.pending_batches) == (0, 0, 2)
    for s in range(3):
        tracker.ack(first, s)
    assert tracker.ack(first, 3) is True
    assert (tracker.vcl, tracker.vdl, tracker.pending_batches) == (5, 5, 0)


def test_quorum_reset_forgets_pending_batches() -> None:
    tracker = _core.QuorumTracker(0, 0)
    old = open_part(tracker, 9)
    tracker.reset(6, 5)
    assert (tracker.vcl, tracker.vdl, tracker.pending_batches) == (6, 5, 0)
    assert not any(tracker.ack(old, s) for s in range(6))
    assert (tracker.vcl, tracker.vdl) == (6, 5)
    new = open_part(tracker, 7)
    for s in range(4):
        tracker.ack(new, s)
    assert (tracker.vcl, tracker.vdl) == (7, 7)


def test_quorum_starts_from_given_watermarks_and_quorum() -> None:
    tracker = _core.QuorumTracker(10, 8, 3)
    assert (tracker.vcl, tracker.vdl, tracker.quorum) == (10, 8, 3)
    part = open_part(tracker, 11)
    assert [tracker.ack(part, s) for s in range(3)] == [False, False, True]


@settings(max_examples=120, deadline=None, database=None)
@given(st.lists(st.tuples(st.lists(st.integers(0, 3), min_size=1, max_size=3, unique=True), st.booleans()),
                min_size=1, max_size=150),
       st.randoms(use_true_random=False))
def test_quorum_tracker_matches_a_model(batches: list[tuple[list[int], bool]], rnd: object) -> None:
    """Many batches (past the initial capacity of 64) acked in random order agree with the definitions."""
    tracker = _core.QuorumTracker()
    parts, lsn = [], 0
    model_batches = []  # [last_lsn, cpl, {part_id: acks}]
    for pgs, cpl in batches:
        lsn += len(pgs)
        batch, _ = tracker.open_batch(lsn, cpl, len(pgs))
        ids = [tracker.add_part(batch, pg, lsn) for pg in pgs]
        model_batches.append((lsn, cpl, {i: set() for i in ids}))
        parts.extend((i, s, len(model_batches) - 1) for i in ids for s in range(6))
    rnd.shuffle(parts)
    for part, segment, b in parts:
        old_vdl = tracker.vdl
        advanced = tracker.ack(part, segment)
        model_batches[b][2][part].add(segment)
        vcl = vdl = 0
        for last, cpl, acks in model_batches:
            if any(len(a) < 4 for a in acks.values()):
                break
            vcl, vdl = last, (last if cpl else vdl)
        assert (tracker.vcl, tracker.vdl) == (vcl, vdl)
        assert advanced == (vdl != old_vdl)


@settings(max_examples=150, deadline=None, database=None)
@given(st.lists(st.one_of(st.tuples(st.just("open"), st.integers(1, 3), st.booleans()),
                          st.tuples(st.just("ack"), st.integers(0, 10**6), st.integers(0, 5))),
                min_size=1, max_size=400))
def test_quorum_tracker_matches_a_model_when_opens_and_acks_interleave(ops: list[tuple]) -> None:
    """Opens between acks make the tracker compact its arrays (past 64 entries) while batches are live."""
    tracker = _core.QuorumTracker()
    model: list[tuple[int, bool, dict[int, set[int]]]] = []
    lsn = 0
    for op in ops:
        if op[0] == "open":
            lsn += op[1]
            batch, _ = tracker.open_batch(lsn, op[2], op[1])
            model.append((lsn, op[2], {tracker.add_part(batch, pg, lsn): set() for pg in range(op[1])}))
        else:
            parts = [(p, acks) for _, _, ps in model for p, acks in ps.items()]
            if not parts:
                continue
            part, acks = parts[op[1] % len(parts)]
            tracker.ack(part, op[2])
            acks.add(op[2])
        prefix = durable_prefix(model)
        vcl = prefix[-1][0] if prefix else 0
        vdl = max((last for last, cpl in prefix if cpl), default=0)
        assert (tracker.vcl, tracker.vdl, tracker.pending_batches) == (vcl, vdl, len(model) - len(prefix))


def durable_prefix(model: list[tuple[int, bool, dict[int, set[int]]]]) -> list[tuple[int, bool]]:
    """(last LSN, is a consistency point) of the batches whose every part has 4 acks, up to the first that does not."""
    out = []
    for last, cpl, parts in model:
        if any(len(acks) < 4 for acks in parts.values()):
            break
        out.append((last, cpl))
    return out
