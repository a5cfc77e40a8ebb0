"""Pure rules of the incentive layer (docs/protocol.md "Incentives"), mirrored
from TaskRegistry and VerifierPool: forced-error decision, wrong-root
construction, verifier sample steps and attestation commitments."""
