"""The command line, one module per command; ``matcher.cli.main`` puts them together."""
