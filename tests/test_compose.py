"""The production stack (docker-compose.yml, its Dockerfile) runs only what the project has.

No Docker is needed: the compose file is read as YAML and everything it names is looked up
where it lives: `pimh` commands in the Typer app, `prefect` commands in Prefect's own CLI,
environment variables among pimh's and Prefect's settings, files in the work tree.
"""

from __future__ import annotations

import fnmatch
import itertools
import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import prefect
import typer
import typer.core
import yaml
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from config.settings import Settings
from pimh.cli import app

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_TEXT = (ROOT / "docker-compose.yml").read_text()

# What the postgres image's entry point reads to create the user and the database.
POSTGRES_IMAGE_READS = {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"}
# Stands in for the password .env holds, so that the URLs built from it can be checked.
A_PASSWORD = "a-password-from-dot-env"

# Compose's interpolation: ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?message}...
VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z_]\w*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")
# user:password@ in a URL.
URL_PASSWORD = re.compile(r"://[^:/@\s]+:(?P<password>[^@\s]+)@")

Service = dict[str, Any]


def test_compose_runs_the_warehouse_database_and_a_prefect_server() -> None:
    """It defines PostgreSQL and a Prefect server that stores its state in that PostgreSQL."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) >= {"postgres", "prefect-server"}
    prefect = services["prefect-server"]
    assert "postgres:5432/prefect" in prefect["environment"]["PREFECT_API_DATABASE_CONNECTION_URL"]
    assert prefect["depends_on"]["postgres"]["condition"] == "service_healthy"
    init = services["postgres"]["volumes"][1].split(":")[0]
    assert "CREATE DATABASE prefect" in (ROOT / init).read_text()


def test_the_data_teams_server_records_task_runs_as_pimhs_own_servers_do() -> None:
    """Task runs recorded in batches (pimh.prefect_env), on the server compose runs too."""
    from pimh.prefect_env import RECORDER_BATCHING

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    environment = compose["services"]["prefect-server"]["environment"]
    assert {name: environment.get(name) for name in RECORDER_BATCHING} == RECORDER_BATCHING
    batching = prefect.settings.Settings(
        server={"services": {"task_run_recorder": {"batch_size": 100, "flush_interval": 1}}}
    ).to_environment_variables(exclude_unset=True)
    assert set(RECORDER_BATCHING) <= set(batching)  # the names Prefect reads


# --- reading the files --------------------------------------------------------------------


def _env_example() -> dict[str, str]:
    """The variables .env.example documents, with their example values."""
    values: dict[str, str] = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def _interpolate(value: Any, env: Mapping[str, str]) -> Any:
    """`value` with every ${...} replaced as docker-compose would, given `env`."""
    if isinstance(value, dict):
        return {key: _interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [_interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match[str]) -> str:
        found, op = env.get(match["name"]), match["op"] or ""
        if found is None or (found == "" and op.startswith(":")):
            assert not op.endswith("?"), f"compose would stop: {match['arg']}"
            return match["arg"] or ""
        return found

    return VARIABLE.sub(one, value)


@cache
def _compose() -> dict[str, Any]:
    """The compose file as docker-compose sees it with .env made from .env.example."""
    env = {**_env_example(), "POSTGRES_PASSWORD": A_PASSWORD}
    loaded: dict[str, Any] = _interpolate(yaml.safe_load(COMPOSE_TEXT), env)
    return loaded


def _services() -> dict[str, Service]:
    services: dict[str, Service] = _compose()["services"]
    return services


def _environment(service: Service) -> dict[str, str]:
    """A service's environment, written as a mapping or as a list of NAME=value."""
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        return dict(item.partition("=")[::2] for item in environment)
    return {name: "" if value is None else str(value) for name, value in environment.items()}


def _words(command: str | list[str] | None) -> list[str]:
    if command is None:
        return []
    return shlex.split(command) if isinstance(command, str) else list(command)


def _dockerfile(service: Service) -> Path:
    build = service["build"]
    if isinstance(build, str):
        return ROOT / build / "Dockerfile"
    context: str = build.get("context", ".")
    dockerfile: str = build.get("dockerfile", "Dockerfile")
    return ROOT / context / dockerfile


def _dockerfile_entrypoint(dockerfile: Path) -> list[str]:
    """The exec-form ENTRYPOINT of the image's last stage (the one that runs)."""
    found = re.findall(r"^ENTRYPOINT\s+(\[.*\])\s*$", dockerfile.read_text(), re.MULTILINE)
    assert found, f"{dockerfile.name} has no exec-form ENTRYPOINT"
    entrypoint: list[str] = json.loads(found[-1])
    return entrypoint


def _argv(service: Service) -> list[str]:
    """What the service's container runs. The prefect and postgres images' entry points run
    the command as given; the pimh image's entry point (its Dockerfile's) comes first."""
    if "entrypoint" in service:
        entrypoint = _words(service["entrypoint"])
    elif "build" in service:
        entrypoint = _dockerfile_entrypoint(_dockerfile(service))
    else:
        entrypoint = []
    command = _words(service.get("command"))
    return [*entrypoint, *command] if command or "build" in service else []


def _mounts(service: Service) -> dict[str, str]:
    """Mount point in the container -> volume name or host path."""
    mounts: dict[str, str] = {}
    for volume in service.get("volumes") or []:
        if isinstance(volume, dict):
            mounts[volume["target"]] = volume["source"]
        else:
            source, target = volume.split(":")[:2]
            mounts[target] = source
    return mounts


def _in_a_volume(path: str, service: Service) -> bool:
    """Whether `path` in the service's container is on one of its volumes."""
    return any(
        PurePosixPath(path).is_relative_to(target)
        for target, source in _mounts(service).items()
        if not _is_host_path(source)
    )


def _is_host_path(source: str) -> bool:
    return source.startswith((".", "/", "~"))


def _pimh_services() -> dict[str, Service]:
    return {name: service for name, service in _services().items() if "build" in service}


def _server() -> tuple[str, list[str]]:
    """The Prefect server's service name and the words it runs."""
    for name, service in _services().items():
        argv = _argv(service)
        if argv[:3] == ["prefect", "server", "start"]:
            return name, argv
    raise AssertionError("no service runs `prefect server start`")


def _option(argv: list[str], name: str) -> str:
    """The value given to option `name` in `argv` (--name VALUE or --name=VALUE)."""
    for index, word in enumerate(argv):
        if word == name:
            return argv[index + 1]
        if word.startswith(f"{name}="):
            return word.partition("=")[2]
    raise AssertionError(f"{name} not given in {argv}")


def _strings(value: Any) -> Iterator[str]:
    """Every string in a YAML document, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


# --- what the programs accept -------------------------------------------------------------


def _setting_names(model: type[BaseSettings]) -> set[str]:
    """The environment variables a pydantic-settings model reads, nested models included:
    a field's aliases when it has some, otherwise the model's prefix and the field's name."""
    prefix = str(model.model_config.get("env_prefix") or "")
    names: set[str] = set()
    for field_name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseSettings):
            names |= _setting_names(annotation)
            continue
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names |= {choice.upper() for choice in alias.choices if isinstance(choice, str)}
        elif isinstance(alias, str):
            names.add(alias.upper())
        else:
            names.add(f"{prefix}{field_name}".upper())
    return names


def _pimh_problems(args: list[str]) -> list[str]:
    """Why `pimh ARGS` is not a command of the Typer app (none if it is)."""
    command = typer.main.get_command(app)
    words = ["pimh"]
    rest = list(args)
    while isinstance(command, typer.core.TyperGroup):
        if not rest or rest[0].startswith("-"):
            return [f"`{' '.join(words)}` is a group of commands, not one"]
        words.append(rest.pop(0))
        found = command.commands.get(words[-1])
        if found is None:
            return [f"`{' '.join(words)}` is not a pimh command"]
        command = found
    assert isinstance(command, typer.core.TyperCommand)
    return _argument_problems(" ".join(words), command, rest)


def _argument_problems(name: str, command: typer.core.TyperCommand, args: list[str]) -> list[str]:
    """Options the command does not have, and a count of arguments it does not take."""
    options = {
        flag: param
        for param in command.params
        if isinstance(param, typer.core.TyperOption)
        for flag in (*param.opts, *param.secondary_opts)
    }
    problems: list[str] = []
    positional: list[str] = []
    words = iter(args)
    for word in words:
        if word == "--":
            positional.extend(words)
        elif word.startswith("-"):
            flag, has_value, _ = word.partition("=")
            option = options.get(flag)
            if option is None:
                problems.append(f"`{name}` has no option {flag}")
            elif not (option.is_flag or option.count or has_value):
                next(words, None)  # the option's value
        else:
            positional.append(word)
    arguments = [param for param in command.params if isinstance(param, typer.core.TyperArgument)]
    # nargs -1 is any number (at least one when required).
    least = sum(max(argument.nargs, 1) for argument in arguments if argument.required)
    most = sum(argument.nargs for argument in arguments if argument.nargs > 0)
    if any(argument.nargs < 0 for argument in arguments):
        most = max(most, len(positional))
    if not least <= len(positional) <= most:
        problems.append(f"`{name}` takes {least} to {most} arguments, given {positional}")
    return problems


def _prefect_problems(args: list[str]) -> list[str]:
    """Why `prefect ARGS` is not a command of Prefect's CLI (none if it is), from its help."""
    path = list(itertools.takewhile(lambda word: not word.startswith("-"), args))
    shown = " ".join(["prefect", *path])
    done = subprocess.run(
        [sys.executable, "-m", "prefect", *path, "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        return [f"`{shown}` is not a Prefect command: {done.stdout}{done.stderr}"]
    usage = next((line for line in done.stdout.splitlines() if line.startswith("Usage:")), "")
    if "COMMAND" in usage:
        return [f"`{shown}` is a group of commands, not one"]
    return [
        f"`{shown}` has no option {flag}"
        for flag in (word.partition("=")[0] for word in args if word.startswith("--"))
        if not re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", done.stdout)
    ]


# --- the tests ----------------------------------------------------------------------------


def test_every_command_a_service_runs_is_one_the_project_has() -> None:
    """`pimh ...` is a command of pimh's CLI and `prefect ...` one of Prefect's, with
    options they have; a service runs nothing else (or its image's own default)."""
    problems: list[str] = []
    for name, service in _services().items():
        argv = _argv(service)
        if not argv:
            continue  # the image's own program, e.g. postgres
        if argv[0] == "pimh":
            problems += [f"{name}: {problem}" for problem in _pimh_problems(argv[1:])]
        elif argv[0] == "prefect":
            problems += [f"{name}: {problem}" for problem in _prefect_problems(argv[1:])]
        else:
            problems.append(f"{name} runs {argv[0]}, neither pimh nor prefect")
    assert problems == []


def test_every_variable_a_service_sets_is_one_its_program_reads() -> None:
    """A misspelt setting is silently ignored: each variable must be a pimh setting, a
    Prefect 3 setting or, for the database, one the postgres image reads."""
    pimh_reads = _setting_names(Settings)
    prefect_reads = _setting_names(prefect.settings.Settings)
    assert {"PIMH_WAREHOUSE_URL", "PIMH_WORK_POOL"} <= pimh_reads
    assert {"PREFECT_API_URL", "PREFECT_UI_API_URL", "PREFECT_SERVER_ANALYTICS_ENABLED"} <= (
        prefect_reads
    )
    problems: list[str] = []
    for name, service in _services().items():
        image = str(service.get("image", ""))
        if "build" in service:
            reads = pimh_reads | prefect_reads  # pimh runs Prefect's client and worker
        elif image.startswith("prefecthq/prefect:"):
            reads = prefect_reads
        elif image.startswith("postgres:"):
            reads = POSTGRES_IMAGE_READS
        else:
            reads = set()
        problems += [f"{name} sets {variable}" for variable in set(_environment(service)) - reads]
    assert problems == []


def test_pimh_services_share_the_data_volumes_and_reach_the_database_and_the_server() -> None:
    """The watcher, the workers and the deploy see the same landing area, archive and
    feedback volumes, and are pointed at the warehouse database and the Prefect API."""
    pimh_services = _pimh_services()
    assert set(pimh_services) >= {"deploy", "watcher", "worker"}
    postgres = _environment(_services()["postgres"])
    server, server_argv = _server()
    mounts = {name: _mounts(service) for name, service in pimh_services.items()}
    assert len({tuple(sorted(found.items())) for found in mounts.values()}) == 1, mounts
    for name, service in pimh_services.items():
        env = _environment(service)
        for variable in ("PIMH_ARCHIVE_URL", "PIMH_FEEDBACK_URL"):
            assert _in_a_volume(env[variable], service), f"{name}: {variable} is not in a volume"
        warehouse = urlsplit(env["PIMH_WAREHOUSE_URL"])
        assert warehouse.scheme == "postgresql+psycopg"
        assert (warehouse.hostname, warehouse.port) == ("postgres", 5432)
        assert warehouse.username == postgres["POSTGRES_USER"]
        assert warehouse.password == A_PASSWORD
        assert warehouse.path == f"/{postgres['POSTGRES_DB']}"
        api = urlsplit(env["PREFECT_API_URL"])
        assert (api.hostname, str(api.port), api.path) == (
            server,
            _option(server_argv, "--port"),
            "/api",
        )
    # The landing area the watcher watches and the sweep sweeps is the shared volume.
    watcher, deploy = pimh_services["watcher"], pimh_services["deploy"]
    assert _in_a_volume(_argv(watcher)[-1], watcher)
    assert _in_a_volume(_argv(deploy)[-1], deploy)


def test_services_wait_for_what_they_need_and_come_back_when_they_stop() -> None:
    """depends_on names services that exist, waits for health only where there is a health
    check; long-running services restart, a one-shot only when it failed."""
    services = _services()
    one_shots = {
        needed
        for service in services.values()
        for needed, wait in (service.get("depends_on") or {}).items()
        if wait["condition"] == "service_completed_successfully"
    }
    assert one_shots == {"deploy"}
    problems: list[str] = []
    for name, service in services.items():
        for needed, wait in (service.get("depends_on") or {}).items():
            if needed not in services:
                problems.append(f"{name} waits for {needed}, which is not a service")
            elif wait["condition"] == "service_healthy" and "healthcheck" not in services[needed]:
                problems.append(f"{name} waits for {needed} to be healthy: it has no check")
        if name in one_shots:
            if service.get("restart") not in {"no", "on-failure"}:
                problems.append(f"{name} is one-shot but restarts: {service.get('restart')}")
        else:
            if service.get("restart") not in {"always", "unless-stopped"}:
                problems.append(f"{name} is not restarted: {service.get('restart')}")
            if "healthcheck" not in service:
                problems.append(f"{name} has no health check")
    assert problems == []


def test_health_checks_ask_what_the_service_is() -> None:
    """pg_isready asks for the warehouse's user and database, the server's check its own
    port's /api/health, and every Python check compiles."""
    services = _services()
    postgres = services["postgres"]
    env = _environment(postgres)
    assert _words(postgres["healthcheck"]["test"]) == [
        "CMD-SHELL",
        f"pg_isready -U {env['POSTGRES_USER']} -d {env['POSTGRES_DB']}",
    ]
    server, argv = _server()
    assert f"localhost:{_option(argv, '--port')}/api/health" in " ".join(
        services[server]["healthcheck"]["test"]
    )
    for name, service in services.items():
        test = _words(service.get("healthcheck", {}).get("test"))
        if test[1:3] == ["python", "-c"]:
            compile(test[3], f"{name} health check", "exec")


def test_the_volumes_and_the_dockerfile_the_services_use_exist() -> None:
    """Named volumes are declared (and every declared one used); files mounted from the
    work tree, and the Dockerfile each built service names, are there."""
    declared = set(_compose().get("volumes") or {})
    used: set[str] = set()
    problems: list[str] = []
    for name, service in _services().items():
        for source in _mounts(service).values():
            if _is_host_path(source):
                if not (ROOT / source).exists():
                    problems.append(f"{name} mounts {source}, which is not in the work tree")
            else:
                used.add(source)
        if "build" in service and not _dockerfile(service).is_file():
            problems.append(f"{name} is built from {_dockerfile(service)}, which is missing")
    assert problems == []
    assert used == declared


def test_the_worker_can_be_scaled() -> None:
    """`docker-compose up --scale worker=3` needs no fixed container name or host port."""
    worker = _services()["worker"]
    assert "container_name" not in worker
    assert not worker.get("ports")


def test_no_password_is_written_in_the_file() -> None:
    """Every password, alone or in a URL, is a ${VAR:?message} taken from .env, and the
    example .env offers none to keep."""
    raw = yaml.safe_load(COMPOSE_TEXT)
    problems: list[str] = []
    for name, service in raw["services"].items():
        for variable, value in _environment(service).items():
            if "PASSWORD" in variable.upper():
                match = VARIABLE.fullmatch(value)
                if not match or match["op"] != ":?":
                    problems.append(f"{name}: {variable} is not ${{VAR:?message}}")
    for text in _strings(raw):
        for match in URL_PASSWORD.finditer(text):
            found = VARIABLE.fullmatch(match["password"])
            if not found or found["op"] != ":?":
                problems.append(f"a URL holds a password: {match.group()}")
    assert problems == []
    assert _env_example()["POSTGRES_PASSWORD"] == ""


def test_every_variable_the_file_takes_from_env_is_in_env_example() -> None:
    """Each ${VAR} is documented in .env.example and either required (:?, so compose stops
    with the message) or given a default (:-): none silently becomes empty."""
    documented = set(_env_example())
    problems = [
        match.group()
        for match in VARIABLE.finditer(COMPOSE_TEXT)
        if match["name"] not in documented or match["op"] not in {":?", ":-"}
    ]
    assert problems == []
    assert "$" not in VARIABLE.sub("", COMPOSE_TEXT), "a $VAR without braces"


def test_the_image_installs_pimh_pinned_and_runs_it_as_a_user() -> None:
    """python:3.11-slim, `pip install -c constraints.txt .`, a user that is not root, the
    `pimh` entry point; the Prefect server image is the Prefect version pimh is pinned to."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    bases = re.findall(r"^FROM\s+(\S+)", dockerfile, re.MULTILINE)
    assert set(bases) == {"python:3.11-slim"}
    assert re.search(r"^RUN pip install -c constraints\.txt \.$", dockerfile, re.MULTILINE)
    last_stage = dockerfile.rpartition("\nFROM ")[2]
    users = re.findall(r"^USER\s+(\S+)", last_stage, re.MULTILINE)
    assert users, "the image runs as root"
    assert users[-1] not in {"root", "0"}
    assert _dockerfile_entrypoint(ROOT / "Dockerfile") == ["pimh"]
    server, _ = _server()
    assert _services()[server]["image"] == f"prefecthq/prefect:{prefect.__version__}-python3.11"


def test_the_build_context_holds_only_what_pip_install_needs() -> None:
    """.dockerignore leaves out everything but the files and packages pyproject.toml
    installs (so no .env or local data reaches the image), and leaves none of those out."""
    lines = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*"
    sent = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    include = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {
        path.name
        for path in ROOT.iterdir()
        if path.is_dir()
        and path.name.isidentifier()
        and any(fnmatch.fnmatch(path.name, pattern) for pattern in include)
    }
    needed = {"pyproject.toml", "constraints.txt", pyproject["project"]["readme"]}
    assert packages | needed <= sent
    assert not any(name.startswith(".env") for name in sent)
    copied = re.findall(r"^COPY\s+(?!--from)(.+)\s+\S+$", (ROOT / "Dockerfile").read_text(), re.M)
    assert {word for line in copied for word in line.split()} - {"."} <= sent
