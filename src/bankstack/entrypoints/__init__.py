"""Entry points: the composition root, the HTTP app, the CLI."""
