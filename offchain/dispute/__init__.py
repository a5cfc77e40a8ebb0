"""The dispute game, off-chain: a party's run (`run`), the pure player that
computes every move from it (`player`), the driver that plays against the
DisputeGame contract (`driver`) and the `dispute-demo` orchestration (`demo`)."""
