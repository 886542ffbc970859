"""Settings: one validated model of settings.toml and the environment, one line per mistake."""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path

import pytest
from tests.conftest import TINY, run_cli

from fullcourt import errors, settings
from fullcourt.config import Home
from fullcourt.sources import registry

ENV = {"FULLCOURT_CATALOG": TINY}
PLANTED = "sk-PLANTED-123"


@pytest.fixture(autouse=True)
def _no_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """The child processes of `run_cli` inherit this environment: no variable overrides the file."""
    for var in settings.ENVIRONMENT:
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def home(tmp_path: Path) -> Home:
    root = tmp_path / "home"
    root.mkdir()
    return Home(root)


def write(home: Home, text: str) -> Path:
    path = settings.path(home)
    path.write_text(text)
    return path


# -- reading -------------------------------------------------------------------------------


def test_defaults_without_a_file(home):
    got = settings.load(home, environ={}).sources
    assert (got.url, got.key, got.seed, got.replay, got.rate, got.timeout) == (
        None, None, 7, None, None, None,
    )  # fmt: skip


def test_the_file_is_read_and_a_relative_replay_is_relative_to_the_home(home):
    write(home, '[sources]\nseed = 11\nreplay = "../real"\nrate = 5\ntimeout = 2.5\n')
    got = settings.load(home, environ={}).sources
    assert got.seed == 11 and got.rate == 5.0 and got.timeout == 2.5
    assert got.replay == home.root / "../real"


def test_the_environment_wins_over_the_file(home, tmp_path):
    write(home, '[sources]\nseed = 11\nurl = "https://file.test"\nkey = "from-file"\n')
    env = {"FULLCOURT_SIM_SEED": "3", "FULLCOURT_SOURCE_URL": "https://env.test",
           "FULLCOURT_SOURCE_KEY": "from-env"}  # fmt: skip
    got = settings.load(home, environ=env).sources
    assert (got.seed, got.url) == (3, "https://env.test")
    assert got.key is not None and got.key.get_secret_value() == "from-env"
    # an empty variable puts its key back to the default, whatever the file says
    got = settings.load(home, environ={"FULLCOURT_SOURCE_URL": "", "FULLCOURT_SIM_SEED": ""})
    assert (got.sources.url, got.sources.seed) == (None, 7)
    env_replay = {"FULLCOURT_SOURCE_URL": "", "FULLCOURT_REPLAY_DIR": "rel/dir"}
    assert settings.load(home, environ=env_replay).sources.replay == Path("rel/dir")  # not the home's


def test_the_warehouse_holds_duckdb_to_the_memory_the_settings_give(home):
    from fullcourt import warehouse

    def limit(environ):
        wh = warehouse.open(home, settings.load(home, environ=environ))
        try:
            return wh.sql("SELECT current_setting('memory_limit')")[0][0]
        finally:
            wh.close()

    assert limit({}) == "953.6 MiB"  # 1GB, not DuckDB's 80% of the machine
    write(home, '[warehouse]\nmemory = "2GB"\n')
    assert limit({}) == "1.8 GiB"
    assert limit({"FULLCOURT_WAREHOUSE_MEMORY": "256MB"}) == "244.1 MiB"


def test_scale_out_settings_default_to_duckdb_and_sqlite_and_anchor_to_the_home(home):
    got = settings.load(home, environ={})
    assert (got.warehouse.engine, got.warehouse.master, got.ledger) == ("duckdb", None, None)
    write(home, 'ledger = "shared/ledger.sqlite"\n\n[warehouse]\nengine = "spark"\n'
                'master = "local[2]"\nlocation = "spark"\n')  # fmt: skip
    got = settings.load(home, environ={})
    assert got.warehouse.location == home.root / "spark"
    assert got.ledger == str(home.root / "shared/ledger.sqlite")
    url = "postgresql://fc@127.0.0.1:5432/fc"
    assert settings.load(home, environ={"FULLCOURT_LEDGER": url}).ledger == url


def test_the_process_environment_is_the_default(home, monkeypatch):
    write(home, "[sources]\nseed = 11\n")
    monkeypatch.setenv("FULLCOURT_SIM_SEED", "5")
    assert settings.load(home).sources.seed == 5


@pytest.mark.parametrize(
    ("text", "env", "message"),
    [
        ("[sources]\nrate = -1\n", {}, "{file}: sources.rate must be a number > 0 (requests per second), got -1"),
        ('[sources]\nrate = "fast"\n', {}, '{file}: sources.rate must be a number > 0 (requests per second), got "fast"'),
        ("[sources]\nseed = 7.5\n", {}, "{file}: sources.seed must be an integer"),
        ("[sources]\ntimeout = 0\n", {}, "{file}: sources.timeout must be a number > 0 (seconds), got 0"),
        ('[sources]\nurl = "ftp://x"\n', {}, '{file}: sources.url must be an http(s):// URL, got "ftp://x"'),
        ("[sources]\nrepaly = 1\n", {}, "{file}: unknown key sources.repaly (known: balldontlie, injuries, key, mode, nbacom, oddsapi, rate, replay, seed, timeout, url)"),
        ("[source]\nseed = 1\n", {}, "{file}: unknown key source (known: ledger, sources, warehouse)"),
        ("sources = 3\n", {}, "{file}: sources must be a table ([sources]), got an integer"),
        ('[warehouse]\nengine = "oracle"\n', {}, '{file}: warehouse.engine must be "duckdb" or "spark", got "oracle"'),
        ('[warehouse]\nmaster = "foo"\n', {}, "{file}: warehouse.master must be a Spark master"),
        ('[warehouse]\nmemory = "lots"\n', {}, '{file}: warehouse.memory must be a size such as "512MB" or "4GB", got "lots"'),
        ("", {"FULLCOURT_WAREHOUSE_MEMORY": "1 parsec"}, "environment FULLCOURT_WAREHOUSE_MEMORY: warehouse.memory must be a size"),
        ('ledger = "mysql://x"\n', {}, '{file}: ledger must be a file path or a postgresql:// URL, got "mysql://x"'),
        ("", {"FULLCOURT_WAREHOUSE_ENGINE": "dask"}, "environment FULLCOURT_WAREHOUSE_ENGINE: warehouse.engine must be"),
        ("[sources]\nrate = fast\n", {}, "{file}: line 2 (sources.rate) is not valid TOML"),
        ("", {"FULLCOURT_SIM_SEED": "seven"}, "environment FULLCOURT_SIM_SEED: sources.seed must be an integer"),
        ('[sources]\nreplay = "/r"\n', {"FULLCOURT_SOURCE_URL": "https://x.test"},
         "sources.url (from environment FULLCOURT_SOURCE_URL) and sources.replay (from settings {file}) "
         "are both set; choose one"),
    ],
)
def test_each_mistake_is_one_settings_error(home, text, env, message):
    path = write(home, text)
    with pytest.raises(errors.SettingsError) as caught:
        settings.load(home, environ=env)
    assert caught.value.exit_code == 2 and "\n" not in str(caught.value)
    assert message.format(file=path) in str(caught.value)


def test_the_old_json_file_is_refused_not_silently_ignored(home):
    (home.root / "settings.json").write_text('{"sources": {"replay": "/r"}}')
    with pytest.raises(errors.SettingsError, match="settings.json is no longer read"):
        settings.load(home, environ={})


def test_the_key_is_secret_in_every_message(home):
    write(home, f'[sources]\nkey = "{PLANTED}"\nurl = "https://x.test"\n')
    loaded = settings.load(home, environ={})
    assert PLANTED not in repr(loaded) and PLANTED not in str(loaded)
    assert PLANTED not in loaded.model_dump_json()
    fetcher = registry.wiring(home, config=loaded)["fetcher"]
    assert fetcher.services["balldontlie"].key == PLANTED and PLANTED not in repr(fetcher)
    fetcher.close()
    for text in (f'[sources]\nkey = ["{PLANTED}"]\n', f"[sources]\nkey = {PLANTED}\n",
                 f'[sources]\nkey = "{PLANTED}"\nrate = -1\n'):  # fmt: skip
        write(home, text)
        with pytest.raises(errors.SettingsError) as caught:
            settings.load(home, environ={})
        assert "sources.key" in str(caught.value) or "sources.rate" in str(caught.value)
        assert PLANTED not in str(caught.value)


# -- writing -------------------------------------------------------------------------------


def test_save_sets_and_removes_one_key_and_keeps_the_others(home):
    path = write(home, '[sources]\nseed = 11\nrate = 2.5\n\n[sources.extra_note]\n')
    with pytest.raises(errors.SettingsError, match="unknown key sources.extra_note"):
        settings.save(home, "sources.replay", "/data/real")  # never writes a file that won't load
    assert "extra_note" in path.read_text()
    write(home, '[sources]\nseed = 11\nrate = 2.5\nkey = "a\\"b"\n')
    settings.save(home, "sources.replay", Path("/data/real"))
    assert tomllib.loads(path.read_text()) == {
        "sources": {"seed": 11, "rate": 2.5, "key": 'a"b', "replay": "/data/real"}
    }
    settings.save(home, "sources.replay", None)
    assert tomllib.loads(path.read_text()) == {"sources": {"seed": 11, "rate": 2.5, "key": 'a"b'}}
    assert [p.name for p in home.root.iterdir()] == ["settings.toml"]  # no temp file left behind


def test_save_writes_nothing_when_nothing_changes(home):
    settings.save(home, "sources.replay", None)
    assert not settings.path(home).exists()
    path = write(home, "# my notes\n[sources]\nseed = 11\n")
    settings.save(home, "sources.seed", 11)
    settings.save(home, "sources.replay", None)
    assert path.read_text() == "# my notes\n[sources]\nseed = 11\n"


def test_save_refuses_settings_that_would_not_load(home):
    path = write(home, '[sources]\nurl = "https://x.test"\n')
    with pytest.raises(errors.SettingsError, match="choose one"):
        settings.save(home, "sources.replay", "/data/real")
    assert path.read_text() == '[sources]\nurl = "https://x.test"\n'


def test_rendered_toml_reads_back_as_written():
    doc = tomllib.loads(
        'top = 1\nwhen = 2024-01-02T03:04:05Z\nday = 2024-01-02\n'
        '[sources]\nseed = 3\nkey = "q\\"uote\\\\ \\u00e9 \\u0001"\nrate = inf\n'
        '[sources."odd key"]\nx = [1, 2.5, {a = 1}, ["b"]]\n[empty]\n[a.b.c]\nd = false\n'
    )
    assert tomllib.loads(settings._render(doc)) == doc


# -- through the command line ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key", "form"),
    [
        ("[sources]\nrate = -1\n", "sources.rate", "a number > 0"),
        ('[sources]\nrate = "fast"\n', "sources.rate", "a number > 0"),
        ("[sources]\nseed = 7.5\n", "sources.seed", "an integer"),
        ("[sources]\ntimeout = 0\n", "sources.timeout", "a number > 0"),
        ("[sources]\ncolour = 1\n", "sources.colour", "unknown key"),
        ("[sources]\nrate = = 2\n", "sources.rate", "not valid TOML"),
    ],
)
def test_bad_settings_are_one_line_exit_2(tmp_path, text, key, form):
    home = tmp_path / "home"
    home.mkdir()
    (home / "settings.toml").write_text(text)
    proc = run_cli("status", "--json", home=home, env=ENV)
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert str(home / "settings.toml") in lines[0] and key in lines[0] and form in lines[0]
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_a_planted_key_never_reaches_output(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "settings.toml").write_text(f'[sources]\nkey = "{PLANTED}"\n')
    env = ENV
    for args in (
        ["backfill", "--season", "2023-24", "--json"],
        ["backfill", "--season", "2023-24", "--dry-run", "--json"],
        ["status", "--json"],
        ["gaps", "--json"],
        ["history", "--limit", "3", "--json"],
    ):
        proc = run_cli(*args, home=home, env=env)
        assert proc.returncode == 0, proc.stderr
        json.loads(proc.stdout)
        assert PLANTED not in proc.stdout + proc.stderr
    for text in (f'[sources]\nkey = ["{PLANTED}"]\n', f"[sources]\nkey = {PLANTED}\n",
                 f'[sources]\nkey = "{PLANTED}"\nurl = "https://x.test"\nreplay = "/r"\n'):  # fmt: skip
        (home / "settings.toml").write_text(text)
        proc = run_cli("--debug", "status", "--json", home=home, env=env)
        assert proc.returncode == 2 and "settings" in proc.stderr, proc.stderr
        assert PLANTED not in proc.stdout + proc.stderr


def _hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*")) if p.is_file()
    }  # fmt: skip


def test_read_commands_with_a_source_leave_the_home_untouched(tmp_path):
    home, data = tmp_path / "home", tmp_path / "real"
    data.mkdir()
    assert run_cli("backfill", "--season", "2023-24", home=home, env=ENV).returncode == 0
    (home / "settings.toml").write_text("# kept as written\n[sources]\nseed = 11\n")
    before = _hashes(home)
    for source in (["--source", "replay", "--data", str(data)], ["--source", "sim"]):
        for args in (
            ["status", "--json"],
            ["gaps", "--json"],
            ["history", "--json"],
            ["grade-report", "--json"],  # nothing graded in the tiny catalog: exit 2
            ["backfill", "--season", "2023-24", "--dry-run", "--json"],
            ["heal", "--dry-run", "--json"],
        ):
            proc = run_cli(*source, *args, home=home, env=ENV)
            assert proc.returncode in (0, 2) and "internal error" not in proc.stderr, proc.stderr
            assert _hashes(home) == before, args


def test_a_writer_records_the_source_and_keeps_other_settings(tmp_path):
    home, data = tmp_path / "home", tmp_path / "real"
    data.mkdir()
    home.mkdir()
    path = home / "settings.toml"
    path.write_text("[sources]\nseed = 11\nrate = 5\n")
    env = ENV
    proc = run_cli("--source", "replay", "--data", str(data), "backfill", "--season", "2023-24",
                   home=home, env=env)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert tomllib.loads(path.read_text()) == {
        "sources": {"seed": 11, "rate": 5, "replay": str(data.resolve())}
    }
    proc = run_cli("--source", "sim", "backfill", "--season", "2023-24", home=home, env=env)
    assert proc.returncode == 0, proc.stderr
    assert tomllib.loads(path.read_text()) == {"sources": {"seed": 11, "rate": 5}}
