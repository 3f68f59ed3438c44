"""The `wirecrawl` command-line application object, its global options, and
how a command that cannot run says why. Commands live in flows/commands/, one
module per area.

What every command promises:

- A bad argument, a missing file, an unknown snapshot version, a wrong
  sources file, a store that is missing or cannot be opened: ONE line on
  stderr, `wirecrawl <command>: <what is wrong>`, and exit code 2 (1 where a
  command documents another meaning). A store, archive or snapshot file that
  cannot be written (a full disk, a quota, a read-only or failing device):
  one line naming it and the error, exit code 5 (`EXIT_CANNOT_WRITE`).
  Never a traceback; a traceback is a bug.
- The global options `--data-dir` and `--database-url` may be given before
  or after the command's name (`wirecrawl clusters --data-dir d`).
- Help text names what a value is (`--sources FILE`, `--limit N`), with no
  type placeholders.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Optional, Sequence

import typer
from typer.core import TyperGroup

from flows.settings import Settings

# Global options, hoisted in front of the command's name when given after it.
GLOBAL_OPTIONS = ("--data-dir", "--database-url")

# Exceptions that carry a message meant for the user, by module and class
# name: looked up in sys.modules, so nothing is imported to recognise them.
_USER_ERRORS = (
    ("flows.settings", "StoreUnavailable"),
    ("crawler.crawl.sources", "SourcesError"),
    ("storage.snapshot", "SnapshotError"),
    ("storage.store", "StoreConfigError"),
    ("flows.serve", "NoPrefectServer"),
    ("crawler.crawl.extract_limit", "ExtractTimeoutSettingError"),
)


# A store, an archive or a snapshot file that cannot be written.
EXIT_CANNOT_WRITE = 5


class CommandError(Exception):
    """A command that cannot run as asked. Printed as one line,
    `wirecrawl <command>: <message>`, and the process exits with `code`."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code
        self.command: str | None = None  # "wirecrawl snapshot", filled in by the group


class WirecrawlGroup(TyperGroup):
    """Typer's group, plus: global options accepted after the command's
    name, user errors as one line, and no traceback for them."""

    def __init__(self, **attrs: Any):
        super().__init__(**attrs)
        for command in self.commands.values():
            for param in command.params:
                _name_argument_by_metavar(param)

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_global_options(args))

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            error = exc if isinstance(exc, CommandError) else _as_command_error(exc, ctx)
            if error is None:
                raise
            if error.command is None:  # the innermost group names the command
                error.command = " ".join(filter(None, (ctx.command_path, ctx.invoked_subcommand)))
            if error is exc:
                raise
            raise error from exc

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        prog = prog_name or "wirecrawl"
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except CommandError as exc:
            _say(f"{exc.command or prog}: {exc}")
            sys.exit(exc.code)
        except typer.TyperException as exc:  # click's usage errors: unknown option, bad value…
            _say(_usage_line(exc, prog))
            sys.exit(getattr(exc, "exit_code", 2))
        except typer.Abort:
            _say(f"{prog}: aborted")
            sys.exit(1)
        # Non-standalone click returns an Exit's code, or the command's value (None).
        sys.exit(result if isinstance(result, int) else 0)


def hoist_global_options(args: Sequence[str]) -> list[str]:
    """`args` with every global option (and its value) moved in front, in
    their order, so the group parses them wherever they were given. Nothing
    after `--` moves."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        name, has_value, _ = arg.partition("=")
        if name in GLOBAL_OPTIONS:
            width = 1 if has_value else 2
            front.extend(args[i:i + width])
            i += width
            continue
        rest.append(arg)
        i += 1
    return front + rest


def _name_argument_by_metavar(param: Any) -> None:
    # Typer prints an argument as "FILE <path>" in help and "{FILE}" in the
    # usage line whatever its metavar; the metavar alone says what to give.
    metavar = getattr(param, "metavar", None)
    if getattr(param, "param_type_name", None) == "argument" and metavar:
        param.display_type_rich = lambda ctx: None
        param._usage_display_name = lambda: metavar


def _as_command_error(exc: Exception, ctx: typer.Context) -> CommandError | None:
    from storage.errors import as_cannot_write

    full = as_cannot_write(exc, settings(ctx).store_name())
    if full is not None:
        return CommandError(str(full), code=EXIT_CANNOT_WRITE)
    for module, name in _USER_ERRORS:
        cls = getattr(sys.modules.get(module), name, None)
        if cls is not None and isinstance(exc, cls):
            return CommandError(" ".join(str(exc).split()) or type(exc).__name__)
    return None


def _usage_line(exc: typer.TyperException, prog: str) -> str:
    ctx = getattr(exc, "ctx", None)
    path = ctx.command_path if ctx is not None else prog
    message = " ".join(exc.format_message().split())
    if message.endswith("."):
        message = message[:-1]
    message = message[:1].lower() + message[1:]
    return f"{path}: {message} (see '{path} --help')"


def _say(line: str) -> None:
    typer.echo(line, err=True)


def _version(value: bool) -> None:
    if not value:
        return
    from importlib.metadata import PackageNotFoundError, version

    try:
        typer.echo(f"wirecrawl {version('wirecrawl')}")
    except PackageNotFoundError:
        typer.echo("wirecrawl (version unknown: not installed as a package)")
    raise typer.Exit()


app = typer.Typer(
    name="wirecrawl",
    cls=WirecrawlGroup,
    help="Crawl news sites, keep article text, cluster syndicated copies, publish snapshots. "
         "--data-dir and --database-url may also follow the command's name.",
    invoke_without_command=True,
    # Plain help: rich's panels show <bool> / <list[str]> for every option.
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


@app.callback()
def _global_options(
    ctx: typer.Context,
    data_dir: Optional[Path] = typer.Option(
        None, "--data-dir", envvar="WIRECRAWL_DATA_DIR", metavar="DIR", help="Data directory (default ./data)."
    ),
    database_url: Optional[str] = typer.Option(
        None,
        "--database-url",
        envvar="WIRECRAWL_DATABASE_URL",
        metavar="URL",
        help="SQLAlchemy URL of the store (default: SQLite file in the data directory).",
    ),
    version: bool = typer.Option(False, "--version", is_eager=True, callback=_version, metavar="",
                                 help="Print wirecrawl's version and exit."),
) -> None:
    ctx.obj = Settings.resolve(data_dir, database_url)
    if ctx.invoked_subcommand is None:  # `wirecrawl` alone: the list of commands
        typer.echo(ctx.get_help())


def settings(ctx: typer.Context) -> Settings:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, Settings) else Settings.resolve()
