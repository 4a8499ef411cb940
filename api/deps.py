"""What routes receive, as ``Annotated[..., Depends]`` aliases: settings, the rulebook in use."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request

from api.errors import ApiError
from api.settings import Settings
from api.state import Pictures, Reloader
from matcher.model.contract import Plan
from matcher.rulebook.book import Rulebook
from matcher.rulebook.live import LiveRulebook
from matcher.store.plans import Store
from matcher.store.storage import Storage


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_live(request: Request) -> LiveRulebook:
    live: LiveRulebook | None = getattr(request.app.state, "live", None)
    if live is None:
        raise ApiError(
            503, "the rulebook is not loaded yet", code="not_ready", headers={"Retry-After": "1"}
        )
    return live


def use_rulebook(live: Annotated[LiveRulebook, Depends(get_live)]) -> Iterator[Rulebook]:
    """The current rulebook, kept alive for the whole request even if a reload swaps it."""
    with live.use() as rulebook:
        yield rulebook


def get_reloader(request: Request) -> Reloader:
    reloader: Reloader = request.app.state.reloader
    return reloader


def get_pictures(request: Request) -> Pictures:
    pictures: Pictures = request.app.state.pictures
    return pictures


def get_storage(request: Request) -> Storage:
    storage: Storage = request.app.state.storage
    return storage


def get_store(storage: Annotated[Storage, Depends(get_storage)]) -> Store:
    """The store, reached and migrated (503 while the database is down)."""
    return storage.store()


def get_caller(request: Request) -> str:
    """Who is asking, for ``requested_by`` and the audit: the token's ``user_name`` or ``sub``,
    ``anonymous`` with auth off (set by the role check, api/auth.py)."""
    caller: str = getattr(request.state, "caller", "anonymous")
    return caller


def noted(request: Request, person_id: str) -> None:
    """The person a request is about, for the access log (which writes only a keyed hash)."""
    request.state.person_id = person_id


def get_floor_plans(request: Request) -> dict[tuple[str, str], Plan]:
    """The benchmark floor's plans, by rules version and person (api/routes/floor.py)."""
    kept: dict[tuple[str, str], Plan] = request.app.state.floor_plans
    return kept


SettingsDep = Annotated[Settings, Depends(get_settings)]
LiveDep = Annotated[LiveRulebook, Depends(get_live)]
RulebookDep = Annotated[Rulebook, Depends(use_rulebook)]
ReloaderDep = Annotated[Reloader, Depends(get_reloader)]
PicturesDep = Annotated[Pictures, Depends(get_pictures)]
StorageDep = Annotated[Storage, Depends(get_storage)]
StoreDep = Annotated[Store, Depends(get_store)]
CallerDep = Annotated[str, Depends(get_caller)]
FloorPlansDep = Annotated[dict[tuple[str, str], Plan], Depends(get_floor_plans)]
