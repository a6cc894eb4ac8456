"""The local runner: the embedded default engine (one machine, no server)."""
