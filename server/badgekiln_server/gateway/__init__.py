"""A local stand-in for API Gateway HTTP API, driven by ``template.yaml`` (used by ``badgekiln serve``).

:mod:`.template` reads the SAM template; :mod:`.routing` picks routes like HTTP APIs do;
:mod:`.events` builds payload-2.0 events and reads Lambda answers; :mod:`.cors` and
:mod:`.authorizer` do what the gateway does before a function runs; :mod:`.functions` imports and
invokes the handlers; :mod:`.api` ties them together, with no sockets involved.
"""

from __future__ import annotations

from badgekiln_server.gateway.api import MAX_EVENT_BYTES, MAX_REQUEST_BYTES, LocalGateway
from badgekiln_server.gateway.events import HttpRequest, HttpResponse
from badgekiln_server.gateway.template import LocalApp, load_template

__all__ = [
    "MAX_EVENT_BYTES",
    "MAX_REQUEST_BYTES",
    "HttpRequest",
    "HttpResponse",
    "LocalApp",
    "LocalGateway",
    "load_template",
]
