"""Instances: the model of a combinatorial auction with knowledge, its file format and examples.

Bottom layer of cabench (instances -> ilp -> benchmarks); it imports nothing from the others.
"""

from instances.errors import CabenchError, InputError
from instances.knowledge_models import annotate, draw_coalitions, draw_knowledge
from instances.loader import load_instance, parse_instance
from instances.model import Candidates, Instance, Knowledge, LowerBounds
from instances.valuation import ZERO, Form, Semantics, Valuation
from instances.writer import dump_instance, instance_text, instance_to_json

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
    "draw_coalitions",
    "draw_knowledge",
    "dump_instance",
    "instance_text",
    "instance_to_json",
    "load_instance",
    "parse_instance",
]
