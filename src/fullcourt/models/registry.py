"""Model files on disk: one folder per trained bundle, found again by what it was trained on.

A bundle folder is named by its cutoff, the feature version and a fingerprint of the
exact training rows, so re-running a date reuses the model trained for it, while a
stat correction in an earlier game (a different fingerprint) trains a new one. Folders
are written under a temporary name and renamed into place, so a crash never leaves a
half-written model that a later run would trust. A folder that is there but damaged
(a file missing, features that differ) is an error naming the folder, never a silent
retrain or a silent zero.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from datetime import date
from pathlib import Path

import numpy as np

from fullcourt.errors import ModelError
from fullcourt.models import bundle as bundle_mod
from fullcourt.models.bundle import BASE_SYSTEMS, BLENDS, Bundle, Calibration
from fullcourt.models.ensemble import Ensemble
from fullcourt.models.examples import Examples

__all__ = ["METADATA", "fingerprint", "folder", "load", "obtain", "save"]

METADATA = "metadata.json"


def fingerprint(ex: Examples) -> str:
    """A hash of the exact labelled rows (features, labels, lines, prices, dates, order)."""
    h = hashlib.blake2b(digest_size=16)
    h.update("\x1f".join(ex.features).encode())
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


def obtain(root: Path, ex: Examples, cutoff: date, feature_version: str) -> Bundle:
    """The bundle trained on exactly `ex` for `cutoff`: loaded if saved, else trained and saved."""
    fp = fingerprint(ex)
    path = folder(root, cutoff, feature_version, fp)
    if not path.exists():
        save(bundle_mod.train(ex, cutoff, fp, feature_version), root)
    # Always predict from what is on disk, so a fresh model and a reused one agree exactly.
    return load(path, ex.features)
