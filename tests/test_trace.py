"""Trace replay: CSV and JSONL read alike, sessions become shared prefixes, and each malformed
trace is one error line naming the file and the line."""

import json
from importlib.resources import files

import numpy as np
import pytest

from wafersim.errors import ConfigError, ParameterError
from wafersim.serve.trace import TraceWorkload

ROWS = [{"arrival_s": 10.0, "input_tokens": 100, "output_tokens": 10, "session": "a", "model": "m1"},
        {"arrival_s": 10.5, "input_tokens": 50, "output_tokens": 5, "session": None, "model": "m2"},
        {"arrival_s": 11.0, "input_tokens": 300, "output_tokens": 20, "session": "a", "model": "m1"},
        {"arrival_s": 12.0, "input_tokens": 40, "output_tokens": 4, "session": 7, "model": "m1"},
        {"arrival_s": 12.0, "input_tokens": 90, "output_tokens": 7, "session": "a", "model": "m1"}]


def _csv(rows):
    keys = list(rows[0])
    lines = [",".join(keys)] + [",".join("" if r[k] is None else str(r[k]) for k in keys)
                                for r in rows]
    return "\n".join(lines) + "\n"


def _jsonl(rows):
    return "".join(json.dumps(r) + "\n" for r in rows)


@pytest.mark.parametrize("name, text", [("t.csv", _csv(ROWS)), ("t.jsonl", _jsonl(ROWS)),
                                        ("t.txt", _jsonl(ROWS)), ("t.log", _csv(ROWS))])
def test_csv_and_jsonl_read_the_same_requests(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    t = TraceWorkload.read(path)
    s = t.sample()
    assert list(s.arrival_s) == [0.0, 0.5, 1.0, 2.0, 2.0]  # shifted to start at 0 s
    assert list(s.input_tokens) == [r["input_tokens"] for r in ROWS]
    assert list(s.output_tokens) == [r["output_tokens"] for r in ROWS]
    assert s.models == ("m1", "m2", "m1", "m1", "m1")
    assert s.session[1] == -1 and s.session[0] == s.session[2] == s.session[4] != s.session[3]
    # previous turn of the session (prompt + answer), capped at the request's own prompt
    assert list(s.prefix_tokens) == [0, 0, 110, 0, 90]
    assert (t.requests, t.in_flight, t.input_tokens, t.output_tokens) == (5, 5, 300, 20)
    assert t.mean_tokens() == (116, 9)


def test_a_prefix_column_overrides_the_derived_prefix_where_given(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("arrival_s,input_tokens,output_tokens,session,prefix_tokens\n"
                    "0,100,10,a,\n1,300,20,a,\n2,50,5,,30\n")
    assert list(TraceWorkload.read(path).sample().prefix_tokens) == [0, 110, 30]


def test_requests_takes_the_first_rows(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text(_jsonl(ROWS))
    s = TraceWorkload.read(path, requests=2).sample()
    assert list(s.input_tokens) == [100, 50] and s.models == ("m1", "m2")
    with pytest.raises(ParameterError, match="requests=6: the trace .* has 5 requests"):
        TraceWorkload.read(path, requests=6)


def test_the_sample_trace_in_the_package_reads():
    t = TraceWorkload.read(files("wafersim.serve") / "data" / "sample_trace.jsonl")
    s = t.sample()
    assert 150 <= t.requests <= 250 and s.models is None
    assert len(set(s.session[s.session >= 0])) >= 5 and (s.session == -1).any()
    assert (s.prefix_tokens > 0).any() and np.all(s.prefix_tokens <= s.input_tokens)


HEAD = "arrival_s,input_tokens,output_tokens\n"
J = '{"arrival_s": %s, "input_tokens": %s, "output_tokens": %s}\n'


@pytest.mark.parametrize("name, text, line, says", [
    ("unsorted.csv", HEAD + "0,10,1\n2,10,1\n1,10,1\n", 4, "sort the trace by arrival_s"),
    ("negative.csv", HEAD + "0,10,1\n1,-5,1\n", 3, "input_tokens is -5"),
    ("fraction.csv", HEAD + "0,10.5,1\n", 2, "whole number"),
    ("zero_out.jsonl", J % (0, 10, 1) + J % (1, 10, 0), 2, "generates nothing"),
    ("missing.csv", "arrival_s,input_tokens\n0,10\n", 1, "no output_tokens column"),
    ("missing_key.jsonl", J % (0, 10, 1) + '{"arrival_s": 1, "input_tokens": 5}\n', 2,
     "no 'output_tokens' key"),
    ("truncated.jsonl", J % (0, 10, 1) + J % (1, 10, 1) + '{"arrival_s": 2, "input_', 3,
     "not valid JSON"),
    ("not_object.jsonl", J % (0, 10, 1) + "[1, 2, 3]\n", 2, "not an object"),
    ("nan.csv", HEAD + "0,10,1\nnan,10,1\n", 3, "not a finite number"),
    ("inf.jsonl", J % (0, 10, 1) + J % (1, "Infinity", 1), 2, "not a finite number"),
    ("text.csv", HEAD + "0,ten,1\n", 2, "'ten', not a number"),
    ("unknown.csv", "arrival_s,input_token,output_tokens\n0,1,1\n", 1,
     "did you mean input_tokens"),
    ("unknown_key.jsonl", '{"arrival_s": 0, "input_tokens": 1, "output_tokens": 1, "sesion": 1}\n',
     1, "did you mean session"),
    ("short.csv", HEAD + "0,10,1\n1,10\n", 3, "2 cells, the header has 3"),
    ("prefix.csv", "arrival_s,input_tokens,output_tokens,prefix_tokens\n0,10,1,11\n", 2,
     "more than its input_tokens"),
    ("no_model.jsonl", '{"arrival_s": 0, "input_tokens": 1, "output_tokens": 1, "model": "a"}\n'
     + J % (1, 1, 1), 2, "no model"),
])
def test_a_malformed_trace_is_one_line_naming_the_line(tmp_path, name, text, line, says):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ConfigError) as exc:
        TraceWorkload.read(path)
    message = str(exc.value)
    assert "\n" not in message and message.startswith(f"{path}: line {line}: ")
    assert says in message


@pytest.mark.parametrize("name, text, says", [
    ("empty.csv", "", "is empty"), ("blank.jsonl", "\n\n", "is empty"),
    ("header_only.csv", HEAD, "has no requests"),
])
def test_an_empty_trace_says_so(tmp_path, name, text, says):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ConfigError, match=says):
        TraceWorkload.read(path)


def test_simulate_serving_replays_a_trace_and_refuses_synthetic_knobs_with_it(tmp_path):
    import wafersim

    path = tmp_path / "t.jsonl"
    path.write_text(_jsonl(ROWS))
    r = wafersim.simulate_serving("llama-3.1-8b", "h100-sxm", workload=path)
    assert (r.requests, r.input_tokens, r.output_tokens) == (5, 580, 46)
    with pytest.raises(ParameterError, match="rate_per_s=2.0 conflicts with workload"):
        wafersim.simulate_serving("llama-3.1-8b", "h100-sxm", rate_per_s=2.0, workload=path)
