"""The stance evaluation's data: recorded UN votes and the General Debate speeches.

A vote is a proxy for each government's stated position in the speeches near it: a yes is
read as "supports", a no as "opposes", an abstention as "neutral". A vote is not a
statement: a government may vote yes and never speak of Ukraine, or abstain for reasons of
its own. Two votes:
- A/RES/68/262 (27 March 2014, territorial integrity of Ukraine), in the shared corpora,
  paired with the 2015–2016 speeches;
- A/RES/ES-11/1 (2 March 2022, aggression against Ukraine), shipped in ``evals/data``,
  paired with the September 2022 speeches.
"""

from __future__ import annotations

import json
import tarfile
from dataclasses import dataclass
from pathlib import Path

from corpus.countries import countries_in
from evals.datasets import dataset_path

VOTES_FILE = "stance/unga-68-262-votes.json"  # under the corpora folder
ES_11_1_FILE = Path(__file__).resolve().parent / "data" / "unga-es-11-1-votes.json"
UN_FILE = "ungdc-2015-2024.tar.gz"
VOTE_STANCE = {"yes": "supports", "no": "opposes", "abstain": "neutral"}
# Names as the vote list writes them that the country index does not read.
ALIASES = {
    "Central African Rep.": "CAF", "Dominican Rep.": "DOM", "Macedonia": "MKD",
    "Trinidad and Tobago": "TTO", "Antigua and Barbuda": "ATG", "Saint Kitts and Nevis": "KNA",
    "Saint Vincent and the Grenadines": "VCT", "São Tomé and Príncipe": "STP",
    "Swaziland": "SWZ", "Bosnia and Herz.": "BIH", "Dem. Rep. Congo": "COD",
    "S. Sudan": "SSD", "Eq. Guinea": "GNQ", "Saint Vincent and Grenadines": "VCT",
}  # fmt: skip


@dataclass(frozen=True)
class Vote:
    path: Path
    resolution: str
    title: str
    votes: dict[str, str]  # alpha-3 → yes | no | abstain (absent members left out)


def load_vote(root: Path) -> Vote:
    """The vote on A/RES/68/262, from the corpora folder ``root``."""
    return read_vote(dataset_path(root, VOTES_FILE))


def read_vote(path: Path) -> Vote:
    """A recorded vote: its ``yes``/``no``/``abstain`` lists of member names, each read as
    one country (``absent`` members are left out)."""
    data = json.loads(path.read_text("utf-8"))
    votes: dict[str, str] = {}
    for vote in VOTE_STANCE:
        for name in data[vote]:
            code = ALIASES.get(name) or next(iter(countries_in(name)), None)
            if code is None or code in votes:
                raise ValueError(f"{path.name}: {name!r} is not one country of its own")
            votes[code] = vote
    return Vote(path, data["resolution"], data["title"], votes)


def extract_speeches(root: Path, years: list[int], countries: set[str], target: Path) -> int:
    """The General Debate speeches of ``countries`` in ``years``, written to ``target``
    under their archive names (``USA_70_2015.txt``); returns how many."""
    wanted = {f"{c}_{year - 1945}_{year}.txt" for c in countries for year in years}
    target.mkdir(parents=True, exist_ok=True)
    written = 0
    with tarfile.open(dataset_path(root, UN_FILE)) as tar:
        for member in tar:
            name = Path(member.name).name
            if member.isfile() and name in wanted:
                data = tar.extractfile(member)
                if data is not None:
                    (target / name).write_bytes(data.read())
                    written += 1
    return written
