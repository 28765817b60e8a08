"""The shared core of the harness: no benchmark-specific code lives here."""
