"""Terminal escape sequences out of text a person reads (feedback, self-check messages).

nbconvert's ``strip_ansi`` (which nbgrader uses) removes the CSI sequences (colours, cursor
moves: ``ESC [ ... final byte``) but not the OSC ones (``ESC ] ... BEL`` or ``ESC ] ... ESC \\``:
window titles, terminal hyperlinks), which a student's output can hold and which would
otherwise be shown, or hide a line from the feedback's redaction. This removes both.
"""

from __future__ import annotations

import re

from nbconvert.filters import strip_ansi as _strip_csi

#: an OSC sequence, ended by BEL or ST (``ESC \``), or cut off at the next escape or the end
_OSC = re.compile(r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?")


def strip_ansi(text: str) -> str:
    """``text`` without its CSI and OSC escape sequences."""
    return _strip_csi(_OSC.sub("", text))
