"""ssegen: Server-Sent Event streams as declared, typed contracts for FastAPI."""

__version__ = "0.1.0"
