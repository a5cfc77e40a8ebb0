"""`python -m offchain`: the command line (offchain/cli.py)."""

from .cli import main

main()
