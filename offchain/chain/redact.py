"""Log hygiene for the chain client: RPC URLs redacted (an API key in the path or
query, or user:pass@, never reaches a log or an error) and strings from an RPC
(revert reasons, error messages) escaped so a hostile node cannot forge log lines."""

from __future__ import annotations

from urllib.parse import urlsplit

#: longest untrusted string kept in a log line or an error (the rest is cut)
MAX_TEXT = 300


def redact_url(url: str) -> str:
    """`scheme://host[:port]` plus `/...` when the URL had anything after the host.

    The path, query, fragment and any user:password@ are dropped: node
    providers put API keys there. A string that is not a URL shows as `<rpc>`.
    """
    try:
        parts = urlsplit(str(url))
        host = parts.hostname
        port = parts.port
    except ValueError:
        return "<rpc>"
    if not parts.scheme or not host:
        return "<rpc>"
    if ":" in host:
        host = f"[{host}]"
    out = f"{parts.scheme}://{host}" + (f":{port}" if port else "")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
        out += "/..."
    return out


def secrets_of(url: str) -> list[str]:
    """The parts of an RPC URL that may carry a credential, longest first."""
    try:
        parts = urlsplit(str(url))
    except ValueError:
        return [str(url)] if url else []
    found = {str(url)}
    if parts.path not in ("", "/"):
        found.add(parts.path + ("?" + parts.query if parts.query else ""))
        found.add(parts.path)
    if parts.query:
        found.add(parts.query)
    if parts.username:
        found.add(parts.username)
    if parts.password:
        found.add(parts.password)
    if parts.username or parts.password:
        found.add(parts.netloc.rsplit("@", 1)[0] + "@")
    return sorted((s for s in found if s and len(s) >= 2), key=len, reverse=True)


def scrub(text: str, url: str) -> str:
    """`text` with every credential-bearing part of `url` replaced by its redacted form."""
    text = str(text)
    safe_url = redact_url(url)
    try:
        host = urlsplit(str(url)).hostname or ""
    except ValueError:
        host = ""
    for s in secrets_of(url):
        if s == host:
            continue
        text = text.replace(s, safe_url if s == str(url) else "...")
    return text


def escape(text: object, limit: int = MAX_TEXT) -> str:
    """An untrusted string made safe for one log line: control characters and
    non-ASCII escaped (no newline can start a forged line), cut to `limit` characters."""
    s = str(text)
    cut = len(s) > limit
    s = s[:limit].encode("ascii", "backslashreplace").decode("ascii")
    s = "".join(c if 32 <= ord(c) < 127 else f"\\x{ord(c):02x}" for c in s)
    return s + ("..." if cut else "")


_PROTECTED: set[str] = set()


class RedactFilter:
    """A logging filter that scrubs every protected RPC URL from a record's message."""

    def filter(self, record) -> bool:
        if not _PROTECTED:
            return True
        try:
            msg = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record: leave it to logging
            return True
        clean = msg
        for url in list(_PROTECTED):
            clean = scrub(clean, url)
        if clean != msg:
            record.msg, record.args = clean, None
        return True


_FILTER = RedactFilter()


def protect(url: str) -> None:
    """Redact `url`'s credentials from every log record that reaches a root handler
    (web3 and urllib3 messages included), on handlers present now."""
    import logging

    if redact_url(url) == url.rstrip("/") or not url:
        return  # nothing after the host: nothing to hide
    _PROTECTED.add(str(url))
    for h in logging.getLogger().handlers:
        if _FILTER not in h.filters:
            h.addFilter(_FILTER)
