"""`python -m hollow` runs the CLI, so tests can drive it through the current interpreter."""

from hollow.cli import main

main()
