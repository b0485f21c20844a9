"""``index.html``: audition a whole pack in any browser, straight from the folder.

One static page, no scripts from anywhere and no external resources (styles inline), so it
works from ``file://`` on a machine without internet. Sounds are grouped by creature; each
has its spectrogram thumbnail, an HTML5 ``<audio>`` player (``preload="none"``, so a pack of
10 000 sounds opens instantly) and its numbers. The page is a pure function of the manifest:
no dates, no absolute paths, so two renders of the same pack give identical bytes.

Contents: :func:`index_html`.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from .pack_format import THUMBS_DIR
from .thumbnails import THUMB_HEIGHT, THUMB_WIDTH

__all__ = ["index_html"]

_MIME = {"wav": "audio/wav", "ogg": "audio/ogg"}

_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:1em;
color:#222;background:#fafafa}
h1{margin:.2em 0}h2{margin:1.2em 0 .3em;font-size:1.1em}
.summary{display:grid;grid-template-columns:max-content auto;gap:.1em 1em;margin:.5em 0}
.summary dt{color:#666}.summary dd{margin:0;font-family:ui-monospace,monospace}
.creature{border-top:1px solid #ddd;padding-top:.3em}
.meta{color:#666;font-size:.9em}
.sounds{display:flex;flex-wrap:wrap;gap:.6em}
.sound{background:#fff;border:1px solid #e3e3e3;border-radius:6px;padding:.4em;width:THUMB_WIDTHpx}
.sound img{display:block;image-rendering:pixelated;background:#000}
.sound audio{width:100%;height:2em;margin-top:.3em}
.sound .id{font-family:ui-monospace,monospace;font-size:.85em}
.attribution{white-space:pre-wrap;border-top:1px solid #ddd;margin-top:2em;padding-top:.5em;
color:#555}
""".replace("THUMB_WIDTH", str(THUMB_WIDTH))


def _fmt(x: float, digits: int = 1) -> str:
    return f"{float(x):.{digits}f}"


def _summary(manifest: Mapping[str, Any]) -> list[str]:
    model = manifest["model"]
    rows = [
        ("sounds", str(len(manifest["sounds"]))),
        ("creatures", str(len(manifest["creatures"]))),
        (
            "model",
            f"{model['name']} (sha256 {str(model['sha256'])[:12]}…, "
            f"preset {model['preset']}, {model['training_steps']} steps)",
        ),
        ("seed", str(manifest["seed"])),
        (
            "audio",
            f"{manifest['audio_format']}, {manifest['sample_rate']} Hz, "
            f"{_fmt(manifest['loudness_lufs'])} LUFS",
        ),
        ("made by", str(manifest["created_by"])),
    ]
    out = ['<dl class="summary">']
    out += [f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows]
    out.append("</dl>")
    return out


def _sound_card(sound: Mapping[str, Any], mime: str) -> str:
    sid = escape(sound["id"])
    thumb = f"{THUMBS_DIR}/{sound['id']}.png"
    return (
        f'<div class="sound" id="{sid}">'
        f'<img src="{escape(thumb)}" width="{THUMB_WIDTH}" height="{THUMB_HEIGHT}" '
        f'loading="lazy" alt="spectrogram of {sid}">'
        f'<audio controls preload="none"><source src="{escape(sound["file"])}" '
        f'type="{mime}"></audio>'
        f'<div class="id">{sid}</div>'
        f'<div class="meta">{_fmt(sound["duration_s"], 2)} s · {_fmt(sound["lufs"])} LUFS · '
        f"peak {_fmt(sound['peak_dbfs'])} dBFS</div></div>"
    )


def index_html(manifest: Mapping[str, Any]) -> str:
    """The audition page of a pack, from its manifest (sounds grouped by creature)."""
    name = escape(str(manifest["name"]))
    mime = _MIME.get(manifest["audio_format"], "audio/*")
    sounds = {s["id"]: s for s in manifest["sounds"]}
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{name} — MockingBot pack</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{name}</h1>",
        *_summary(manifest),
    ]
    for creature in manifest["creatures"]:
        cid = escape(creature["id"])
        extra = ""
        if creature.get("parent"):
            extra = f" · variations of {escape(creature['parent'])}"
        out.append(f'<section class="creature" id="{cid}"><h2>{cid}</h2>')
        out.append(
            f'<div class="meta">size {_fmt(creature["size"], 2)} · pitch jitter '
            f"×{_fmt(creature['random_pitch'], 3)} · volume jitter "
            f"±{_fmt(creature['random_volume_offset_db'], 2)} dB · Godot resource "
            f'<a href="{escape(creature["resource"])}">{escape(creature["resource"])}</a>'
            f"{extra}</div>"
        )
        out.append('<div class="sounds">')
        out += [_sound_card(sounds[sid], mime) for sid in creature["sounds"]]
        out.append("</div></section>")
    attribution = str(manifest.get("attribution", "")).strip()
    if attribution:
        out.append(f'<div class="attribution">{escape(attribution)}</div>')
    out.append("</body></html>")
    return "\n".join(out) + "\n"
