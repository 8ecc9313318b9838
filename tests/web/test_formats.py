"""Numbers, dates and durations in each reader's convention, and the chart geometry: pure."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np

from smkit.oee.timeline import CATEGORY_CODE, StateChanges
from smkit.plant.machine import StateCategory
from smkit.web import charts, formats

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def test_numbers_percentages_and_dates_follow_the_readers_language() -> None:
    assert formats.number(1234.5, "vi", 1) == "1.234,5"
    assert formats.number(1234.5, "en", 1) == "1,234.5"
    assert formats.number(200000, "vi") == "200.000"
    assert formats.percent(0.8534, "vi") == "85,3 %"
    assert formats.percent(0.8534, "en") == "85.3 %"
    assert formats.percent(None, "en") == formats.DASH
    moment = dt.datetime(2026, 3, 7, 6, 5, tzinfo=HCM)
    assert formats.date(moment, "vi") == "07/03/2026"
    assert formats.date(moment, "en") == "7 Mar 2026"
    assert formats.date_time(moment, "vi") == "07/03/2026 06:05"


def test_durations_in_their_two_largest_units() -> None:
    assert formats.duration(12.4, "en") == "12 s"
    assert formats.duration(270, "en") == "4 min 30 s"
    assert formats.duration(3900, "en") == "1 h 05 min"
    assert formats.duration(3900, "vi") == "1 giờ 05 phút"
    assert formats.duration(40 * 3600, "vi") == "40 giờ 00 phút"


def test_local_never_rounds_an_instant_up_to_the_next_second() -> None:
    edge = 1_796_554_800 * 10**9
    assert formats.local(edge - 1, HCM).second == 59
    assert formats.local(edge, HCM).second == 0


def test_the_timeline_covers_the_window_with_one_segment_per_stretch() -> None:
    s = 10**9
    run, idle = CATEGORY_CODE[StateCategory.RUNNING], CATEGORY_CODE[StateCategory.IDLE]
    changes = StateChanges(np.array([5 * s, 20 * s, 25 * s, 60 * s], dtype=np.int64),
                           np.array([run, idle, idle, run], dtype=np.int8),
                           np.array([0, 1, 1, 0], dtype=np.int32), ("", "A-1"))  # fmt: skip
    found = charts.timeline(changes, 10 * s, 50 * s, 110 * s)
    assert [(g.state, g.reason, g.start_ns // s, g.end_ns // s) for g in found] == [
        ("running", "", 10, 20), ("idle", "A-1", 20, 50)]  # fmt: skip
    assert found[0].x == 0.0
    assert found[-1].x + found[-1].width == charts.WIDTH * 40 / 100  # drawn to now, scaled to 110 s
    before_any = charts.timeline(changes, 0, 10 * s)
    assert [(g.state, g.end_ns // s) for g in before_any] == [("none", 5), ("running", 10)]


def test_the_waterfall_takes_each_loss_off_what_is_left() -> None:
    bars = charts.waterfall_bars(100.0, [("breakdowns", 10.0), ("small stops", 5.0)])
    assert [(b.label, b.x, b.width) for b in bars] == [
        ("planned", 0.0, 1000.0),
        ("breakdowns", 900.0, 100.0),
        ("small stops", 850.0, 50.0),
    ]
