"""The theatre figures, each drawn from a small synthetic results folder written here to the theatre contract.

What a user checks: the reported end dates are marked where they belong and labelled with their
sources' words; every site is drawn at its coordinates with its title; legs are as wide as their
convoys and coloured by their waits; the binding resource is named; each base has its own burn-down.
"""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.plots.theatre import (
    THEATRE_FIGURES,
    is_theatre_summary,
    read_theatre,
    reported_ends,
    theatre_burndown,
    theatre_completion,
    theatre_network,
)

START = datetime.date(2026, 2, 23)
SITES = [
    {"name": "qasrak", "title": "Qasrak", "kind": "base", "lat": 36.72, "lon": 40.53},
    {"name": "rmelan", "title": "Rmelan", "kind": "base", "lat": 36.90, "lon": 42.00},
    {"name": "al_waleed", "title": "al-Waleed crossing", "kind": "crossing", "lat": 36.86, "lon": 42.15},
    {"name": "semalka", "title": "Semalka / Faysh Khabur", "kind": "crossing", "lat": 37.09, "lon": 42.35},
    {"name": "harir", "title": "Harir / Erbil", "kind": "destination", "lat": 36.54, "lon": 44.35},
]
LEGS = [
    {"from": "qasrak", "to": "rmelan", "km": 175},
    {"from": "rmelan", "to": "al_waleed", "km": 45},
    {"from": "rmelan", "to": "semalka", "km": 60},
    {"from": "al_waleed", "to": "harir", "km": 225},
    {"from": "semalka", "to": "harir", "km": 250},
]
LEG_CONVOYS = {"qasrak-rmelan": 40.0, "rmelan-al_waleed": 50.0, "rmelan-semalka": 10.0, "al_waleed-harir": 50.0, "semalka-harir": 10.0}
LEG_WAITS = {"qasrak-rmelan": 100.0, "rmelan-al_waleed": 300.0, "rmelan-semalka": 5.0, "al_waleed-harir": 0.0, "semalka-harir": 20.0}
SOURCE = (
    "20 days: 'within 20 days' (a diplomat, AFP, 2026-02-23); 30 days: 'within a month' (a Syrian government official, AFP, 2026-02-23); "
    "60 days: 'over the next two months' (US officials, WSJ, 2026-02-19)"
)
N = 40


def last_out_days(n: int = N) -> np.ndarray:
    """Replication i is out on day 10 + i (10, 11, ..., 49): by day 20 eleven of 40 are out, by day 30 21, by day 60 all."""
    return 10.0 + np.arange(n)


def write_theatre_folder(folder: Path) -> Path:
    """A results folder as a theatre run writes it (the parts the figures read)."""
    folder.mkdir(parents=True, exist_ok=True)
    days = last_out_days()
    rows = {"replication": np.arange(N), "days_to_base_empty": days - 5, "finished": np.ones(N, bool), "theatre.days_to_last_out": days}
    for leg, convoys in LEG_CONVOYS.items():
        rows[f"leg.{leg}.convoys"] = np.full(N, convoys)
        rows[f"leg.{leg}.wait_hours"] = np.full(N, LEG_WAITS[leg])
    rows["utilisation.contracted"] = np.full(N, 0.62)
    rows["utilisation.escort"] = np.zeros(N)  # a pool without trucks: no busy share to show
    rows["base.qasrak.leaves"] = np.ones(N, bool)
    rows["base.rmelan.leaves"] = np.arange(N) % 4 != 0  # Rmelan moves in 30 of 40 replications
    pd.DataFrame(rows).to_parquet(folder / "replications.parquet")
    burndown = []
    for rep in range(N):
        for day in range(70):
            qasrak = max(0, 100 - 10 * day + (rep % 3))  # empty by day 10-11
            rmelan = 0 if day < 10 else max(0, 60 - 3 * (day - 10) - (rep % 2))  # starts after Qasrak, empty by day 30
            burndown.append((rep, day, qasrak, 0, qasrak, 0, rmelan, 0))
    columns = ["replication", "day", "cargo_loads", "people", "cargo_loads.qasrak", "people.qasrak", "cargo_loads.rmelan", "people.rmelan"]
    pd.DataFrame(burndown, columns=columns).to_parquet(folder / "burndown.parquet")
    theatre = {
        "days_to_last_out": {"mean": float(days.mean()), "p10": 14.0, "p50": 29.5, "p90": 45.0},
        "p_within": {
            "20": {"estimate": 11 / 40, "ci_low": 0.16, "ci_high": 0.42},
            "30": {"estimate": 21 / 40, "ci_low": 0.37, "ci_high": 0.67},
            "60": {"estimate": 1.0, "ci_low": 0.91, "ci_high": 1.0},
        },
        "binding": "contracted trucks (theatre pool)",
        "reported_end_days": [20, 30, 60],
    }
    bases = {
        "qasrak": {
            "days_to_base_empty": {"mean": 10.5, "p10": 10.0, "p50": 10.5, "p90": 11.0},
            "p_15_to_30": {"estimate": 0.0, "ci_low": 0.0, "ci_high": 0.09},
        },
        "rmelan": {
            "days_to_base_empty": {"mean": 29.5, "p10": 29.0, "p50": 29.5, "p90": 30.0},
            "p_15_to_30": {"estimate": 0.75, "ci_low": 0.6, "ci_high": 0.86},
        },
    }
    (folder / "summary.json").write_text(json.dumps({"replications": N, "window_days": [15, 30], "bases": bases, "theatre": theatre}))
    scenario = {
        "scenario": {"start": "2026-02-23T00:00:00+03:00"},
        "theatre": {"reported_end_days": [20, 30, 60], "source": SOURCE},
        "pools": {
            "contracted": {"title": "Contracted trucks", "home": "theatre", "fleet": {"civilian": {"count": 100, "source": "x"}}},
            "escort": {"title": "Escort teams", "home": "theatre", "escort": {"teams": 6, "source": "x"}},
        },
    }
    (folder / "manifest.json").write_text(json.dumps({"seed": 1, "scenario": scenario}))
    (folder / "network.json").write_text(json.dumps({"sites": SITES, "legs": LEGS}))
    return folder


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return write_theatre_folder(tmp_path_factory.mktemp("theatre"))


@pytest.fixture(scope="module")
def theatre(folder):
    return read_theatre(folder)


def test_a_summary_with_theatre_answers_is_a_theatre_run():
    assert is_theatre_summary({"theatre": {"binding": "x"}})
    assert not is_theatre_summary({"days_to_base_empty": {}})


def test_reported_end_words_come_from_the_theatre_source():
    ends = reported_ends([20, 30, 60, 90], SOURCE)
    assert [e.days for e in ends] == [20, 30, 60, 90]
    assert ends[0].words == "'within 20 days' (a diplomat, AFP, 2026-02-23)"
    assert ends[2].words == "'over the next two months' (US officials, WSJ, 2026-02-19)"
    assert ends[3].words == "reported end: 90 days"


# The theatre completion distribution


@pytest.fixture(scope="module")
def completion(theatre):
    return theatre_completion(theatre)


def test_completion_marks_each_reported_end_date_at_its_day(completion):
    ax = completion.axes[0]
    marked = {line.get_gid(): line.get_xdata()[0] for line in ax.lines if (line.get_gid() or "").startswith("reported-")}
    assert marked == {"reported-20": 20, "reported-30": 30, "reported-60": 60}


def test_completion_labels_each_date_with_its_source_words_calendar_date_and_chance(completion):
    labels = [t.get_text() for t in completion.legends[0].get_texts()]
    assert "Day 20 (15 Mar 2026): 'within 20 days' (a diplomat, AFP, 2026-02-23); out by then in 28% (95% CI 16% to 42%) of replications" in labels
    assert any(label.startswith("Day 30 (25 Mar 2026): 'within a month' (a Syrian government official") for label in labels)
    assert any(label.startswith("Day 60 (24 Apr 2026): 'over the next two months' (US officials, WSJ") for label in labels)


def test_completion_curve_is_the_cumulative_share_of_replications_out(completion):
    ax = completion.axes[0]
    curve = next(line for line in ax.lines if line.get_gid() == "ecdf-last-out")
    x, y = np.asarray(curve.get_xdata(), float), np.asarray(curve.get_ydata(), float)
    share_by = {day: y[np.searchsorted(x, day, side="right") - 1] for day in (20, 30, 60)}
    assert share_by == pytest.approx({20: 11 / 40, 30: 21 / 40, 60: 1.0})
    assert ax.get_ylabel() == "Replications with everyone out of Syria (%)"
    assert ax.yaxis.get_major_formatter()(0.5, 0) == "50%"
    assert "(days)" in ax.get_xlabel()


def test_a_replication_not_out_by_the_horizon_keeps_the_curve_below_100_percent(folder, tmp_path):
    from sim.plots.theatre import theatre_completion_figure

    fig = theatre_completion_figure(np.array([10.0, 20.0, np.inf, np.inf]), reported_ends([30]), START)
    curve = next(line for line in fig.axes[0].lines if line.get_gid() == "ecdf-last-out")
    assert max(curve.get_ydata()) == pytest.approx(0.5)


def test_completion_has_a_calendar_axis(completion):
    ax = completion.axes[0]
    assert any(getattr(child, "get_xlabel", lambda: "")() == "Calendar date (2026)" for child in ax.child_axes)
    completion.canvas.draw()  # the ticks are day and short month, as every date a person reads (the year on the axis)
    ticks = [t.get_text() for child in ax.child_axes for t in child.get_xticklabels() if t.get_text()]
    assert ticks and all(re.fullmatch(r"\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)", t) for t in ticks), ticks


# The network figure


@pytest.fixture(scope="module")
def network(theatre):
    return theatre_network(theatre)


def map_axes(fig):
    return next(ax for ax in fig.axes if ax.get_xlabel() == "Longitude (degrees east)")


def test_every_site_is_drawn_at_its_coordinates_with_its_title(network):
    ax = map_axes(network)
    for site in SITES:
        points = next(c for c in ax.collections if c.get_gid() == f"site-{site['name']}").get_offsets()
        assert tuple(points[0]) == pytest.approx((site["lon"], site["lat"]))
        title = next(t for t in ax.texts if t.get_gid() == f"title-{site['name']}")
        assert title.get_text() == site["title"]


def test_legs_are_as_wide_as_their_convoys_and_coloured_by_their_waits(network):
    ax = map_axes(network)
    lines = {line.get_gid(): line for line in ax.lines if (line.get_gid() or "").startswith("leg-")}
    assert set(lines) == {f"leg-{name}" for name in LEG_CONVOYS}
    widths = {gid[4:]: line.get_linewidth() for gid, line in lines.items()}
    assert widths["rmelan-al_waleed"] == pytest.approx(9.0)  # the busiest leg is the widest
    assert widths["rmelan-semalka"] == pytest.approx(1.0 + 8.0 * 10 / 50)
    assert widths["qasrak-rmelan"] == pytest.approx(1.0 + 8.0 * 40 / 50)
    colorbar = next(a for a in network.axes if a.get_ylabel() == "Convoy-hours waited on the leg (mean per replication)")
    assert colorbar.get_ylim() == pytest.approx((0.0, 300.0))
    import matplotlib as mpl

    cmap, norm = mpl.colormaps["viridis_r"], mpl.colors.Normalize(0, 300)
    assert lines["leg-rmelan-al_waleed"].get_color() == pytest.approx(cmap(norm(300.0)))
    assert lines["leg-al_waleed-harir"].get_color() == pytest.approx(cmap(norm(0.0)))


def test_network_names_the_binding_resource_and_says_its_legend_in_words(network):
    assert network.get_suptitle().endswith("Binding resource: contracted trucks (theatre pool)")
    legend = [t.get_text() for t in map_axes(network).get_legend().get_texts()]
    assert "Base (US troops leave it)" in legend
    assert "Border crossing" in legend
    assert "Destination in the Kurdistan Region of Iraq" in legend
    assert "Road leg: 50 convoys a replication" in legend
    note = next(t for t in map_axes(network).texts if t.get_gid() == "utilisation")
    assert note.get_text() == "Busy share of the trucks of each pool:\nContracted trucks: 62%"


# Burn-down per base


@pytest.fixture(scope="module")
def burndown(theatre):
    return theatre_burndown(theatre)


def test_one_burndown_panel_per_base_titled_with_its_name(burndown):
    titles = [ax.get_title() for ax in burndown.axes if ax.get_visible() and ax.get_ylabel()]
    assert titles == ["Qasrak", "Rmelan\n(moves in 75% of replications, drawn over those)"]
    assert all(ax.get_ylabel() == "Truck loads at the base (loads)" for ax in burndown.axes if ax.get_visible() and ax.get_ylabel())


def test_burndown_median_and_band_are_those_of_the_base_columns(burndown, folder):
    table = pd.read_parquet(folder / "burndown.parquet")
    panels = {ax.get_title().split("\n")[0]: ax for ax in burndown.axes if ax.get_ylabel()}
    moving = np.arange(N)[np.arange(N) % 4 != 0]  # Rmelan is drawn over the replications in which it moves
    for title, column, reps in (("Qasrak", "cargo_loads.qasrak", np.arange(N)), ("Rmelan", "cargo_loads.rmelan", moving)):
        median = next(line for line in panels[title].lines if line.get_gid() == "median").get_ydata()
        kept = table[table["replication"].isin(reps)]
        expected = kept.pivot(index="replication", columns="day", values=column).median(axis=0).to_numpy()
        assert np.asarray(median, float) == pytest.approx(expected[: len(median)])
    rmelan = next(line for line in panels["Rmelan"].lines if line.get_gid() == "median").get_ydata()
    assert rmelan[5] == 0 and rmelan[10] == 59  # nothing before Qasrak is empty, then its 59-60 loads (59 in 20 of the 30 moving)


def test_every_theatre_figure_is_written_as_png_and_svg(folder):
    from sim.plots.completion import save_figure

    t = read_theatre(folder)
    for stem, draw in THEATRE_FIGURES.items():
        paths = save_figure(draw(t), folder / stem)
        assert paths[0].read_bytes().startswith(b"\x89PNG")
        assert b"<svg" in paths[1].read_bytes()[:2000]


def test_plot_run_hook_draws_the_theatre_figures_into_the_folder(folder):
    from sim.plots.figures import FIGURE_ORDER, plot_theatre

    paths = plot_theatre(folder)
    assert sorted(p.name for p in paths) == sorted(f"{stem}.{fmt}" for stem in THEATRE_FIGURES for fmt in ("png", "svg"))
    assert FIGURE_ORDER[:3] == ("theatre_completion", "theatre_network", "theatre_burndown")


def test_a_theatre_run_without_its_network_file_is_a_user_error(folder, tmp_path):
    import shutil

    from sim.plots.figures import NotResultsFolder, plot_theatre

    broken = tmp_path / "broken"
    shutil.copytree(folder, broken)
    (broken / "network.json").unlink()
    with pytest.raises(NotResultsFolder, match="network or theatre columns cannot be read"):
        plot_theatre(broken)


# The report's theatre section


@pytest.fixture(scope="module")
def section(folder):
    from sim.report.render import environment
    from sim.report.theatre_section import theatre_context

    summary = json.loads((folder / "summary.json").read_text())
    manifest = json.loads((folder / "manifest.json").read_text())
    context = theatre_context(folder, summary, manifest)
    return context, environment().get_template("theatre_section.html.j2").render(theatre=context)


def test_section_answers_when_the_last_soldier_leaves_in_words(section):
    context, html = section
    assert context["answer"][0] == (
        "The last US soldier and load leave Syria on day 29.5 at the median (24 Mar 2026): "
        "by day 14.0 (9 Mar 2026) in 10% of replications, by day 45.0 (9 Apr 2026) in 90%."
    )
    assert (
        context["answer"][1]
        == "Out within 20 days (15 Mar 2026), as reported 'within 20 days' (a diplomat, AFP, 2026-02-23): 28% (95% CI 16% to 42%) of replications."
    )
    assert context["answer"][-1] == "What decides it: contracted trucks (theatre pool)."
    assert "<h2>The whole withdrawal</h2>" in html


def test_section_has_a_row_per_base_with_its_share_moving_and_its_days(section):
    context, html = section
    rows = {r.title: r for r in context["bases"]}
    assert list(rows) == ["Qasrak", "Rmelan"]
    assert rows["Rmelan"].leaves == "75%"
    assert rows["Rmelan"].p10_p50_p90 == "29.0 / 29.5 / 30.0"
    assert rows["Rmelan"].in_window == "75% (95% CI 60% to 86%)"
    assert "<td>Rmelan</td>" in html


def test_section_has_a_row_per_leg_and_per_pool(section):
    context, html = section
    assert "<td>Rmelan - al-Waleed crossing</td>" in html
    legs = {r.title: r for r in context["legs"]}
    assert legs["Rmelan - al-Waleed crossing"].convoys == "50.0"
    assert legs["Rmelan - al-Waleed crossing"].wait_hours == "300"
    assert [(p.title, p.busy) for p in context["pools"]] == [("Contracted trucks", "62%")]


def test_a_run_that_is_not_a_theatre_has_no_theatre_section(folder):
    from sim.report.theatre_section import theatre_context

    assert theatre_context(folder, {"days_to_base_empty": {}}, {}) is None


def test_a_leg_without_numbers_is_drawn_as_carrying_nothing():
    from sim.plots.network_map import Leg, Network, Site, leg_flows

    network = Network((Site("a", "A", "base", 36.0, 40.0), Site("b", "B", "crossing", 36.5, 42.0)), (Leg("a", "b", 200.0),))
    flows = leg_flows(network, {"leg.a-b.convoys": float("nan")})
    assert (flows[0].convoys, flows[0].wait_hours) == (0.0, 0.0)


def test_no_two_labels_of_the_theatre_map_overlap_where_rmelan_kharab_al_jir_and_al_waleed_sit_close(tmp_path):
    """On the shipped theatre (Rmelan, Kharab al-Jir and al-Waleed within 0.3 degrees), every site's title is placed
    where its box, as the renderer draws it, covers no other title, no leg's numbers and no site marker."""
    from matplotlib.transforms import Bbox

    from sim.plots.network_map import LegFlow, network_figure, read_network
    from sim.scenario.loading import load_scenario
    from sim.scenario.theatre_layout import network_json

    path = tmp_path / "network.json"
    path.write_text(json.dumps(network_json(load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "syria_2026_theatre.toml").scenario)))
    network = read_network(path)
    flows = [LegFlow(leg, convoys, waits) for leg, convoys, waits in zip(network.legs, (55, 24, 40, 80, 3, 82, 0), (20, 10, 0, 100, 5, 2, 0), strict=True)]
    fig = network_figure(network, flows, "trucks")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = map_axes(fig)
    titles = {t.get_gid(): t.get_window_extent(renderer) for t in ax.texts if (t.get_gid() or "").startswith("title-")}
    assert set(titles) == {f"title-{s.name}" for s in network.sites}
    others = [t.get_window_extent(renderer) for t in ax.texts if not (t.get_gid() or "").startswith("title-") and t.get_gid() != "utilisation"]
    assert len(others) >= 4  # the long legs' numbers
    boxes = list(titles.items())
    for i, (name, box) in enumerate(boxes):
        for other_name, other in boxes[i + 1 :]:
            assert not box.overlaps(other), f"{name} overlaps {other_name}"
        assert not any(box.overlaps(o) for o in others), f"{name} covers a leg's numbers"
        assert ax.get_window_extent(renderer).contains(box.x0, box.y0) and ax.get_window_extent(renderer).contains(box.x1, box.y1)
    for site in network.sites:
        x, y = ax.transData.transform((site.lon, site.lat))
        marker = Bbox.from_extents(x - 4, y - 4, x + 4, y + 4)
        assert not any(box.overlaps(marker) for box in titles.values()), f"a title covers the site {site.name}"


def test_section_says_the_summary_below_is_the_main_base_not_the_whole_withdrawal(section):
    context, html = section
    text = " ".join(html.split())
    assert f"the Summary below it is for the scenario's main base alone, {context['bases'][0].title}." in text
