"""TrueType fonts for the PDF reports and their maps, found on the machine and embedded.

The PDF standard fonts (Helvetica…) hold Latin-1 only: č, ć, ő and every other Latin
Extended letter came out as ■, and Lao script not at all. Reports embed DejaVu Sans
(Latin with its extensions, Greek, Cyrillic) and, for text in Lao script, Noto Sans Lao or
Phetsarath OT: the Debian packages fonts-dejavu-core and fonts-noto-core (or fonts-lao),
which `scripts/setup.sh` installs. `IMS_FONT_DIR` names a folder searched first.

A PDF font draws the glyphs of one file only, so text is marked up run by run: each run in
a script DejaVu lacks gets that script's font (`markup`), Thai and Khmer (Noto, the same
package) as well as Lao. The paragraphs are shaped (HarfBuzz, through reportlab's
`shaping`): a Lao tone mark over a vowel sign had been drawn on top of it. matplotlib
falls back from font to font by itself, given the list (`map_families`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from ims.config import get_settings
from ims.errors import SetupError

SANS = "IMS-Sans"
SANS_BOLD = "IMS-Sans-Bold"

SYSTEM_FONT_DIRS = (
    Path("/usr/share/fonts"),
    Path("/usr/local/share/fonts"),
    Path.home() / ".local/share/fonts",
    Path.home() / ".fonts",
)


@dataclass(frozen=True)
class Script:
    """A writing system, the font files that draw it and where to get them."""

    name: str
    pattern: re.Pattern[str] | None  # its characters; None: the base font, for everything
    files: tuple[tuple[str, str | None], ...]  # (regular, bold) file names, best first
    package: str  # the Debian package(s) to install


LATIN = Script("Latin", None, (("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),), "fonts-dejavu-core")
LAO = Script(
    "Lao",
    re.compile("[\u0e80-\u0eff]+"),
    (("NotoSansLao-Regular.ttf", "NotoSansLao-Bold.ttf"), ("Phetsarath_OT.ttf", None)),
    "fonts-noto-core or fonts-lao",
)
# Scripts of the countries nearby, as place, operator and team names may be written; drawn
# shaped (decision 0026): Khmer's stacked consonants are unreadable otherwise.
THAI = Script(
    "Thai",
    re.compile("[\u0e00-\u0e7f]+"),
    (("NotoSansThai-Regular.ttf", "NotoSansThai-Bold.ttf"),),
    "fonts-noto-core",
)
KHMER = Script(
    "Khmer",
    re.compile("[\u1780-\u17ff\u19e0-\u19ff]+"),
    (("NotoSansKhmer-Regular.ttf", "NotoSansKhmer-Bold.ttf"),),
    "fonts-noto-core",
)
EXTRA_SCRIPTS = (LAO, THAI, KHMER)


@dataclass(frozen=True)
class Face:
    """The font files found for one script: regular and bold (the regular one if none)."""

    script: Script
    regular: Path
    bold: Path

    @property
    def pdf_name(self) -> str:
        """The name the regular face is registered under with reportlab."""
        return SANS if self.script is LATIN else f"IMS-{self.script.name}"

    @property
    def pdf_bold_name(self) -> str:
        """The name the bold face is registered under with reportlab."""
        return f"{self.pdf_name}-Bold"


def _search_dirs() -> list[Path]:
    configured = get_settings().font_dir
    dirs = [configured] if configured is not None else []
    dirs += list(SYSTEM_FONT_DIRS)
    # matplotlib ships DejaVu Sans itself: the Latin font is there even without Debian's.
    import matplotlib

    dirs.append(Path(matplotlib.get_data_path()) / "fonts" / "ttf")
    return dirs


_found: dict[tuple[str, tuple[Path, ...]], Path] = {}


def _find_file(name: str, dirs: tuple[Path, ...]) -> Path | None:
    """The first file called `name` in `dirs` or below them (what is found is remembered;
    what is not is looked for again, so a font installed meanwhile is found)."""
    key = (name, dirs)
    if key in _found:
        return _found[key]
    for folder in dirs:
        if not folder.is_dir():
            continue
        direct = folder / name
        candidates = [direct] if direct.is_file() else sorted(folder.rglob(name))
        for found in candidates:
            if found.is_file():
                _found[key] = found
                return found
    return None


def find_face(script: Script) -> Face | None:
    """The first of the script's fonts found on this machine, or None."""
    dirs = tuple(_search_dirs())
    for regular, bold in script.files:
        path = _find_file(regular, dirs)
        if path is not None:
            bold_path = _find_file(bold, dirs) if bold else None
            return Face(script, path, bold_path or path)
    return None


def _missing(script: Script, example: str | None) -> SetupError:
    wanted = " or ".join(regular for regular, _ in script.files)
    why = (
        f"the report holds {script.name} script ({example!r})"
        if example
        else ("every PDF report needs it")
    )
    return SetupError(
        f"no {script.name} font for PDF reports: {why}, but {wanted} is not on this machine: "
        f"install the Debian package {script.package} (scripts/setup.sh does), or put the "
        "font file in the folder IMS_FONT_DIR names."
    )


def faces_for(texts: Iterable[str]) -> list[Face]:
    """The faces that draw `texts`: Latin always, another script's where the text holds it.

    Raises SetupError naming the package to install when a needed font is missing. A
    script's font that is present is included even when `texts` do not need it.
    """
    joined = "\n".join(texts)
    latin = find_face(LATIN)
    if latin is None:
        raise _missing(LATIN, None)
    faces = [latin]
    for script in EXTRA_SCRIPTS:
        face = find_face(script)
        if face is not None:
            faces.append(face)
            continue
        assert script.pattern is not None
        needed = script.pattern.search(joined)
        if needed:
            raise _missing(script, needed.group(0))
    return faces


def _no_discretionary_ligatures() -> None:
    """Shape with the features every text wants (kerning, the ligatures a script needs),
    not the discretionary ones: reportlab asks HarfBuzz for `dlig` too, and DejaVu Sans
    then joins every "st" ("cluster", "destroyed") into an ornamental ligature, and the
    PDF's text reads the ligature as one character. The features are the default of
    reportlab's one shaping function, which every paragraph and canvas calls."""
    from reportlab.pdfbase import ttfonts

    defaults = getattr(ttfonts.shapeFragWord, "__defaults__", None) or ()
    if defaults and isinstance(defaults[0], dict):
        defaults[0].pop("dlig", None)


def _shape_each_font_apart() -> None:
    """Shape each part of a word in its own font. reportlab shapes a word (the text between
    two spaces) in its first part's font and then looks the glyphs up in each part's own:
    "UXO-ລາວ" or "(ວຽງຈັນ)", Latin and Lao in one word, failed the PDF with a KeyError or
    drew boxes (an attack on our own instance). A word of several fonts is cut into runs
    of one font, each shaped as a word of its own, and put back together. Installed once,
    where reportlab's paragraphs and its string shaping look the function up."""
    from reportlab.pdfbase import pdfmetrics, ttfonts
    from reportlab.platypus import paragraph

    shape = ttfonts.shapeFragWord
    if getattr(shape, "ims_one_font", False):
        return

    def one_font(word: Any, *args: Any, **kwargs: Any) -> Any:
        parts = word[1:]
        names = {frag.fontName for frag, _ in parts if not hasattr(frag, "cbDefn")}
        if len(names) <= 1 or isinstance(word, ttfonts.ShapedFragWord):
            return shape(word, *args, **kwargs)
        if any(hasattr(frag, "cbDefn") for frag, _ in parts):
            return word  # (no footnote or link marks in ims's paragraphs: drawn unshaped)
        # each run of one font shaped on its own, and the runs put back together
        runs: list[list[Any]] = []
        for frag, text in parts:
            if runs and runs[-1][-1][0].fontName == frag.fontName:
                runs[-1].append((frag, text))
            else:
                runs.append([(frag, text)])
        width = 0.0
        shaped_parts: list[Any] = []
        for run in runs:
            run_width = sum(
                pdfmetrics.stringWidth(text, frag.fontName, frag.fontSize) for frag, text in run
            )
            done = shape([run_width, *run], force=True)
            width += done[0]
            shaped_parts += done[1:]
        return ttfonts.makeShapedFragWord(word)([width, *shaped_parts])

    one_font.ims_one_font = True  # type: ignore[attr-defined]
    ttfonts.shapeFragWord = one_font
    paragraph.shapeFragWord = one_font


def register_pdf_fonts(faces: Iterable[Face]) -> None:
    """Register the faces with reportlab (once each), bold mapped for <b> in paragraphs."""
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    _no_discretionary_ligatures()
    _shape_each_font_apart()
    known = set(pdfmetrics.getRegisteredFontNames())
    for face in faces:
        for name, path in ((face.pdf_name, face.regular), (face.pdf_bold_name, face.bold)):
            if name not in known:
                pdfmetrics.registerFont(TTFont(name, str(path)))
        family = face.pdf_name.lower()
        addMapping(family, 0, 0, face.pdf_name)
        addMapping(family, 1, 0, face.pdf_bold_name)
        addMapping(family, 0, 1, face.pdf_name)
        addMapping(family, 1, 1, face.pdf_bold_name)


def markup(text: str, faces: Iterable[Face], *, bold: bool = False) -> str:
    """`text` escaped for a reportlab paragraph, each run of another script in its font."""
    out = escape(text)
    for face in faces:
        if face.script.pattern is not None:
            name = face.pdf_bold_name if bold else face.pdf_name
            out = face.script.pattern.sub(rf'<font face="{name}">\g<0></font>', out)
    return out


def map_families(faces: Iterable[Face]) -> list[str]:
    """matplotlib family names of the faces, in fallback order (registered with it first)."""
    return [_map_family(face.regular, face.bold) for face in faces]


@lru_cache(maxsize=16)
def _map_family(regular: Path, bold: Path) -> str:
    from matplotlib import font_manager

    for path in dict.fromkeys((regular, bold)):
        font_manager.fontManager.addfont(str(path))
    return str(font_manager.FontProperties(fname=str(regular)).get_name())
