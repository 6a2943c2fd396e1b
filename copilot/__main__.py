"""``python -m copilot``: the same command line as the ``copilot`` script."""

from copilot.cli import main

main(prog_name="copilot")
