"""The deployment files agree with the code: every command they run exists, secrets stay
out of them, the image runs as a non-root user with a health check."""

from __future__ import annotations

import pytest
import typer

from edigateway.cli import app
from tests.factories import REPO

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
    # One scheduler: Celery beat sends, polls and follows up; the API does not schedule too.
    assert services["beat"]["command"][:3] == ["edigateway", "worker", "--beat"]
    assert "--no-scheduler" in services["api"]["command"]


def test_dockerfile_is_non_root_with_a_health_check():
    dockerfile = (REPO / "deploy/Dockerfile").read_text()
    assert "USER 10001" in dockerfile
    assert "HEALTHCHECK" in dockerfile
    assert "COPY mappings" in dockerfile


def test_the_simulator_and_the_pollers_share_its_own_folder_outside_the_data_volume():
    """The simulator writes its host key (and plain-text test files) under
    EDIGATEWAY_SIM_DATA_DIR; the workers (beat's included) read the host key from there. That
    folder is its own volume, created by the image for uid 10001, never inside the data
    volume."""
    dockerfile = (REPO / "deploy/Dockerfile").read_text()
    env = dict(
        line.strip().rstrip("\\").strip().split("=", 1)
        for line in dockerfile.splitlines()
        if line.strip().startswith("EDIGATEWAY_")
    )
    data, sim = env["EDIGATEWAY_DATA_DIR"], env["EDIGATEWAY_SIM_DATA_DIR"]
    assert not sim.startswith(data + "/")
    assert f"chown edigateway {data} {sim}" in dockerfile
    compose = yaml.safe_load((REPO / "deploy/compose.yml").read_text())
    for name in ("sftp", "beat", "worker"):
        mounts = dict(v.split(":", 1)[::-1] for v in compose["services"][name]["volumes"])
        assert mounts[sim] != mounts[data], name
        assert compose["volumes"].keys() >= {mounts[sim], mounts[data]}


def test_the_env_example_names_the_trusted_hosts():
    example = (REPO / "deploy/edigateway.env.example").read_text()
    assert "EDIGATEWAY_TRUSTED_HOSTS=" in example
