"""Settings: the home's `settings.toml` and the environment, validated once into one model.

Every knob a person can leave in a home lives here, so a typo is caught in one place
and reported as one line that names the file (or variable), the key and the form it
expects — never a traceback, never a value silently truncated or ignored:

    [sources]
    url = "https://provider.example"   # FULLCOURT_SOURCE_URL: a service with the same paths
    key = "..."                        # FULLCOURT_SOURCE_KEY: sent as the Authorization header
    seed = 7                           # FULLCOURT_SIM_SEED: the simulated league
    replay = "/path/to/real/files"     # FULLCOURT_REPLAY_DIR: real files instead of the simulator
    rate = 20                          # requests per second
    timeout = 20                       # seconds per request

    ledger = "postgresql://user@db.example/fullcourt"  # FULLCOURT_LEDGER; default ledger.sqlite

    [warehouse]
    engine = "spark"                   # FULLCOURT_WAREHOUSE_ENGINE: duckdb (default) or spark
    master = "local[2]"                # FULLCOURT_SPARK_MASTER: any Spark master URL
    location = "/data/spark-warehouse" # FULLCOURT_WAREHOUSE_LOCATION; default <home>/spark-warehouse
    memory = "2GB"                     # FULLCOURT_WAREHOUSE_MEMORY: DuckDB's memory (default 1GB)

The environment wins over the file; a variable set to the empty string puts its key
back to the default whatever the file says (that is how `fullcourt --source sim`
overrides a recorded replay folder for one invocation). A relative `replay` folder in
the file is relative to the home. A URL and a replay folder together are an error.

The key is a `SecretStr`: it prints as `**********`, and no error names its value.

The model is nested so that providers can get sections of their own later — a
`nbacom: ProviderSettings | None` field on `SourceSettings` reads `[sources.nbacom]`
with its own `url`, `key`, `rate` and `timeout`, each falling back to `[sources]`.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import tomllib
import types
import typing
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails, PydanticCustomError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from fullcourt import errors
from fullcourt.config import Home
from fullcourt.files import write_atomic

__all__ = [
    "ENVIRONMENT",
    "FILE_NAME",
    "ProviderSettings",
    "Settings",
    "SourceSettings",
    "WarehouseSettings",
    "load",
    "path",
    "save",
]

FILE_NAME = "settings.toml"

# variable -> the dotted key it overrides
ENVIRONMENT: dict[str, str] = {
    "FULLCOURT_SOURCE_URL": "sources.url",
    "FULLCOURT_SOURCE_KEY": "sources.key",
    "FULLCOURT_SIM_SEED": "sources.seed",
    "FULLCOURT_REPLAY_DIR": "sources.replay",
    "FULLCOURT_SOURCE_MODE": "sources.mode",
    "FULLCOURT_LEDGER": "ledger",
    "FULLCOURT_WAREHOUSE_ENGINE": "warehouse.engine",
    "FULLCOURT_SPARK_MASTER": "warehouse.master",
    "FULLCOURT_WAREHOUSE_LOCATION": "warehouse.location",
    "FULLCOURT_WAREHOUSE_MEMORY": "warehouse.memory",
}

_MODEL = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

_Positive = Annotated[StrictFloat, Field(gt=0, allow_inf_nan=False)]


class ProviderSettings(BaseModel):
    """How to reach one provider: where, with which key, how fast, how patiently.

    Types are strict (`seed = 7.5` is an error, not 7), and each field's description is
    the form an error line asks for: "sources.rate must be <description>, got -1".
    """

    model_config = _MODEL

    url: StrictStr | None = Field(None, pattern=r"^https?://", description="an http(s):// URL")
    key: SecretStr | None = Field(None, description="a string (the API key)")
    rate: _Positive | None = Field(None, description="a number > 0 (requests per second)")
    timeout: _Positive | None = Field(None, description="a number > 0 (seconds)")


class ProviderTable(BaseModel):
    """`[sources.<provider>]`: one real provider's URL, key, rate and quota reserve (the
    defaults are the public services, `sources.provider_settings.DEFAULTS`)."""

    model_config = _MODEL

    url: StrictStr | None = Field(None, pattern=r"^https?://", description="an http(s):// URL")
    stats_url: StrictStr | None = Field(None, pattern=r"^https?://", description="an http(s):// URL")
    key: SecretStr | None = Field(None, description="a string (the API key)")
    rate: _Positive | None = Field(None, description="a number > 0 (requests per second)")
    reserve: Annotated[StrictInt, Field(ge=0)] | None = Field(
        None, description="an integer >= 0 (quota requests never spent)"
    )


class SourceSettings(ProviderSettings):
    """`[sources]`: the provider settings every source shares, and what stands in for one."""

    mode: Literal["sim", "replay", "live"] | None = Field(
        None, description='"sim", "replay" or "live" (the real providers)'
    )
    seed: StrictInt = Field(7, description="an integer (the simulated league's seed)")
    replay: Path | None = Field(None, description="a folder path string")
    nbacom: ProviderTable | None = None
    balldontlie: ProviderTable | None = None
    oddsapi: ProviderTable | None = None
    injuries: ProviderTable | None = None

    @field_validator("replay", mode="before")
    @classmethod
    def _not_empty(cls, value: Any) -> Any:
        if value == "":
            raise PydanticCustomError("empty", "an empty folder path")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> SourceSettings:
        if self.url and self.replay:
            raise PydanticCustomError(
                "one_source", "a service url and a replay folder are both set"
            )
        return self


class WarehouseSettings(BaseModel):
    """`[warehouse]`: which engine holds the tables. DuckDB (one file, one process at a
    time) by default; Spark (`local[N]` or any master) when several runners share a home."""

    model_config = _MODEL

    engine: Literal["duckdb", "spark"] = Field(
        "duckdb", description='"duckdb" or "spark"'
    )
    master: StrictStr | None = Field(
        None, pattern=r"^(local(\[(\d+|\*)\])?|(spark|yarn|k8s)\S*)$",
        description='a Spark master such as "local[2]" or "spark://host:7077"',
    )
    location: Path | None = Field(None, description="a folder path string (Spark's tables)")
    # DuckDB keeps pages it has read in memory up to its limit (by default 80% of the
    # machine's): a rebuild then holds gigabytes it does not need. Past this limit DuckDB
    # evicts pages and spills what a query holds to `warehouse.duckdb.tmp/`. It must still
    # hold a vector of the widest column: 2,048 of the largest export documents (a real
    # four-season home's date documents reach 1 MB, and 512MB is then too little).
    memory: StrictStr = Field(
        "1GB", pattern=r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$",
        description='a size such as "512MB" or "4GB"',
    )

    @field_validator("location", mode="before")
    @classmethod
    def _not_empty(cls, value: Any) -> Any:
        if value == "":
            raise PydanticCustomError("empty", "an empty folder path")
        return value


class Settings(BaseSettings):
    """Everything `settings.toml` and the environment can set; build it with `load(home)`."""

    model_config = SettingsConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    # The run ledger: a file path (relative to the home) or a postgresql:// URL for several
    # runners on several machines. None: `ledger.sqlite` in the home.
    ledger: StrictStr | None = Field(
        None, pattern=r"^(postgres(ql)?://\S+|[^:]+)$",
        description="a file path or a postgresql:// URL",
    )
    sources: SourceSettings = Field(default_factory=SourceSettings)
    warehouse: WarehouseSettings = Field(default_factory=WarehouseSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # First wins: our variables over the file (handed over as init values by `load`).
        return (_Environment(settings_cls), init_settings)


# The variables `_Environment` reads: the process's unless `load` or `save` says otherwise.
_ENVIRON: ContextVar[Mapping[str, str] | None] = ContextVar(
    "fullcourt_settings_environ", default=None
)


class _Environment(PydanticBaseSettingsSource):
    """The FULLCOURT_* variables of ENVIRONMENT, as nested values of their keys."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # __call__ reads every variable itself

    def __call__(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        environ = _ENVIRON.get()
        for key, (_, value) in _from_environment(
            os.environ if environ is None else environ
        ).items():
            *tables, name = key.split(".")
            node = out
            for table in tables:
                node = node.setdefault(table, {})
            node[name] = value
        return out


def _from_environment(environ: Mapping[str, str]) -> dict[str, tuple[str, Any]]:
    """key -> (variable, value) for every variable set; text becomes its field's type."""
    found: dict[str, tuple[str, Any]] = {}
    for variable, key in ENVIRONMENT.items():
        if variable not in environ:
            continue
        text = environ[variable]
        field = _field_at(tuple(key.split(".")))
        if text == "":
            value = field.get_default(call_default_factory=True) if field else None
        elif field is not None and _base(field.annotation) is int:
            try:
                value = int(text)
            except ValueError:
                value = text  # the strict model rejects it, naming the variable
        else:
            value = text
        found[key] = (variable, value)
    return found


# -- reading -----------------------------------------------------------------------------------


def path(home: Home) -> Path:
    return home.root / FILE_NAME


def load(home: Home, environ: Mapping[str, str] | None = None) -> Settings:
    """The home's settings file under the environment (default: the process's), validated;
    `SettingsError` if not."""
    legacy = home.root / "settings.json"
    if legacy.is_file():  # once read as a fallback: ignoring it would switch sources silently
        raise errors.SettingsError(
            f"settings {legacy}: settings.json is no longer read; move its [sources] keys "
            f"into {path(home)}"
        )
    return _validated(home, _read(path(home)), os.environ if environ is None else environ)


def _validated(home: Home, data: dict[str, Any], environ: Mapping[str, str]) -> Settings:
    file = path(home)
    data = _anchored(data, home)
    strange = sorted(k for k in data if k.startswith("_"))  # would reach BaseSettings' options
    if strange:
        raise errors.SettingsError(f"settings {file}: unknown key {strange[0]} (known: {', '.join(sorted(Settings.model_fields))})")
    token = _ENVIRON.set(environ)
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise errors.SettingsError(_explain(exc, file, _from_environment(environ))) from None
    finally:
        _ENVIRON.reset(token)


def _read(file: Path) -> dict[str, Any]:
    try:
        text = file.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return {}  # no file (an unusable home is the home's error, reported when it is used)
    except (OSError, UnicodeDecodeError) as exc:
        raise errors.SettingsError(f"settings {file}: cannot read it: {exc}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise errors.SettingsError(_explain_toml(file, text, exc)) from None


def _anchored(data: dict[str, Any], home: Home) -> dict[str, Any]:
    """The file's relative folders (replay, Spark location, ledger file) made relative to
    the home, not the working dir."""
    for table, key in (("sources", "replay"), ("warehouse", "location")):
        section = data.get(table)
        if isinstance(section, dict) and isinstance(section.get(key), str) and section[key]:
            folder = home.root / Path(section[key]).expanduser()
            data = {**data, table: {**section, key: str(folder)}}
    ledger = data.get("ledger")
    if isinstance(ledger, str) and ledger and "://" not in ledger:
        data = {**data, "ledger": str(home.root / Path(ledger).expanduser())}
    return data


# -- explaining --------------------------------------------------------------------------------


def _explain_toml(file: Path, text: str, exc: tomllib.TOMLDecodeError) -> str:
    """Line and key of a TOML syntax error; never the line itself, which may hold the key."""
    reason = re.sub(r"\s*\(at [^)]*\)$", "", str(exc)) or "syntax error"
    m = re.search(r"at line (\d+)", str(exc))
    if not m:
        return f"settings {file}: not valid TOML: {reason}"
    number = int(m.group(1))
    lines = text.splitlines()
    table = ""
    for line in lines[: number - 1]:
        if header := re.match(r"\s*\[+\s*([^\]]+?)\s*\]", line):
            table = header.group(1)
    name = (
        re.match(r"\s*([A-Za-z0-9_.\-]+)\s*=", lines[number - 1]) if number <= len(lines) else None
    )
    key = ".".join(filter(None, [table, name.group(1) if name else ""]))
    return (
        f"settings {file}: line {number}"
        + (f" ({key})" if key else "")
        + f" is not valid TOML: {reason[:1].lower()}{reason[1:]}"
        + ' (strings need quotes, e.g. replay = "/data/real"; numbers and true/false do not)'
    )


def _explain(exc: ValidationError, file: Path, env: Mapping[str, tuple[str, Any]]) -> str:
    problems = exc.errors()
    line = _explain_one(problems[0], file, env)
    return line + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "")


def _explain_one(error: ErrorDetails, file: Path, env: Mapping[str, tuple[str, Any]]) -> str:
    loc = tuple(str(p) for p in error["loc"])
    key = ".".join(loc)

    def where(k: str) -> str:
        return f"environment {env[k][0]}" if k in env else f"settings {file}"

    if error["type"] == "one_source":
        url, replay = f"{key}.url", f"{key}.replay"
        return (
            f"settings: {url} (from {where(url)}) and {replay} (from {where(replay)}) are both "
            "set; choose one: a service url or a replay folder"
        )
    if error["type"] == "extra_forbidden":
        known = ", ".join(sorted(_fields_of(_model_at(loc[:-1]))))
        return f"{where(key)}: unknown key {key} (known: {known})"
    field = _field_at(loc)
    if field is None or error["type"] in ("model_type", "model_attributes_type", "dict_type"):
        return f"{where(key)}: {key} must be a table ([{key}]), got {_kind(error['input'])}"
    value = error["input"]
    if _is_secret(field):
        got = _kind(value)  # the value of a secret never reaches a message
    elif key in env:
        got = repr(value)
    else:
        got = _toml_value(value) if _renderable(value) else _kind(value)
    return f"{where(key)}: {key} must be {field.description}, got {got[:80]}"


def _model_at(loc: tuple[str, ...]) -> type[BaseModel] | None:
    model: type[BaseModel] | None = Settings
    for part in loc:
        field = model.model_fields.get(part) if model else None
        model = _submodel(field.annotation) if field else None
    return model


def _field_at(loc: tuple[str, ...]) -> FieldInfo | None:
    model = _model_at(loc[:-1])
    return model.model_fields.get(loc[-1]) if model and loc else None


def _fields_of(model: type[BaseModel] | None) -> list[str]:
    return list(model.model_fields) if model else []


def _options(annotation: Any) -> tuple[Any, ...]:
    """X | None -> (X,); Annotated[X, ...] -> (X,)."""
    if typing.get_origin(annotation) is Annotated:
        return _options(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return tuple(a for arg in typing.get_args(annotation) for a in _options(arg))
    return (annotation,)


def _base(annotation: Any) -> Any:
    return next((a for a in _options(annotation) if a is not type(None)), None)


def _submodel(annotation: Any) -> type[BaseModel] | None:
    base = _base(annotation)
    return base if isinstance(base, type) and issubclass(base, BaseModel) else None


def _is_secret(field: FieldInfo) -> bool:
    return SecretStr in _options(field.annotation)


def _kind(value: Any) -> str:
    names = {bool: "true/false", int: "an integer", float: "a number", str: "a string",
             list: "an array", dict: "a table"}  # fmt: skip
    return next((n for t, n in names.items() if isinstance(value, t)), type(value).__name__)


# -- writing -----------------------------------------------------------------------------------

Scalar = str | int | float | bool


def save(home: Home, key: str, value: Scalar | Path | None) -> None:
    """Set the dotted `key` (e.g. "sources.replay") in the home's settings file, or remove
    it with None, keeping every other key; written atomically, and only if it changes.

    The result is validated before it is written, so a saved file always loads. Comments
    in the file are not kept (the file is rewritten from its values).
    """
    file = path(home)
    data = _read(file)
    *tables, name = key.split(".")
    node: dict[str, Any] = data
    for table in tables:
        if value is None and table not in node:
            return
        node = node.setdefault(table, {})
        if not isinstance(node, dict):
            raise errors.SettingsError(f"settings {file}: {table} must be a table ([{table}])")
    new = str(value) if isinstance(value, Path) else value
    if new is None:
        if name not in node:
            return
        node.pop(name)
    elif name in node and node[name] == new:
        return
    else:
        node[name] = new
    _validated(home, data, {})  # the file alone must load, whatever the environment says
    _write_atomically(file, _render(data))


def _write_atomically(file: Path, text: str) -> None:
    try:
        write_atomic(file, text, mode=0o600)  # a new settings file may hold a key
    except OSError as exc:
        raise errors.HomeError(f"cannot write settings {file}: {exc.strerror or exc}") from exc


def _render(data: Mapping[str, Any]) -> str:
    """TOML for what `tomllib.loads` returns: scalars first, then one header per table."""
    blocks: list[str] = []

    def table(prefix: tuple[str, ...], values: Mapping[str, Any]) -> None:
        lines = [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in values.items()
                 if not isinstance(v, dict)]  # fmt: skip
        subtables = {k: v for k, v in values.items() if isinstance(v, dict)}
        if prefix and (lines or not subtables):
            lines.insert(0, f"[{'.'.join(_toml_key(p) for p in prefix)}]")
        if lines:
            blocks.append("\n".join(lines))
        for k, v in subtables.items():
            table((*prefix, k), v)

    table((), data)
    return "\n\n".join(blocks) + "\n" if blocks else ""


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _toml_string(key)


def _toml_string(text: str) -> str:
    escapes = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f",
               "\r": "\\r"}  # fmt: skip
    body = "".join(
        escapes.get(c) or (f"\\u{ord(c):04x}" if ord(c) < 0x20 or ord(c) == 0x7F else c)
        for c in text
    )
    return f'"{body}"'


def _renderable(value: Any) -> bool:
    return isinstance(value, str | int | float | bool | dt.date | dt.time | list | dict)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dt.date | dt.time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no TOML form for {type(value).__name__}")
