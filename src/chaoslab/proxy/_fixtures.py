"""pytest fixtures of chaoslab.proxy (registered through the pytest11 entry point)."""
