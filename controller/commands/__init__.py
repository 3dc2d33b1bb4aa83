"""Sub-commands of `gobo`, one module per area; each exposes `register(subparsers)`."""
