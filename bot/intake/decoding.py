"""Response bodies undone layer by layer (``Content-Encoding: gzip, gzip``), with a byte cap on the decoded stream.

httpx's own decoders would inflate a whole chunk at once, however large it becomes; these stop a decompression bomb
at the cap as it is decoded. A body the fetcher will not accept raises :class:`Refused`, whose message is the
user-facing reason.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator


class Refused(Exception):
    """A hop or a body the fetcher will not take; the message is the user-facing reason."""


def describe_size(n_bytes: int) -> str:
    if n_bytes >= 1_000_000 and n_bytes % 1_000_000 == 0:
        return f"{n_bytes // 1_000_000} MB"
    if n_bytes >= 1000 and n_bytes % 1000 == 0:
        return f"{n_bytes // 1000} kB"
    return f"{n_bytes} bytes"


class _Layer:
    """One Content-Encoding undone with zlib, its output bounded per call (``max_length``) and in total."""

    _PIECE = 64 * 1024

    def __init__(self, name: str, cap: int):
        self.name = name
        self._cap = cap
        self._produced = 0
        self._trailing = 0
        self._deflate_tried_raw = False
        self._obj = self._new()

    def _new(self) -> zlib._Decompress:
        # gzip: the gzip wrapper; deflate: the zlib wrapper first (RFC 9110), raw deflate when a server sends that.
        return zlib.decompressobj(16 + zlib.MAX_WBITS if self.name == "gzip" else zlib.MAX_WBITS)

    @property
    def complete(self) -> bool:
        return self._obj.eof

    def decode(self, data: bytes) -> Iterator[bytes]:
        while data:
            if self._obj.eof:  # never fed to a finished stream: zlib would keep every byte in unused_data
                if self.name == "gzip" and data.strip(b"\x00"):
                    self._obj = self._new()  # gzip may have several members
                else:
                    self._after_end(len(data))  # deflate has one stream; gzip may end in padding
                    return
            try:
                out = self._obj.decompress(data, self._PIECE)
            except zlib.error as exc:
                if self.name == "deflate" and not self._deflate_tried_raw and self._produced == 0:
                    self._deflate_tried_raw = True
                    self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise Refused(f"undecodable {self.name} body: {exc}") from None
            data = self._obj.unconsumed_tail
            if out:
                yield self._count(out)
            if self._obj.eof:
                data = self._obj.unused_data

    def finish(self) -> Iterator[bytes]:
        out = self._obj.flush()
        if out:
            yield self._count(out)

    def _after_end(self, n_bytes: int) -> None:
        """Bytes after the end of the stream are dropped, but counted: they must not arrive forever."""
        self._trailing += n_bytes
        if self._trailing > self._cap:
            raise Refused(f"body exceeds {describe_size(self._cap)} (bytes after the end of the {self.name} stream)")

    def _count(self, out: bytes) -> bytes:
        self._produced += len(out)
        if self._produced > self._cap:
            raise Refused(f"body exceeds {describe_size(self._cap)} once decoded ({self.name})")
        return out


class BodyDecoder:
    """``Content-Encoding: gzip, gzip`` undone layer by layer, the last-applied first."""

    def __init__(self, header: str, cap: int):
        names = [name.strip().lower() for name in header.split(",") if name.strip()]
        names = ["gzip" if name == "x-gzip" else name for name in names if name != "identity"]
        unsupported = [name for name in names if name not in ("gzip", "deflate")]
        if unsupported:
            raise Refused(f"unsupported Content-Encoding {', '.join(unsupported)} (we ask for gzip or deflate)")
        self._layers = [_Layer(name, cap) for name in reversed(names)]
        self._cap = cap
        self._total = 0
        self.warnings: tuple[str, ...] = ()

    def decode(self, data: bytes, start: int = 0) -> Iterator[bytes]:
        if start == len(self._layers):
            self._total += len(data)
            if self._total > self._cap:
                raise Refused(f"body exceeds {describe_size(self._cap)}")
            yield data
            return
        for piece in self._layers[start].decode(data):
            yield from self.decode(piece, start + 1)

    def finish(self) -> Iterator[bytes]:
        for index, layer in enumerate(self._layers):
            for piece in layer.finish():
                yield from self.decode(piece, index + 1)
        truncated = [layer.name for layer in self._layers if not layer.complete]
        if truncated:
            self.warnings = (f"the {truncated[0]} body ends early (truncated)",)
