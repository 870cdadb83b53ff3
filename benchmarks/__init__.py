"""The papers' benchmarks, each one function citing its seed paper and definition.

Built on ``ilp`` (which knows nothing about the papers) and ``instances``.
"""

from benchmarks.correctness import Correctness, knowledge_correct, knowledge_verdicts
from benchmarks.external import bb, bb_prime, miew, miew_of
from benchmarks.knowledge import coalition_guaranteed, guaranteed, true_weight
from benchmarks.known import hidden_value, mikw, mkw, relevant_knowledge
from benchmarks.market import endowment_welfare, truthful_outcome
from benchmarks.report import Report, compute_report, report_json
from benchmarks.results import Benchmark, Best, NotProvenError, Outcome
from benchmarks.welfare import best_allocation, favourite_bundle, lex_first_optimal, msw, msw_without

__all__ = [
    "Benchmark",
    "Best",
    "Correctness",
    "NotProvenError",
    "Outcome",
    "Report",
    "bb",
    "bb_prime",
    "best_allocation",
    "coalition_guaranteed",
    "compute_report",
    "endowment_welfare",
    "favourite_bundle",
    "guaranteed",
    "hidden_value",
    "knowledge_correct",
    "knowledge_verdicts",
    "lex_first_optimal",
    "miew",
    "miew_of",
    "mikw",
    "mkw",
    "msw",
    "msw_without",
    "relevant_knowledge",
    "report_json",
    "true_weight",
    "truthful_outcome",
]
