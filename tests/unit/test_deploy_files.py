"""The deployment files agree with the code: every command they run exists, secrets stay
out of them, the image runs as a non-root user with a health check."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from edigateway.cli import app

REPO = Path(__file__).resolve().parents[2]
yaml = pytest.importorskip("yaml")


def _commands() -> set[str]:
    names: set[str] = set()

    def walk(command: object, path: str) -> None:
        subcommands = getattr(command, "commands", None)
        if subcommands:
            for name, sub in subcommands.items():
                walk(sub, f"{path} {name}".strip())
        else:
            names.add(path)

    walk(typer.main.get_command(app), "")
    return names


def test_compose_services_use_real_commands_and_no_secrets():
    compose = yaml.safe_load((REPO / "deploy/compose.yml").read_text())
    services = compose["services"]
    known = _commands()
    for name, service in services.items():
        command = service.get("command")
        if not command or command[0] != "edigateway":
            continue
        words = [w for w in command[1:] if not w.startswith("-")]
        assert " ".join(words[:2]) in known or words[0] in known, (name, command)
        assert service.get("env_file") == ["edigateway.env"], name
    assert services["migrate"]["command"] == ["edigateway", "db", "upgrade"]
    assert "healthcheck" in services["api"]
    text = (REPO / "deploy/compose.yml").read_text()
    assert "PHI_KEYS=" not in text
    assert "PASSWORD:" not in text.replace("PASSWORD_FILE", "")
    poller = " ".join(services["poller"]["command"])
    assert "edigateway claims send" in poller
    assert "edigateway claims poll" in poller


def test_dockerfile_is_non_root_with_a_health_check():
    dockerfile = (REPO / "deploy/Dockerfile").read_text()
    assert "USER 10001" in dockerfile
    assert "HEALTHCHECK" in dockerfile
    assert "COPY mappings" in dockerfile
