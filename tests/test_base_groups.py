"""A base's optional groups (``BaseGroups`` in sim/scenario/schema.py): one field in one class is a group of the
one-base file and of every theatre base, refused at a theatre's top, read by the model as ``spec.groups``, combined
for two names of one place, and named in words by the group itself."""

from __future__ import annotations

import pytest

from sim.model.network import BaseSpec
from sim.model.sites import network_of, one_place
from sim.names import label
from sim.scenario.draws import resolve
from sim.scenario.loading import ScenarioError, validate_table
from sim.scenario.schema import ONE_BASE_GROUPS, BaseGroups, BaseSite, Fuel, OwnTransport, Scenario
from tests.theatre_tables import SRC, crossing, leg, small_base, small_theatre

GROUPS = BaseGroups.group_names()


def test_each_group_is_a_field_of_both_scenario_shapes_and_of_the_per_base_lists():
    assert GROUPS == ("fuel", "own_transport", "helicopters", "deadline")
    assert BaseGroups.THEATRE_WIDE == ("deadline",)
    for name in GROUPS:
        assert name in Scenario.model_fields and name in BaseSite.model_fields
        assert (name in ONE_BASE_GROUPS) == (name not in BaseGroups.THEATRE_WIDE)


@pytest.mark.parametrize("name", [g for g in GROUPS if g not in BaseGroups.THEATRE_WIDE])
def test_a_theatre_refuses_each_group_at_its_top(name):
    table = small_theatre({"a": small_base(), "x": crossing()}, [leg("a", "x", 100), leg("x", "erbil", 100)])
    table[name] = {"source": SRC}
    with pytest.raises(ScenarioError, match=rf"`{name}` is a one-base group: in a theatre scenario \(one with \[sites\]\) give it as \[sites.<base>.{name}\]"):
        validate_table(table, "", "test")


def test_the_model_reads_a_theatre_base_s_groups_from_its_spec():
    a = small_base(own_transport={"trucks": 4, "source": SRC}, fuel={"fills_at_start": 3, "source": SRC})
    table = small_theatre({"a": a, "x": crossing()}, [leg("a", "x", 100), leg("x", "erbil", 100)])
    spec = network_of(resolve(validate_table(table, "", "test"), {})).bases["a"]
    assert spec.groups.own_transport is not None and spec.groups.own_transport.trucks == 4
    assert spec.groups.fuel is not None and spec.groups.fuel.fills_at_start == 3 and spec.groups.helicopters is None


def test_a_theatre_base_without_its_own_deadline_has_the_theatre_s_and_one_with_its_own_keeps_it():
    own = {"day": 5, "source": SRC}
    table = small_theatre(
        {"a": small_base(), "b": small_base(deadline=own), "x": crossing()},
        [leg("a", "x", 100), leg("b", "x", 100), leg("x", "erbil", 100)],
        deadline={"day": 9, "source": SRC},
    )
    bases = network_of(resolve(validate_table(table, "", "test"), {})).bases
    assert bases["a"].groups.deadline is not None and bases["a"].groups.deadline.day == 9
    assert bases["b"].groups.deadline is not None and bases["b"].groups.deadline.day == 5
    del table["deadline"]
    bases = network_of(resolve(validate_table(table, "", "test"), {})).bases
    assert bases["a"].groups.deadline is None and bases["b"].groups.deadline.day == 5


def test_two_names_of_one_place_add_their_own_trucks_and_keep_the_first_name_s_fuel_else_the_other_s():
    kept = BaseGroups(own_transport=OwnTransport(trucks=4, source=SRC))
    other = BaseGroups(own_transport=OwnTransport(trucks=6, source=SRC), fuel=Fuel(fills_at_start=2, source=SRC))
    both = kept.same_place_with(other)
    assert both.own_transport is not None and both.own_transport.trucks == 10
    assert both.fuel == other.fuel and both.helicopters is None
    mine = BaseGroups(fuel=Fuel(fills_at_start=9, source=SRC))
    assert mine.same_place_with(other).fuel == mine.fuel


def test_one_place_merges_the_groups_of_the_base_specs():
    a = small_base(own_transport={"trucks": 4, "source": SRC})
    b = {**small_base(own_transport={"trucks": 6, "source": SRC}), "same_place_as": "a"}
    table = small_theatre({"a": a, "b": b, "x": crossing()}, [leg("a", "x", 100), leg("b", "x", 100), leg("x", "erbil", 100)])
    net = one_place(network_of(resolve(validate_table(table, "", "test"), {})), {"b": "a"})
    merged: BaseSpec = net.bases["a"]
    assert merged.groups.own_transport is not None and merged.groups.own_transport.trucks == 10


def test_every_input_of_a_group_with_a_title_reads_in_its_words():
    for path, words in BaseGroups.words().items():
        assert label(path) == words and label(f"input.{path}") == words
        assert label(f"sites.rmelan.{path}") == f"Rmelan: {words}"
    assert label("fuel.fills_at_start") == "convoy fills of fuel at the start"
    assert label("own_transport.trucks") == "the base's own trucks"


def test_two_names_of_one_place_keep_the_kept_name_s_deadline_else_the_other_s():
    late, early = {"day": 9, "source": SRC}, {"day": 5, "source": SRC}
    a = small_base(deadline=late)
    b = {**small_base(deadline=early), "same_place_as": "a"}
    c = small_base()
    d = {**small_base(deadline=early), "same_place_as": "c"}
    sites = {"a": a, "b": b, "c": c, "d": d, "x": crossing()}
    table = small_theatre(sites, [leg(n, "x", 100) for n in "abcd"] + [leg("x", "erbil", 100)])
    net = one_place(network_of(resolve(validate_table(table, "", "test"), {})), {"b": "a", "d": "c"})
    assert net.bases["a"].groups.deadline is not None and net.bases["a"].groups.deadline.day == 9
    assert net.bases["c"].groups.deadline is not None and net.bases["c"].groups.deadline.day == 5
