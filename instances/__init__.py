"""Instances: the model of a combinatorial auction with knowledge, its file format and examples.

Bottom layer of cabench (instances -> ilp -> benchmarks); it imports nothing from the others.
Its names are imported on first use (``instances.lazy``).
"""

from instances.lazy import lazy_exports

__all__ = [
    "CabenchError",
    "Candidates",
    "Form",
    "Instance",
    "InputError",
    "Knowledge",
    "LowerBounds",
    "Semantics",
    "Valuation",
    "ZERO",
    "annotate",
    "check_instance",
    "draw_coalitions",
    "draw_knowledge",
    "dump_instance",
    "instance_text",
    "instance_to_json",
    "load_instance",
    "parse_instance",
]

__getattr__, __dir__ = lazy_exports(__name__, {
    "instances.check": ("check_instance",),
    "instances.errors": ("CabenchError", "InputError"),
    "instances.knowledge_models": ("annotate", "draw_coalitions", "draw_knowledge"),
    "instances.loader": ("load_instance", "parse_instance"),
    "instances.model": ("Candidates", "Instance", "Knowledge", "LowerBounds"),
    "instances.valuation": ("ZERO", "Form", "Semantics", "Valuation"),
    "instances.writer": ("dump_instance", "instance_text", "instance_to_json"),
})
