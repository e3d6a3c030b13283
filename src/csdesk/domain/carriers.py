"""Carriers' public tracking pages: a tracking number becomes the link an agent opens.

One table of URL patterns (``{number}`` is replaced by the tracking number, percent-escaped,
so a number from a store can never add a path, a query or another host). A carrier is found
by its name as stores spell it (case, spaces and punctuation ignored, common aliases kept).
A store's own ``tracking_url`` wins when it is an https link; otherwise the table; an unknown
carrier has no link (the number is still shown).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

__all__ = ["CARRIERS", "Carrier", "carrier_of", "tracking_url"]

#: A tracking number longer than this is not one (and is not put into a link).
MAX_NUMBER = 64


@dataclass(frozen=True, slots=True)
class Carrier:
    key: str
    name: str  # as the agent reads it
    pattern: str  # https URL with one ``{number}``
    aliases: tuple[str, ...] = ()


CARRIERS: tuple[Carrier, ...] = (
    Carrier("dhl", "DHL", "https://www.dhl.com/global-en/home/tracking.html?tracking-id={number}",
            ("dhlexpress", "dhlparcel", "dhlecommerce", "deutschepost", "dhlpaket")),
    Carrier("ups", "UPS", "https://www.ups.com/track?tracknum={number}", ("unitedparcelservice",)),
    Carrier("fedex", "FedEx", "https://www.fedex.com/fedextrack/?trknbr={number}",
            ("federalexpress", "tnt")),
    Carrier("usps", "USPS", "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}",
            ("unitedstatespostalservice",)),
    Carrier("dpd", "DPD", "https://tracking.dpd.de/status/en_US/parcel/{number}",
            ("dpduk", "dpdgroup")),
    Carrier("gls", "GLS", "https://gls-group.com/track/{number}", ("glsgroup",)),
    Carrier("postnl", "PostNL", "https://jouw.postnl.nl/track-and-trace/{number}", ()),
    Carrier("royalmail", "Royal Mail",
            "https://www.royalmail.com/track-your-item#/tracking-results/{number}", ()),
    Carrier("colissimo", "La Poste / Colissimo",
            "https://www.laposte.fr/outils/suivre-vos-envois?code={number}",
            ("laposte", "lapostecolissimo", "chronopost")),
    Carrier("correos", "Correos",
            "https://www.correos.es/es/en/tools/tracker/items/details?tracking-number={number}",
            ("correosexpress",)),
    Carrier("evri", "Evri", "https://www.evri.com/track/parcel/{number}", ("hermes", "hermesuk")),
    Carrier("hermesde", "Hermes (Germany)",
            "https://www.myhermes.de/empfangen/sendungsverfolgung/sendungsinformation/#{number}",
            ("hermesgermany",)),
    Carrier("canadapost", "Canada Post",
            "https://www.canadapost-postescanada.ca/track-reperage/en#/details/{number}",
            ("postescanada",)),
    Carrier("auspost", "Australia Post", "https://auspost.com.au/mypost/track/details/{number}",
            ("australiapost",)),
    Carrier("bpost", "bpost", "https://track.bpost.cloud/btr/web/#/search?itemCode={number}", ()),
    Carrier("postnord", "PostNord",
            "https://www.postnord.se/en/our-tools/track-and-trace?shipmentId={number}", ()),
    Carrier("swisspost", "Swiss Post",
            "https://service.post.ch/ekp-web/ui/entry/shipping/1?parcelId={number}",
            ("postch", "diepost")),
    Carrier("poste", "Poste Italiane",
            "https://www.poste.it/cerca/index.html#/risultati-spedizioni/{number}",
            ("posteitaliane",)),
    Carrier("inpost", "InPost", "https://inpost.pl/sledzenie-przesylek?number={number}", ()),
    Carrier("anpost", "An Post",
            "https://www.anpost.com/Post-Parcels/Track/History?item={number}", ()),
    Carrier("postat", "Österreichische Post",
            "https://www.post.at/s/sendungsdetails?snr={number}",
            ("sterreichischepost", "austrianpost", "postag")),
    Carrier("mondialrelay", "Mondial Relay",
            "https://www.mondialrelay.fr/suivi-de-colis/?numeroExpedition={number}", ()),
    Carrier("purolator", "Purolator",
            "https://www.purolator.com/en/shipping/tracker?pin={number}", ()),
    Carrier("seur", "SEUR",
            "https://www.seur.com/livetracking/?segOnlineIdentificador={number}", ()),
    Carrier("mrw", "MRW",
            "https://www.mrw.es/seguimiento_envios/MRW_resultados_consultas.asp?modo=nacional"
            "&envio={number}", ()),
    Carrier("estafeta", "Estafeta",
            "https://rastreositecorp.estafeta.com/Tracking/searchByGet/?wayBillType=1"
            "&wayBill={number}", ()),
)  # fmt: skip


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.casefold())


_BY_KEY: dict[str, Carrier] = {}
for _c in CARRIERS:
    for _k in (_c.key, _key(_c.name), *_c.aliases):
        _BY_KEY.setdefault(_k, _c)


def carrier_of(name: str) -> Carrier | None:
    """The carrier a store calls ``name`` ("DHL Express", "Royal Mail", "hermes"), if known."""
    key = _key(name[:100])
    if not key:
        return None
    if key in _BY_KEY:
        return _BY_KEY[key]
    for known, carrier in _BY_KEY.items():  # "DHL Parcel UK", "UPS Ground"
        if len(known) >= 3 and key.startswith(known):
            return carrier
    return None


def _safe_store_url(url: str | None) -> str | None:
    if not url or len(url) > 2000 or any(ord(ch) < 0x21 for ch in url):
        return None
    parts = urlsplit(url)
    return url if parts.scheme == "https" and parts.hostname else None


def tracking_url(carrier: str, number: str, store_url: str | None = None) -> str | None:
    """The page that tracks ``number`` with ``carrier``; None when there is none to offer."""
    if (safe := _safe_store_url(store_url)) is not None:
        return safe
    number = number.strip()
    if not number or len(number) > MAX_NUMBER:
        return None
    found = carrier_of(carrier)
    if found is None:
        return None
    return found.pattern.replace("{number}", quote(number, safe=""))
