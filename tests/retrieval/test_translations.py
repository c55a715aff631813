"""Front matter `translation_of` (issue 20): parsed, checked per file, then linked across the
loaded articles; the shipped Spanish articles point at their English originals."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.errors import ArticleFormatError
from retrieval.loader import article_from_row, load_kb, parse_markdown
from tests.conftest import ROOT

MAX = 100_000


def write(folder: Path, name: str, front: str) -> Path:
    path = folder / name
    path.write_text(f"---\n{front}\n---\nBody text.\n", encoding="utf-8")
    return path


def test_translation_of_is_parsed_and_a_bad_or_self_id_fails_the_file(tmp_path: Path) -> None:
    text = "---\nid: hola\ntitle: Hola\nlocale: es\ntranslation_of: ' hello '\n---\nCuerpo.\n"
    assert parse_markdown(text, tmp_path / "hola.md").translation_of == "hello"
    assert parse_markdown("---\ntitle: T\n---\nB.\n", tmp_path / "t.md").translation_of == ""
    with pytest.raises(ArticleFormatError, match="names the article itself"):
        parse_markdown("---\nid: t\ntitle: T\ntranslation_of: t\n---\nB.\n", tmp_path / "t.md")
    with pytest.raises(ArticleFormatError, match="'translation_of' 'Not An Id!' is not"):
        parse_markdown("---\ntitle: T\ntranslation_of: Not An Id!\n---\nB.\n", tmp_path / "t.md")
    row = {"id": "hola", "text": "Cuerpo.", "translation_of": "hello"}
    assert article_from_row(row, "rows.jsonl:1").translation_of == "hello"


def test_unknown_or_chained_originals_are_ignored_with_a_warning(tmp_path: Path) -> None:
    write(tmp_path, "hello.md", "id: hello\ntitle: Hello")
    write(tmp_path, "hola.md", "id: hola\ntitle: Hola\nlocale: es\ntranslation_of: hello")
    lost = write(tmp_path, "lost.md", "id: lost\ntitle: Lost\nlocale: es\ntranslation_of: nope")
    chain = write(tmp_path, "ciao.md", "id: ciao\ntitle: Ciao\nlocale: it\ntranslation_of: hola")
    articles, problems = load_kb(tmp_path, MAX)
    links = {a.id: a.translation_of for a in articles}
    assert links == {"hello": "", "hola": "hello", "lost": "", "ciao": ""}
    reasons = {p.path: p.reason for p in problems}
    assert set(reasons) == {str(lost), str(chain)}
    assert "'nope' ignored: no loaded article has that id" in reasons[str(lost)]
    assert "'hola' ignored: it is a translation" in reasons[str(chain)]


def test_the_spanish_sample_articles_translate_english_originals() -> None:
    articles, problems = load_kb(ROOT / "kb_content", MAX)
    assert problems == []
    by_id = {a.id: a for a in articles}
    spanish = {a.id: a.translation_of for a in articles if a.locale == "es"}
    assert spanish == {
        "cancelar-brightcart-plus-es": "cancel-plus-refunds",
        "envios-tiempos-costos-es": "shipping-options-times-costs",
        "metodos-de-pago-es": "accepted-payment-methods",
        "politica-devoluciones-es": "return-policy",
        "rastrear-pedido-es": "track-your-order",
        "restablecer-contrasena-es": "reset-password",
    }
    assert all(by_id[original].locale == "en" for original in spanish.values())
    assert not any(a.translation_of for a in articles if a.locale == "en")
