"""Ports and adapters for exchanging files with clearinghouses (SFTP, HTTPS)."""
