"""The project's own script runner: `python -m scripts.run SCRIPT [ARGS...] [--network NAME]`.

Does what `brownie run scripts/SCRIPT.py main ARGS --network NAME` does
(loads the brownie project, connects, calls the script's `main(*ARGS)`),
but imports the script as `scripts.SCRIPT` from the checkout's root.
`brownie run` derives a module name from the script's absolute path and
fails (`No module named 'tmp.tmp'`) whenever a parent folder's name holds
a dot; this runner works from any path and from any working directory.

SCRIPT is `deploy`, `lifecycle_demo`, or `governance/set_parameter` (and
the other governance scripts), with or without `scripts/` and `.py`.
On the local `development` network brownie starts Anvil; `--port PORT`
(or ANVIL_PORT) puts it on another port than 8545, `--port 0` on a free one.
Errors are one line on stderr, exit status 1.
"""

from __future__ import annotations

import argparse
import importlib
import os
import socket
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _module_name(script: str) -> str:
    s = script.strip()
    if s.endswith(".py"):
        s = s[:-3]
    s = s.replace("\\", "/")
    if s.startswith("./"):
        s = s[2:]
    if s.startswith("scripts/"):
        s = s[len("scripts/"):]
    if not s or not all(part.isidentifier() for part in s.split("/")):
        raise SystemExit(f"run: not a script name: {script!r}")
    if not (ROOT / "scripts" / f"{s}.py").is_file():
        raise SystemExit(f"run: no script scripts/{s}.py")
    return "scripts." + s.replace("/", ".")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


RUNNER_OPTIONS = ("--network", "--port", "--function")


def parse(argv: list[str]) -> argparse.Namespace:
    """The runner's own options (--network, --port, --function, --traceback, anywhere
    on the line); the first other word is the script, the rest go to its main()."""
    p = argparse.ArgumentParser(prog="python -m scripts.run", description=__doc__.split("\n\n")[0])
    p.add_argument("script", help="deploy, lifecycle_demo, governance/set_parameter, ...")
    p.add_argument("args", nargs="*", help="arguments of the script's main() (its own --flags included)")
    p.add_argument("--network", default=None, help="brownie network (default: development)")
    p.add_argument("--port", type=int, default=None,
                   help="port of the Anvil that brownie starts on development (0: a free one)")
    p.add_argument("--function", default="main", help="function to call (default: main)")
    p.add_argument("--traceback", action="store_true", help="show the full traceback of an error")
    own: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(argv):
        word = argv[i]
        key = word.split("=", 1)[0]
        if key in RUNNER_OPTIONS:
            own.append(word)
            if "=" not in word and i + 1 < len(argv):
                own.append(argv[i + 1])
                i += 1
        elif word == "--traceback" or (not rest and word in ("-h", "--help")):
            own.append(word)
        else:
            rest.append(word)
        i += 1
    ns = p.parse_args(own + rest[:1])
    ns.args = rest[1:]
    return ns


def one_line(exc: BaseException) -> str:
    """An error as one line: a contract's revert string, never hex revert data."""
    reason = getattr(exc, "revert_msg", None)
    if reason:
        return f"reverted: {reason}"
    text = str(exc).strip()
    if hasattr(exc, "revert_msg") or text.startswith("execution reverted"):
        return "reverted: " + (text.removeprefix("execution reverted").strip(": ").split("\n")[0] or "no reason")
    line = text.splitlines()[0] if text else ""
    return line or type(exc).__name__


def _fee_defaults(network, config) -> None:
    """EIP-1559 fees from the node when the network sets none and the chain has a
    base fee (brownie's development settings assume a node with none: an attached
    Anvil, or any testnet, would refuse `max fee per gas less than block base fee`)."""
    from brownie import web3

    settings = config.active_network.get("settings", {})
    if settings.get("gas_price") or settings.get("priority_fee") or settings.get("max_fee"):
        return
    base_fee = web3.eth.get_block("latest").get("baseFeePerGas") or 0
    if base_fee:
        network.priority_fee("auto")


def main(argv: list[str] | None = None) -> int:
    ns = parse(sys.argv[1:] if argv is None else argv)
    module_name = _module_name(ns.script)
    os.chdir(ROOT)  # brownie resolves build/, deployments/ and the config from here
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))

    from brownie import network, project
    from brownie._config import CONFIG

    proj = project.load(str(ROOT))
    proj.load_config()
    name = ns.network or CONFIG.settings["networks"]["default"]
    port = ns.port if ns.port is not None else os.environ.get("ANVIL_PORT")
    if name == "development" and port is not None:
        port = int(port) or _free_port()
        CONFIG.networks["development"]["cmd_settings"]["port"] = port
        CONFIG.networks["development"]["host"] = "http://127.0.0.1"
    # attaching to a running development node is what --port is for: not a warning
    warnings.filterwarnings("ignore", message="Development network has a block height")
    network.connect(name)
    _fee_defaults(network, CONFIG)
    proj._add_to_main_namespace()  # `from brownie import DisputeGame` in the scripts
    try:
        module = importlib.import_module(module_name)
        fn = getattr(module, ns.function, None)
        if not callable(fn):
            raise SystemExit(f"run: {module_name} has no function {ns.function}")
        fn(*ns.args)
    finally:
        if network.is_connected():
            network.disconnect()
    return 0


def cli(argv: list[str] | None = None) -> int:
    """main() with every failure as one line on stderr and exit status 1."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        return main(argv)
    except KeyboardInterrupt:
        return 130
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - one line, no traceback with hex revert data
        if "--traceback" in argv:
            raise
        print(one_line(exc), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(cli())
