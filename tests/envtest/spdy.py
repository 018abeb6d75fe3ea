"""SPDY/3.1 as the kubelet serves it (server side only): enough for ``kubectl port-forward`` to reach the stand-in.

Written from the SPDY/3.1 draft (framing, header blocks, the zlib dictionary) and checked against what Go's
``moby/spdystream`` client (kubectl's) does; no code is taken from either:

- The connection starts as HTTP: ``Connection: Upgrade``, ``Upgrade: SPDY/3.1`` and
  ``X-Stream-Protocol-Version: <subprotocol>``; the answer is ``101 Switching Protocols`` with the same three
  headers. `accept_upgrade` takes the raw connection over from aiohttp (which handles only WebSocket upgrades).
- Frames have an 8-byte header. Control frames: control bit, 15-bit version (3), 16-bit type, 8-bit flags, 24-bit
  length. Data frames: a clear control bit, 31-bit stream id, 8-bit flags (``FLAG_FIN`` half-closes), 24-bit length.
- Header blocks (SYN_STREAM, SYN_REPLY, HEADERS) are ``count, (name length, name, value length, value)*`` with 32-bit
  big-endian lengths and lower-case names, compressed with zlib and `HEADER_DICTIONARY`: one compression context per
  direction for the whole connection, each block ending in a sync flush.
- The client opens the streams (odd ids); the server answers each SYN_STREAM with a SYN_REPLY, or refuses it with
  RST_STREAM. PING frames from the client are echoed. GOAWAY ends the connection.
- Flow control: spdystream neither sends nor honours WINDOW_UPDATE (its frame workers drop the frame type), so this
  side ignores WINDOW_UPDATE and SETTINGS too; back-pressure comes from TCP: when a stream has
  `STREAM_QUEUED_FRAMES` unread frames the connection's reader waits, as spdystream's does.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import enum
import struct
import zlib
from collections.abc import Callable, Mapping

from aiohttp import web

UPGRADE_TOKEN = "SPDY/3.1"
PROTOCOL_HEADER = "X-Stream-Protocol-Version"
SPDY_VERSION = 3
CONTROL_BIT = 0x8000_0000
STREAM_ID_MASK = 0x7FFF_FFFF
LENGTH_MASK = 0x00FF_FFFF
FLAG_FIN = 0x01
FRAME_HEADER = struct.Struct(">II")

MAX_FRAME_PAYLOAD_BYTES = LENGTH_MASK  # the 24-bit length field's own limit
DATA_FRAME_BYTES = 32 * 1024  # largest DATA frame this side sends (the kubelet copies with io.Copy's 32 KiB)
MAX_HEADER_BLOCK_BYTES = 64 * 1024  # a decompressed header block larger than this is a protocol error
# Buffering matches the stand-in's WebSocket path (aiohttp pauses a WebSocket's socket at 64 KiB queued, then one
# message at a time is written to the pod), so a benchmark comparing the two protocols compares the clients:
STREAM_QUEUED_FRAMES = 2  # unread DATA frames per stream before the connection's reader waits
READ_BUFFER_BYTES = 32 * 1024  # the connection's read buffer (asyncio pauses the socket above twice this)


class FrameType(enum.IntEnum):
    """Control frame types of SPDY/3."""

    SYN_STREAM = 1
    SYN_REPLY = 2
    RST_STREAM = 3
    SETTINGS = 4
    PING = 6
    GOAWAY = 7
    HEADERS = 8
    WINDOW_UPDATE = 9


class RstStatus(enum.IntEnum):
    """RST_STREAM status codes used here."""

    PROTOCOL_ERROR = 1
    INVALID_STREAM = 2
    REFUSED_STREAM = 3
    CANCEL = 5


class GoAwayStatus(enum.IntEnum):
    """GOAWAY status codes."""

    OK = 0
    PROTOCOL_ERROR = 1
    INTERNAL_ERROR = 2


# The header compression dictionary of the SPDY/3 draft, section 2.6.10.1 ("Compression"): 65 words, each
# preceded by its length as a 32-bit big-endian integer, then a run of plain text. It is protocol data; its
# Adler-32 (the dictionary id in the zlib header that both ends check) is `HEADER_DICTIONARY_ADLER32`.
_DICTIONARY_WORDS = (
    "options", "head", "post", "put", "delete", "trace", "accept", "accept-charset", "accept-encoding",
    "accept-language", "accept-ranges", "age", "allow", "authorization", "cache-control", "connection",
    "content-base", "content-encoding", "content-language", "content-length", "content-location", "content-md5",
    "content-range", "content-type", "date", "etag", "expect", "expires", "from", "host", "if-match",
    "if-modified-since", "if-none-match", "if-range", "if-unmodified-since", "last-modified", "location",
    "max-forwards", "pragma", "proxy-authenticate", "proxy-authorization", "range", "referer", "retry-after",
    "server", "te", "trailer", "transfer-encoding", "upgrade", "user-agent", "vary", "via", "warning",
    "www-authenticate", "method", "get", "status", "200 OK", "version", "HTTP/1.1", "url", "public", "set-cookie",
    "keep-alive", "origin",
)
_DICTIONARY_TEXT = (
    "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
    "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized"
    "403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable"
    "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT"
    "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,"
    "text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0."
)
HEADER_DICTIONARY = b"".join(struct.pack(">I", len(word)) + word.encode() for word in _DICTIONARY_WORDS) + (
    _DICTIONARY_TEXT.encode()
)
HEADER_DICTIONARY_ADLER32 = 3821447106
assert zlib.adler32(HEADER_DICTIONARY) == HEADER_DICTIONARY_ADLER32, "SPDY/3 header dictionary mistyped"


class SpdyProtocolError(Exception):
    """The peer broke the framing rules; the connection ends with GOAWAY(PROTOCOL_ERROR)."""


class HeaderCodec:
    """The two zlib contexts of one connection: one for the blocks we send, one for those we receive."""

    def __init__(self) -> None:
        self._compressor = zlib.compressobj(zdict=HEADER_DICTIONARY)
        self._decompressor = zlib.decompressobj(zdict=HEADER_DICTIONARY)

    def encode(self, headers: Mapping[str, str]) -> bytes:
        """One compressed header block (names lower-cased, as SPDY requires)."""
        raw = bytearray(struct.pack(">I", len(headers)))
        for name, value in headers.items():
            for part in (name.lower().encode(), value.encode()):
                raw += struct.pack(">I", len(part)) + part
        return self._compressor.compress(bytes(raw)) + self._compressor.flush(zlib.Z_SYNC_FLUSH)

    def decode(self, block: bytes) -> dict[str, str]:
        """Name → value (the first of NUL-separated values) of one compressed header block."""
        try:
            raw = self._decompressor.decompress(block, MAX_HEADER_BLOCK_BYTES)
        except zlib.error as exc:
            raise SpdyProtocolError(f"bad header compression: {exc}") from exc
        if self._decompressor.unconsumed_tail:
            raise SpdyProtocolError(f"header block larger than {MAX_HEADER_BLOCK_BYTES} bytes")
        try:
            (count,), offset, headers = struct.unpack_from(">I", raw), 4, {}
            for _ in range(count):
                (name_length,) = struct.unpack_from(">I", raw, offset)
                name = raw[offset + 4:offset + 4 + name_length].decode()
                offset += 4 + name_length
                (value_length,) = struct.unpack_from(">I", raw, offset)
                value = raw[offset + 4:offset + 4 + value_length].decode()
                offset += 4 + value_length
                headers[name.lower()] = value.split("\0", 1)[0]
        except (struct.error, UnicodeDecodeError) as exc:
            raise SpdyProtocolError(f"malformed header block: {exc}") from exc
        if offset != len(raw):
            raise SpdyProtocolError("header block has trailing bytes")
        return headers


def control_frame(kind: FrameType, payload: bytes, *, flags: int = 0) -> bytes:
    """A control frame of SPDY/3."""
    return FRAME_HEADER.pack(CONTROL_BIT | SPDY_VERSION << 16 | kind, flags << 24 | len(payload)) + payload


def data_frame(stream_id: int, data: bytes, *, flags: int = 0) -> bytes:
    """A DATA frame."""
    return FRAME_HEADER.pack(stream_id & STREAM_ID_MASK, flags << 24 | len(data)) + data


class SpdyStream:
    """One client-opened stream: its SYN_STREAM headers, the bytes the client sends, and our half of it."""

    def __init__(self, connection: SpdyConnection, stream_id: int, headers: dict[str, str]) -> None:
        self.connection = connection
        self.id = stream_id
        self.headers = headers
        self.reset_by_peer = False
        self._chunks: collections.deque[bytes] = collections.deque()
        self._changed = asyncio.Condition()
        self._remote_done = False  # FIN or RST received, or the connection ended
        self._local_done = False  # FIN or RST sent
        self._discarding = False

    def header(self, name: str) -> str:
        """A SYN_STREAM header ("" when absent)."""
        return self.headers.get(name.lower(), "")

    async def read(self) -> bytes:
        """The next DATA payload from the client; b"" once it half-closed, reset the stream or went away."""
        async with self._changed:
            await self._changed.wait_for(lambda: self._chunks or self._remote_done)
            if not self._chunks:
                return b""
            chunk = self._chunks.popleft()
            self._changed.notify_all()
            return chunk

    async def write(self, data: bytes) -> None:
        """Send `data` in DATA frames of at most `DATA_FRAME_BYTES` (ConnectionError once the stream is done)."""
        if self._local_done:
            raise ConnectionResetError(f"stream {self.id} is closed")
        for start in range(0, len(data), DATA_FRAME_BYTES):
            await self.connection.send(data_frame(self.id, data[start:start + DATA_FRAME_BYTES]))

    async def close(self) -> None:
        """Half-close our side (an empty DATA frame with FIN), once; quiet if the connection is gone."""
        if not self._local_done:
            self._local_done = True
            with contextlib.suppress(ConnectionError):
                await self.connection.send(data_frame(self.id, b"", flags=FLAG_FIN))

    async def discard_input(self) -> None:
        """Drop whatever the client sends from now on, so an unread stream never holds up the connection."""
        async with self._changed:
            self._discarding = True
            self._chunks.clear()
            self._changed.notify_all()

    async def _deliver(self, data: bytes) -> None:
        async with self._changed:
            await self._changed.wait_for(
                lambda: len(self._chunks) < STREAM_QUEUED_FRAMES or self._discarding or self._remote_done)
            if data and not (self._discarding or self._remote_done):
                self._chunks.append(data)
                self._changed.notify_all()

    async def _finish_remote(self, *, reset: bool = False) -> None:
        async with self._changed:
            self._remote_done = True
            if reset:
                self.reset_by_peer = self._local_done = True
            self._changed.notify_all()


StreamAcceptor = Callable[[SpdyStream], bool]


class SpdyConnection:
    """The server side of one SPDY/3.1 connection over an upgraded HTTP connection."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 response: web.StreamResponse) -> None:
        self.response = response  # the 101 answer, for the aiohttp handler to return
        self.streams: dict[int, SpdyStream] = {}
        self._reader = reader
        self._writer = writer
        self._headers = HeaderCodec()
        self._last_stream_id = 0

    async def send(self, frame: bytes) -> None:
        """Write one whole frame (frames never interleave: the write itself does not yield) and wait for room."""
        if self._writer.is_closing():
            raise ConnectionResetError("the SPDY connection is closed")
        self._writer.write(frame)
        await self._writer.drain()

    async def serve(self, accept: StreamAcceptor) -> None:
        """Read frames until the client leaves or says GOAWAY. `accept` sees each new stream: True answers it
        with SYN_REPLY, False resets it (as the kubelet does with streams it cannot use)."""
        status = GoAwayStatus.OK
        try:
            while await self._handle_frame(accept):
                pass
        except SpdyProtocolError:
            status = GoAwayStatus.PROTOCOL_ERROR
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            for stream in list(self.streams.values()):
                await stream._finish_remote()
        with contextlib.suppress(ConnectionError):
            await self.send(control_frame(FrameType.GOAWAY, struct.pack(">II", self._last_stream_id, status)))

    async def aclose(self) -> None:
        """Close the connection."""
        self._writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self._writer.wait_closed()

    async def _handle_frame(self, accept: StreamAcceptor) -> bool:
        first, second = FRAME_HEADER.unpack(await self._reader.readexactly(FRAME_HEADER.size))
        flags, length = second >> 24, second & LENGTH_MASK
        payload = await self._reader.readexactly(length)
        if not first & CONTROL_BIT:
            stream = self.streams.get(first & STREAM_ID_MASK)
            if stream is not None:
                await stream._deliver(payload)
                if flags & FLAG_FIN:
                    await stream._finish_remote()
            return True
        version, kind = (first >> 16) & 0x7FFF, first & 0xFFFF
        if version != SPDY_VERSION:
            raise SpdyProtocolError(f"SPDY version {version} (only {SPDY_VERSION} is spoken)")
        if kind == FrameType.SYN_STREAM:
            await self._open_stream(payload, flags, accept)
        elif kind == FrameType.RST_STREAM:
            stream_id = struct.unpack_from(">I", payload)[0] & STREAM_ID_MASK
            if (stream := self.streams.pop(stream_id, None)) is not None:
                await stream._finish_remote(reset=True)
        elif kind == FrameType.PING:
            await self.send(control_frame(FrameType.PING, payload))
        elif kind == FrameType.GOAWAY:
            return False
        # SETTINGS, WINDOW_UPDATE, HEADERS and unknown types are ignored (see the module docstring).
        return True

    async def _open_stream(self, payload: bytes, flags: int, accept: StreamAcceptor) -> None:
        if len(payload) < 10:
            raise SpdyProtocolError("SYN_STREAM too short")
        stream_id = struct.unpack_from(">I", payload)[0] & STREAM_ID_MASK
        headers = self._headers.decode(payload[10:])  # after stream id, associated id, priority and slot
        if stream_id % 2 == 0 or stream_id <= self._last_stream_id:
            raise SpdyProtocolError(f"stream id {stream_id} is not a new client stream id")
        self._last_stream_id = stream_id
        stream = SpdyStream(self, stream_id, headers)
        if flags & FLAG_FIN:
            await stream._finish_remote()
        if not accept(stream):
            await self.send(control_frame(FrameType.RST_STREAM, struct.pack(">II", stream_id, RstStatus.CANCEL)))
            return
        self.streams[stream_id] = stream
        await self.send(control_frame(FrameType.SYN_REPLY, struct.pack(">I", stream_id) + self._headers.encode({})))

    def forget(self, stream: SpdyStream) -> None:
        """Stop routing frames to a stream that is done with."""
        self.streams.pop(stream.id, None)


async def accept_upgrade(request: web.Request, protocol: str) -> SpdyConnection | web.Response:
    """Answer an ``Upgrade: SPDY/3.1`` request with 101 and take the connection over from aiohttp; a 403 (the
    kubelet's answer) when the client's ``X-Stream-Protocol-Version`` values do not include `protocol`."""
    offered = [value.strip() for value in request.headers.getall(PROTOCOL_HEADER, []) for value in value.split(",")]
    offered = [value for value in offered if value]
    if offered and protocol not in offered:
        return web.Response(status=403, text=(f"unable to upgrade: unable to negotiate protocol: client supports "
                                              f"{offered}, server supports [{protocol}]"))
    transport = request.transport
    if transport is None:
        raise ConnectionResetError("the client went away before the upgrade")
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=READ_BUFFER_BYTES, loop=loop)
    stream_protocol = asyncio.StreamReaderProtocol(reader, loop=loop)
    # From here on the socket's bytes are SPDY frames: they go to our reader, no longer to aiohttp's HTTP parser
    # (the client sends nothing before it has read the 101).
    transport.set_protocol(stream_protocol)
    stream_protocol.connection_made(transport)
    writer = asyncio.StreamWriter(transport, stream_protocol, reader, loop)
    response = web.StreamResponse(status=101, headers={"Connection": "Upgrade", "Upgrade": UPGRADE_TOKEN,
                                                       PROTOCOL_HEADER: protocol})
    response.force_close()
    await response.prepare(request)
    return SpdyConnection(reader, writer, response)
