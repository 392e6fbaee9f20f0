"""The site speaks Simplified Chinese: every marked string has a translation, and it is shown.

The catalogue checks read the `.po` files in `locale/` (the source of truth). The page checks
compile those `.po` files into a temporary directory, so they never pass on a stale `.mo`;
one more test says when the `.mo` files Django really loads are older than their `.po`.
They need GNU gettext (`xgettext`, `msgmerge`, `msgfmt`), as `make messages` does;
`.ci/run` installs it.
"""

import gettext
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

ROOT = Path(__file__).resolve().parents[3]
LOCALE_DIR = ROOT / "locale"
ZH_PO = LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / "django.po"

# What `make messages` does not scan (its --ignore options, plus what makemessages skips anyway).
NOT_SCANNED = shutil.ignore_patterns(
    ".*", "var", "tests", "locale", "node_modules", "__pycache__", "*.pyc", "*.mo"
)


def _require_gettext() -> None:
    missing = [tool for tool in ("xgettext", "msgmerge", "msgfmt") if shutil.which(tool) is None]
    if missing:
        pytest.fail(
            f"GNU gettext is needed for the i18n checks ({', '.join(missing)} missing): "
            "apt-get install gettext"
        )


# --- A small .po reader ------------------------------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstrs: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    references: list[str] = field(default_factory=list)

    @property
    def untranslated(self) -> bool:
        return not self.msgstrs or any(not s for s in self.msgstrs.values())

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags

    def describe(self) -> str:
        where = " ".join(self.references) or "?"
        return f"{self.msgid!r} ({where})"


_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}


def _unquote(text: str) -> str:
    text = text.strip()
    assert text.startswith('"') and text.endswith('"'), text
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text[1:-1])


def read_po(path: Path) -> tuple[Entry, list[Entry]]:
    """The header entry and the live (not obsolete `#~`) entries of a .po file."""
    entries: list[Entry] = []
    entry = Entry()
    target: tuple[str, int | None] | None = None
    started = False

    def finish() -> None:
        nonlocal entry, started, target
        if started:
            entries.append(entry)
        entry, started, target = Entry(), False, None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#,"):
            if started:
                finish()
            entry.flags.update(f.strip() for f in line[2:].split(","))
            continue
        if line.startswith("#:"):
            if started:
                finish()
            entry.references.extend(line[2:].split())
            continue
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            kind, index = target  # type: ignore[misc]
            text = _unquote(line)
            if kind == "msgstr":
                entry.msgstrs[index] += text  # type: ignore[index]
            else:
                setattr(entry, kind, (getattr(entry, kind) or "") + text)
            continue
        keyword, _, rest = line.partition(" ")
        if keyword == "msgctxt" or (keyword == "msgid" and started and target[0] != "msgctxt"):
            finish()
        started = True
        match = re.fullmatch(r"msgstr(?:\[(\d+)\])?", keyword)
        if match:
            index = int(match.group(1) or 0)
            entry.msgstrs[index] = _unquote(rest)
            target = ("msgstr", index)
        elif keyword in {"msgid", "msgid_plural", "msgctxt"}:
            setattr(entry, keyword, _unquote(rest))
            target = (keyword, None)
        else:
            raise AssertionError(f"{path}: cannot read {raw!r}")
    finish()
    header = next(e for e in entries if e.msgid == "" and e.msgctxt is None)
    return header, [e for e in entries if e is not header]


def _problems(entries: list[Entry]) -> list[str]:
    untranslated = [f"untranslated: {e.describe()}" for e in entries if e.untranslated]
    fuzzy = [f"fuzzy: {e.describe()}" for e in entries if e.fuzzy]
    return untranslated + fuzzy


# --- The committed catalogue ---------------------------------------------------------------


def test_the_chinese_catalogue_has_no_untranslated_or_fuzzy_entries() -> None:
    header, entries = read_po(ZH_PO)
    assert entries, f"{ZH_PO} has no messages: run `make messages`"
    problems = _problems(entries)
    assert not problems, "Translate these in locale/zh_Hans/LC_MESSAGES/django.po:\n" + "\n".join(
        problems
    )
    meta = header.msgstrs[0]
    assert not header.fuzzy, "the catalogue header is still marked fuzzy"
    assert "Language: zh_Hans\n" in meta
    assert "charset=UTF-8" in meta
    assert "Plural-Forms: nplurals=1; plural=0;" in meta


def test_chinese_plurals_have_exactly_one_form() -> None:
    _, entries = read_po(ZH_PO)
    for entry in (e for e in entries if e.msgid_plural is not None):
        assert set(entry.msgstrs) == {0}, f"nplurals=1 means msgstr[0] only: {entry.describe()}"


_PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdifrx]|%[sd]|\{\w*\}")


def test_translations_keep_every_placeholder() -> None:
    _, entries = read_po(ZH_PO)
    for entry in entries:
        wanted = sorted(_PLACEHOLDER.findall(entry.msgid))
        for text in entry.msgstrs.values():
            assert sorted(_PLACEHOLDER.findall(text)) == wanted, entry.describe()


def test_msgfmt_compiles_the_chinese_catalogue_cleanly() -> None:
    """msgfmt --check: valid syntax, header and python-format placeholders."""
    _require_gettext()
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", os.devnull, str(ZH_PO)],
        capture_output=True,
        text=True,
        env={**os.environ, "LC_ALL": "C"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr


def test_the_catalogues_live_where_settings_look() -> None:
    assert Path(settings.LOCALE_PATHS[0]) == LOCALE_DIR
    for code, _ in settings.LANGUAGES:
        locale = translation.to_locale(code)  # zh-hans → zh_Hans
        assert (LOCALE_DIR / locale / "LC_MESSAGES" / "django.po").is_file(), code


# --- Strings added to the code since the catalogue was last refreshed ----------------------


def test_every_marked_string_in_the_code_is_translated(tmp_path: Path) -> None:
    """Run makemessages on a copy of the project merged with the committed catalogue.

    A string someone marked for translation but did not translate comes out empty (or
    fuzzy, when msgmerge guesses from a similar one). The copy keeps the real catalogue
    untouched, and without DJANGO_SETTINGS_MODULE makemessages writes to the copy's
    `locale/` only. It takes well under a second.
    """
    _require_gettext()
    project = tmp_path / "project"
    shutil.copytree(ROOT, project, ignore=NOT_SCANNED)
    shutil.copytree(LOCALE_DIR / "zh_Hans", project / "locale" / "zh_Hans")
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "zh_Hans", "--no-obsolete"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    _, entries = read_po(project / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po")
    problems = _problems(entries)
    assert not problems, (
        "Strings marked for translation but missing from locale/zh_Hans: run `make messages`, "
        "translate them, and run it again.\n" + "\n".join(problems)
    )


# --- What a shopper sees -------------------------------------------------------------------


@pytest.fixture(scope="module")
def compiled_locale(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Today's .po files compiled to .mo in a temporary directory (a stale .mo can't pass)."""
    _require_gettext()
    out = tmp_path_factory.mktemp("locale")
    for po in LOCALE_DIR.glob("*/LC_MESSAGES/django.po"):
        mo = out / po.relative_to(LOCALE_DIR).with_suffix(".mo")
        mo.parent.mkdir(parents=True)
        subprocess.run(["msgfmt", "-o", str(mo), str(po)], check=True)
    return out


def _messages(mo: Path) -> dict:
    """The translations in a .mo file, without the header (its dates change on every refresh)."""
    with mo.open("rb") as data:
        catalog = gettext.GNUTranslations(data)._catalog
    return {key: value for key, value in catalog.items() if key != ""}


def test_the_compiled_catalogues_match_the_po_files(compiled_locale: Path) -> None:
    """The .mo files Django loads are today's: a stale one shows old or English text.

    `make test` compiles them first; this catches a plain `pytest` or `runserver` after
    someone edited a .po without compiling it.
    """
    for fresh in compiled_locale.glob("*/LC_MESSAGES/django.mo"):
        used = LOCALE_DIR / fresh.relative_to(compiled_locale)
        assert used.is_file(), f"{used} is missing: run `make messages` (or compilemessages)"
        assert _messages(used) == _messages(fresh), f"{used} is older than its .po: `make messages`"


@pytest.fixture
def catalogues(settings, compiled_locale: Path) -> None:
    # Changing LOCALE_PATHS makes Django drop its cached translations (django.test.signals).
    settings.LOCALE_PATHS = [compiled_locale]


@pytest.mark.django_db
def test_a_chinese_browser_gets_the_chinese_site(client, catalogues) -> None:
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.8")
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans">' in response.text
    assert "礼物商城" in response.text
    assert "购物车" in response.text
    assert "Gift Shop" not in response.text


@pytest.mark.django_db
def test_an_english_browser_gets_the_english_site(client, catalogues) -> None:
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert '<html lang="en">' in response.text
    assert "Gift Shop" in response.text
    assert "礼物商城" not in response.text


@pytest.mark.django_db
def test_the_language_switcher_turns_a_chinese_browser_english(client, catalogues) -> None:
    assert "礼物商城" in client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").text
    response = client.post(
        "/i18n/setlang/", {"language": "en", "next": "/"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "Gift Shop" in page.text
    assert "礼物商城" not in page.text
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "礼物商城" in client.get("/", HTTP_ACCEPT_LANGUAGE="en").text


def test_province_choices_read_in_chinese(catalogues) -> None:
    from shop.accounts.forms import AddressForm

    with translation.override("zh-hans"):
        html = str(AddressForm()["province"])
        assert '<option value="浙江省">浙江</option>' in html
        assert str(AddressForm().fields["province"].label) == "省份"
    with translation.override("en"):
        assert '<option value="浙江省">Zhejiang</option>' in str(AddressForm()["province"])
