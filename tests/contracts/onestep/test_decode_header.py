"""decode_header: the contract splits a header record exactly as program.Header.decode."""

import random

from onestep_cases import random_header

from offchain.runtime.opcodes import HEADER_FIELDS


def test_random_headers_roundtrip(verifier):
    rng = random.Random(7)
    for _ in range(5):
        h = random_header(rng)
        got = verifier.decode_header(h.encode())
        assert list(got) == [getattr(h, name) for name, _ in HEADER_FIELDS]


def test_all_ones_fields(verifier):
    assert list(verifier.decode_header(2**256 - 1)) == [(1 << w) - 1 for _, w in HEADER_FIELDS]
