"""``badgekiln completion bash|zsh``: a shell completion script, made from the command's own parser.

The script is static (completing never starts Python): the tables of commands, options and
choices are written into it when it is made, so it stays right for the version that made it.
Install it once, e.g. ``badgekiln completion bash > ~/.local/share/bash-completion/completions/badgekiln``
or ``eval "$(badgekiln completion zsh)"`` in ``~/.zshrc``.
"""

from __future__ import annotations

import argparse
import shlex
from typing import Any

__all__ = ["completion_script", "register"]

# Completes sub-commands, options, an option's choices, and file names for any value (bash 4+;
# zsh through bashcompinit). The tables are keyed by the command path ("badgekiln", "badgekiln
# issuer update" …: bash refuses an empty key) and, for option values, by "path|option".
_FUNCTION = r"""
_badgekiln() {
  local cur prev word cmd i
  cur="${COMP_WORDS[COMP_CWORD]}"
  prev="${COMP_WORDS[COMP_CWORD-1]}"
  cmd="badgekiln"
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="${COMP_WORDS[i]}"
    if [[ "$word" != -* && " ${_badgekiln_commands[$cmd]} " == *" $word "* ]]; then
      cmd="$cmd $word"
    fi
  done
  if [[ -n "${_badgekiln_choices[$cmd|$prev]+set}" ]]; then
    COMPREPLY=($(compgen -W "${_badgekiln_choices[$cmd|$prev]}" -- "$cur"))
  elif [[ -n "${_badgekiln_values[$cmd|$prev]+set}" ]]; then
    COMPREPLY=($(compgen -f -- "$cur"))
  elif [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "${_badgekiln_options[$cmd]}" -- "$cur"))
  elif [[ -n "${_badgekiln_commands[$cmd]}" ]]; then
    COMPREPLY=($(compgen -W "${_badgekiln_commands[$cmd]}" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -o filenames -F _badgekiln badgekiln
"""


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:  # argparse keeps its sub-parsers only here
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _tables(
    parser: argparse.ArgumentParser, path: str, out: dict[str, dict[str, str]]
) -> dict[str, dict[str, str]]:
    commands = _subcommands(parser)
    out["commands"][path] = " ".join(commands)
    options: list[str] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) or not action.option_strings:
            continue
        options += action.option_strings
        for flag in action.option_strings:
            if action.choices is not None:
                out["choices"][f"{path}|{flag}"] = " ".join(str(c) for c in action.choices)
            elif action.nargs != 0:
                out["values"][f"{path}|{flag}"] = "1"
    out["options"][path] = " ".join(options)
    for name, sub in commands.items():
        _tables(sub, f"{path} {name}", out)
    return out


def completion_script(parser: argparse.ArgumentParser, shell: str) -> str:
    """The completion script of ``parser`` for ``shell`` (``bash`` or ``zsh``).

    Raises:
        ValueError: another shell.
    """
    if shell not in ("bash", "zsh"):
        raise ValueError(f"shell must be bash or zsh, not {shell!r}")
    tables = _tables(parser, "badgekiln", {"commands": {}, "options": {}, "choices": {}, "values": {}})
    lines = ["# badgekiln shell completion (badgekiln completion " + shell + ")"]
    if shell == "zsh":
        lines.append("autoload -U +X bashcompinit && bashcompinit")
    for table, entries in tables.items():
        lines.append(f"typeset -gA _badgekiln_{table}")
        lines += [f"_badgekiln_{table}[{shlex.quote(k)}]={shlex.quote(v)}" for k, v in entries.items()]
    return "\n".join(lines) + "\n" + _FUNCTION.lstrip("\n")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "completion",
        help="print a shell completion script (bash, zsh)",
        description=(
            "Print the completion script for SHELL: commands, options, their choices and file names. "
            "bash: badgekiln completion bash > ~/.local/share/bash-completion/completions/badgekiln; "
            'zsh: eval "$(badgekiln completion zsh)" in ~/.zshrc.'
        ),
    )
    parser.add_argument("shell", choices=("bash", "zsh"), metavar="SHELL", help="bash or zsh")
    parser.set_defaults(handler=_print)


def _print(args: argparse.Namespace) -> int:
    import sys

    from badgekiln.cli import EXIT_OK, build_parser

    sys.stdout.write(completion_script(build_parser(), args.shell))
    return EXIT_OK
