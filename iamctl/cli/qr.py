"""QR codes for virtual MFA enrolment: drawn in the terminal, or written as a PNG file.

The terminal drawing uses Unicode half blocks, two modules per character row, and no colour
codes at all, so it reads the same with NO_COLOR, in a pipe or in a log. What it cannot know
is the terminal's background, and a scanner needs *dark modules on a light surround*:

* default (``invert=False``), for dark backgrounds, the usual case: the **light** modules and
  the quiet zone are drawn as block characters (shown in the light foreground colour) and the
  dark modules are left as spaces, so the terminal's dark background forms them;
* ``invert=True``, for light backgrounds: the **dark** modules are drawn and everything light,
  quiet zone included, is left to the background.

qrcode (and its PNG writer, pypng) are imported inside the functions: only the MFA commands
pay for them (ruff TID253; tests/cli/test_startup.py).
"""

import io
import os
import tempfile
from pathlib import Path

__all__ = ["QUIET_ZONE", "matrix", "png_bytes", "render_terminal", "terminal_size", "write_png"]

# ISO/IEC 18004 requires a quiet zone of four modules on every side.
QUIET_ZONE = 4

# (top module drawn, bottom module drawn) -> character
_HALF_BLOCKS = {
    (False, False): " ",
    (True, False): "\u2580",  # ▀ upper half block
    (False, True): "\u2584",  # ▄ lower half block
    (True, True): "\u2588",  # █ full block
}


def _make(data: str):
    import qrcode  # lazy: heavy library
    from qrcode.constants import ERROR_CORRECT_L, ERROR_CORRECT_M  # lazy: heavy library

    def build(level):
        qr = qrcode.QRCode(version=None, error_correction=level, border=QUIET_ZONE, box_size=1)
        qr.add_data(data)
        qr.make(fit=True)
        return qr

    # Level L gives the smallest symbol, which is what lets an otpauth URI fit 24 terminal rows;
    # when M (15% instead of 7% recovery) fits in the same version, take the sturdier one.
    low = build(ERROR_CORRECT_L)
    medium = build(ERROR_CORRECT_M)
    return medium if medium.version == low.version else low


def matrix(data: str) -> list[list[bool]]:
    """The QR code for `data` as rows of modules, True = dark, quiet zone included."""
    return [[bool(m) for m in row] for row in _make(data).get_matrix()]


def render_terminal(data: str, *, invert: bool = False) -> str:
    """Draw the QR code for `data` with half blocks (▀ ▄ █ and space), two modules per row.

    Default: for a dark terminal background (light modules drawn); ``invert=True``: for a light
    one (dark modules drawn). The 4-module quiet zone is included; lines are all the same
    width (no trailing-space trimming) and there is no final newline. A QR code of version V
    is 17 + 4V + 8 columns by ceil((17 + 4V + 8) / 2) lines: a 101-character otpauth URI is
    version 5, 45 x 23, which fits an 80 x 24 terminal; version 6 (up to 134 bytes) needs 25.
    """
    modules = matrix(data)
    drawn = [[dark == invert for dark in row] for row in modules]
    if len(drawn) % 2:
        # An odd number of module rows: the last character row's lower half is padding, left
        # to the background (outside the symbol the background is what the scanner sees).
        drawn.append([False] * len(drawn[0]))
    lines = []
    for top, bottom in zip(drawn[0::2], drawn[1::2], strict=True):
        lines.append("".join(_HALF_BLOCKS[(t, b)] for t, b in zip(top, bottom, strict=True)))
    return "\n".join(lines)


def terminal_size(data: str) -> tuple[int, int]:
    """(lines, columns) that ``render_terminal(data)`` occupies, so a caller can check that it
    fits the terminal (e.g. ``shutil.get_terminal_size()``) and offer a PNG file instead."""
    side = len(matrix(data))
    return (side + 1) // 2, side


def png_bytes(data: str, *, scale: int = 8) -> bytes:
    """The QR code for `data` as a 1-bit greyscale PNG, `scale` pixels per module."""

    from qrcode.image.pure import PyPNGImage  # lazy: heavy library

    qr = _make(data)
    qr.box_size = scale
    buf = io.BytesIO()
    qr.make_image(image_factory=PyPNGImage).save(buf)
    return buf.getvalue()


def write_png(data: str, path: str | os.PathLike[str], *, scale: int = 8) -> None:
    """Write the QR code for `data` to `path` as a PNG, readable by its owner only (0600).

    The picture holds the MFA seed, a secret: the file is created 0600 in the target directory
    and moved into place, so it is never visible with looser permissions or half written.
    """
    target = Path(path)
    payload = png_bytes(data, scale=scale)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:  # mkstemp creates the file with mode 0600
            f.write(payload)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
