"""Broken model configs: each fails with one line naming the file, the key and the fix."""

from pathlib import Path

import pytest
import yaml

from wafersim.errors import ConfigError, UnknownIdError
from wafersim.models import load_model

CORPUS = Path(__file__).parent / "data" / "broken" / "models"
CASES = yaml.safe_load((CORPUS / "manifest.yaml").read_text())


def test_corpus_complete():
    assert {p.name for p in CORPUS.glob("*.json")} == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_broken_config(name):
    with pytest.raises(ConfigError) as info:
        load_model(str(CORPUS / name))
    message = str(info.value)
    assert "\n" not in message and name in message
    assert CASES[name]["expect"] in message, message


def test_unknown_id_suggests():
    with pytest.raises(UnknownIdError, match="did you mean llama-3.1-70b"):
        load_model("llama-3.1-7b")


def test_missing_path():
    with pytest.raises(ConfigError, match="not found"):
        load_model("/no/such/config.json")


def test_cli_broken_config(cli):
    run = cli("models", str(CORPUS / "missing_layers.json"))
    assert run.code == 2 and run.err.startswith("error: ") and run.err.count("\n") == 1
