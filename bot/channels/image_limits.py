"""Whether a stored image (a receipt, a claim document) can be sent as a photo, or must go as a document.

Telegram's sendPhoto takes at most 10 MB, width + height at most 10000 pixels and a ratio of the longer to the
shorter side of at most 20; it refuses anything else (400 PHOTO_INVALID_DIMENSIONS, PHOTO_SAVE_FILE_INVALID), and a
phone's screenshot of a long receipt (1080 x 9500) is just that. WhatsApp takes images of at most 5 MB. An image
that does not fit is sent as a document (a file the officer opens: 50 MB on Telegram, 100 MB on WhatsApp), so an
officer always gets every file.

The size in pixels is read from the image's header by Pillow (installed with fpdf2, which makes the consent form),
without decoding the pixels: it knows every JPEG and PNG variant a phone writes.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from PIL import Image

TELEGRAM_PHOTO_BYTES = 10 * 1024 * 1024
TELEGRAM_PHOTO_SIDES = 10_000  # width + height, pixels
TELEGRAM_PHOTO_RATIO = 20  # longer side / shorter side
WHATSAPP_IMAGE_BYTES = 5 * 1024 * 1024


def image_size(path: Path) -> tuple[int, int] | None:
    """(width, height) in pixels from the image's header; None when it cannot be read (not an image, damaged)."""
    try:
        with warnings.catch_warnings():  # a huge image is only measured here, never decoded
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                return image.size
    except Exception:  # bytes people sent: whatever Pillow raises (DecompressionBombError too), the size is unknown
        return None


def fits_telegram_photo(path: Path) -> bool:
    """False when Telegram would refuse the file as a photo. An image whose size cannot be read is tried as a photo:
    a refusal then sends it as a document (bot/channels/telegram.py)."""
    if path.stat().st_size > TELEGRAM_PHOTO_BYTES:
        return False
    size = image_size(path)
    if size is None:
        return True
    longer, shorter = max(size), min(size)
    return longer + shorter <= TELEGRAM_PHOTO_SIDES and 0 < shorter and longer <= TELEGRAM_PHOTO_RATIO * shorter


def fits_whatsapp_image(size_bytes: int) -> bool:
    """False when WhatsApp would refuse the file as an image (over 5 MB)."""
    return size_bytes <= WHATSAPP_IMAGE_BYTES
