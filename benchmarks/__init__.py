"""The papers' benchmarks, each one function citing its seed paper and definition.

Built on ``ilp`` (which knows nothing about the papers) and ``instances``. Its names are imported
on first use (``instances.lazy``).
"""

from instances.lazy import lazy_exports

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
    "each_knowledge_verdict",
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

__getattr__, __dir__ = lazy_exports(__name__, {
    "benchmarks.correctness": ("Correctness", "each_knowledge_verdict", "knowledge_correct", "knowledge_verdicts"),
    "benchmarks.external": ("bb", "bb_prime", "miew", "miew_of"),
    "benchmarks.knowledge": ("coalition_guaranteed", "guaranteed", "true_weight"),
    "benchmarks.known": ("hidden_value", "mikw", "mkw", "relevant_knowledge"),
    "benchmarks.market": ("endowment_welfare", "truthful_outcome"),
    "benchmarks.report": ("Report", "compute_report", "report_json"),
    "benchmarks.results": ("Benchmark", "Best", "NotProvenError", "Outcome"),
    "benchmarks.welfare": ("best_allocation", "favourite_bundle", "lex_first_optimal", "msw", "msw_without"),
})
