# pragma version ^0.4.3
"""
@title Two-step ownership
@license MIT
@notice The owner names a successor with `transfer_ownership`; the successor
        becomes owner only by calling `accept_ownership` itself, so a typo can
        never hand the contract to an address nobody controls.
@custom:security The owner of this protocol can tune bounded parameters and
        pause new work; nothing behind `_check_owner` moves funds.
"""


# ---------------------------------------------------------------- EVENTS ----

# @dev A transfer was started: `new_owner` may now accept.
event OwnershipTransferStarted:
    previous_owner: indexed(address)
    new_owner: indexed(address)


# @dev Ownership moved (also emitted once at construction).
event OwnershipTransferred:
    previous_owner: indexed(address)
    new_owner: indexed(address)


# --------------------------------------------------------------- STORAGE ----

# @dev The current owner (governance).
owner: public(address)

# @dev The address allowed to accept ownership, or empty.
pending_owner: public(address)


# ----------------------------------------------------------- CONSTRUCTOR ----

@deploy
def __init__():
    """
    @dev The deployer is the first owner.
    """
    self._transfer_ownership(msg.sender)


# -------------------------------------------------------------- EXTERNAL ----

@external
def transfer_ownership(new_owner: address):
    """
    @dev Starts a two-step transfer; `new_owner` must then accept. Naming
         the empty address cancels a pending transfer.
    @param new_owner The proposed owner.
    """
    self._check_owner()
    self.pending_owner = new_owner
    log OwnershipTransferStarted(previous_owner=self.owner, new_owner=new_owner)


@external
def accept_ownership():
    """
    @dev Completes a transfer; only the pending owner may call it.
    """
    assert msg.sender == self.pending_owner, "ownable_2step: caller is not the new owner"
    self._transfer_ownership(msg.sender)


# -------------------------------------------------------------- INTERNAL ----

@internal
def _check_owner():
    """
    @dev Reverts unless the caller is the owner.
    """
    assert msg.sender == self.owner, "ownable_2step: caller is not the owner"


@internal
def _transfer_ownership(new_owner: address):
    """
    @dev Sets the owner and clears any pending transfer.
    @param new_owner The new owner.
    """
    self.pending_owner = empty(address)
    old_owner: address = self.owner
    self.owner = new_owner
    log OwnershipTransferred(previous_owner=old_owner, new_owner=new_owner)
