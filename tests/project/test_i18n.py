"""Translations: every string the code translates is in i18n/terrasam_de.ts, under the context the code
uses at run time, with a finished German translation; the committed .qm matches the .ts; and a German QGIS
shows German.

The strings are read from the code with ``ast`` (no Qt tool needed): literal
``QCoreApplication.translate("Ctx", "text")`` calls, and ``tr("text")`` / ``self.tr("text")`` /
``Class.tr("text")`` calls, whose run-time context is the literal context inside the matching ``tr`` helper.
pylupdate5 files ``self.tr()`` under the enclosing class name and a bare ``tr()`` under "@default" (and
drops a call that ends with a trailing comma), so each call is also checked against the context pylupdate5
gives it, even where pylupdate5 is not installed; where it is, a real ``make i18n-update`` run into a copy of
the .ts must find exactly the same strings.
"""

from __future__ import annotations

import ast
import importlib
import os
import re
import shutil
import string
import subprocess
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from qgis.core import QgsSettings
from qgis.PyQt.QtCore import QCoreApplication, QTranslator

ROOT = Path(__file__).resolve().parents[2]
I18N = ROOT / "i18n"
TS = I18N / "terrasam_de.ts"
QM = I18N / "terrasam_de.qm"
#: The folders ``make i18n-update`` leaves out (Makefile: I18N_SOURCES); every other .py file is the plugin's.
NOT_PLUGIN_CODE = {".venv", ".git", "build", "dist", "tests", "sam_core", "bench", "tools"}
FIX = "run `make i18n-update`, translate in i18n/terrasam_de.ts, then `make i18n-compile`"


def plugin_sources() -> list[Path]:
    found = []
    for folder, dirs, files in os.walk(ROOT):
        rel = Path(folder).relative_to(ROOT)
        if rel == Path("."):
            dirs[:] = [d for d in dirs if d not in NOT_PLUGIN_CODE]
        found += [Path(folder) / name for name in files if name.endswith(".py")]
    return sorted(found)


# -- the strings in the code ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Use:
    file: str  # relative to the repository root
    line: int
    context: str
    source: str
    #: "" for a module-level tr(), the class name for self.tr() / Class.tr(), None for
    #: QCoreApplication.translate()
    helper: str | None


def _is_translate(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "translate"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "QCoreApplication"
    )


def _text(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _helper_context(func: ast.FunctionDef) -> str | None:
    """The literal context of a ``tr`` helper (``return QCoreApplication.translate("Ctx", text)``)."""
    for node in ast.walk(func):
        if _is_translate(node) and node.args:
            return _text(node.args[0])
    return None


class _Finder(ast.NodeVisitor):
    def __init__(self, rel: str, code: str, tree: ast.Module) -> None:
        self.rel, self.code = rel, code
        self.uses: list[Use] = []
        self.problems: list[str] = []
        self.classes: list[str] = []
        self.module_tr = next(
            (_helper_context(n) for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "tr"), None
        )
        self.class_tr: dict[str, str | None] = {}
        for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
            for item in cls.body:
                if isinstance(item, ast.FunctionDef) and item.name == "tr":
                    self.class_tr[cls.name] = _helper_context(item)
                elif isinstance(item, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == "tr" for t in item.targets
                ):  # tr = staticmethod(tr): the module helper's context
                    self.class_tr[cls.name] = self.module_tr

    def problem(self, node: ast.AST, text: str) -> None:
        self.problems.append(f"{self.rel}:{node.lineno}: {text}")

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.classes.append(node.name)
        self.generic_visit(node)
        self.classes.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        if node.name != "tr":  # the helpers themselves translate a variable
            self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Call(self, node: ast.Call) -> None:
        self.generic_visit(node)
        func = node.func
        if _is_translate(node):
            helper = None
            context = filed_under = _text(node.args[0]) if node.args else None
            text_args = node.args[1:]
            if context is None:
                self.problem(
                    node, "QCoreApplication.translate() needs a literal context (pylupdate5 reads it)"
                )
                return
        elif isinstance(func, ast.Name) and func.id == "tr":
            helper, context, text_args = "", self.module_tr, node.args
            filed_under = "@default"  # pylupdate5 files a bare tr() there
            if context is None:
                self.problem(node, "tr() without a module-level tr() helper that has a literal context")
                return
        elif isinstance(func, ast.Attribute) and func.attr == "tr":
            owner = func.value
            if isinstance(owner, ast.Name) and owner.id == "self" and self.classes:
                helper = self.classes[-1]
            elif isinstance(owner, ast.Name) and owner.id in self.class_tr:
                helper = owner.id
            else:
                self.problem(node, f"cannot tell the context of {ast.unparse(func)}()")
                return
            context, text_args = self.class_tr.get(helper), node.args
            filed_under = helper  # pylupdate5 files self.tr() under the enclosing class, X.tr() under X
            if context is None:
                # PyQt's QObject.tr() uses the run-time class name, which differs in subclasses.
                self.problem(node, f"class {helper} has no tr() helper with a literal context")
                return
        else:
            return
        source = _text(text_args[0]) if text_args else None
        if source is None:
            self.problem(node, f"{ast.unparse(func)}() needs a literal string (pylupdate5 cannot extract it)")
            return
        if re.search(r",\s*\)\Z", ast.get_source_segment(self.code, node) or ""):
            self.problem(node, f"pylupdate5 drops {ast.unparse(func)}() calls that end with a trailing comma")
            return
        if filed_under != context:
            self.problem(
                node,
                f"pylupdate5 files {source!r} under {filed_under!r}, the code translates it in {context!r}",
            )
            return
        self.uses.append(Use(self.rel, node.lineno, context, source, helper))


def code_strings() -> tuple[list[Use], list[str]]:
    uses: list[Use] = []
    problems: list[str] = []
    for path in plugin_sources():
        code = path.read_text(encoding="utf-8")
        tree = ast.parse(code, str(path))
        finder = _Finder(path.relative_to(ROOT).as_posix(), code, tree)
        finder.visit(tree)
        uses += finder.uses
        problems += finder.problems
    return uses, problems


# -- the strings in the .ts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    translation: str
    #: <translation type="...">: unfinished, obsolete or vanished; None when finished, "missing" without one
    kind: str | None


def ts_messages(path: Path = TS) -> dict[tuple[str, str], Message]:
    messages: dict[tuple[str, str], Message] = {}
    for context in ET.parse(path).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            node = message.find("translation")
            key = (name, message.findtext("source") or "")
            assert key not in messages, f"{path.name}: {key} appears twice"
            if node is None:
                messages[key] = Message("", "missing")
            else:
                messages[key] = Message(node.text or "", node.get("type"))
    return messages


def placeholders(text: str) -> Counter:
    return Counter((name, spec) for _, name, spec, _ in string.Formatter().parse(text) if name is not None)


@pytest.fixture(scope="module")
def uses() -> list[Use]:
    found, problems = code_strings()
    assert not problems, "strings pylupdate5 cannot extract correctly:\n" + "\n".join(problems)
    assert len(found) > 40, (
        "the ast scan found almost no translatable strings: is it still looking in the right place?"
    )
    return found


@pytest.fixture(scope="module")
def messages() -> dict[tuple[str, str], Message]:
    assert TS.is_file(), f"{TS.relative_to(ROOT)} is missing: {FIX}"
    return ts_messages()


def test_every_code_string_is_in_the_ts_under_its_runtime_context_and_translated(uses, messages):
    missing = [
        f"{u.file}:{u.line}: [{u.context}] {u.source!r}"
        for u in uses
        if (u.context, u.source) not in messages
    ]
    assert not missing, f"not in {TS.name} under the context the code uses ({FIX}):\n" + "\n".join(missing)
    bad = []
    for key in sorted({(u.context, u.source) for u in uses}):
        message = messages[key]
        if message.kind or not message.translation.strip():
            bad.append(f"[{key[0]}] {key[1]!r}: type={message.kind!r}, translation={message.translation!r}")
        elif placeholders(message.translation) != placeholders(key[1]):
            bad.append(f"[{key[0]}] {key[1]!r}: the {{placeholders}} differ in {message.translation!r}")
        elif ("&" in key[1]) != ("&" in message.translation):
            bad.append(
                f"[{key[0]}] {key[1]!r}: the & accelerator is lost or added in {message.translation!r}"
            )
    assert not bad, f"{TS.name} messages without a usable finished translation:\n" + "\n".join(bad)


def test_ts_holds_no_strings_the_code_no_longer_uses(uses, messages):
    stale = sorted(set(messages) - {(u.context, u.source) for u in uses})
    assert not stale, f"{TS.name} has strings the code does not translate ({FIX}): {stale}"


def test_pylupdate5_files_each_string_under_its_runtime_context(uses, messages, tmp_path):
    """What ``make i18n-update`` does, into a copy: it finds exactly the code's (context, string) pairs and
    keeps every translation."""
    pylupdate5 = shutil.which("pylupdate5")
    if pylupdate5 is None:
        pytest.skip("pylupdate5 (pyqt5-dev-tools) is not installed; scripts/bootstrap.sh --i18n installs it")
    ts = tmp_path / TS.name
    shutil.copyfile(TS, ts)
    env = dict(os.environ, LC_ALL="C.UTF-8", PYTHONWARNINGS="ignore")
    sources = [str(p.relative_to(ROOT)) for p in plugin_sources()]
    subprocess.run(
        [pylupdate5, "-noobsolete", *sources, "-ts", str(ts)], cwd=ROOT, env=env, check=True, timeout=120
    )
    extracted = ts_messages(ts)
    assert set(extracted) == {(u.context, u.source) for u in uses}
    assert extracted == messages, f"make i18n-update would change the translations in {TS.name}"


# -- the compiled .qm ----------------------------------------------------------------------------------------


def test_qm_is_compiled_from_the_current_ts(messages, tmp_path):
    assert QM.is_file(), f"{QM.relative_to(ROOT)} is missing: run `make i18n-compile`"
    lrelease = shutil.which("lrelease")
    if lrelease is not None:
        fresh = tmp_path / QM.name
        subprocess.run([lrelease, "-silent", str(TS), "-qm", str(fresh)], check=True, timeout=60)
        assert fresh.read_bytes() == QM.read_bytes(), (
            f"{QM.name} is older than {TS.name}: run `make i18n-compile`"
        )
    # Also without lrelease (a fresh CI machine): the .qm must load and give every .ts translation back.
    # QTranslator.translate() takes const char*: PyQt5 would encode str as ASCII, Qt reads UTF-8.
    translator = QTranslator()
    assert translator.load(str(QM)), f"QTranslator cannot load {QM.name}"
    wrong = [
        f"[{context}] {source!r}: {got!r} != {message.translation!r}"
        for (context, source), message in messages.items()
        if (got := translator.translate(context.encode(), source.encode())) != message.translation
    ]
    assert not wrong, f"{QM.name} does not match {TS.name} (run `make i18n-compile`):\n" + "\n".join(wrong)


# -- German QGIS ---------------------------------------------------------------------------------------------

LOCALE_KEYS = {"locale/userLocale": "de", "locale/overrideFlag": True}


@pytest.fixture
def german_qgis():
    """QGIS set to German (the plugin reads locale/userLocale); the settings are restored afterwards."""
    settings = QgsSettings()
    saved = {key: (settings.contains(key), settings.value(key)) for key in LOCALE_KEYS}
    for key, value in LOCALE_KEYS.items():
        settings.setValue(key, value)
    try:
        yield
    finally:
        for key, (present, value) in saved.items():
            if present:
                settings.setValue(key, value)
            else:
                settings.remove(key)


def runtime_translation(use: Use) -> str:
    """The string as the code translates it at run time: through its own tr() helper, or the literal call."""
    if use.helper is None:
        return QCoreApplication.translate(use.context, use.source)
    module = importlib.import_module("terrasam." + use.file.removesuffix(".py").replace("/", "."))
    helper = getattr(module, use.helper) if use.helper else module
    return helper.tr(use.source)


def test_german_locale_translates_plugin_and_dock_until_unload(
    terrasam, qgis_iface, german_qgis, uses, messages
):
    from terrasam.ui.dock import TerraSAMDock

    plugin = terrasam.classFactory(qgis_iface)
    try:
        assert plugin.translator is not None, "terrasam_de.qm was not installed for the German QGIS locale"
        assert QCoreApplication.translate("TerraSAMDock", "Accept") == "Übernehmen"
        assert (
            plugin.tr("TerraSAM: the engine is not set up") == "TerraSAM: Die Engine ist nicht eingerichtet"
        )
        # Every string, through the helper the code calls, gives the .ts translation.
        wrong = [
            f"{u.file}:{u.line}: {u.source!r} -> {got!r}"
            for u in uses
            if (got := runtime_translation(u))
            != getattr(messages.get((u.context, u.source)), "translation", None)
        ]
        assert not wrong, "run-time translations differ from the .ts:\n" + "\n".join(wrong)

        dock = TerraSAMDock()
        try:
            assert dock.accept_action.text() == "Übernehmen"
            assert dock.undo_action.text() == "Rückgängig"
            assert dock.accept_action.toolTip().startswith("Das Objekt in den Ausgabelayer schreiben")
            assert dock.output_mode.itemText(0) == "Neuer temporärer Layer"
            assert dock.cancel_button.text() == "Abbrechen"
        finally:
            dock.deleteLater()
    finally:
        plugin.unload()

    assert plugin.translator is None
    assert QCoreApplication.translate("TerraSAMDock", "Accept") == "Accept"
    dock = TerraSAMDock()
    try:
        assert dock.accept_action.text() == "Accept"
        assert dock.output_mode.itemText(0) == "New memory layer"
    finally:
        dock.deleteLater()
