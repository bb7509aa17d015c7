"""The HTTP API for practice-management systems (FastAPI, versioned under ``/v1``)."""
