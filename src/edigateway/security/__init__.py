"""Encryption of PHI at rest, API keys and log redaction."""
