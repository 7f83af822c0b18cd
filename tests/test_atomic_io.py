"""glasslib.core.atomic_io: atomic writes, file hashes and generated sections of documents."""

from __future__ import annotations

import hashlib

from glasslib.core.atomic_io import atomic_write_text, sha256_file, write_marked_section

START, END = "<!-- gen: start -->", "<!-- gen: end -->"


def test_atomic_write_leaves_no_temporary_and_hash_matches(tmp_path):
    path = atomic_write_text(tmp_path / "a.txt", "x" * 3_000_000)
    assert path.read_text() == "x" * 3_000_000 and [p.name for p in tmp_path.iterdir()] == ["a.txt"]
    assert sha256_file(path) == hashlib.sha256(b"x" * 3_000_000).hexdigest()


def test_marked_section_is_appended_then_replaced_and_the_rest_kept(tmp_path):
    card = tmp_path / "card.md"
    write_marked_section(card, f"{START}\none\n{END}", START, END, new_file_heading="# Card")
    assert card.read_text() == f"# Card\n\n{START}\none\n{END}\n"
    card.write_text(card.read_text().replace("# Card", "# Card\n\nhand-written text") + "\nafter\n")
    write_marked_section(card, f"{START}\ntwo\n{END}", START, END, new_file_heading="# unused")
    text = card.read_text()
    assert "one" not in text and f"{START}\ntwo\n{END}" in text
    assert text.startswith("# Card\n\nhand-written text") and text.endswith("\nafter\n") and text.count(START) == 1
