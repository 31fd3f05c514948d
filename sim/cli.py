"""The evacsim command line: thin commands that parse arguments and call the library."""

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Simulate the evacuation of a base: will it close in its window, how likely, and why.")
