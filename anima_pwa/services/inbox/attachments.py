"""Photos patients send with a reply: checked by their content (never by name or declared type),
size-limited, stored outside the web root under a random name, and shown only to the practice's
staff who may view requests and to the accounts that may see the request (`inbox.access`).

- `check_photo(data)`: JPEG, PNG or HEIC (a phone camera's formats) by their first bytes (HEIC by
  its `ftyp` box's brands heic/heix/mif1/msf1/hevc); empty or over `settings.attachment_max_bytes`
  (10 MB) refused with the NHS design system's words. Every photo is decoded (a file that only
  starts like an image is refused), turned upright and saved again without its metadata (EXIF:
  camera, time, GPS position): JPEG and PNG as themselves with Pillow, HEIC as a JPEG (decoded with
  `pillow-heif`), which every browser on a practice's desk can also show.
- `store(session, ...)`: writes the file (0600) in `settings.instance_dir / "attachments"` and adds
  its row in the caller's transaction. The file follows the transaction: removed if it rolls back
  (a failed commit leaves no orphan file), kept when it commits.
- `hold(data)` / `held(token)` / `release(token)`: a photo the patient chose before sending the
  reply (the screen uploads it as soon as it is chosen, so a problem with it is shown at once and
  what they typed stays in the box), kept under `attachments/pending/` by a random token the
  screen keeps server-side; held photos older than a day are removed when another is held.
- `open_for(...)`: what `GET /attachments/<id>` serves, or None (the endpoint's 404) when the viewer
  may not see it.
"""

from __future__ import annotations

import hashlib
import io
import re
import secrets
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import event
from sqlmodel import Session

from anima_pwa.models import MessageAttachment, Request, RequestMessage
from anima_pwa.services.identity.sessions import Identity
from anima_pwa.services.inbox import access
from anima_pwa.services.practice.permissions import Action, StaffContext, record_id
from anima_pwa.settings import settings

__all__ = [
    "EMPTY",
    "NOT_AN_IMAGE",
    "Photo",
    "check_photo",
    "directory",
    "held",
    "hold",
    "open_for",
    "release",
    "sniff",
    "store",
    "too_large",
]

HEIC_BRANDS = frozenset({b"heic", b"heix", b"mif1", b"msf1", b"hevc"})
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/heic": ".heic"}
EMPTY = "The selected file is empty"
NOT_AN_IMAGE = "The selected file must be a JPG, PNG or HEIC photo"
MAX_PIXELS = 50_000_000  # a phone camera's photo is 12-48 megapixels; more is a decompression bomb


def too_large(max_bytes: int) -> str:
    return f"The selected file must be smaller than {max_bytes // (1024 * 1024)}MB"


@dataclass(frozen=True)
class Photo:
    """A checked photo, ready to store (metadata already stripped from JPEG and PNG)."""

    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def directory() -> Path:
    return settings.instance_dir / "attachments"


def sniff(data: bytes) -> str | None:
    """The image type by content: image/jpeg, image/png, image/heic, or None."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if len(data) >= 16 and data[4:8] == b"ftyp":
        size = int.from_bytes(data[:4], "big")
        if 16 <= size <= min(len(data), 4096):
            brands = [data[8:12]] + [data[i : i + 4] for i in range(16, size - 3, 4)]
            if any(brand in HEIC_BRANDS for brand in brands):
                return "image/heic"
    return None


def _without_metadata(data: bytes, content_type: str) -> bytes | None:
    """The image decoded and saved again upright, without EXIF or text chunks (a HEIC photo as a
    JPEG); None if it does not decode."""
    from PIL import Image, ImageOps

    if content_type == "image/heic":
        import pillow_heif

        pillow_heif.register_heif_opener()  # idempotent: lets Image.open read HEIC/HEIF

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > MAX_PIXELS:
                    return None
                image.load()
                upright = ImageOps.exif_transpose(image)
                out = io.BytesIO()
                if content_type in ("image/jpeg", "image/heic"):
                    if upright.mode not in ("RGB", "L", "CMYK"):
                        upright = upright.convert("RGB")
                    upright.save(out, format="JPEG", quality=90)
                else:
                    upright.save(out, format="PNG")
                return out.getvalue()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        return None


def check_photo(data: bytes | None, *, max_bytes: int | None = None) -> tuple[Photo | None, str]:
    """(the photo, "") or (None, the message to show beside the field)."""
    limit = max_bytes or settings.attachment_max_bytes
    if not data:
        return None, EMPTY
    if len(data) > limit:
        return None, too_large(limit)
    content_type = sniff(data)
    if content_type is None:
        return None, NOT_AN_IMAGE
    cleaned = _without_metadata(data, content_type)
    if cleaned is None:
        return None, NOT_AN_IMAGE
    if len(cleaned) > limit:  # saved again a little larger than it came: still within the limit
        return None, too_large(limit)
    return Photo("image/jpeg" if content_type == "image/heic" else content_type, cleaned), ""


_TOKEN = re.compile(r"[0-9a-f]{32}")
HELD_FOR_SECONDS = 24 * 3600


def _pending(folder: Path | None) -> Path:
    return (folder or directory()) / "pending"


def hold(data: bytes | None, *, folder: Path | None = None, max_bytes: int | None = None) -> tuple[str, str]:
    """Check a photo and keep it until the reply is sent: (its token, "") or ("", the problem)."""
    photo, problem = check_photo(data, max_bytes=max_bytes)
    if photo is None:
        return "", problem
    pending = _pending(folder)
    pending.mkdir(parents=True, exist_ok=True, mode=0o700)
    cutoff = time.time() - HELD_FOR_SECONDS
    for old in pending.iterdir():
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink(missing_ok=True)
        except OSError:  # pragma: no cover - removed by another worker meanwhile
            pass
    token = secrets.token_hex(16)
    path = pending / token
    with open(path, "xb") as file:
        path.chmod(0o600)
        file.write(photo.data)
    return token, ""


def held(token: str, *, folder: Path | None = None) -> Photo | None:
    """The photo held under this token (already checked), or None."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        return None
    path = _pending(folder) / token
    if not path.is_file():
        return None
    data = path.read_bytes()
    content_type = sniff(data)
    return Photo(content_type, data) if content_type else None


def release(token: str, *, folder: Path | None = None) -> None:
    """Forget a held photo (sent with the reply, or removed by the patient)."""
    if isinstance(token, str) and _TOKEN.fullmatch(token):
        (_pending(folder) / token).unlink(missing_ok=True)


def _follow_transaction(session: Session, path: Path) -> None:
    """Remove the file if the caller's transaction rolls back (or its commit fails); keep it once committed."""
    state = {"committed": False}

    def committed(_session) -> None:  # noqa: ANN001
        state["committed"] = True

    def rolled_back(_session) -> None:  # noqa: ANN001
        if not state["committed"]:
            path.unlink(missing_ok=True)

    event.listen(session, "after_commit", committed, once=True)
    event.listen(session, "after_rollback", rolled_back, once=True)


def store(
    session: Session, message: RequestMessage, request: Request, photo: Photo, *, folder: Path | None = None
) -> MessageAttachment:
    """Write the photo under a random name and add its row (in the caller's transaction)."""
    folder = folder or directory()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stored_name = secrets.token_hex(16) + EXTENSIONS[photo.content_type]
    path = folder / stored_name
    with open(path, "xb") as file:
        path.chmod(0o600)
        file.write(photo.data)
    _follow_transaction(session, path)
    row = MessageAttachment(
        message_id=message.id,  # type: ignore[arg-type]
        request_id=request.id,  # type: ignore[arg-type]
        stored_name=stored_name,
        content_type=photo.content_type,
        size_bytes=len(photo.data),
        sha256=photo.sha256,
    )
    session.add(row)
    session.flush()
    return row


def open_for(
    session: Session,
    attachment_id: object,
    *,
    identity: Identity | None = None,
    staff: StaffContext | None = None,
    folder: Path | None = None,
) -> tuple[str, bytes] | None:
    """(content type, bytes) of the photo for a viewer who may see it: staff of the request's
    practice who may view requests, or an account that may see the request. None otherwise (and
    for an unknown id or a missing file), so nothing says whether it exists."""
    key = record_id(attachment_id)
    row = session.get(MessageAttachment, key) if key else None
    if row is None:
        return None
    request = session.get(Request, row.request_id)
    if request is None:
        return None
    if staff is not None:
        allowed = staff.practice_id == request.practice_id and staff.can(Action.VIEW_REQUESTS)
    else:
        allowed = access.may_see(session, identity, request)
    if not allowed:
        return None
    path = (folder or directory()) / row.stored_name
    if "/" in row.stored_name or not path.is_file():
        return None
    return row.content_type, path.read_bytes()
