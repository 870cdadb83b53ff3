"""The integer programs behind one instance's benchmark table, listed up front so that they can
be solved as one batch (``ilp.solve_batch``): duplicates once, MSW_{-i} and MIEW_i from the
programs they remove a player from, independent programs in parallel."""

from __future__ import annotations

from benchmarks.external import miew_program
from benchmarks.known import mikw_program, relevant_knowledge_program
from benchmarks.welfare import best_allocation_program, msw_program, msw_without_program
from ilp import Program
from instances import Instance


def table_programs(instance: Instance) -> list[tuple[str, Program]]:
    """The table of the issue and of ``cabench perf``: MSW, every MIEW_i, every MIKW_i, and MKW_A
    of every agent with several members (a singleton agent's MKW_{i} is MIKW_i)."""
    programs = [("MSW", msw_program(instance))]
    for i, name in enumerate(instance.players):
        programs.append((f"MIEW_{name}", miew_program(instance, i)))
        programs.append((f"MIKW_{name}", mikw_program(instance, i)))
    for agent in instance.agents:
        if len(agent) > 1:
            label = ",".join(instance.players[j] for j in agent)
            programs.append((f"MKW_{{{label}}}", relevant_knowledge_program(instance, agent)))
    return programs


def report_programs(instance: Instance) -> list[Program]:
    """Every maximisation program of ``cabench benchmarks``: the table, plus MSW_{-i} of every
    player and MKW_A and BA^A of every agent (the lexicographic search comes after, from MSW)."""
    programs = [p for _, p in table_programs(instance)]
    programs += [msw_without_program(instance, i) for i in range(instance.n)]
    for agent in instance.agents:
        programs += [relevant_knowledge_program(instance, agent), best_allocation_program(instance, agent)]
    return programs
