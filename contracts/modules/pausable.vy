# pragma version ^0.4.3
"""
@title Pausable
@license MIT
@notice A pause flag with internal `_pause` / `_unpause`; the contract that
        initializes this module decides who may call them (the owner). The
        protocol consults the flag only where new work starts (creating and
        claiming tasks); withdrawals, disputes and settlement never look at it.
@dev Standalone (no `uses:`), like snekmate's utils/pausable.vy, so that
     brownie can compile the module file on its own.
"""


# ---------------------------------------------------------------- EVENTS ----

# @dev New work was stopped by `account`.
event Paused:
    account: indexed(address)


# @dev New work was allowed again by `account`.
event Unpaused:
    account: indexed(address)


# --------------------------------------------------------------- STORAGE ----

# @dev True while new tasks and claims are refused.
paused: public(bool)


# -------------------------------------------------------------- INTERNAL ----

@internal
def _pause():
    """
    @dev Sets the flag; reverts when already paused.
    """
    assert not self.paused, "pausable: already paused"
    self.paused = True
    log Paused(account=msg.sender)


@internal
def _unpause():
    """
    @dev Clears the flag; reverts when not paused.
    """
    assert self.paused, "pausable: not paused"
    self.paused = False
    log Unpaused(account=msg.sender)
