"""A map frame as GeoJSON, built in one pass from set-based queries (no per-place resolvers)."""

from collections.abc import Collection
from datetime import date, datetime
from typing import Any

from sqlalchemy.engine import Connection

from eventdb.queries import control, facts


def control_map(
    connection: Connection, day: date, at: datetime | None, places: Collection[int] | None
) -> dict[str, Any]:
    """A FeatureCollection with a Point for each place (with coordinates) that has a record of
    control: its slug, name, whether it is contested, and who may hold it on `day`."""
    frame = control.map_frame(connection, day, at, places)
    located = facts.locations(connection, [state.location_id for state in frame], at)
    actor_ids = {held.control.actor_id for state in frame for held in state.controllers}
    actors = facts.actors(connection, actor_ids, at)
    features = []
    for state in frame:
        place = located.get(state.location_id)
        if place is None or place.latitude is None or place.longitude is None:
            continue
        controllers = [
            {
                "actor": actors[held.control.actor_id].slug,
                "name": actors[held.control.actor_id].name,
                "status": held.control.status,
                "certainty": held.certainty.value,
            }
            for held in state.controllers
        ]
        features.append(
            {
                "type": "Feature",
                "id": place.slug,
                "geometry": {"type": "Point", "coordinates": [place.longitude, place.latitude]},
                "properties": {
                    "slug": place.slug,
                    "name": place.name,
                    "kind": place.kind,
                    "contested": state.contested,
                    "controllers": controllers,
                },
            }
        )
    return {
        "type": "FeatureCollection",
        "features": features,
        "properties": {"at": day.isoformat()},
    }
