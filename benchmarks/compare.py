"""Full rebuild of two commits in the same window of time: the only fair "before/after".

Absolute seconds on a shared machine move with its load, so a figure from another day
says little. This checks out `--before` into a temporary worktree, scrapes a home for each
tree with that tree's own code (not timed), then times the forced rebuild of phases 2-6
(models retrained) alternately, `--pairs` times, and prints each pair's ratio.

    python -m benchmarks.compare --before b9c11dd [--seasons 2021-22:2024-25] [--pairs 2]

Each rebuild runs `benchmarks.run.full_rebuild` of its own tree in a fresh interpreter,
so the commits may differ in anything but that function.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_CHILD = """
import json, sys
from pathlib import Path
tree, home, seasons = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
sys.path.insert(0, tree)
def main():
    from benchmarks import run
    from fullcourt.catalog.calendar import season_dates
    first, _, last = seasons.partition(":")
    years = range(int(first[:4]), int((last or first)[:4]) + 1)
    dates = [d for y in years for d in season_dates(f"{y}-{(y + 1) % 100:02d}")]
    if not home.exists():
        run.scrape(home, dates)
    r = run.full_rebuild(home, dates)
    print(json.dumps({"seconds": r["seconds"], "by_phase": r["seconds_by_phase"],
                      "peak_mb": r["peak_mb"], "gaps": r["gaps_after"]}))
if __name__ == "__main__":
    main()
"""


def rebuild(tree: Path, home: Path, seasons: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(_CHILD)
    try:
        done = subprocess.run([sys.executable, f.name, str(tree), str(home), seasons],
                              cwd=tree, env=env, check=True, capture_output=True, text=True)
    finally:
        os.unlink(f.name)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _rounded(by_phase: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 1) for k, v in by_phase.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="the commit to compare against")
    parser.add_argument("--seasons", default="2021-22:2024-25")
    parser.add_argument("--pairs", type=int, default=2)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="fullcourt-compare-") as tmp:
        old = Path(tmp) / "before"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(old), args.before],
                       check=True, capture_output=True)
        try:
            for i in range(1, args.pairs + 1):
                before = rebuild(old, Path(tmp) / "home-before", args.seasons)
                after = rebuild(ROOT, Path(tmp) / "home-after", args.seasons)
                print(json.dumps({"pair": i, "before_s": round(before["seconds"], 1),
                                  "after_s": round(after["seconds"], 1),
                                  "ratio": round(after["seconds"] / before["seconds"], 3),
                                  "before_by_phase": _rounded(before["by_phase"]),
                                  "after_by_phase": _rounded(after["by_phase"])}),
                      flush=True)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
