"""Bounds on everything an agent reads from untrusted parties, in one place.

Owns the limits (and the bounded decoders that enforce them) for structures
that arrive from the store or the network: JSON documents (size, nesting
depth, no NaN/Infinity), array artifacts (count, rank, dimensions, elements),
the artifact store's defaults (artifact size, per-uploader quota, socket
timeouts, concurrency), and the escaping of untrusted strings before they
reach a log line or an error message. Every decoder raises `LimitError` (a
ValueError) with one line naming what is wrong; none lets a RecursionError,
a MemoryError or a numpy shape error escape.

docs/security.md ("Untrusted input: bounded schemas") lists these figures.
"""

from __future__ import annotations

import json
import logging
import re

# --- JSON -------------------------------------------------------------------------------

#: largest JSON document decoded (a manifest of 10^6 steps is ~70 MB of hex roots)
MAX_JSON_BYTES = 256 << 20
#: deepest nesting of objects/arrays in any JSON document an agent reads (specs,
#: manifests and array headers need at most 3)
MAX_JSON_DEPTH = 32
#: largest JSON header of an array artifact (shapes and a small meta dict)
MAX_ARRAY_HEADER_BYTES = 1 << 20

# --- array artifacts (task.decode_arrays) -------------------------------------------------

MAX_ARRAYS = 4096  # arrays in one artifact (state slots of a checkpoint, data matrices)
MAX_RANK = 4  # dimensions of one array
MAX_DIM = 1 << 31  # largest single dimension
MAX_ARRAY_ELEMENTS = 1 << 28  # uint32 words in one artifact (1 GiB), the store's artifact cap

# --- artifact store -----------------------------------------------------------------------

STORE_MAX_ARTIFACT = 1 << 30  # bytes of one artifact
STORE_QUOTA = 16 << 30  # bytes one uploader may have stored
STORE_HEADER_TIMEOUT = 10.0  # seconds from connect (or the last response) to a full request head
STORE_IDLE_TIMEOUT = 10.0  # seconds a request body may stall
STORE_MIN_RATE = 256 << 10  # bytes/s an upload must average (after a 10 s grace)
STORE_MAX_CONNECTIONS = 256  # open connections; the oldest idle ones are dropped beyond
STORE_MAX_UPLOADS = 8  # uploads streamed at once (more: 503, retry later)
STORE_WORKERS = 4  # threads hashing and writing uploads
STORE_SIGNATURE_TTL = 600  # seconds an upload signature may be valid for (replay window)
STORE_CHUNK = 1 << 16  # bytes read or written at a time

#: the downloader: an artifact larger than this is refused while streaming
CLIENT_MAX_ARTIFACT = STORE_MAX_ARTIFACT

# --- logs --------------------------------------------------------------------------------

MAX_SHOWN = 80  # characters of an untrusted string shown in a log line or error


class LimitError(ValueError):
    """An untrusted structure that is malformed or beyond a limit; the message names which."""


def show(value: object, max_len: int = MAX_SHOWN) -> str:
    """An untrusted value as one safe, bounded token for a log line or error message:
    Python's repr (control characters, newlines and quotes escaped, non-ASCII as
    \\u escapes), cut to `max_len` characters with a marker."""
    if isinstance(value, str):
        text = ascii(value[: max_len + 1])
    else:
        text = ascii(value) if not isinstance(value, (bytes, bytearray)) else ascii(bytes(value[: max_len + 1]))
    return text if len(text) <= max_len else text[: max_len - 3] + "..."


_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]")


def escape_line(text: str) -> str:
    """`text` with every control character (newline, carriage return, escape, ...)
    written as a visible escape, so one message is always one log line."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class SafeFormatter(logging.Formatter):
    """A Formatter whose message part never spans lines: a message built from untrusted
    text cannot forge another log line. Tracebacks (exc_info) still print as usual."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging API
        record.message = escape_line(record.message)
        return super().formatMessage(record)


def _reject_constant(name: str):
    raise LimitError(f"{name} is not a JSON number")


def _depth(doc: object) -> int:
    """Nesting depth of a decoded JSON value (iterative: no recursion on hostile input)."""
    deepest, stack = 0, [(doc, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict):
            v = list(v.values())
        if isinstance(v, list):
            deepest = max(deepest, d)
            if d > MAX_JSON_DEPTH:
                return d
            stack.extend((x, d + 1) for x in v)
    return deepest


def loads(data: bytes | str, what: str, max_bytes: int = MAX_JSON_BYTES,
          max_depth: int = MAX_JSON_DEPTH) -> object:
    """Decode untrusted JSON: LimitError (naming `what`) when it is larger than
    `max_bytes`, nested deeper than `max_depth`, not UTF-8 JSON, or uses NaN/Infinity."""
    if len(data) > max_bytes:
        raise LimitError(f"{what}: {len(data)} bytes of JSON (limit {max_bytes})")
    try:
        doc = json.loads(data, parse_constant=_reject_constant)
    except RecursionError:
        raise LimitError(f"{what}: JSON nested deeper than {max_depth}") from None
    except LimitError as exc:
        raise LimitError(f"{what}: {exc}") from None
    except (ValueError, TypeError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise LimitError(f"{what}: not JSON ({show(str(exc))})") from None
    if _depth(doc) > max_depth:
        raise LimitError(f"{what}: JSON nested deeper than {max_depth}")
    return doc
