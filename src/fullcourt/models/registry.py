"""Model files on disk: one folder per trained bundle, found again by what it was trained on.

A bundle folder is named by its cutoff, the feature version and a fingerprint of the
exact training rows, so re-running a date reuses the model trained for it, while a
stat correction in an earlier game (a different fingerprint) trains a new one. Folders
are written under a temporary name and renamed into place, so a crash never leaves a
half-written model that a later run would trust. A folder that is there but damaged
(a file missing, features that differ) is an error naming the folder, never a silent
retrain or a silent zero. The fingerprint also covers the training recipe (every
system's settings), so changed settings never reuse a model trained with the old ones.

`obtain_many` trains the bundles of many cutoffs together: each month's base systems
are fitted once (or read from their saved bundle) and serve both as that month's model
and as the holdout predictor of the following cutoffs; fits run in a few threads
(LightGBM and numpy release the GIL). Every fit depends only on its own rows, so the
files written are the same whatever the thread count or the order things finish in.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import TypeVar

import numpy as np

from fullcourt.catalog import codehash
from fullcourt.errors import ModelError
from fullcourt.models import bundle as bundle_mod
from fullcourt.models import ensemble as ensemble_mod
from fullcourt.models.bundle import BASE_SYSTEMS, BLENDS, Bundle, Calibration
from fullcourt.models.ensemble import Ensemble
from fullcourt.models.examples import Examples
from fullcourt.models.system import System

__all__ = ["METADATA", "WORKERS", "fingerprint", "folder", "in_threads", "load", "obtain", "obtain_many", "recipe", "save"]

METADATA = "metadata.json"
# Threads training cutoffs side by side (each LightGBM fit itself uses one thread).
WORKERS = max(1, min(4, os.cpu_count() or 1))

T = TypeVar("T")
R = TypeVar("R")


@functools.cache
def training_code() -> str:
    """A hash of the code that trains, blends and calibrates a bundle (this module and
    every first-party module it reaches, docstrings aside): a change to how models are
    made must not load bundles made the old way."""
    modules = codehash.modules_of(__name__)
    return hashlib.blake2b(json.dumps(modules, sort_keys=True).encode(), digest_size=8).hexdigest()


def recipe(features: Sequence[str]) -> str:
    """The settings and code that decide what training produces, as canonical JSON."""
    systems = {name: cls(features).params() for name, cls in BASE_SYSTEMS.items()}
    return json.dumps(
        {
            "code": training_code(),
            "systems": systems,
            "holdout_months": bundle_mod.HOLDOUT_MONTHS,
            "holdout_stride": bundle_mod.HOLDOUT_STRIDE,
            "min_train_rows": bundle_mod.MIN_TRAIN_ROWS,
            "line_prior": [ensemble_mod.PRIOR_LINE_WEIGHT, ensemble_mod.PRIOR_LINED],
            # what the holdout calibrates: spread growing with the total, logistic over-probability
            "calibration": {"spread": "linear", "over": "logistic", "min_over_fit": bundle_mod.MIN_OVER_FIT},
        },
        sort_keys=True,
        default=str,
    )


def fingerprint(ex: Examples) -> str:
    """A hash of the exact labelled rows (features, labels, lines, prices, dates, order)
    and of the training recipe."""
    h = hashlib.blake2b(digest_size=16)
    h.update("\x1f".join(ex.features).encode())
    h.update(recipe(ex.features).encode())
    assert ex.y is not None
    for arr in (ex.X, ex.y, ex.line, ex.over_price, ex.under_price):
        h.update(np.ascontiguousarray(arr, dtype=np.float64).tobytes())
    h.update(np.ascontiguousarray(ex.game_date.astype("datetime64[D]").astype(np.int64)).tobytes())
    return h.hexdigest()


def folder(root: Path, cutoff: date, feature_version: str, fp: str) -> Path:
    return Path(root) / f"{cutoff:%Y-%m-%d}_{feature_version}_{fp[:16]}"


def _file(name: str) -> str:
    cls = BASE_SYSTEMS.get(name)
    return f"{name}.{cls.suffix if cls is not None else Ensemble.suffix}"


def save(b: Bundle, root: Path) -> Path:
    """Write the bundle's files and metadata; atomic by renaming a finished folder."""
    target = folder(root, b.cutoff, b.feature_version, b.fingerprint)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        payloads = {n: b.payload(n) for n in bundle_mod.SYSTEMS if b.available(n)}
        b.stamp(payloads)
        for name, data in payloads.items():
            (tmp / _file(name)).write_bytes(data)
        meta = bundle_mod.describe(b)
        (tmp / METADATA).write_text(json.dumps(meta, indent=2, sort_keys=True))
        try:
            os.replace(tmp, target)
        except OSError:
            if not (target / METADATA).exists():  # another writer did not win the race
                raise
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def load(path: Path, features: tuple[str, ...]) -> Bundle:
    """Read a bundle folder back; ModelError when it is missing, damaged or mismatched."""
    meta_path = Path(path) / METADATA
    if not meta_path.exists():
        raise ModelError(f"model {path} is missing ({METADATA} not found); delete the folder to retrain")
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelError(f"model metadata {meta_path} is unreadable: {exc}") from exc
    if tuple(meta["features"]) != tuple(features):
        extra = sorted(set(features) - set(meta["features"]))
        gone = sorted(set(meta["features"]) - set(features))
        raise ModelError(
            f"model {path.name} was trained on {len(meta['features'])} features, the store has "
            f"{len(features)} (new: {', '.join(extra) or '-'}; missing: {', '.join(gone) or '-'}"
            f"; or reordered); bump FEATURE_VERSION or delete the folder to retrain"
        )
    b = Bundle(
        cutoff=date.fromisoformat(meta["cutoff"]),
        features=tuple(meta["features"]),
        feature_version=meta["feature_version"],
        fingerprint=meta["fingerprint"],
        rows=int(meta["rows"]),
        train_start=date.fromisoformat(meta["train_start"]) if meta["train_start"] else None,
        train_end=date.fromisoformat(meta["train_end"]) if meta["train_end"] else None,
        reason=meta.get("reason", ""),
    )
    payloads: dict[str, bytes] = {}
    for name, info in meta["systems"].items():
        file = Path(path) / _file(name)
        if not file.exists():
            raise ModelError(f"model file {file} is missing; delete {path} to retrain")
        data = payloads[name] = file.read_bytes()
        try:
            if name in BASE_SYSTEMS:
                b.systems[name] = BASE_SYSTEMS[name].loads(data, b.features)
            elif name in BLENDS:
                b.blends[name] = Ensemble.loads(name, data)
            else:
                raise ModelError(f"model {path.name} lists an unknown system {name!r}")
        except ModelError:
            raise
        except Exception as exc:  # noqa: BLE001 - any unreadable file is the same user problem
            raise ModelError(f"model file {file} is unreadable ({exc}); delete {path} to retrain") from exc
        b.calibration[name] = Calibration(**info["metrics"])
    recorded = {name: info["version"] for name, info in meta["systems"].items()}
    b.stamp(payloads)
    if b.versions != recorded:
        raise ModelError(f"model files in {path} do not match their metadata; delete the folder to retrain")
    return b


def in_threads(fn: Callable[[T], R], items: Iterable[T], workers: int | None = None) -> list[R]:
    """`[fn(x) for x in items]`, computed by up to `workers` threads (default `WORKERS`)."""
    items = list(items)
    workers = WORKERS if workers is None else workers
    if workers <= 1 or len(items) <= 1:
        return [fn(x) for x in items]
    with ThreadPoolExecutor(min(workers, len(items))) as pool:
        return list(pool.map(fn, items))


def obtain_many(
    root: Path,
    ex: Examples,
    cutoffs: Sequence[date],
    feature_version: str,
    workers: int | None = None,
) -> dict[date, Bundle]:
    """The bundle of every cutoff, each trained on the rows of `ex` strictly before it.

    Saved bundles are loaded; the others are trained, saved and loaded back, so a fresh
    model and a reused one predict exactly alike.
    """
    cutoffs = sorted(set(cutoffs))
    workers = WORKERS if workers is None else workers
    dates = ex.game_date

    def before(m: np.datetime64) -> Examples:
        return ex.subset(dates < m)

    def fingerprint_of(m: np.datetime64) -> str:
        return fingerprint(before(m))

    wanted = [np.datetime64(c, "D") for c in cutoffs]
    fps = dict(zip(wanted, in_threads(fingerprint_of, wanted, workers), strict=True))
    missing = [m for m in wanted if not folder(root, m.astype(object), feature_version, fps[m]).exists()]
    # every month a missing bundle is calibrated on needs the base systems of its own cutoff
    holdout = {m: bundle_mod.holdout_months(before(m), m.astype(object)) for m in missing}
    extra = sorted({h for hs in holdout.values() for h in hs} - set(fps))
    fps.update(zip(extra, in_threads(fingerprint_of, extra, workers), strict=True))
    paths = {m: folder(root, m.astype(object), feature_version, fp) for m, fp in fps.items()}

    months = {h for hs in holdout.values() for h in hs}
    # holdout months include cutoffs whose bundles are already saved: they are read, not refit
    sizes = {m: int(np.count_nonzero(dates < m)) for m in {*missing, *months}}

    def prepare(m: np.datetime64) -> tuple[Mapping[str, System] | None, Mapping[str, np.ndarray] | None]:
        """The base systems of cutoff `m` (read if saved, else fitted) and, for a holdout
        month, their predictions of its player-games."""
        if paths[m].exists():
            systems: Mapping[str, System] | None = load(paths[m], ex.features).systems
        elif sizes[m] >= bundle_mod.MIN_TRAIN_ROWS:
            systems = bundle_mod.fit_base(before(m))
        else:
            return None, None
        return systems, (bundle_mod.predict_month(systems, ex, m) if m in months else None)

    # biggest fits first, so the threads finish together
    order = sorted(sizes, key=lambda m: (-sizes[m], m))
    prepared = dict(zip(order, in_threads(prepare, order, workers), strict=True))
    month_preds = {m: p for m, (_, p) in prepared.items() if p is not None}

    def build(m: np.datetime64) -> None:
        rows = before(m)
        systems = prepared[m][0]
        save(bundle_mod.train(rows, m.astype(object), fps[m], feature_version, systems, month_preds.__getitem__), root)

    in_threads(build, missing, workers)
    bundles = in_threads(lambda m: load(paths[m], ex.features), wanted, workers)
    return dict(zip(cutoffs, bundles, strict=True))


def obtain(root: Path, ex: Examples, cutoff: date, feature_version: str) -> Bundle:
    """The bundle trained on exactly `ex` for `cutoff`: loaded if saved, else trained and saved."""
    if len(ex) and ex.game_date.max() >= np.datetime64(cutoff, "D"):
        raise ValueError(f"training rows on or after the cutoff {cutoff}")
    return obtain_many(root, ex, [cutoff], feature_version)[cutoff]
