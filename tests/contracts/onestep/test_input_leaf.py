"""input_leaf: where an input's tensor root is committed, as micro.input_location."""

import brownie
import pytest

from offchain.runtime import micro
from offchain.runtime.opcodes import Ref
from offchain.runtime.program import Header

HEADER = Header(3, 10, 10, 4, 2, 1)


@pytest.mark.parametrize(
    "t,j,kind,index,want",
    [
        (1, 5, Ref.NODE, 0, (micro.SOURCE_STEP, 0)),
        (3, 5, Ref.NODE, 4, (micro.SOURCE_STEP, 4)),
        (0, 2, Ref.NODE, 1, (micro.SOURCE_STEP, 1)),
        (1, 0, Ref.STATE, 2, (micro.SOURCE_PREV_STEP, 2)),  # slot 2 after step 0 = init node 2
        (2, 0, Ref.STATE, 0, (micro.SOURCE_PREV_STEP, 7)),  # = step node n_step - n_state + 0
        (9, 4, Ref.STATE, 2, (micro.SOURCE_PREV_STEP, 9)),
        (4, 1, Ref.DATA, 0, (micro.SOURCE_DATA, 0)),
    ],
)
def test_locations(verifier, t, j, kind, index, want):
    assert micro.input_location(HEADER, t, j, kind, index) == want
    assert tuple(verifier.input_leaf(HEADER.encode(), t, j, int(kind), index)) == want


@pytest.mark.parametrize(
    "t,j,kind,index,reason",
    [
        (1, 5, Ref.NODE, 5, "input node not before node"),
        (1, 5, Ref.NODE, 9, "input node not before node"),
        (0, 1, Ref.STATE, 0, "no state before step 0"),
        (2, 1, Ref.STATE, 3, "state slot out of range"),
        (2, 1, Ref.NONE, 0, "missing input"),
    ],
)
def test_bad_references_rejected(verifier, t, j, kind, index, reason):
    with pytest.raises(ValueError, match=reason):
        micro.input_location(HEADER, t, j, kind, index)
    with brownie.reverts(f"onestep: {reason}"):
        verifier.input_leaf(HEADER.encode(), t, j, int(kind), index)
