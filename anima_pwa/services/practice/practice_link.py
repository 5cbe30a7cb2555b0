"""The practice's own link, `/p/<ODS code>`: the address a practice puts on its website, in texts and
on a waiting-room poster. Anyone may open it, signed in or not. It shows the practice's Practice
Details (services.practice.practice_details) and, followed to sign-up, preselects the practice
(the browser carries the code in a cookie; sign-up checks it against the practices table again).

Only an active practice has a link: a closed practice, or a code that isn't a practice's, is "We
could not find that practice" (and a 404 status from anima_pwa.http).
"""

from __future__ import annotations

import base64
import re

import qrcode
import qrcode.image.svg
from qrcode.compat.etree import ET
from sqlmodel import Session

from anima_pwa.models import Practice, id_of
from anima_pwa.services.practice import practice_details, practices

__all__ = [
    "PATH_PREFIX",
    "POSTER_SUFFIX",
    "QR_TITLE",
    "find",
    "link_path",
    "link_url",
    "ods_from_path",
    "poster_path",
    "qr_data_uri",
    "well_formed",
]

PATH_PREFIX = "/p/"
POSTER_SUFFIX = "/poster"
QR_TITLE = "QR code for your practice's Anima link"
# ODS codes of GP practices are a letter and five digits (A81001); branch and test codes vary a
# little, so accept 3-10 letters and digits, which is also all the column holds.
_ODS = re.compile(r"^[A-Za-z0-9]{3,10}$")


def well_formed(code: str) -> bool:
    return isinstance(code, str) and bool(_ODS.match(code))


def ods_from_path(path: str) -> str | None:
    """The ODS code in `/p/<code>` or `/p/<code>/poster` (trailing slash allowed), else None."""
    if not isinstance(path, str) or not path.startswith(PATH_PREFIX):
        return None
    rest = path[len(PATH_PREFIX) :].rstrip("/")
    if rest.endswith(POSTER_SUFFIX):
        rest = rest[: -len(POSTER_SUFFIX)]
    return rest.upper() if well_formed(rest) else None


def find(session: Session, code: str) -> Practice | None:
    """The active practice with this ODS code (any case), or None."""
    if not well_formed(code):
        return None
    practice = practices.practice_by_ods_code(session, code)
    if practice is None or practice.status != "active":
        return None
    return practice


def details_for(session: Session, practice: Practice) -> practice_details.PracticeDetails | None:
    """The Practice Details the link's page shows."""
    return practice_details.for_practice(session, id_of(practice))


def link_path(ods_code: str) -> str:
    return PATH_PREFIX + ods_code.upper()


def poster_path(ods_code: str) -> str:
    return link_path(ods_code) + POSTER_SUFFIX


def link_url(origin: str, ods_code: str) -> str:
    return origin.rstrip("/") + link_path(ods_code)


def links_of(session: Session, practice_id: int, origin: str) -> tuple[str, str]:
    """(the practice's own link in full, its poster's path), for its staff to share and print."""
    practice = session.get(Practice, practice_id)
    if practice is None or not practice.ods_code:
        return "", ""
    return link_url(origin, practice.ods_code), poster_path(practice.ods_code)


def qr_data_uri(data: str) -> str:
    """An SVG QR code of `data`, as a data: URI an <img> can show (the CSP allows data: images)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathFillImage, border=4)
    svg = image.get_image()
    svg.set("role", "img")
    title = ET.Element("title")
    title.text = QR_TITLE
    svg.insert(0, title)
    text = ET.tostring(svg, encoding="unicode")
    return "data:image/svg+xml;base64," + base64.b64encode(text.encode()).decode("ascii")
