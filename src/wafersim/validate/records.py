"""Rows of published measurements in the schema of the validation README (public.csv).

A row is a frozen, typed `Record`, built once when the CSV is read: every field is named after
its column, empty cells are None, numbers are parsed and checked there, and a bad cell stops the
read with one line naming the file, row, column, value and fix. Plan fields that are filled are
constraints for the prediction; empty ones are searched. The `calibrates` column names the fit
a row belongs to (`Calibrates`); rows without it are held out. The conditions a run ran under
are columns, never read from its source text: `stack` (serving engine and release, a catalog
`Stack`), `framework` (training framework and release, as `engine:release`), `attention_kernel`
(flash or eager), and `assumed` names those of them the source does not state.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal, cast, get_args

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator, model_validator
from pydantic import ValidationError as PydanticError

from wafersim.catalog import Catalog
from wafersim.errors import ConfigError, UnknownIdError
from wafersim.models.registry import load_model, model_paths
from wafersim.plan.train import Constraints
from wafersim.precision import WEIGHT_ONLY, Precision
from wafersim.validate.recipes import RunRecipe

Kind = Literal["train", "infer", "micro"]
Metric = Literal["device_hours", "time_to_train_s", "step_time_s", "mfu", "flops_per_device",
                 "hw_flops_per_device", "tokens_per_s", "ttft_s", "tpot_s", "e2e_latency_s",
                 "user_tokens_per_s", "throughput_tokens_per_s", "flops_per_s", "bytes_per_s",
                 "busbw_bytes_per_s", "ttft_p50_s", "ttft_p90_s", "ttft_p99_s", "tpot_p50_s",
                 "tpot_p90_s", "tpot_p99_s", "e2e_latency_p50_s", "e2e_latency_p90_s",
                 "e2e_latency_p99_s"]
HIGHER_IS_FASTER = frozenset({"mfu", "flops_per_device", "hw_flops_per_device", "tokens_per_s",
                              "user_tokens_per_s", "throughput_tokens_per_s"})  # rates, not times
Recompute = Literal["none", "selective", "full"]
Op = Literal["gemm", "hbm_read", "allreduce", "alltoall"]
AttentionKernel = Literal["flash", "eager"]  # fused flash attention, or attention materialising scores
CONDITIONS = ("stack", "framework", "attention_kernel", "recipe")  # conditions a row may mark assumed
Fit = Literal["framework", "serving", "stack", "trainfw", "wafer"]
StackParameter = Literal["gemm_speed_ratio", "attention_mha_speed_ratio",
                         "attention_gqa_speed_ratio", "attention_mla_speed_ratio", "step_s",
                         "per_layer_s", "per_request_step_s", "speedup_ratio",
                         "weight_only_dequant_ratio", "routing_stage_cycles"]
FrameworkParameter = Literal["speed_ratio"]  # a training `Framework`'s fitted parameters
PARAMETERS = {"stack": get_args(StackParameter), "trainfw": get_args(FrameworkParameter)}

REQUIRED = ("id", "kind", "system", "metric", "value", "source")  # columns
NEEDED = ("id", "kind", "system", "metric", "value")  # cells no row may leave empty
INTEGERS = ("count", "seq_len", "global_batch", "tp", "pp", "dp", "ep", "cp", "micro_batch", "batch",
            "input_tokens", "output_tokens", "requests", "prefill_tokens")
INTEGER_MAX = 10**9  # devices, batch, tokens per sequence: far past any published run
TOKENS_MAX = 1e16  # training tokens: some hundred times the largest published run
NUMBERS = ("tokens", "size", "value", "tolerance", "range_ratio", "rate_per_s")
POSITIVE = ("value", "rate_per_s")  # numbers that must be above 0
CHOICES = {"kind": get_args(Kind), "metric": get_args(Metric), "recompute": get_args(Recompute),
           "op": get_args(Op), "precision": (*(p.value for p in Precision), *WEIGHT_ONLY),
           "attention_kernel": get_args(AttentionKernel)}
FIT_KINDS = {"framework": ("train",), "serving": ("infer",), "stack": ("infer",),
             "trainfw": ("train",), "wafer": ("train", "infer")}
FORMS = {"framework": "framework:<chip>", "serving": "serving:<chip>",
         "stack": "stack:<stack>:<parameter>", "trainfw": "trainfw:<framework>:<parameter>",
         "wafer": "wafer"}


@dataclass(frozen=True)
class Calibrates:
    """The fit a row calibrates, as its `calibrates` cell names it.

    `framework:<chip>` and `serving:<chip>`: the chip's framework or serving efficiency (the
    chip is the row's system); `stack:<stack>:<parameter>`: that parameter of the row's serving
    stack; `trainfw:<framework>:<parameter>`: that parameter of the row's training framework
    (the engine of its `framework` column); `wafer`: the wafer efficiencies fitted by other
    commands (the row is only marked).
    """

    fit: Fit
    key: str = ""  # the chip or stack whose parameter the fit writes; empty for wafer
    parameter: str = ""  # the stack's or framework's parameter; empty for the other fits

    def __str__(self) -> str:
        return ":".join(p for p in (self.fit, self.key, self.parameter) if p)

    @classmethod
    def parse(cls, text: str) -> Calibrates:
        fit, *rest = text.split(":")
        if fit not in FORMS:
            raise ValueError(f"calibrates {text!r} names no fit; write {', '.join(FORMS.values())}, "
                             "or leave it empty")
        if len(rest) != FORMS[fit].count(":") or not all(rest):
            raise ValueError(f"calibrates {text!r} is not of the form {FORMS[fit]}")
        if fit in PARAMETERS and rest[1] not in PARAMETERS[fit]:
            what = "stack" if fit == "stack" else "training framework"
            raise ValueError(f"calibrates {text!r}: a {what}'s parameter is one of "
                             f"{', '.join(PARAMETERS[fit])}; write one of them")
        return cls(cast(Fit, fit), *rest)  # a key of FORMS: one of the Fit literals


class Record(BaseModel):
    """One published figure, one field per column of the schema (README of data/)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    kind: Kind
    system: str
    count: int | None = None
    model: str | None = None
    precision: str | None = None
    seq_len: int | None = None
    global_batch: int | None = None
    tokens: float | None = None
    tp: int | None = None
    pp: int | None = None
    dp: int | None = None
    ep: int | None = None
    cp: int | None = None
    micro_batch: int | None = None
    recompute: Recompute | None = None
    batch: int | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    op: Op | None = None
    size: float | None = None
    metric: Metric
    value: float
    tolerance: float | None = None
    source: str | None = None
    notes: str | None = None
    finetune: str | None = None
    speculative: str | None = None
    disaggregate: str | None = None
    requests: int | None = None
    prefill_tokens: int | None = None
    range_ratio: float | None = None
    stack: str | None = None
    calibrates: Calibrates | None = None
    rate_per_s: float | None = None
    framework: str | None = None
    attention_kernel: AttentionKernel | None = None
    assumed: tuple[str, ...] = ()
    benchmark: str | None = None  # a benchmark of data/benchmarks.yaml: its evaluations are timed
    recipe: RunRecipe | None = None  # train rows: CUDA graphs, expert GEMMs, a2a overlap, vp

    @field_validator("*", mode="before")
    @classmethod
    def _cell(cls, value: object, info: ValidationInfo) -> object:
        """Strip text, empty cells to None; then the column's own check."""
        name = info.field_name or ""
        if isinstance(value, str):
            value = value.strip() or None
        if value is None:
            if name in NEEDED:
                raise ValueError(f"{name} is empty; every row needs one")
            return () if name == "assumed" else None
        if name in INTEGERS:
            return _whole(name, value)
        if name in NUMBERS:
            return _number(name, value)
        if name in CHOICES and value not in CHOICES[name]:
            empty = "" if name in NEEDED else " or leave it empty"
            raise ValueError(f"{name} {value!r} is not one of {', '.join(CHOICES[name])}; "
                             f"write one of them{empty}")
        if name == "calibrates" and isinstance(value, str):
            return Calibrates.parse(value)
        if name == "assumed" and isinstance(value, str):
            return _assumed(value)
        if name == "recipe" and isinstance(value, str):
            return RunRecipe.parse(value)
        return value

    @model_validator(mode="after")
    def _fraction(self) -> Record:
        """An MFU is a fraction of the peak."""
        if self.metric == "mfu" and self.value > 1:
            raise ValueError(f"value {self.value:g} is not an mfu (a fraction from 0 to 1); write "
                             f"{self.value / 100:g} for {self.value:g}%")
        return self

    @model_validator(mode="after")
    def _recipe_trains(self) -> Record:
        """A recipe says how a training step ran."""
        if self.recipe is not None and self.kind != "train":
            raise ValueError(f"recipe is for train rows, not {self.kind}; leave it empty")
        return self

    @model_validator(mode="after")
    def _assumed_filled(self) -> Record:
        """A condition marked assumed has a value."""
        if empty := [n for n in self.assumed if getattr(self, n) is None]:
            raise ValueError(f"assumed names {empty[0]} but the row's {empty[0]} is empty; fill "
                             "it or drop it from assumed")
        return self

    @model_validator(mode="after")
    def _calibration(self) -> Record:
        """A calibration row is of the kind its fit reads and names its own chip or stack."""
        c = self.calibrates
        if c is None:
            return self
        if self.kind not in FIT_KINDS[c.fit]:
            raise ValueError(f"calibrates {str(c)!r} fits {' or '.join(FIT_KINDS[c.fit])} rows, "
                             f"not {self.kind}; correct the kind or the calibrates cell")
        column = {"framework": "system", "serving": "system", "stack": "stack",
                  "trainfw": "framework"}.get(c.fit)
        own = getattr(self, column) if column else None
        if c.fit == "trainfw" and own:
            own = self.engine_release[0]
        if column and c.key != own:
            fix = (f"write {Calibrates(c.fit, own, c.parameter)}" if own else
                   f"fill the {column} column")
            raise ValueError(f"calibrates {str(c)!r} names {c.key} but the row's {column} is "
                             f"{own or 'empty'}; {fix}")
        return self

    @property
    def engine_release(self) -> tuple[str, str]:
        """The `framework` cell's engine and release (`engine:release`; empty where unstated)."""
        engine, _, release = (self.framework or "").partition(":")
        return engine, release

    def constraints(self) -> Constraints:
        """The plan fields the row fixes."""
        r = self.recipe or RunRecipe()
        return Constraints(tp=self.tp, pp=self.pp, dp=self.dp, cp=self.cp, ep=self.ep,
                           micro_batch=self.micro_batch, v=r.vp, overlap=r.a2a_overlap)


COLUMNS = tuple(Record.model_fields)


def _float(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]  # any cell: what float() refuses is nan
    except (TypeError, ValueError):
        return math.nan


def _number(name: str, value: object) -> float:
    """A finite number >= 0; `value` and `rate_per_s` > 0, `range_ratio` at most 1, `tokens` at
    most TOKENS_MAX."""
    number = _float(value)
    low_ok = number > 0 if name in POSITIVE else number >= 0
    high = {"range_ratio": 1.0, "tokens": TOKENS_MAX}.get(name, math.inf)
    if not (math.isfinite(number) and low_ok and number <= high):
        what = {"value": "a positive number", "rate_per_s": "a positive number",
                "range_ratio": "a number from 0 to 1",
                "tokens": f"a number from 0 to {TOKENS_MAX:.0e}"}.get(name, "a number >= 0")
        empty = "" if name in NEEDED else " or leave it empty"
        raise ValueError(f"{name} {value!r} is not {what}; write one (SI units){empty}")
    return number


def _assumed(text: str) -> tuple[str, ...]:
    """The condition columns a row's `assumed` cell names, space-separated."""
    names = tuple(text.split())
    if bad := [n for n in names if n not in CONDITIONS]:
        raise ValueError(f"assumed {bad[0]!r} is not a condition column; write any of "
                         f"{', '.join(CONDITIONS)} separated by spaces, or leave it empty")
    return names


def _whole(name: str, value: object) -> int:
    """A positive whole number up to INTEGER_MAX ('8', '8.0' and '8e0' alike)."""
    number = _float(value)
    if not (math.isfinite(number) and number.is_integer() and 1 <= number <= INTEGER_MAX):
        raise ValueError(f"{name} {str(value)[:40]!r} is not a positive whole number up to "
                         f"{INTEGER_MAX:.0e}; write one (e.g. 8) or leave it empty")
    return int(number)


def subsets(rows: Iterable[Record], fit: Fit) -> dict[Calibrates, list[Record]]:
    """The rows whose `calibrates` names `fit`, grouped by what they fit, in file order."""
    out: dict[Calibrates, list[Record]] = {}
    for row in rows:
        if row.calibrates is not None and row.calibrates.fit == fit:
            out.setdefault(row.calibrates, []).append(row)
    return out


def read(path: str | Path | None = None, catalog: Catalog | None = None) -> list[Record]:
    """Rows of a CSV in the public.csv schema (default: the set shipped with wafersim); with a
    `catalog`, every row's system, model and stack must also be known."""
    name, text = _text(path)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        _check_header(name, reader.fieldnames)
        rows, seen = [], set()
        for cells in reader:
            row = _record(name, reader.line_num, cells)
            if catalog is not None:
                _check_ids(f"{name}: row {row.id} (line {reader.line_num})", row, catalog)
            if row.id in seen:
                raise ConfigError(f"{name}: row {row.id} (line {reader.line_num}) repeats an id; "
                                  "give every row its own id")
            seen.add(row.id)
            rows.append(row)
    except csv.Error as exc:
        raise ConfigError(f"{name}: line {reader.line_num} is not CSV ({exc}); save the file as "
                          "comma-separated text") from None
    if not rows:
        raise ConfigError(f"{name} has a header but no rows; add at least one row")
    return rows


def _check_ids(where: str, row: Record, catalog: Catalog) -> None:
    """The row's system (and model and stack, when given, and the training framework it
    calibrates) exist, or one line naming the fix."""
    try:
        catalog.get(row.system)
        if row.model and row.model not in model_paths():
            load_model(row.model)
        if row.stack:
            catalog.stack(row.stack)
        if row.calibrates is not None and row.calibrates.fit == "trainfw":
            catalog.framework(f"{row.framework}")
    except UnknownIdError as exc:
        raise ConfigError(f"{where}: {exc}; or correct the row") from None


def _text(path: str | Path | None) -> tuple[str, str]:
    """The file's name (for messages) and its text."""
    if path is None:
        data = resources.files("wafersim.validate").joinpath("data/public.csv").read_bytes()
        name = "the built-in public.csv"
    else:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise ConfigError(f"cannot read {path}: {exc.strerror}; give an existing CSV file") from None
        name = str(path)
    try:
        return name, data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{name} is not UTF-8 text (byte {data[exc.start]:#04x} at offset "
                          f"{exc.start}); save it as UTF-8") from None


def _check_header(name: str, header: Iterable[str] | None) -> None:
    """Every required column present; no unknown or repeated one."""
    columns = [c.strip() for c in header or ()]
    if not columns:
        raise ConfigError(f"{name} is empty; write the header line of the schema in "
                          "docs/validation.md, then one row per measurement")
    if missing := [c for c in REQUIRED if c not in columns]:
        raise ConfigError(f"{name} lacks the column(s) {', '.join(missing)}; see the schema in "
                          "docs/validation.md")
    if twice := sorted({c for c in columns if columns.count(c) > 1}):
        raise ConfigError(f"{name} names the column(s) {', '.join(twice)} twice; keep one of each")
    if unknown := [c for c in columns if c not in COLUMNS]:
        hints = [f"{c} (did you mean {close[0]}?)" if (close := difflib.get_close_matches(c, COLUMNS, 1))
                 else c for c in unknown]
        raise ConfigError(f"{name} has the unknown column(s) {', '.join(hints)}; rename or remove "
                          "them (the schema is in docs/validation.md)")


def _record(name: str, line: int, cells: Mapping[str | None, str | list[str] | None]) -> Record:
    """One row, checked; a bad cell is one ConfigError naming the file, row and column."""
    where = f"{name}: row {str(cells.get('id') or '?').strip()} (line {line})"
    if None in cells:
        raise ConfigError(f"{where} has more cells than the header; quote cells that hold commas")
    if None in cells.values():
        raise ConfigError(f"{where} has fewer cells than the header; end it with empty cells")
    try:
        return Record.model_validate({str(k).strip(): v for k, v in cells.items()})
    except PydanticError as exc:
        error = exc.errors()[0]
        message = str(error.get("ctx", {}).get("error", error["msg"]))
        raise ConfigError(f"{where}: {message}") from None
