"""The shipped theatre scenario (scenarios/syria_2026_theatre.toml) says what docs/THEATRE.md says, every number sourced.

What a reader checks: the four bases held on 2026-02-23 with ~1,000 troops in all, Qasrak's own
groups unchanged from the one-base baseline, Kharab al-Jir's conflicting reports as a Bernoulli
input, both crossings reachable from every base, and the reported end dates with their sources'
words (the words the completion figure writes beside each date).
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from sim.plots.theatre import reported_ends
from sim.scenario.loading import load_scenario
from sim.scenario.provenance import provenance_rows

ROOT = Path(__file__).resolve().parent.parent
THEATRE = ROOT / "scenarios" / "syria_2026_theatre.toml"
BASELINE = ROOT / "scenarios" / "qasrak_baseline.toml"

UNSOURCEABLE = {
    "crossing.divert_after_hours",  # the theatre form's crossing group has no source field (nor has the baseline's)
    "fleet.civilian.cab_seats",  # defaults the file does not set (0, as in the one-base baseline)
    "fleet.lowboy.cab_seats",
    "fleet.military.cab_seats",
    "pools.contracted.home",  # a pool has no source of its own; each of its groups has one
    "pools.army.home",
    "pools.escort.home",
}


@pytest.fixture(scope="module")
def theatre():
    return load_scenario(THEATRE).scenario


def mode(value) -> float:
    """The mode of a triangular input, or a constant."""
    return float(getattr(value, "mode", value))


def test_the_theatre_has_the_four_bases_held_on_23_february_qasrak_first(theatre):
    assert theatre.is_theatre
    assert list(theatre.bases) == ["qasrak", "rmelan", "kharab_al_jir", "life_stone"]
    assert theatre.main_base == "qasrak"
    kinds = {name: site.kind for name, site in theatre.sites.items()}
    assert [n for n, k in kinds.items() if k == "crossing"] == ["al_waleed", "semalka"]
    assert [n for n, k in kinds.items() if k == "destination"] == ["erbil_harir"]


def test_about_a_thousand_troops_in_all(theatre):
    assert sum(mode(base.people.troops) for base in theatre.bases.values()) == 1000


def test_qasrak_keeps_the_one_base_baselines_groups(theatre):
    baseline = load_scenario(BASELINE).scenario
    qasrak = theatre.bases["qasrak"]
    for group in ("cargo", "vehicles", "people", "loading", "airlift"):
        assert getattr(qasrak, group).model_dump() == getattr(baseline, group).model_dump(), group
    assert qasrak.start_day == 0


def test_kharab_al_jir_and_life_stone_may_already_be_left_and_the_others_wait_for_qasrak(theatre):
    bases = theatre.bases
    assert float(bases["kharab_al_jir"].leaves) == float(bases["life_stone"].leaves) == 0.5  # Okaz, Al Jazeera / Takvim
    assert all(float(bases[b].leaves) == 1.0 for b in ("qasrak", "rmelan"))
    assert [bases[b].after for b in ("rmelan", "kharab_al_jir", "life_stone")] == ["qasrak"] * 3
    assert all(b.send_to is None for b in bases.values())


def test_kharab_al_jir_may_be_rmelan_under_another_name(theatre):
    # Reuters (French) and Al-Qahera: Rmelan "also known as Kharab al-Jir"; AA lists them as two
    kharab = theatre.bases["kharab_al_jir"]
    assert kharab.same_place_as == "rmelan" and float(kharab.same_place) == 0.5
    assert all(b.same_place_as is None for name, b in theatre.bases.items() if name != "kharab_al_jir")


def test_the_two_small_sites_move_in_their_own_trucks_and_the_large_ones_wait_for_the_pools(theatre):
    bases = theatre.bases
    assert [name for name, b in bases.items() if b.own_transport is not None] == ["kharab_al_jir", "life_stone"]
    for name in ("kharab_al_jir", "life_stone"):
        own = bases[name].own_transport
        assert (mode(own.trucks), own.loads_per_trip, own.seats, own.escorted) == (6, 1, 2, True)


def test_the_bases_share_one_theatre_fleet(theatre):
    assert {name: pool.home for name, pool in theatre.pools.items()} == {"contracted": "theatre", "army": "theatre", "escort": "theatre"}
    assert all(base.pools == ["contracted", "army", "escort"] for base in theatre.bases.values())
    assert mode(theatre.pools["contracted"].fleet.civilian.count) == 100  # SOHR: 'nearly 100 trucks'


def test_every_base_reaches_both_crossings_and_the_qasrak_routes_are_210_and_230_km(theatre):
    roads = nx.Graph()
    for leg in theatre.legs:
        roads.add_edge(leg.start, leg.end, km=leg.km)
    inside = roads.subgraph(n for n in roads if n != "erbil_harir")
    for base in theatre.bases:
        for crossing in ("al_waleed", "semalka"):
            assert nx.has_path(inside, base, crossing)
    assert nx.shortest_path_length(inside, "qasrak", "al_waleed", weight="km") == 210
    assert nx.shortest_path_length(inside, "qasrak", "semalka", weight="km") == 230


def test_every_number_is_sourced_but_the_fields_the_format_gives_no_source(theatre):
    rows = provenance_rows(theatre)
    unsourced = {row.parameter for row in rows if row.kind == "unsourced"}
    assert unsourced == UNSOURCEABLE
    assumptions = {row.parameter for row in rows if row.kind == "assumption"}
    assert {"sites.kharab_al_jir.leaves", "sites.kharab_al_jir.same_place", "sites.life_stone.leaves"} <= assumptions
    assert {"sites.kharab_al_jir.own_transport.trucks", "sites.life_stone.own_transport.trucks"} <= assumptions
    assert "sites.rmelan.people.troops" in assumptions


def test_the_reported_end_dates_carry_their_sources_words(theatre):
    assert theatre.theatre.reported_end_days == [20, 30, 60]
    words = [end.words for end in reported_ends(theatre.theatre.reported_end_days, theatre.theatre.source)]
    assert words[0] == "'within 20 days' (a diplomat, AFP via Hurriyet Daily News, 2026-02-23)"
    assert words[1].startswith("'within a month' (a Syrian government official")
    assert words[2].startswith("'over the next two months' (three US officials, WSJ")


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    """A small run of the shipped theatre, as a newcomer makes it: `evacsim run`, then `evacsim report`."""
    from typer.testing import CliRunner

    from sim.cli import app

    folder = tmp_path_factory.mktemp("theatre_run")
    result = CliRunner().invoke(app, ["run", str(THEATRE), "-n", "8", "--jobs", "1", "--seed", "3", "--out", str(folder), "--force"])
    assert result.exit_code == 0, result.output
    report = CliRunner().invoke(app, ["report", str(folder)])
    assert report.exit_code == 0, report.output
    return folder


def test_run_draws_the_theatre_figures_beside_the_main_bases(run_folder):
    from sim.plots.figures import RUN_FIGURES
    from sim.plots.theatre import THEATRE_FIGURES

    for stem in (*THEATRE_FIGURES, *RUN_FIGURES):
        assert (run_folder / f"{stem}.png").read_bytes().startswith(b"\x89PNG"), stem


def test_the_report_opens_with_the_whole_withdrawal_and_a_row_per_base(run_folder):
    html = (run_folder / "report.html").read_text(encoding="utf-8")
    assert html.index('<section id="theatre">') < html.index('<section id="verdict">') < html.index('<section id="summary">')
    assert html.index('<a href="#theatre">The whole withdrawal</a>') < html.index('<a href="#verdict">')
    assert "<h2>When is everyone out, and how sure by day 30?</h2>" in html
    assert "Does the base empty in the window?" not in html
    assert "The last US soldier and load leave Syria on day" in html
    for title in ("Qasrak", "Rmelan", "Kharab al-Jir", "Life Stone"):
        assert f"<td>{title}</td>" in html
    assert "&#39;within a month&#39; (a Syrian government official" in html


def test_the_theatre_report_fits_a_1280_px_window_with_every_figure_loaded(run_folder, tmp_path):
    """The theatre section's tables wrap inside their columns: nothing scrolls sideways at 1280 px."""
    from tests.test_report import CHROMIUM, chromium
    from tests.test_report_analysis import LAYOUT

    if CHROMIUM is None:
        pytest.skip("chromium is not installed (Debian: apt-get install chromium, or .ci/install-chromium)")
    page = run_folder / "report.html"
    done = chromium("--hide-scrollbars", "--window-size=1280,900", "--virtual-time-budget=5000", "--dump-dom", page.as_uri(), profile=tmp_path / "p")
    found = LAYOUT.search(done.stdout)
    assert found, f"the page did not render: {done.stderr[-1500:]}"
    images, scroll_width, viewport, overflowing = found.groups()
    assert images == f"loaded {page.read_text(encoding='utf-8').count('<img ')}"
    assert overflowing == ""
    assert int(scroll_width) == int(viewport) == 1280


def test_validate_lists_a_list_of_numbers_once_not_again_item_by_item():
    rows = [row.parameter for row in provenance_rows(load_scenario(THEATRE).scenario)]
    assert "theatre.reported_end_days" in rows
    assert not [r for r in rows if r.startswith("theatre.reported_end_days.")]
