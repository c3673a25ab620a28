"""``otelkit completion bash|zsh|fish``: a completion script, made from the parsers.

The script is static: generated from each subcommand's argparse parser when asked, so it
lists exactly the verbs and options this install has (a subcommand whose extra is not
installed completes its name only). Install it once, e.g.
``otelkit completion bash > ~/.local/share/bash-completion/completions/otelkit``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

from otelkit._cli.support import parse_or_exit_code

# command -> verb ("" for a command without verbs) -> its options
Tree = dict[str, dict[str, list[str]]]


def _parser_of(module: str) -> argparse.ArgumentParser | None:
    """A command's parser; None where its extra is not installed, or where the command
    has none (``run`` takes any program's words): such a command completes by name."""
    try:
        make_parser = getattr(importlib.import_module(module), "_parser", None)
    except ImportError:
        return None
    return make_parser() if make_parser else None


def tree(commands: dict[str, str]) -> Tree:
    """The verbs and options of each command (module names as in ``__main__.COMMANDS``)."""
    found: Tree = {}
    for command, module in commands.items():
        parser = _parser_of(module)
        found[command] = _verbs(parser) if parser else {}
    return found


def _options(parser: argparse.ArgumentParser) -> list[str]:
    """Long options, then the choices of a positional argument (``completion bash``)."""
    options = sorted(o for a in parser._actions for o in a.option_strings if o.startswith("--"))
    for action in parser._actions:
        if (
            not action.option_strings
            and action.choices
            and not isinstance(action, argparse._SubParsersAction)
        ):
            options.extend(str(choice) for choice in action.choices)
    return options


def valued(commands: dict[str, str]) -> list[str]:
    """Options followed by a value (a path, a region…): the shell completes files there."""
    found: set[str] = set()
    parsers = [p for p in map(_parser_of, commands.values()) if p is not None]
    while parsers:
        parser = parsers.pop()
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                parsers.extend(action.choices.values())
            elif action.nargs != 0:
                found.update(o for o in action.option_strings if o.startswith("--"))
    return sorted(found)


def _verbs(parser: argparse.ArgumentParser) -> dict[str, list[str]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return {verb: _options(sub) for verb, sub in action.choices.items()}
    return {"": _options(parser)}


def _bash(found: Tree, values: list[str]) -> str:
    cases = []
    for command, verbs in found.items():
        named = [v for v in verbs if v]
        if not named:
            options = " ".join(verbs.get("", []))
            cases.append(f'    {command}) words="{options}" ;;')
            continue
        inner = " ".join(f'{v}) words="{" ".join(o)}" ;;' for v, o in verbs.items())
        cases.append(
            f'    {command}) if [ "$COMP_CWORD" -eq 2 ]; then '
            f'words="{" ".join(named)}"; else case "$verb" in {inner} esac; fi ;;'
        )
    body = "\n".join(cases)
    return f"""# otelkit completion for bash (and zsh through bashcompinit)
_otelkit() {{
  local cur="${{COMP_WORDS[COMP_CWORD]}}" command="${{COMP_WORDS[1]}}" verb="${{COMP_WORDS[2]}}"
  local words="" prev="${{COMP_WORDS[COMP_CWORD-1]}}"
  case "$prev" in {"|".join(values) or "--"}) return ;; esac  # a value: files by default
  if [ "$COMP_CWORD" -eq 1 ]; then
    words="{" ".join(found)} --help --version"
  else
    case "$command" in
{body}
    esac
  fi
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}}
complete -o default -F _otelkit otelkit
"""


def _zsh(found: Tree, values: list[str]) -> str:
    return "autoload -U +X bashcompinit && bashcompinit\n" + _bash(found, values)


def _fish(found: Tree, values: list[str]) -> str:
    lines = ["# otelkit completion for fish"]
    lines.append(f"complete -c otelkit -n __fish_use_subcommand -a '{' '.join(found)}'")
    for command, verbs in found.items():
        named = [v for v in verbs if v]
        if named:
            lines.append(
                f"complete -c otelkit -n '__fish_seen_subcommand_from {command}; and "
                f"not __fish_seen_subcommand_from {' '.join(named)}' -a '{' '.join(named)}'"
            )
        for verb, options in verbs.items():
            seen = f"__fish_seen_subcommand_from {verb or command}"
            for option in options:
                if not option.startswith("--"):  # a positional's choice
                    lines.append(f"complete -c otelkit -n '{seen}' -a {option}")
                elif option in values:
                    lines.append(f"complete -c otelkit -n '{seen}' -F -r -l {option[2:]}")
                else:
                    lines.append(f"complete -c otelkit -n '{seen}' -l {option[2:]}")
    return "\n".join(lines) + "\n"


SHELLS: dict[str, Callable[[Tree, list[str]], str]] = {"bash": _bash, "zsh": _zsh, "fish": _fish}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="otelkit completion", description="Print a shell completion script."
    )
    parser.add_argument("shell", choices=sorted(SHELLS))
    return parser


def main(argv: Sequence[str]) -> int:
    """Run ``otelkit completion SHELL``; 0 printed, 2 bad usage."""
    args = parse_or_exit_code(_parser(), argv)
    if isinstance(args, int):
        return args
    from otelkit.__main__ import COMMANDS

    modules = {name: module for name, (module, _) in COMMANDS.items()}
    sys.stdout.write(SHELLS[args.shell](tree(modules), valued(modules)))
    return 0
