"""The Dagster instance configuration: install the local one, validate any of them.

The instance files live in ``deploy/dagster`` under version control. Locally, ``make ui``
installs the template into ``$DAGSTER_HOME`` through this module (``python -m
orchestration.instance install``); in production the operator mounts
``dagster.prod.yaml``. Either is validated the way Dagster itself would load it, and each class it
names (storage, run coordinator, run launcher...) against that class's own config schema, so a
typo fails here, with the file and key named, instead of inside the daemon or a run pod.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from osservatorio.settings import REPO_ROOT

DEPLOY_DIR = REPO_ROOT / "deploy" / "dagster"
LOCAL_CONFIG = DEPLOY_DIR / "dagster.yaml"
PRODUCTION_CONFIG = DEPLOY_DIR / "dagster.prod.yaml"
INSTANCE_FILENAME = "dagster.yaml"

# The configurable classes an instance is built from, by the InstanceRef field naming each
# and the dagster.yaml section it comes from (for error messages).
_CLASS_SECTIONS: tuple[tuple[str, str], ...] = (
    ("storage_data", "storage"),
    ("run_storage_data", "storage (runs)"),
    ("event_storage_data", "storage (event log)"),
    ("schedule_storage_data", "storage (schedules)"),
    ("run_coordinator_data", "run_coordinator"),
    ("run_launcher_data", "run_launcher"),
    ("scheduler_data", "scheduler"),
    ("compute_logs_data", "compute_logs"),
    ("local_artifact_storage_data", "local_artifact_storage"),
    ("secrets_loader_data", "secrets"),
    ("defs_state_storage_data", "defs_state_storage"),
)


class InstanceConfigError(ValueError):
    """A dagster.yaml Dagster would refuse to load; the message names the file and the key."""


def install_instance_config(home: Path, template: Path = LOCAL_CONFIG) -> Path:
    """Copy the versioned template to ``home/dagster.yaml``, leaving an identical copy untouched.

    The copy is replaced atomically (a temporary file renamed over it), so a running webserver
    or daemon never reads half a file; an unchanged copy keeps its mtime.
    """
    home = Path(home)
    home.mkdir(parents=True, exist_ok=True)
    target = home / INSTANCE_FILENAME
    content = Path(template).read_bytes()
    if target.is_file() and target.read_bytes() == content:
        return target
    fd, temporary = tempfile.mkstemp(dir=home, prefix=f".{INSTANCE_FILENAME}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


@contextmanager
def _environment(env: Mapping[str, str] | None) -> Iterator[None]:
    """Make ``env`` the whole process environment for a moment (``None``: leave it alone).

    Dagster resolves ``env:`` values with ``os.getenv``; this is how a test or a CI job checks
    a file against the variables a deployment will have, and no others.
    """
    if env is None:
        yield
        return
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _config_errors(error: Exception) -> str:
    """Dagster's own messages (they name the offending key and its path), one per error."""
    errors = getattr(error, "errors", None) or []
    messages = [getattr(e, "message", str(e)) for e in errors] or [str(error)]
    return "; ".join(_one_line(message) for message in messages)


def _one_line(message: str) -> str:
    """A Dagster error message without its stack trace, on one line."""
    message = message.split("Stack Trace:")[0]
    message = message.replace("dagster._config.errors.PostProcessingError: ", "")
    head, _, expected = message.partition(" Expected: ")
    if len(expected) > 120:  # the whole schema of the section: noise next to the key named
        message = head
    return " ".join(message.split())


def _validate_class(path: Path, section: str, data: Any) -> None:
    """Import the class a section names and check the section's config against its schema."""
    from dagster._config import process_config, resolve_to_config_type

    where = f"{path}: `{section}` ({data.module_name}.{data.class_name})"
    try:
        module = importlib.import_module(data.module_name)
    except ImportError as error:
        raise InstanceConfigError(
            f"{where}: module {data.module_name!r} cannot be imported: {error}"
        ) from None
    klass = getattr(module, data.class_name, None)
    if klass is None:
        raise InstanceConfigError(
            f"{where}: class {data.class_name!r} not found in module {data.module_name!r}"
        )
    if not callable(getattr(klass, "config_type", None)):
        raise InstanceConfigError(f"{where}: {data.class_name!r} is not a configurable class")
    result = process_config(resolve_to_config_type(klass.config_type()), data.config_dict)
    if not result.success:
        raise InstanceConfigError(f"{where}: invalid config: {_config_errors(result)}")


def validate_instance_config(path: Path, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Validate a dagster.yaml as Dagster loads it; return the instance config it yields.

    Two levels, both with Dagster's own schemas: the file against the instance schema, then
    every configurable class it names (storage, run coordinator, run launcher, compute logs...)
    is imported and its config section checked against the class's ``config_type()``, with
    ``env:`` values resolved from ``env`` (default: this process's environment). Nothing is
    connected to: a PostgreSQL or Kubernetes config validates without either.
    """
    import yaml
    from dagster._core.errors import DagsterInvalidConfigError
    from dagster._core.instance.config import dagster_instance_config
    from dagster._core.instance.ref import InstanceRef

    path = Path(path).resolve()
    if not path.is_file():
        raise InstanceConfigError(f"{path}: no such file")
    with _environment(env):
        try:
            config, _ = dagster_instance_config(str(path.parent), path.name)
            ref = InstanceRef.from_dir(
                str(path.parent), config_dir=str(path.parent), config_filename=path.name
            )
        except DagsterInvalidConfigError as error:
            raise InstanceConfigError(f"{path}: {_config_errors(error)}") from None
        except yaml.YAMLError as error:
            raise InstanceConfigError(f"{path}: not valid YAML: {error}") from None
        except Exception as error:  # Dagster's checks raise plain errors for a malformed file.
            message = str(error).strip().splitlines()[0] if str(error).strip() else ""
            raise InstanceConfigError(f"{path}: {type(error).__name__}: {message}") from None
        for field, section in _CLASS_SECTIONS:
            data = getattr(ref, field)
            if data is not None:
                _validate_class(path, section, data)
    return dict(config)


def main(argv: Sequence[str] | None = None) -> int:
    """``install [HOME]`` (validate, then install the local template) or ``check FILE...``."""
    parser = argparse.ArgumentParser(prog="python -m orchestration.instance", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    install = commands.add_parser("install", help="validate and install the local instance")
    install.add_argument("home", nargs="?", help="DAGSTER_HOME (default: $DAGSTER_HOME)")
    check = commands.add_parser("check", help="validate instance files in this environment")
    check.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "install":
            home_value = args.home or os.environ.get("DAGSTER_HOME")
            if not home_value:
                parser.error("give HOME or set DAGSTER_HOME")
            home = Path(home_value).resolve()
            validate_instance_config(LOCAL_CONFIG, {**os.environ, "DAGSTER_HOME": str(home)})
            print(f"Dagster instance: {install_instance_config(home)}")
        else:
            for file in args.files:
                validate_instance_config(file)
                print(f"{file}: valid")
    except InstanceConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
