"""`wafersim claims`: every registered claim evaluates with its stated figures, verdict and
sensitivity; bad ids exit 2 naming the known ones."""

import pytest

from wafersim.claims.claim import REGISTRY, Verdict
from wafersim.claims.evaluate import evaluate_claims
from wafersim.claims.texts import claim_texts


def test_every_seed_claim_has_its_words_and_article():
    texts = claim_texts()
    assert list(texts) == [f"C{i}" for i in range(1, 33)]
    assert all(t.text and t.article.endswith(".txt") for t in texts.values())


@pytest.mark.parametrize("claim_id", sorted(REGISTRY, key=lambda i: int(i[1:])))
def test_a_claim_evaluates_with_its_fields(catalog, claim_id):
    (result,) = evaluate_claims([claim_id], catalog)
    data = result.to_json()
    for key in ("id", "stated", "figures", "assumptions", "verdict", "sensitivity"):
        assert key in data
    assert data["verdict"] in {str(v) for v in Verdict}
    assert result.claim.stated, f"{claim_id} has no stated figure in its data file"
    assert result.evaluation.assumptions


def test_unknown_claim_id_is_one_line(cli):
    run = cli("claims", "C99")
    assert run.code == 2 and "C1, C2" in run.err and run.err.count("\n") == 1


def test_the_claims_doc_is_what_the_command_prints(cli):
    """docs/claims.md is generated: regenerate it with `wafersim claims --markdown > docs/claims.md`."""
    from pathlib import Path

    doc = Path(__file__).parents[1] / "docs" / "claims.md"
    run = cli("claims", "--markdown")
    assert run.code == 0
    assert doc.read_text(encoding="utf-8") == run.out, "docs/claims.md is stale: regenerate it"
