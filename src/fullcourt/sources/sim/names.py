"""Player names: unique first/last combinations, a few with accents or suffixes.

Bookmakers key props by name, so names must be unique across the whole league history;
the accents and suffixes give the name-matching code in phase 3 something real to chew on.
"""

from __future__ import annotations

import numpy as np

__all__ = ["NameBook"]

_FIRST = (  # noqa: SIM905 - one long string reads better than 150 quoted names
    "Aaron Adrian Alec Alex Andre Anthony Austin Bennett Blake Bradley Brandon Bryce Caleb "
    "Cameron Carter Chris Cody Cole Collin Corey Dalton Damian Daniel Darius Davion Dejounte "
    "Derrick Desmond Devin Dillon Dominic Donovan Dylan Elijah Emmanuel Eric Ethan Evan "
    "Franz Gabriel Garrett Gary Grant Harrison Hunter Isaac Isaiah Ivan Jabari Jacob Jalen "
    "Jamal Jaden Jared Jarrett Jason Javon Jaylen Jeremy Jerome Jordan Josh Julian Justin "
    "Kai Keegan Keldon Kelly Kendall Kevin Kobe Kyle Lamar Landry Lonnie Luca Malik Marcus "
    "Mason Matthew Max Micah Miles Mitchell Moses Nate Nathan Nikola Noah Obi Omar Oscar "
    "Patrick Paul Quentin Reggie Rui Ryan Sam Scottie Sean Shai Simone Stefan Terrence "
    "Theo Tobias Trae Trey Tyler Tyrese Victor Walker Wendell Xavier Zach Zion Ayo Bogdan "
    "Dāvis Jonas Kristaps Luka Mikal Nicolás Théo Álex Domantas Dario Goran Sergio Andrés"
).split()

_LAST = (  # noqa: SIM905
    "Adams Allen Anderson Bailey Baker Banks Barnes Bates Bell Bennett Brooks Brown Bryant "
    "Burke Butler Caldwell Carter Chambers Clark Coleman Collins Cook Cooper Craig Cross "
    "Cunningham Daniels Davis Dawson Dixon Douglas Duncan Edwards Ellis Evans Fields Fisher "
    "Fleming Ford Foster Fox Franklin Freeman Gibson Gilbert Gordon Graham Grant Green "
    "Griffin Hall Hamilton Harper Harris Hart Hayes Henderson Hill Holiday Holmes Howard "
    "Hudson Hughes Hunter Jackson James Jenkins Johnson Jones Jordan Kelly Kennedy King "
    "Knight Lane Lawson Lee Lewis Little Lowry Mack Marshall Martin Mason Matthews Maxwell "
    "McCoy McDaniels Miller Mitchell Monroe Moore Morgan Morris Murray Nelson Newton Owens "
    "Parker Patterson Payne Perry Phillips Porter Powell Price Randle Reed Reid Richards "
    "Roberts Robinson Rose Ross Russell Sanders Scott Sims Simmons Smart Smith Spencer "
    "Stevens Stewart Sullivan Taylor Thomas Thompson Tucker Turner Walker Wallace Ward "
    "Warren Washington Watson Wells White Wiggins Williams Wilson Wood Wright Young "
    "Dončić Jokić Bogdanović Šarić Valančiūnas Porziņģis Nurkić Hernangómez Schröder "
    "Müller Núñez Peña Sabonis Antetokounmpo Adebayo Okafor Okeke Achiuwa Diallo Gobert "
    "Fournier Batum Poirier Theis Hartenstein Wagner Kleber Bertāns Mykhailiuk Len"
).split()

_SUFFIXES = ("Jr.", "II", "III", "Sr.")


class NameBook:
    """Draws names that were never used before in this league's history."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def draw(self, rng: np.random.Generator, n: int) -> list[str]:
        out: list[str] = []
        while len(out) < n:
            first = _FIRST[int(rng.integers(len(_FIRST)))]
            last = _LAST[int(rng.integers(len(_LAST)))]
            name = f"{first} {last}"
            if rng.random() < 0.05:
                name = f"{name} {_SUFFIXES[int(rng.integers(len(_SUFFIXES)))]}"
            if name in self._taken:
                continue
            self._taken.add(name)
            out.append(name)
        return out
