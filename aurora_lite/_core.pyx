# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Hot paths of the cluster volume: CRC32C, redo frame codec, log index, quorum.

Everything here works on C arrays and byte buffers so that Python objects stay
off the per-record loops. The frame layout is documented in docs/log_format.md;
the constants below are the single source of truth that writer and reader share.
"""
from libc.stdint cimport uint8_t, uint32_t, uint64_t, int64_t
from libc.string cimport memcpy, memmove
from libc.stdlib cimport malloc, realloc, free, qsort
from cpython.bytes cimport PyBytes_FromStringAndSize, PyBytes_AS_STRING

import sys

if sys.byteorder != "little":  # frames are little-endian and written with memcpy
    raise ImportError("aurora_lite._core supports little-endian hosts only")

cdef enum:
    HDR = 48
cdef uint32_t CRC_MASK_DELTA = 0xa282ead8u
cdef uint32_t MAX_PAYLOAD_C = 0x7FFFFFFFu

HEADER_SIZE = HDR
MAX_PAYLOAD = MAX_PAYLOAD_C
SCAN_CLEAN = 0      # the buffer ended on a frame boundary
SCAN_TORN_TAIL = 1  # the last frame is incomplete or fails its checksum: the writer died mid-append
SCAN_CORRUPT = 2    # a frame before the tail fails its checksum or is malformed


# ---------------------------------------------------------------- CRC32C
cdef uint32_t CRC_TABLE[8][256]


cdef void _init_crc_table() noexcept:
    cdef uint32_t crc
    cdef int i, j
    for i in range(256):
        crc = <uint32_t>i
        for j in range(8):
            if crc & 1:
                crc = (crc >> 1) ^ 0x82F63B78u
            else:
                crc >>= 1
        CRC_TABLE[0][i] = crc
    for i in range(256):
        crc = CRC_TABLE[0][i]
        for j in range(1, 8):
            crc = CRC_TABLE[0][crc & 0xff] ^ (crc >> 8)
            CRC_TABLE[j][i] = crc


_init_crc_table()


cdef inline uint32_t _crc32c(uint32_t crc, const uint8_t* p, size_t n) noexcept nogil:
    cdef uint32_t lo, hi
    crc = ~crc
    while n >= 8:
        lo = (<uint32_t>p[0] | (<uint32_t>p[1] << 8) | (<uint32_t>p[2] << 16) | (<uint32_t>p[3] << 24)) ^ crc
        hi = <uint32_t>p[4] | (<uint32_t>p[5] << 8) | (<uint32_t>p[6] << 16) | (<uint32_t>p[7] << 24)
        crc = (CRC_TABLE[7][lo & 0xff] ^ CRC_TABLE[6][(lo >> 8) & 0xff]
               ^ CRC_TABLE[5][(lo >> 16) & 0xff] ^ CRC_TABLE[4][lo >> 24]
               ^ CRC_TABLE[3][hi & 0xff] ^ CRC_TABLE[2][(hi >> 8) & 0xff]
               ^ CRC_TABLE[1][(hi >> 16) & 0xff] ^ CRC_TABLE[0][hi >> 24])
        p += 8
        n -= 8
    while n > 0:
        crc = CRC_TABLE[0][(crc ^ p[0]) & 0xff] ^ (crc >> 8)
        p += 1
        n -= 1
    return ~crc


cdef inline uint32_t _mask(uint32_t crc) noexcept nogil:
    # Masked as in LevelDB: a CRC over data that embeds CRCs is otherwise weak.
    return (((crc >> 15) | (crc << 17)) + CRC_MASK_DELTA) & 0xFFFFFFFFu


def crc32c(const uint8_t[::1] data not None, uint32_t crc=0) -> int:
    """CRC32C (Castagnoli) of data, continuing from crc."""
    if data.shape[0] == 0:
        return crc
    return _crc32c(crc, &data[0], data.shape[0])


def mask_crc(uint32_t crc) -> int:
    """The stored form of a CRC."""
    return _mask(crc)


def unmask_crc(uint32_t masked) -> int:
    """The CRC that mask_crc turned into masked."""
    cdef uint32_t rot = (masked - CRC_MASK_DELTA) & 0xFFFFFFFFu
    return ((rot >> 17) | (rot << 15)) & 0xFFFFFFFFu


# ---------------------------------------------------------------- frame codec
cdef inline void _put_header(uint8_t* out, uint64_t lsn, uint64_t prev, uint64_t page,
                             uint64_t txn, uint32_t epoch, uint8_t kind, uint32_t length) noexcept nogil:
    cdef uint32_t zero = 0
    memcpy(out + 4, &length, 4)
    memcpy(out + 8, &lsn, 8)
    memcpy(out + 16, &prev, 8)
    memcpy(out + 24, &page, 8)
    memcpy(out + 32, &txn, 8)
    memcpy(out + 40, &epoch, 4)
    out[44] = kind
    out[45] = 0
    out[46] = 0
    out[47] = 0


cdef inline void _seal(uint8_t* frame, uint32_t length) noexcept nogil:
    cdef uint32_t crc = _mask(_crc32c(0, frame + 4, HDR - 4 + length))
    memcpy(frame, &crc, 4)


def encode_frame(uint64_t lsn, uint64_t prev_lsn, uint64_t page, uint64_t txn,
                 uint32_t epoch, uint8_t kind, bytes payload not None) -> bytes:
    """One framed, checksummed redo record."""
    cdef Py_ssize_t n = len(payload)
    if n > MAX_PAYLOAD:
        raise ValueError("payload too large for one frame")
    out = PyBytes_FromStringAndSize(NULL, HDR + n)
    cdef uint8_t* p = <uint8_t*>PyBytes_AS_STRING(out)
    _put_header(p, lsn, prev_lsn, page, txn, epoch, kind, <uint32_t>n)
    memcpy(p + HDR, PyBytes_AS_STRING(payload), n)
    _seal(p, <uint32_t>n)
    return out


def encode_batch(list records, uint64_t first_lsn, uint64_t txn, uint32_t epoch,
                 uint64_t pages_per_pg, dict pg_tails):
    """Frame records (objects with .page .kind .payload) with consecutive LSNs from first_lsn.

    Records are grouped by protection group (page // pages_per_pg); each frame's
    prev_lsn is the previous LSN in its protection group, taken from and written
    back to pg_tails. Returns {pg_index: (frames, first_lsn, last_lsn, count)}.
    """
    cdef Py_ssize_t n = len(records), i
    cdef uint64_t lsn, pg
    cdef uint32_t length
    cdef dict sizes = {}
    cdef list pgs = [None] * n
    cdef list payloads = [None] * n
    cdef object rec, payload, key
    for i in range(n):
        rec = records[i]
        payload = rec.payload
        if type(payload) is not bytes:
            payload = bytes(payload)
        if len(payload) > MAX_PAYLOAD:
            raise ValueError("payload too large for one frame")
        payloads[i] = payload
        key = rec.page // pages_per_pg
        pgs[i] = key
        sizes[key] = sizes.get(key, 0) + HDR + len(payload)
    cdef dict out = {}
    cdef dict cursor = {}
    cdef dict bufs = {}
    for key, size in sizes.items():
        bufs[key] = PyBytes_FromStringAndSize(NULL, size)
        cursor[key] = 0
        out[key] = [None, 0, 0, 0]
    cdef uint8_t* base
    cdef Py_ssize_t off
    cdef list entry
    for i in range(n):
        rec = records[i]
        key = pgs[i]
        payload = payloads[i]
        lsn = first_lsn + <uint64_t>i
        base = <uint8_t*>PyBytes_AS_STRING(bufs[key])
        off = cursor[key]
        length = <uint32_t>len(payload)
        _put_header(base + off, lsn, <uint64_t>pg_tails.get(key, 0), <uint64_t>rec.page, txn, epoch,
                    <uint8_t>int(rec.kind), length)
        memcpy(base + off + HDR, PyBytes_AS_STRING(payload), length)
        _seal(base + off, length)
        cursor[key] = off + HDR + length
        pg_tails[key] = lsn
        entry = out[key]
        if entry[3] == 0:
            entry[1] = lsn
        entry[2] = lsn
        entry[3] = entry[3] + 1
    return {key: (bufs[key], entry[1], entry[2], entry[3]) for key, entry in out.items()}


# ---------------------------------------------------------------- log index
ctypedef struct Entry:
    uint64_t lsn
    uint64_t prev
    uint64_t page
    uint64_t txn
    int64_t offset      # of the frame within its chunk
    uint32_t length     # payload length
    uint32_t chunk
    uint32_t epoch
    uint8_t kind


cdef int _cmp_entry(const void* a, const void* b) noexcept nogil:
    cdef const Entry* x = <const Entry*>a
    cdef const Entry* y = <const Entry*>b
    if x.lsn < y.lsn:
        return -1
    if x.lsn > y.lsn:
        return 1
    # Same LSN twice: the higher epoch sorts first so that dedup keeps it.
    if x.epoch > y.epoch:
        return -1
    if x.epoch < y.epoch:
        return 1
    return 0


cdef class LogIndex:
    """Where each record of one segment lives: LSN, back-link, page, kind, chunk, offset.

    Not thread-safe: its owner (a Segment) is guarded by the volume lock.
    Entries are kept sorted by LSN; out-of-order arrivals (gossip) are sorted
    lazily by ensure_sorted().
    """
    cdef Entry* entries
    cdef Py_ssize_t n
    cdef Py_ssize_t cap
    cdef bint is_sorted

    def __cinit__(self):
        self.cap = 64
        self.n = 0
        self.entries = <Entry*>malloc(self.cap * sizeof(Entry))
        if self.entries == NULL:
            raise MemoryError()
        self.is_sorted = True

    def __dealloc__(self):
        free(self.entries)

    def __len__(self):
        return self.n

    cdef int _grow(self, Py_ssize_t need) except -1:
        cdef Py_ssize_t cap = self.cap
        cdef Entry* p
        if need <= cap:
            return 0
        while cap < need:
            cap *= 2
        p = <Entry*>realloc(self.entries, cap * sizeof(Entry))
        if p == NULL:
            raise MemoryError()
        self.entries = p
        self.cap = cap
        return 0

    def add_frames(self, const uint8_t[::1] buf not None, uint32_t chunk, int64_t start=0,
                   bint verify=True, int skip_kind=-1):
        """Index the frames of buf from start; returns (count, end_offset, status, skipped).

        status is SCAN_CLEAN, SCAN_TORN_TAIL (an incomplete or failing last
        frame: the end of the log) or SCAN_CORRUPT (a failing frame with data
        after it). end_offset is where the valid prefix ends. Frames of kind
        skip_kind are not indexed; their offsets are returned in skipped.
        """
        cdef list skipped = []
        cdef int64_t size = buf.shape[0]
        cdef int64_t off = start
        cdef uint32_t length, stored, crc
        cdef const uint8_t* p
        cdef Entry* e
        cdef Py_ssize_t added = 0
        cdef uint64_t last_lsn = self.entries[self.n - 1].lsn if self.n > 0 else 0
        cdef int status = SCAN_CLEAN
        while off < size:
            if size - off < HDR:
                status = SCAN_TORN_TAIL
                break
            p = &buf[off]
            memcpy(&length, p + 4, 4)
            if length > MAX_PAYLOAD_C:
                # No writer ever framed this length: a damaged header, not a torn append.
                status = SCAN_CORRUPT
                break
            if off + HDR + <int64_t>length > size:
                # A frame that runs past the end is a torn append.
                status = SCAN_TORN_TAIL
                break
            if verify:
                memcpy(&stored, p, 4)
                crc = _mask(_crc32c(0, p + 4, HDR - 4 + length))
                if crc != stored or p[45] != 0 or p[46] != 0 or p[47] != 0:
                    status = SCAN_TORN_TAIL if off + HDR + <int64_t>length == size else SCAN_CORRUPT
                    break
            if p[44] == skip_kind:
                skipped.append(off)
                off += HDR + length
                continue
            self._grow(self.n + 1)
            e = &self.entries[self.n]
            memcpy(&e.lsn, p + 8, 8)
            memcpy(&e.prev, p + 16, 8)
            memcpy(&e.page, p + 24, 8)
            memcpy(&e.txn, p + 32, 8)
            memcpy(&e.epoch, p + 40, 4)
            e.kind = p[44]
            e.length = length
            e.offset = off
            e.chunk = chunk
            if e.lsn <= last_lsn:
                self.is_sorted = False
            last_lsn = e.lsn
            self.n += 1
            added += 1
            off += HDR + length
        return added, off, status, skipped

    def ensure_sorted(self):
        """Sort entries by LSN and drop duplicate LSNs, keeping the highest epoch."""
        cdef Py_ssize_t i, w
        if self.is_sorted:
            return
        qsort(self.entries, self.n, sizeof(Entry), _cmp_entry)
        w = 0
        for i in range(self.n):
            if w > 0 and self.entries[w - 1].lsn == self.entries[i].lsn:
                continue
            self.entries[w] = self.entries[i]
            w += 1
        self.n = w
        self.is_sorted = True

    def truncate(self, uint64_t point, uint32_t epoch) -> int:
        """Drop records above point written under an epoch older than epoch; returns how many."""
        cdef Py_ssize_t i, w = 0
        for i in range(self.n):
            if self.entries[i].lsn > point and self.entries[i].epoch < epoch:
                continue
            self.entries[w] = self.entries[i]
            w += 1
        cdef Py_ssize_t dropped = self.n - w
        self.n = w
        return dropped

    def complete_lsn(self, uint64_t base=0) -> int:
        """Segment complete LSN: the end of the unbroken back-link chain that starts at base."""
        self.ensure_sorted()
        cdef uint64_t cur = base
        cdef Py_ssize_t i
        for i in range(self.n):
            if self.entries[i].lsn <= cur:
                continue
            if self.entries[i].prev != cur:
                break
            cur = self.entries[i].lsn
        return cur

    def last_lsn(self) -> int:
        """Highest LSN held (0 when empty)."""
        self.ensure_sorted()
        return self.entries[self.n - 1].lsn if self.n > 0 else 0

    def find(self, uint64_t lsn) -> int:
        """Position of lsn, or -1."""
        self.ensure_sorted()
        cdef Py_ssize_t lo = 0, hi = self.n, mid
        while lo < hi:
            mid = (lo + hi) // 2
            if self.entries[mid].lsn < lsn:
                lo = mid + 1
            else:
                hi = mid
        if lo < self.n and self.entries[lo].lsn == lsn:
            return lo
        return -1

    def select(self, uint64_t lsn_lo, uint64_t lsn_hi, uint64_t page_lo=0,
               uint64_t page_hi=0xFFFFFFFFFFFFFFFF, int kind=-1) -> list:
        """Positions, in LSN order, of records with lsn_lo < lsn <= lsn_hi and page_lo <= page < page_hi."""
        self.ensure_sorted()
        cdef list out = []
        cdef Py_ssize_t i
        cdef Entry* e
        cdef Py_ssize_t lo = 0, hi = self.n, mid
        while lo < hi:  # first position above lsn_lo: followers read only the log's tail
            mid = (lo + hi) // 2
            if self.entries[mid].lsn <= lsn_lo:
                lo = mid + 1
            else:
                hi = mid
        for i in range(lo, self.n):
            e = &self.entries[i]
            if e.lsn > lsn_hi:
                break
            if e.page < page_lo or e.page >= page_hi:
                continue
            if kind >= 0 and e.kind != kind:
                continue
            out.append(i)
        return out

    def pages(self, uint64_t page_lo, uint64_t page_hi, uint64_t lsn_hi) -> list:
        """Distinct pages in [page_lo, page_hi) with a record at or below lsn_hi, ascending."""
        cdef set seen = set()
        cdef Py_ssize_t i
        cdef Entry* e
        for i in range(self.n):
            e = &self.entries[i]
            if e.lsn <= lsn_hi and page_lo <= e.page < page_hi:
                seen.add(e.page)
        return sorted(seen)

    def missing_from(self, LogIndex peer not None, uint64_t upto) -> list:
        """Positions in peer of records with lsn <= upto that this index lacks."""
        self.ensure_sorted()
        peer.ensure_sorted()
        cdef list out = []
        cdef Py_ssize_t i = 0, j = 0
        while j < peer.n and peer.entries[j].lsn <= upto:
            while i < self.n and self.entries[i].lsn < peer.entries[j].lsn:
                i += 1
            if i >= self.n or self.entries[i].lsn != peer.entries[j].lsn:
                out.append(j)
            j += 1
        return out

    def lsns(self) -> list:
        """All LSNs held, ascending."""
        self.ensure_sorted()
        return [self.entries[i].lsn for i in range(self.n)]

    def entry(self, Py_ssize_t i) -> tuple:
        """(lsn, prev_lsn, page, txn, epoch, kind, chunk, frame_offset, payload_length) at position i."""
        if i < 0 or i >= self.n:
            raise IndexError(i)
        cdef Entry* e = &self.entries[i]
        return (e.lsn, e.prev, e.page, e.txn, e.epoch, e.kind, e.chunk, e.offset, e.length)

    def lsn_at(self, Py_ssize_t i) -> int:
        """LSN at position i."""
        if i < 0 or i >= self.n:
            raise IndexError(i)
        return self.entries[i].lsn


# ---------------------------------------------------------------- quorum
ctypedef struct Batch:
    uint64_t last_lsn
    int64_t remaining   # protection-group parts not yet at write quorum
    bint cpl            # ends with a consistency point (a commit)

ctypedef struct Part:
    int64_t batch       # id of its batch
    uint64_t pg
    uint64_t pg_last_lsn
    uint8_t acks        # bit i = segment i holds the part


cdef inline int _popcount(uint8_t x) noexcept nogil:
    cdef int c = 0
    while x:
        c += x & 1
        x >>= 1
    return c


cdef class QuorumTracker:
    """Write-quorum bookkeeping: which batch parts hold 4 of 6 acks, and VCL / VDL.

    A batch is the records of one append, with consecutive LSNs; it has one
    part per protection group it touches. A part is durable once `quorum`
    distinct segments of its group acknowledged it; a batch once all its parts
    are. VCL is the last LSN of the longest durable prefix of batches; VDL is
    the last consistency point at or below VCL. Guarded by the volume lock.
    """
    cdef Batch* batches
    cdef Part* parts
    cdef Py_ssize_t nb, cb, np_, cp
    cdef int64_t batch_base   # id of batches[0]
    cdef int64_t part_base    # id of parts[0]
    cdef int64_t batch_head   # id of the oldest batch not yet durable-in-prefix
    cdef readonly uint64_t vcl
    cdef readonly uint64_t vdl
    cdef readonly int quorum

    def __cinit__(self, uint64_t vcl=0, uint64_t vdl=0, int quorum=4):
        self.cb = 64
        self.cp = 64
        self.batches = <Batch*>malloc(self.cb * sizeof(Batch))
        self.parts = <Part*>malloc(self.cp * sizeof(Part))
        if self.batches == NULL or self.parts == NULL:
            raise MemoryError()
        self.nb = 0
        self.np_ = 0
        self.batch_base = 0
        self.part_base = 0
        self.batch_head = 0
        self.vcl = vcl
        self.vdl = vdl
        self.quorum = quorum

    def __dealloc__(self):
        free(self.batches)
        free(self.parts)

    @property
    def pending_batches(self) -> int:
        """Batches not yet inside the durable prefix."""
        return self.batch_base + self.nb - self.batch_head

    def open_batch(self, uint64_t last_lsn, bint cpl, int64_t n_parts):
        """Register a batch; returns (batch_id, first_part_id)."""
        cdef Batch* b
        cdef Batch* nbuf
        if self.nb == self.cb:
            self._compact()
            if self.nb == self.cb:
                nbuf = <Batch*>realloc(self.batches, 2 * self.cb * sizeof(Batch))
                if nbuf == NULL:
                    raise MemoryError()
                self.batches = nbuf
                self.cb *= 2
        b = &self.batches[self.nb]
        b.last_lsn = last_lsn
        b.remaining = n_parts
        b.cpl = cpl
        self.nb += 1
        return self.batch_base + self.nb - 1, self.part_base + self.np_

    def add_part(self, int64_t batch_id, uint64_t pg, uint64_t pg_last_lsn) -> int:
        """Register the part of batch_id in protection group pg; returns its id."""
        cdef Part* nbuf
        if self.np_ == self.cp:
            self._compact()
            if self.np_ == self.cp:
                nbuf = <Part*>realloc(self.parts, 2 * self.cp * sizeof(Part))
                if nbuf == NULL:
                    raise MemoryError()
                self.parts = nbuf
                self.cp *= 2
        cdef Part* p = &self.parts[self.np_]
        p.batch = batch_id
        p.pg = pg
        p.pg_last_lsn = pg_last_lsn
        p.acks = 0
        self.np_ += 1
        return self.part_base + self.np_ - 1

    cdef void _compact(self) noexcept:
        # Drop batches already in the durable prefix, and parts of those batches.
        cdef Py_ssize_t dead_b = self.batch_head - self.batch_base
        cdef Py_ssize_t dead_p = 0
        if dead_b > 0:
            memmove(self.batches, self.batches + dead_b, (self.nb - dead_b) * sizeof(Batch))
            self.nb -= dead_b
            self.batch_base += dead_b
        while dead_p < self.np_ and self.parts[dead_p].batch < self.batch_head:
            dead_p += 1
        if dead_p > 0:
            memmove(self.parts, self.parts + dead_p, (self.np_ - dead_p) * sizeof(Part))
            self.np_ -= dead_p
            self.part_base += dead_p

    def ack(self, int64_t part_id, int segment):
        """Record that segment holds part_id; returns True when VDL advanced."""
        cdef Py_ssize_t i = part_id - self.part_base
        if i < 0 or i >= self.np_:
            return False
        cdef Part* p = &self.parts[i]
        cdef uint8_t bit = <uint8_t>(1 << segment)
        if p.acks & bit:
            return False
        p.acks |= bit
        if _popcount(p.acks) != self.quorum:
            return False
        self.batches[p.batch - self.batch_base].remaining -= 1
        return self._advance()

    cdef bint _advance(self) noexcept:
        cdef uint64_t old = self.vdl
        cdef Batch* b
        while self.batch_head < self.batch_base + self.nb:
            b = &self.batches[self.batch_head - self.batch_base]
            if b.remaining > 0:
                break
            self.vcl = b.last_lsn
            if b.cpl:
                self.vdl = b.last_lsn
            self.batch_head += 1
        return self.vdl != old

    def acks_of(self, int64_t part_id) -> int:
        """Bitmask of segments that hold part_id (0x3F when long durable)."""
        cdef Py_ssize_t i = part_id - self.part_base
        if i < 0:
            return 0x3F
        if i >= self.np_:
            raise IndexError(part_id)
        return self.parts[i].acks

    def pending_parts(self, uint64_t pg) -> list:
        """(part_id, pg_last_lsn, acks) of parts of pg in batches not yet in the durable prefix."""
        cdef list out = []
        cdef Py_ssize_t i
        for i in range(self.np_):
            if self.parts[i].batch >= self.batch_head and self.parts[i].pg == pg:
                out.append((self.part_base + i, self.parts[i].pg_last_lsn, self.parts[i].acks))
        return out

    def revoke(self, uint64_t pg, int segment) -> int:
        """Forget segment's acknowledgements of pending parts of pg (it left the group: membership change).

        A part that had exactly `quorum` acks with this one is no longer at quorum: its
        batch waits again until another member acknowledges. Parts of batches already
        in the durable prefix are untouched. Returns how many parts lost their quorum.
        """
        cdef uint8_t bit = <uint8_t>(1 << segment)
        cdef Py_ssize_t i
        cdef Part* p
        cdef int lost = 0
        for i in range(self.np_):
            p = &self.parts[i]
            if p.batch < self.batch_head or p.pg != pg or not (p.acks & bit):
                continue
            if _popcount(p.acks) == self.quorum:
                self.batches[p.batch - self.batch_base].remaining += 1
                lost += 1
            p.acks &= <uint8_t>~bit
        return lost

    def reset(self, uint64_t vcl, uint64_t vdl):
        """Forget every pending batch and restart at vcl / vdl (after recovery truncation)."""
        self.batch_base = self.batch_base + self.nb
        self.batch_head = self.batch_base
        self.part_base = self.part_base + self.np_
        self.nb = 0
        self.np_ = 0
        self.vcl = vcl
        self.vdl = vdl
