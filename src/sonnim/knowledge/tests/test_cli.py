"""`sonnim kb import|export|search` in process, on the test database."""

import json

import pytest

from sonnim.cli import main

from .fixtures import DATA

pytestmark = pytest.mark.django_db


def test_import_search_export(workspace, capsys, tmp_path):
    assert main(["kb", "import", str(DATA / "sample_kb.jsonl"), "--workspace", workspace.slug, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"created": 31, "updated": 0, "errors": []}

    assert (
        main(["kb", "search", "송장번호 어디서 봐요", "--workspace", workspace.slug, "--top", "5", "--json"])
        == 0
    )
    hits = json.loads(capsys.readouterr().out)
    assert len(hits) == 5 and set(hits[0]) == {"id", "score", "title"}
    assert (hits[0]["id"], hits[0]["title"]) == ("ship-tracking", "송장번호와 배송 조회는 어디서 하나요?")
    assert hits[0]["score"] >= hits[1]["score"]

    out = tmp_path / "export.jsonl"
    assert main(["kb", "export", "--workspace", workspace.slug, "--out", str(out)]) == 0
    exported = [json.loads(line) for line in out.read_text().splitlines()]
    original = [json.loads(line) for line in (DATA / "sample_kb.jsonl").read_text().splitlines()]
    assert [r["id"] for r in exported] == [r["id"] for r in original]
    assert exported[0] | {"status": "published"} == original[0] | {
        "status": "published",
        "is_internal": False,
    }


def test_bad_rows_are_reported_by_line(workspace, capsys, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a", "title": "t", "body": "본문"}\nnot json\n{"id": "", "body": "x"}\n')
    assert main(["kb", "import", str(path), "--workspace", workspace.slug, "--json"]) == 1
    result = json.loads(capsys.readouterr().out)
    assert (result["created"], [e["line"] for e in result["errors"]]) == (1, [2, 3])
    assert [e["code"] for e in result["errors"]] == ["invalid_import", "invalid_article"]
