"""One module per CLI subcommand: `run(parser, argv) -> exit status`."""
