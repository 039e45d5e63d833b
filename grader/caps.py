"""One cap for everything a graded notebook's kernel can send back.

A student's kernel can send any amount of output: a print loop, a million ``display()``
calls, images, an exception whose message is 100 MB, widget state. nbclient keeps all of it
in memory and nbgrader writes it into the autograded notebook (and later into the feedback).
:class:`OutputCap` is mixed into the grading ``Execute`` step (``grader.sandbox.
GradingExecute``): it looks at each output message *as it arrives*, before nbclient stores
it, and keeps at most ``max_cell_output_bytes`` per cell and ``max_notebook_output_bytes``
per notebook, counting every kind of output: streams, ``display_data`` and
``execute_result`` bundles (every mime type, images included, and their metadata),
``update_display_data``, error names, values and tracebacks, and widget state.

What does not fit is dropped and the cell gets one visible note,
``[output truncated by the grader: N bytes dropped]`` (a ``display_data`` output, so that it
is not merged into a stream and cut away by ``LimitOutput``, and does not change how
nbgrader reads the cell's score). Scores stay right: an error or a stderr stream always
leaves a short trace in the cell even past the cap, so a test cell that failed still
scores 0, and the error that nbgrader copies from the execute reply is capped the same way.

Text is cut to fit; binary data (images, PDFs) and JSON are kept whole or dropped. Sizes are
counted in UTF-8 bytes of the JSON text as nbformat writes it, near enough (strings by their
encoded length, other values by their JSON dump). The check cells of
``grader.integrity`` are held to the per-cell cap only, so that a flood in a student's cell
cannot silence them.
"""

from __future__ import annotations

import json
from typing import Any

from nbformat.notebooknode import from_dict
from traitlets import Integer
from traitlets.config import LoggingConfigurable

NOTE = "[output truncated by the grader: {n} bytes dropped]"
#: what a capped error or stderr stream keeps, at least, whatever the budget says
TRACE_BYTES = 1000
ENAME_BYTES = 200


def size_of(value: Any) -> int:
    """Bytes ``value`` takes in the notebook file (about: JSON escapes are not counted)."""
    if isinstance(value, str):
        return len(value) if value.isascii() else len(value.encode("utf-8", "surrogatepass"))
    if isinstance(value, (list, tuple)):
        return sum(size_of(v) for v in value)
    if isinstance(value, dict):
        return sum(size_of(k) + size_of(v) for k, v in value.items())
    if value is None or isinstance(value, (bool, int, float)):
        return 8
    if isinstance(value, (bytes, bytearray, memoryview)):
        return len(value)
    try:
        return len(json.dumps(value, default=str))
    except (TypeError, ValueError, RecursionError):
        return 1 << 40  # not JSON: never kept


def clip(text: str, room: int) -> str:
    """The longest prefix of ``text`` of at most ``room`` UTF-8 bytes."""
    room = max(room, 0)
    if text.isascii():
        return text[:room]
    if len(text) * 4 <= room:
        return text
    return text[: room + 1].encode("utf-8", "surrogatepass")[:room].decode("utf-8", "ignore")


def cap_bundle(data: dict, room: int) -> tuple[dict, int]:
    """``(kept, dropped_bytes)``: a mime bundle fitted into ``room`` bytes. ``text/plain``
    first, then the other text types (cut to fit), then the rest, each kept whole or not at
    all (a cut image or JSON document is no use)."""
    order = sorted(data, key=lambda m: (m != "text/plain", not m.startswith("text/"), m))
    kept: dict = {}
    dropped = 0
    for mime in order:
        value = data[mime]
        need = size_of(mime) + size_of(value)
        if need <= room:
            kept[mime] = value
            room -= need
        elif isinstance(value, str) and mime.startswith("text/") and room > 64:
            cut = clip(value, room - size_of(mime))
            kept[mime] = cut
            dropped += need - size_of(mime) - size_of(cut)
            room -= size_of(mime) + size_of(cut)
        else:
            dropped += need
    return kept, dropped


def cap_error(content: dict, room: int) -> tuple[dict, int]:
    """An error's ``ename``, ``evalue`` and ``traceback`` fitted into ``room`` bytes, and
    never below :data:`TRACE_BYTES`: the error itself always stays (it zeroes a test cell).
    The name is cut the same way whatever the room, so that nbgrader still matches the
    error in the execute reply with this output."""
    ename = clip(str(content.get("ename", "Error")), ENAME_BYTES)
    evalue = str(content.get("evalue", ""))
    tb = [str(line) for line in content.get("traceback", []) or []]
    full = size_of(content.get("ename", "")) + size_of(evalue) + size_of(tb)
    room = max(room, TRACE_BYTES) - size_of(ename)
    if size_of(evalue) + size_of(tb) <= room:
        return {"ename": ename, "evalue": evalue, "traceback": tb}, max(
            full - size_of(ename) - size_of(evalue) - size_of(tb), 0
        )
    evalue = clip(evalue, max(room // 2, 100))
    room -= size_of(evalue)
    kept: list[str] = []
    for line in tb[-50:]:  # the end of a traceback says most: where it failed, and why
        if size_of(line) > room:
            break
        kept.append(line)
        room -= size_of(line)
    if not kept:
        kept = [f"{ename}: {clip(evalue, 200)}"]
    kept_size = size_of(ename) + size_of(evalue) + size_of(kept)
    return {"ename": ename, "evalue": evalue, "traceback": kept}, max(full - kept_size, 0)


class OutputCap(LoggingConfigurable):
    """Mix-in for nbclient's ``NotebookClient`` (nbgrader's ``Execute``): caps all output
    while it arrives. See the module's docstring."""

    max_cell_output_bytes = Integer(
        2_000_000, help="output kept per cell, all kinds together (bytes); 0: no cap"
    ).tag(config=True)
    max_notebook_output_bytes = Integer(
        10_000_000,
        help="output kept per notebook, all cells and widget state together (bytes); 0: no cap",
    ).tag(config=True)

    # -- bookkeeping ------------------------------------------------------------------
    def _cap_state(self) -> dict:
        state = self.__dict__.get("_vg_cap")
        nb = getattr(self, "nb", None)
        if state is None or state["nb"] is not nb:
            state = {"nb": nb, "total": 0, "cells": {}, "notes": {}, "dropped": {}, "marks": {}}
            self.__dict__["_vg_cap"] = state
        return state

    def _exempt_from_notebook_cap(self, cell_index: int) -> bool:
        try:
            return bool(self.nb.cells[cell_index].metadata.get("vg_integrity"))
        except (AttributeError, IndexError, TypeError):
            return False

    def _room(self, cell_index: int) -> int:
        st = self._cap_state()
        big = 1 << 62
        cell_cap = self.max_cell_output_bytes or big
        room = cell_cap - st["cells"].get(cell_index, 0)
        if self.max_notebook_output_bytes and not self._exempt_from_notebook_cap(cell_index):
            room = min(room, self.max_notebook_output_bytes - st["total"])
        return max(room, 0)

    def _count(self, cell_index: int, n: int) -> None:
        st = self._cap_state()
        st["cells"][cell_index] = st["cells"].get(cell_index, 0) + n
        st["total"] += n

    def _forget_cell(self, cell_index: int) -> None:
        """The cell's outputs were cleared: its bytes no longer count."""
        st = self._cap_state()
        st["total"] -= st["cells"].pop(cell_index, 0)
        st["notes"].pop(cell_index, None)
        st["dropped"].pop(cell_index, None)
        st["marks"].pop(cell_index, None)

    def _dropped(self, outs: list, cell_index: int, n: int) -> None:
        """Record ``n`` dropped bytes and show the cell's note (one per cell, kept current)."""
        if n <= 0:
            return
        st = self._cap_state()
        total = st["dropped"].get(cell_index, 0) + n
        st["dropped"][cell_index] = total
        note = st["notes"].get(cell_index)
        text = NOTE.format(n=f"{total:,}") + "\n"
        if note is None:
            note = from_dict(
                {"output_type": "display_data", "data": {"text/plain": text}, "metadata": {}}
            )
            st["notes"][cell_index] = note
            outs.append(note)
        else:
            note["data"]["text/plain"] = text
        if total == n:
            self.log.warning(
                "cell %s: output beyond the cap (%s bytes per cell, %s per notebook) dropped",
                cell_index,
                self.max_cell_output_bytes,
                self.max_notebook_output_bytes,
            )

    # -- the messages -----------------------------------------------------------------
    def _fit(self, msg: dict, outs: list, cell_index: int, copies: int = 1) -> bool:
        """Cut ``msg``'s content to the room left, in place; False: drop the message.
        ``copies``: how many outputs will hold its data (an update of a display id)."""
        msg_type = msg.get("msg_type") or msg.get("header", {}).get("msg_type")
        content = msg.get("content", {})
        room = self._room(cell_index)
        marks = self._cap_state()["marks"].setdefault(cell_index, set())
        if msg_type == "stream":
            text = str(content.get("text", ""))
            n = size_of(text)
            if n <= room:
                self._count(cell_index, n)
                return True
            stderr = content.get("name") == "stderr"
            if stderr and "stderr" not in marks:  # stderr zeroes a test cell: keep a trace
                room = max(room, TRACE_BYTES)
                marks.add("stderr")
            if room <= 0:
                self._dropped(outs, cell_index, n)
                return False
            content["text"] = clip(text, room)
            kept = size_of(content["text"])
            self._count(cell_index, kept)
            self._dropped(outs, cell_index, n - kept)
            return True
        if msg_type == "error":
            content["ename"] = clip(str(content.get("ename", "Error")), ENAME_BYTES)
            n = size_of(content.get("ename", "")) + size_of(content.get("evalue", ""))
            n += size_of(content.get("traceback", []))
            if n <= room:
                self._count(cell_index, n)
                return True
            if "error" in marks and room <= 0:  # one trace of an error per cell is enough
                self._dropped(outs, cell_index, n)
                return False
            marks.add("error")
            capped, dropped = cap_error(content, room)
            content.update(capped)
            self._count(cell_index, n - dropped)
            self._dropped(outs, cell_index, dropped)
            return True
        if msg_type in {"display_data", "execute_result", "update_display_data"}:
            data = content.get("data") or {}
            meta = content.get("metadata") or {}
            n_meta = size_of(meta)
            n = size_of(data) + n_meta
            copies = max(copies, 1)
            if n * copies <= room:
                self._count(cell_index, n * copies)
                return True
            room //= copies
            dropped = 0
            if n_meta > min(room, 10_000):  # metadata says how to show the data: small
                content["metadata"] = meta = {}
                dropped += n_meta
                n_meta = 0
            kept, lost = cap_bundle(data, room - n_meta)
            dropped += lost
            if msg_type == "execute_result" and "text/plain" not in kept:
                # nbgrader reads a test cell's partial score from it: never missing
                kept["text/plain"] = clip(str(data.get("text/plain", "")), 200)
            if not kept:
                self._dropped(outs, cell_index, n * copies)
                return False
            content["data"] = kept
            self._count(cell_index, (size_of(kept) + n_meta) * copies)
            self._dropped(outs, cell_index, dropped * copies)
            return True
        return True  # anything else nbclient does not store

    def output(self, outs, msg, display_id, cell_index):
        # a delayed clear_output(wait=True) empties the cell before this output: its bytes
        # no longer count (nbclient does the same clearing just below)
        parent = msg.get("parent_header", {}).get("msg_id")
        hooked = bool(getattr(self, "output_hook_stack", {}).get(parent))
        if getattr(self, "clear_before_next_output", False) and not hooked:
            outs[:] = []
            self.clear_display_id_mapping(cell_index)
            self.clear_before_next_output = False
            self._forget_cell(cell_index)
        if not self._fit(msg, outs, cell_index):
            return None
        return super().output(outs, msg, display_id, cell_index)

    def clear_output(self, outs, msg, cell_index):
        parent = msg.get("parent_header", {}).get("msg_id")
        hooked = bool(getattr(self, "output_hook_stack", {}).get(parent))
        super().clear_output(outs, msg, cell_index)
        if not hooked and not msg.get("content", {}).get("wait"):
            self._forget_cell(cell_index)

    def _update_display_id(self, display_id, msg):
        # update_display_data replaces earlier outputs' data: capped like a new output
        # (the bytes replaced are not given back, to keep this simple and safe)
        where = getattr(self, "_display_id_map", {}).get(display_id)
        if not where:
            return super()._update_display_id(display_id, msg)  # nothing to update
        copies = sum(len(v) for v in where.values())
        cell_index = self.__dict__.get("_vg_current_cell", 0)
        outs = self.nb.cells[cell_index].outputs if self._has_cell(cell_index) else []
        if not self._fit(msg, outs, cell_index, copies=copies):
            return None
        return super()._update_display_id(display_id, msg)

    def _has_cell(self, cell_index: int) -> bool:
        try:
            return "outputs" in self.nb.cells[cell_index]
        except (AttributeError, IndexError, TypeError):
            return False

    def process_message(self, msg, cell, cell_index):
        self.__dict__["_vg_current_cell"] = cell_index
        return super().process_message(msg, cell, cell_index)

    def handle_comm_msg(self, outs, msg, cell_index):
        # widget state goes into the notebook's metadata: it counts toward the notebook cap
        content = msg.get("content", {})
        data = content.get("data") or {}
        n = size_of(data.get("state") or {}) + sum(len(b) for b in msg.get("buffers") or [])
        if n:
            st = self._cap_state()
            cap = self.max_notebook_output_bytes
            if cap and st["total"] + n > cap:
                self._dropped(outs, cell_index, n)
                return None
            st["total"] += n
        return super().handle_comm_msg(outs, msg, cell_index)

    def on_cell_executed(self, **kwargs):
        # nbgrader copies the reply's error into the cell when no output matched it
        # (a timeout, or an error that was never sent as output): cap it the same way
        reply = kwargs.get("execute_reply") or {}
        content = reply.get("content", {})
        if content.get("status") == "error":
            cell_index = kwargs.get("cell_index", 0)
            capped, _ = cap_error(content, self._room(cell_index))
            content.update(capped)
        return super().on_cell_executed(**kwargs)


def cap_outputs(outputs: list, cell_bytes: int) -> tuple[list, int]:
    """Outputs already stored (a notebook graded before the cap, or feedback), fitted into
    ``cell_bytes``: ``(outputs, bytes dropped)``, with the grader's note if any were."""
    kept: list = []
    room, dropped = cell_bytes, 0
    for out in outputs:
        kind = out.get("output_type")
        if kind == "stream":
            text = str(out.get("text", ""))
            if size_of(text) > room:
                cut = clip(text, max(room, TRACE_BYTES if out.get("name") == "stderr" else 0))
                dropped += size_of(text) - size_of(cut)
                if not cut:
                    continue
                out["text"] = cut
            room -= size_of(out["text"])
        elif kind == "error":
            n = size_of(out.get("evalue", "")) + size_of(out.get("traceback", []))
            if n > room:
                capped, lost = cap_error(dict(out), room)
                out.update(capped)
                dropped += lost
            room -= size_of(out.get("evalue", "")) + size_of(out.get("traceback", []))
        else:
            data = out.get("data") or {}
            n = size_of(data) + size_of(out.get("metadata") or {})
            if n > room:
                if size_of(out.get("metadata") or {}) > 10_000:
                    out["metadata"] = {}
                out["data"], lost = cap_bundle(data, room)
                dropped += lost
                if not out["data"] and kind != "execute_result":
                    continue
            room -= size_of(out.get("data") or {})
        kept.append(out)
        room = max(room, 0)
    if dropped:
        kept.append(
            from_dict(
                {
                    "output_type": "display_data",
                    "data": {"text/plain": NOTE.format(n=f"{dropped:,}") + "\n"},
                    "metadata": {},
                }
            )
        )
    return kept, dropped
