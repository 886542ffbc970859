"""The `fullcourt` commands, one module per kind; `fullcourt.cli` is the entry point."""
