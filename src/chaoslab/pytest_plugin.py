"""The chaoslab pytest plugin: markers, options, and the core fixtures."""
