"""What a planner reads of the analysis tables: inputs by name, columns in words with units, shares in percent."""

import pandas as pd
import pytest

from sim.names import column_words, label, people_table, percent

WINDOW = (15.0, 30.0)


def tornado_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "mean_days.base": [33.0, 33.0],
            "mean_days.low": [42.0, 31.0],
            "mean_days.high": [24.0, 34.0],
            "mean_days.swing": [-18.2, 3.1],
            "p_window.base": [0.4, 0.4],
            "p_window.low": [0.2, 0.42],
            "p_window.high": [0.475, 0.3],
            "p_window.swing": [0.275, -0.12],
        },
        index=pd.Index(["fleet.het.count", "fleet.military.count"], name="factor"),
    )


def test_tornado_table_names_inputs_in_words_with_the_dotted_path_beside():
    shown = people_table(tornado_table(), "tornado", WINDOW)
    assert list(shown["input"]) == ["heavy equipment transporters", "military trucks"]
    assert list(shown["parameter"]) == ["fleet.het.count", "fleet.military.count"]


def test_tornado_swing_of_the_window_chance_is_in_percentage_points_not_a_fraction():
    shown = people_table(tornado_table(), "tornado", WINDOW, ["mean_days.swing", "p_window.swing"])
    days, points = shown.columns[-2:]
    assert days == "swing in mean days, P95 - P5 (days)"
    assert points == "swing in P(15-30 days), P95 - P5 (percentage points)"
    assert list(shown[points]) == ["+27.5", "-12.0"]
    assert list(shown[days]) == ["-18.2", "+3.1"]


def test_no_programmer_column_name_survives_in_any_known_table():
    for stem, columns in {
        "morris": ["mu_star", "mu_star_conf", "sigma", "mu"],
        "sobol": ["S1", "S1_conf", "ST", "ST_conf"],
        "calibration": ["prior_p5", "prior_p95", "post_p5", "post_p95", "ks"],
        "marginal": ["days_saved", "days_saved_low", "days_saved_high", "p_window_change"],
    }.items():
        for column in columns:
            words = column_words(stem, column, WINDOW)
            assert "_" not in words and "." not in words.replace("P95 - P5", ""), (stem, column, words)
            assert "(" in words or stem == "calibration", f"{words}: no unit"


def test_marginal_change_reads_in_points_and_replications_as_whole_numbers():
    table = pd.DataFrame({"replications": [1320.0], "p_window_change": [0.17], "days_saved": [4.13]}, index=pd.Index(["escort teams +1"], name="change"))
    shown = people_table(table, "marginal", WINDOW)
    assert list(shown.columns) == ["change", "replication pairs (count)", "change in P(15-30 days), mean (percentage points)", "days saved, mean (days)"]
    assert list(shown.iloc[0]) == ["escort teams +1", "1,320", "+17.0", "4.1"]


def test_calibration_table_gives_each_input_its_unit():
    table = pd.DataFrame({"prior_p5": [60.0], "ks": [0.31]}, index=pd.Index(["fleet.civilian.count"], name="input"))
    shown = people_table(table, "calibration", WINDOW)
    assert shown.loc[0, "unit"] == "count" and shown.loc[0, "input"] == "contracted trucks"
    assert shown.iloc[0, -1] == "31.0"


@pytest.mark.parametrize(("share", "text"), [(0.004, "0.4"), (0.0004, "<0.1"), (0.0, "0.0"), (0.403, "40.3")])
def test_a_nonzero_share_never_reads_as_zero(share, text):
    assert percent(share) == text


def test_an_input_column_reads_by_its_planner_name():
    assert label("input.fleet.het.count") == "heavy equipment transporters"


def test_console_table_of_an_analysis_speaks_words_not_dotted_columns(monkeypatch):
    from rich.console import Console

    from sim.commands import _console
    from sim.commands.analysis import _print_table

    console = Console(width=200, record=True)
    monkeypatch.setattr(_console, "console", console)
    _print_table("Tornado: swing from P5 to P95", tornado_table(), "tornado", ["mean_days.swing", "p_window.swing"], WINDOW)
    text = console.export_text()
    assert "heavy equipment transporters" in text and "percentage points" in text and "+27.5" in text
    assert "mean_days.swing" not in text and "p_window.swing" not in text and "0.275" not in text


def test_a_theatre_input_reads_by_its_site_pool_or_road_then_the_one_base_name():
    from sim.names import label

    assert label("input.sites.qasrak.cargo.classes.general.loads") == "Qasrak: general cargo loads"
    assert label("sites.kharab_al_jir.people.troops") == "Kharab al Jir: troops"
    assert label("pools.army.fleet.military.count") == "army pool: military trucks"
    assert label("legs.0.threats.closures_per_week") == "road 1: route closures a week"
    assert label("sites.al_waleed.minutes_per_vehicle") == "Al Waleed: crossing minutes per vehicle"


def test_a_theatre_names_its_sites_by_their_titles_and_its_roads_by_their_ends():
    # issue: "road 6: speed kmh (legs.5.speed_kmh)", "Semalka: main crossing closures a month", "Kharab al Jir"
    from pathlib import Path

    from sim.names import theatre_names
    from sim.scenario.loading import load_scenario

    theatre = load_scenario(Path(__file__).resolve().parent.parent / "scenarios" / "syria_2026_theatre.toml").scenario
    leg = theatre.legs[5]
    assert label("legs.5.speed_kmh") == "road 6: speed (km/h)"  # without the file: the unit at least
    assert label("sites.semalka.closures_per_month") == "Semalka: crossing closures a month"  # not the main crossing's
    with theatre_names(theatre):
        start, end = theatre.sites[leg.start].title, theatre.sites[leg.end].title
        assert label("legs.5.speed_kmh") == f"{start} to {end} road: speed (km/h)"
        assert label("sites.kharab_al_jir.people.troops") == f"{theatre.sites['kharab_al_jir'].title}: troops"
        assert "al-Jir" in label("sites.kharab_al_jir.people.troops")
        assert label("sites.al_waleed.minutes_per_vehicle").startswith(theatre.sites["al_waleed"].title + ": ")
        assert label("sites.semalka.closures_per_month") == f"{theatre.sites['semalka'].title}: crossing closures a month"
    assert label("sites.kharab_al_jir.people.troops") == "Kharab al Jir: troops"  # outside, as before


# ---- one word for one thing, as the README says it -----------------------------------------------


def test_the_civilian_fleet_is_the_contracted_trucks_everywhere_a_person_reads_it():
    from sim.analysis.bounds import carrier_name
    from sim.experiment.analyses import RESOURCES
    from sim.plots.waits import display_name

    assert label("fleet.civilian.count") == "contracted trucks" and display_name("trucks (civilian)") == "contracted trucks"
    assert "contracted trucks +10" in [name for name, *_ in RESOURCES]
    assert carrier_name(frozenset({"civilian", "military"})) == "contracted trucks + military trucks"
    assert carrier_name(frozenset({"het"})) == "heavy equipment transporters"
    assert display_name("apaches") == "Apaches"


def test_the_crew_warning_gives_the_crew_beside_its_path(tmp_path):
    from typer.testing import CliRunner

    from sim.cli import app
    from tests.conftest import BASELINE

    args = ["run", "--no-figures", str(BASELINE), "-n", "2", "--jobs", "1", "--set", "vehicles.crew=10", "--set", "vehicles.seats=10"]
    args += ["--out", str(tmp_path / "r")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "could not crew every vehicle (10 people each, vehicles.crew; the security force apart)" in text, text


def test_a_theatre_base_s_crew_warning_gives_its_crew_beside_its_own_path(tmp_path):
    """Each base of a theatre warns in words first, its own dotted path beside (not the old ``vehicles.crew each``)."""
    from sim import api
    from tests.conftest import ROOT

    overrides = ["sites.rmelan.vehicles.crew=10", "sites.rmelan.vehicles.seats=10"]
    summary = api.run(ROOT / "scenarios" / "syria_2026_theatre.toml", 2, overrides=overrides, out=tmp_path / "r", figures=False, jobs=1).summary
    rmelan = [w for w in summary["warnings"] if w.startswith("Rmelan: ") and "could not crew every vehicle" in w]
    assert len(rmelan) == 1, summary["warnings"]
    assert "could not crew every vehicle (10 people each, sites.rmelan.vehicles.crew; the security force apart)" in rmelan[0]
    assert "vehicles.crew each" not in " ".join(summary["warnings"]) + " ".join(summary["bases"]["rmelan"]["warnings"])


def test_one_way_of_writing_a_date_for_every_reader(monkeypatch):
    """Day, short month, year (``10 Mar 2026``): the console, report, figures and the what-if page all call it; ISO
    stays in summary.json. Not ``03-10``, ``2026-03-10`` or ``10 March``; English months whatever the locale."""
    import datetime as dt
    import locale

    from sim.names import date_of_day, date_words, dates_words, day_date_words

    before = locale.setlocale(locale.LC_TIME)
    try:
        locale.setlocale(locale.LC_TIME, "fr_FR.UTF-8")  # strftime("%b") would say "mars"
    except locale.Error:
        pass
    try:
        assert date_words(dt.date(2026, 3, 10)) == "10 Mar 2026"
        assert date_words(dt.date(2026, 3, 3)) == "3 Mar 2026" and date_words(dt.date(2026, 3, 3), year=False) == "3 Mar"
        assert date_words("2026-02-23T00:00:00+03:00") == date_words(dt.datetime(2026, 2, 23, 18)) == "23 Feb 2026"
        assert dates_words("2026-03-25", "2026-04-10") == "25 Mar to 10 Apr 2026"
        assert dates_words(dt.date(2026, 12, 25), dt.date(2027, 1, 10)) == "25 Dec 2026 to 10 Jan 2027"
        # the date agrees with the day printed beside it (to the tenth): from 18:00, day 16.25 prints 16.2, on the 17th
        assert date_of_day("2026-03-01T18:00", 16.25) == dt.date(2026, 3, 17) and day_date_words(dt.date(2026, 2, 23), 15) == "10 Mar 2026"
    finally:
        locale.setlocale(locale.LC_TIME, before)


def test_the_report_s_headline_reads_its_iso_dates_as_words():
    from sim.report.render import headline_context

    top = {
        "measure": {"measure": "days", "window_days": [15, 30], "by_day": 30, "column": "days_to_base_empty", "subject": "base empty"},
        "days": {"mean": 16.0, "p10": 12.0, "p50": 15.0, "p90": 20.0},
        "dates": {"mean": "2026-03-11", "p10": "2026-03-07", "p50": "2026-03-10", "p90": "2026-03-15"},
        "p_by_day": {"estimate": 0.9, "ci_low": 0.85, "ci_high": 0.93},
        "replications": 100,
    }
    note = headline_context(top)["date_note"]
    assert "P50 (10 Mar 2026)" in note and "(7 Mar to 15 Mar 2026)" in note and "2026-03" not in note, note


def test_calibration_shows_a_share_in_percent_and_its_statistics_in_words_with_their_names_beside():
    """``share staged at the start`` reads ``percent | 11.4% | 29.3%``, never ``share, 0-1 | 0.114 | 0.293``; the KS
    distance, width ratio and p-value read in words with the statistic's name beside, on the console and in the report;
    a sentence's range is in the input's unit; the figure's axis is in percent too."""
    import matplotlib.pyplot as plt
    import numpy as np

    from sim.names import range_words
    from sim.plots.calibration import calibration_figure
    from sim.report.analysis_section import TABLE_NOTES

    table = pd.DataFrame(
        {"prior_p5": [0.114, 60.0], "post_p95": [0.293, 140.0], "width_ratio": [0.8, 0.5], "ks": [0.31, 0.1], "ks_pvalue": [0.0004, 0.2]},
        index=pd.Index(["cargo.staged_at_start", "fleet.civilian.count"], name="input"),
    )
    for short in (False, True):
        shown = people_table(table, "calibration", WINDOW, short=short)
        assert list(shown.loc[0, ["input", "unit"]]) == ["share staged at the start", "percent"]
        assert list(shown.iloc[0, 3:5]) == ["11.4%", "29.3%"] and list(shown.iloc[1, 3:5]) == ["60", "140"]
        assert all("0-1" not in str(v) for v in shown.iloc[0])
        words = list(shown.columns)
        assert any("differ" in w and "KS" in w for w in words)
    long = list(people_table(table, "calibration", WINDOW).columns)
    assert any("how far the target's draws differ from all draws" in w and "Kolmogorov-Smirnov" in w for w in long)
    assert any(w.startswith("how narrow the target makes the input") and "width ratio" in w for w in long)
    assert any("KS test p-value" in w for w in long)
    assert not [w for w in long if "_" in w]
    note = TABLE_NOTES["calibration"]
    assert "width_ratio" not in note and "ks_pvalue" not in note and "Kolmogorov-Smirnov distance (KS)" in note
    assert range_words("cargo.staged_at_start", 0.05, 0.2) == "5-20%"
    assert range_words("fleet.civilian.count", 60, 140) == "60-140"
    assert range_words("route.syria.km", 200, 250) == "200-250 km"

    inputs = pd.DataFrame({"cargo.staged_at_start": np.linspace(0.05, 0.3, 50)})
    fig = calibration_figure(inputs, np.arange(50) < 25, ["cargo.staged_at_start"], "15-30 days")
    try:
        ax = fig.axes[0]
        assert ax.get_xlabel() == "percent"
        assert ax.patches[0].get_x() == pytest.approx(5.0)
    finally:
        plt.close(fig)


def test_the_reports_hours_windows_and_switches_read_in_their_units_and_a_start_day_in_days_from_the_start():
    """The report's provenance: ``convoys: departure window 05:00 to 12:00 local``, not ``[5, 12]``; the window
    ``15 to 30 days``, not ``[15, 30]``; a switch ``yes``, not ``true``. The tornado pins a start day at ``9.21 to
    18.8 days from the start``, not ``day``."""
    from sim.names import pinned_words
    from sim.report.readable import value_in_units
    from sim.report.render import provenance_rows_of
    from sim.scenario.loading import load_scenario
    from tests.conftest import BASELINE

    assert value_in_units("convoys.departure_window", [5.0, 12.0], "[5, 12]") == "05:00 to 12:00 local"
    assert value_in_units("convoys.daylight", (6.0, 18.5), "[6, 18.5]") == "06:00 to 18:30 local"
    assert value_in_units("scenario.window_days", (15.0, 30.0), "[15, 30]") == "15 to 30 days"
    assert value_in_units("theatre.reported_end_days", [20, 30, 60], "[20, 30, 60]") == "20, 30, 60 days"
    assert value_in_units("convoys.daylight_only", True, "true") == "yes"
    assert value_in_units("route.syria.daylight_only_for", ["contracted"], "[contracted]") == "[contracted]"
    assert pinned_words("sites.rmelan.start_day", 9.21, 18.8) == "9.21 to 18.8 days from the start"
    rows = {row.path: row.value for group in provenance_rows_of(load_scenario(BASELINE).scenario) for row in group.rows}
    assert rows["scenario.window_days"] == "15 to 30 days"
    assert rows["convoys.daylight"].endswith(" local") and rows["convoys.departure_window"].endswith(" local")
    assert "true" not in rows.values() and "false" not in rows.values()


def test_morris_columns_say_their_words_first_with_the_symbol_beside():
    """A planner reads ``mean effect, μ* (days)``, not ``μ* (days)``, ``±`` or ``σ`` alone, on the console and in the report."""
    short = [column_words("morris", c, WINDOW, short=True) for c in ("mu_star", "mu_star_conf", "sigma", "mu")]
    assert short == ["mean effect, μ* (days)", "its 95% interval, ± (days)", "spread of the effects, σ (days)", "mean signed effect, μ (days)"]
    long = [column_words("morris", c, WINDOW) for c in ("mu_star", "mu_star_conf", "sigma", "mu")]
    assert long[0] == "mean absolute effect on mean days to base empty, μ* (days)"
    assert all(w[0] not in "μσ±" for w in short + long), short + long


def test_validate_names_the_sites_a_field_points_to_by_their_titles():
    # a fresh user saw "same place as: rmelan" and "after: qasrak": the keys, where every other line says Rmelan, Qasrak
    from typer.testing import CliRunner

    from sim.cli import app
    from sim.names import names_a_site, theatre_names
    from sim.report.readable import value_in_units
    from sim.scenario.loading import load_scenario
    from tests.conftest import ROOT

    theatre = load_scenario(ROOT / "scenarios" / "syria_2026_theatre.toml").scenario
    with theatre_names(theatre):
        assert value_in_units("sites.kharab_al_jir.same_place_as", "rmelan", "rmelan") == "Rmelan"
        assert value_in_units("legs.0.end", "kharab_al_jir", "kharab_al_jir") == "Kharab al-Jir"
    assert not names_a_site("scenario.start") and not names_a_site("sites.rmelan.kind")
    text = " ".join(CliRunner().invoke(app, ["validate", str(ROOT / "scenarios" / "syria_2026_theatre.toml")]).output.split())
    assert "sites.rmelan.after Qasrak" in text and "sites.rmelan.after qasrak" not in text
    assert "legs.2.end Kharab al-Jir" in text and "Kharab al Jir" not in text  # the file's title, not the key in words
