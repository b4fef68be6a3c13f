"""`make docs`: dbt's documentation site as one page that opens from disk."""
import json
import re

from parity.docs import generate_docs


def test_dbt_docs_generate_offline_with_every_mart_column_described(home, history, tmp_path):
    """`make docs`: one page that opens from disk, its catalog read from the warehouse (the session's
    loaded history); every column of every mart is described. Before any load, the same page without
    a catalog."""
    page = generate_docs(home, tmp_path / "docs-before-any-load")
    assert page.name == "static_index.html" and "fct_personnel_quarter" in page.read_text(encoding="utf-8")

    target = tmp_path / "docs-target"  # not the project's target/: tests write nothing into the repository
    page = generate_docs(history, target)
    assert page.exists()
    catalog = json.loads((target / "catalog.json").read_text())
    manifest = json.loads((target / "manifest.json").read_text())
    undescribed = []
    for unique_id, node in catalog["nodes"].items():
        if unique_id.startswith("model.") and node["metadata"]["schema"] == "marts":
            described = manifest["nodes"][unique_id]["columns"]
            undescribed += [f"{node['metadata']['name']}.{c}" for c in node["columns"]
                            if not described.get(c, {}).get("description")]
    assert len([u for u in catalog["nodes"] if u.startswith("model.")]) > 30
    assert not undescribed


def test_the_readme_shows_the_pictures_make_screenshots_makes():
    from parity.config import PROJECT_DIR
    from parity.screenshots import IMAGES, PICTURES

    readme = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")
    shown = set(re.findall(r"\]\(docs/images/([\w.-]+\.png)\)", readme))
    assert shown == set(PICTURES)
    assert [name for name in PICTURES if not (IMAGES / name).is_file()] == []
