"""The plant board refreshes by itself: a machine's state change written to the historian shows
on its tile without the page reloading (server-sent events), on the board and in andon mode."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect

from smkit.api.roles import Role
from smkit.core.sample import Sample
from smkit.historian import open_historian
from smkit.plant import load_plant
from tests.web.conftest import TV, SignIn, shoot
from tests.web.site import Site


def write_now(site: Site, machine: str, signal: str, value: str) -> None:
    """A sample of now, written as a collector writes it (a thread of its own: Playwright's
    sync API holds this thread's event loop)."""
    plant = load_plant(site.plant_path)

    async def write() -> None:
        async with open_historian(plant) as historian:
            await historian.write_samples([Sample(machine, signal, time.time_ns(), value)])

    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, write()).result()


@pytest.mark.parametrize(("path", "mode"), [("/board", "SETUP"), ("/board?andon=true", "ALARM")])
def test_a_state_change_reaches_the_tile_without_a_reload(
    signed_in: SignIn, site: Site, path: str, mode: str
) -> None:
    page = signed_in(Role.VIEWER, TV)
    page.goto(f"{site.url}{path}")
    page.evaluate("window.loadedOnce = true")
    tile = page.locator("li.tile[data-machine=press-01]")
    write_now(site, "press-01", "mode", mode)
    state = {"SETUP": "setup", "ALARM": "unplanned_down"}[mode]
    expect(tile).to_have_attribute("data-state", state, timeout=15_000)
    assert page.evaluate("window.loadedOnce") is True  # the same page, not a new one
    assert page.locator("body").get_attribute("data-refreshed") is not None
    label = {"SETUP": "Setup", "ALARM": "Unplanned stop"}[mode]
    assert tile.locator(".state").inner_text().startswith(label)
    shoot(page, f"board-after-change-{state}-en-{TV}")
    write_now(site, "press-01", "mode", "AUTOMATIC")
    expect(tile).to_have_attribute("data-state", "running", timeout=15_000)
