"""Use cases shared by the CLI, the API and the workers (no logic lives in those front ends)."""
