"""`python -m offchain`: the command-line interface (see offchain/cli.py)."""

from .cli import main

main()
