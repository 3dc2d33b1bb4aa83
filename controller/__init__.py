"""Controller: daemon, show engine, control socket, OSC and the `gobo` CLI."""
