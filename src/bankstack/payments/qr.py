"""QR codes for merchant-presented payment (precreate): the cashier URL as an SVG image.

Rendered with ``qrcode``'s SVG path factory (pure Python, no Pillow), error correction M
(15 % of the symbol may be damaged, the usual choice for printed and on-screen codes).
"""

from __future__ import annotations

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from qrcode.image.svg import SvgPathImage


def qr_svg(payload: str) -> str:
    """An SVG document (UTF-8 text) of a QR code that encodes ``payload``."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4, image_factory=SvgPathImage)
    code.add_data(payload)
    code.make(fit=True)
    image = code.make_image()
    svg: bytes = image.to_string()
    return svg.decode("utf-8")
