"""pytest fixtures of chaoslab.services (registered through the pytest11 entry point)."""
