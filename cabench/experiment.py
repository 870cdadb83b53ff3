"""``cabench experiment``: how much of each benchmark the mechanisms achieve as knowledge gets
better or worse, as one tidy table.

An experiment is a sweep (``cabench.sweep``) over instance files it writes itself: for every
point of the knowledge axis and every seed, one instance (generated, or a given file annotated
with knowledge and coalitions drawn by ``instances.knowledge_models``), recorded with how it was
made (``cabench.provenance``). The files go to ``RESULTS.instances/`` next to the results; the
same arguments always write the same bytes, so a resumed experiment (after Ctrl-C, or with more
mechanisms, seeds or axis points) computes only the rows it lacks.

The knowledge models are those of seed 000 §2 (knowledge as sets of candidate valuations,
Definition 1) as drawn by ``instances.knowledge_models``; the coalition axis varies the size of
the collusive sets of seed 000 §2 Definition 5.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from instances import CabenchError, Instance, instance_text
from instances.cats import read_instance_or_cats
from instances.files import MAX_INPUT_BYTES, make_folders
from instances.knowledge_models import ARGUMENTS, SpecError, annotate, parse_coalitions, parse_knowledge, spelled
from instances.units import exact_number

__all__ = ["AXES", "Axis", "BASELINES", "Family", "MAX_POINTS", "blamed_on_axis", "check_design", "design_of",
           "experiment_files", "instance_folder", "parse_axis", "remove_made"]

AXES = ("noisy-lower", "wrong", "candidates", "coalition-size")
BASELINES = ("vcg", "second-price-bundle")
"""Evaluated in every experiment: the papers compare their mechanisms with these."""


@dataclass(frozen=True)
class Axis:
    """The knowledge axis: a model and its values (``noisy-lower:0.1,0.2,...,1.0``)."""

    kind: str
    values: tuple[Fraction, ...]

    def point(self, value: Fraction, knowledge: str, coalitions: str, coalition_count: int) -> tuple[str, str]:
        """The (knowledge, coalitions) specs at ``value``; the other spec stays as given."""
        if self.kind == "coalition-size":
            return knowledge, f"random:{coalition_count}:{int(value)}"
        return f"{self.kind}:{_number(value)}", coalitions

    def shown(self, value: Fraction) -> float | int:
        return int(value) if value.denominator == 1 and self.kind in ("candidates", "coalition-size") else float(value)


def _number(value: Fraction) -> str:
    """A value as the knowledge specs write it, in their one spelling (the shortest decimal of
    the float, without exponent: 0.3, 4, 0.00001, where ``repr`` gives 1e-05)."""
    return str(int(value)) if value.denominator == 1 else spelled(repr(float(value)))


def parse_axis(spec: str) -> Axis:
    """``KIND:V1,V2,...`` with KIND one of :data:`AXES`; ``A,B,...,Z`` is the arithmetic
    progression from A in steps of B - A up to Z (``0.1,0.2,...,1.0``: ten points)."""
    kind, _, raw = spec.partition(":")
    problem = (f'--axis: cannot read "{spec}"; expected KIND:V1,V2,... with KIND one of {", ".join(AXES)} '
               "(e.g. noisy-lower:0.1,0.2,...,1.0 or coalition-size:2,3,4)")
    if kind not in AXES or not raw:
        raise CabenchError(problem)
    items = [x.strip() for x in raw.split(",")]
    fraction = next((x for x in items if "/" in x), None)
    if fraction is not None and kind != "coalition-size":  # (1/3 ran as 0.3333333333333333)
        written = "a whole number" if kind == "candidates" else "a decimal such as 0.3"
        raise CabenchError(f"--axis: {kind} value {fraction}: expected {written}, as --knowledge takes")
    if len(items) > MAX_POINTS:
        raise CabenchError(f"--axis: {len(items)} values; at most {MAX_POINTS}")
    try:
        if "..." in items:
            at = items.index("...")
            if at != 2 or len(items) != 4:
                raise ValueError
            # (exact_number: ValueError for a value too long to read quickly, beyond every model's range)
            first, second, last = exact_number(items[0]), exact_number(items[1]), exact_number(items[3])
            step = second - first
            if step <= 0 or last < first:
                # (the generic message said nothing of the order: "0.5,0.4,...,0.1" read as unreadable)
                raise CabenchError(f'--axis: cannot read "{spec}": A,B,...,Z rises from A in steps of B - A up to Z, '
                                   "so it needs A < B and A <= Z (list the values for any other order)")
            count = (last - first) // step + 1  # counted, not drawn: 1,2,...,10^8 took 40 s and 2 GB
            if count > MAX_POINTS:
                raise CabenchError(f"--axis: {spec}: {count} values; at most {MAX_POINTS}")
            values = [first + k * step for k in range(count)]
        else:
            values = [exact_number(x) for x in items]
    except (ValueError, ZeroDivisionError):
        raise CabenchError(problem) from None
    if len(set(values)) != len(values):
        raise CabenchError(f"--axis: {spec}: values must be distinct")
    if kind != "coalition-size" and len({_number(v) for v in values}) != len(values):  # (one point, run twice)
        raise CabenchError(f"--axis: {spec}: values must be distinct as the models read them (as floats)")
    axis = Axis(kind, tuple(values))
    for v in values:  # every point must be a valid spec: checked before any work
        if kind == "coalition-size":
            if v.denominator != 1 or v < 2:
                raise CabenchError(f"--axis: coalition size {v}: expected a whole number >= 2")
        else:
            try:
                parse_knowledge(f"{kind}:{_number(v)}")
            except SpecError:  # (its message named --knowledge, which the user did not give)
                raise CabenchError(f"--axis: {kind} value {_number(v)}: expected {ARGUMENTS[kind]}") from None
    return axis


MAX_POINTS = 1000
"""Most values of an axis."""


@dataclass(frozen=True)
class Family:
    """Generated instances: ``cabench generate`` arguments without knowledge and seed."""

    distribution: str
    goods: int
    bids: int
    players: int | None  # None: one player per bidder


def design_of(axis: Axis, family: Family | None, knowledge: str, coalitions: str, coalition_count: int) -> str:
    """What an experiment is, apart from its points, seeds, files and mechanisms (which a resumed
    run may add): its axis, its generator's arguments or "given files", and the specs the axis
    does not vary. Written into every instance's record and so into every row (``design``)."""
    if family is None:
        made = "given files"
    else:
        players = "a player per bidder" if family.players is None else f"{family.players} players"
        made = f"{family.distribution}, {family.goods} goods, {family.bids} bids, {players}"
    fixed = (f"knowledge {knowledge}, {coalition_count} coalition(s)" if axis.kind == "coalition-size"
             else f"coalitions {coalitions}")
    return f"along {axis.kind}; {made}; {fixed}"


def check_design(results: Path, rows: list[dict], design: str, axis: str, family: Family | None) -> None:
    """Refuse to add an experiment of ``design`` (:func:`design_of`) to ``results`` when its
    ``rows`` are of another: a sweep's (no axis), or an experiment whose ``design`` differs (in
    results written before rows had one: whose axis or family differs, :func:`_other_family`;
    ``family`` None is given files). Mixed, ``table`` pooled them into
    one family with one n and one interval. The same design resumes: new axis points, seeds,
    given files, mechanisms or parameters."""
    for row in rows:
        kind, theirs = row.get("axis"), row.get("design")
        if not isinstance(kind, str) or not kind:
            problem = f"rows of a sweep ({row.get('file')}, no knowledge axis)"
        elif isinstance(theirs, str) and theirs:
            problem = None if theirs == design else f"an experiment {theirs}"
        elif kind != axis:  # (rows written before rows had a design: what they do say)
            problem = f"an experiment along {kind}"
        else:
            problem = _other_family(row, family)
        if problem:
            raise CabenchError(f"{results}: holds {problem}; this experiment is {design}, and one results file holds "
                               "one design (its table would pool both): write it to another results file")


def _other_family(row: dict, family: Family | None) -> str | None:
    """How a row of older results (no ``design``) shows another family than ``family`` (None:
    given files), or None: given files against generated ones, another distribution, another
    number of goods or of players (bids are left out: the table distribution makes more than
    asked)."""
    given = isinstance(row.get("source_sha256"), str) and bool(row.get("source_sha256"))
    if family is None:
        return None if given else f"an experiment on generated instances ({row.get('distribution')})"
    if given:
        return f"an experiment on given files ({row.get('source_file')})"

    def whole(value) -> int | None:
        try:
            return int(float(value))
        except (TypeError, ValueError):
            return None

    if row.get("distribution") != family.distribution or whole(row.get("goods")) != family.goods or (
            family.players is not None and whole(row.get("players")) != family.players):
        return (f"an experiment on {row.get('distribution')}, {row.get('goods')} goods, "
                f"{row.get('players')} players")
    return None


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _write(path: Path, text: str) -> None:
    """Write ``text`` unless ``path`` holds it already (so a resumed experiment rewrites nothing)."""
    from instances.files import atomic_write_text

    if path.exists() and path.read_text(encoding="utf-8") == text:
        return
    atomic_write_text(path, text)


def instance_folder(results: Path) -> Path:
    """Where an experiment writes its instance files: ``RESULTS.instances/`` beside the results."""
    return results.with_name(results.name + ".instances")


def experiment_files(folder: Path, axis: Axis, seeds: list[int], *, family: Family | None = None,
                     sources: list[Path] = (), knowledge: str = "exact", coalitions: str = "none",
                     coalition_count: int = 1, made: list[Path] | None = None,
                     progress: Callable[[int, int], None] = lambda done, total: None) -> list[Path]:
    """Write the experiment's instance files into ``folder``; returns them in order (axis
    point, then family or source file, then seed). If this fails (a spec that does not fit a
    later point of the axis, an interruption), the files and the folder it made are removed;
    otherwise they are added to ``made`` (the folder last), for :func:`remove_made` should what
    follows fail. ``progress(done, total)`` follows the files written (drawing them may take
    longer than computing them: the command shows a bar).

    Generated instances keep their valuations across the axis (the generator draws them before
    the knowledge), so a line of the figure compares the same auctions under better or worse
    knowledge. A given file keeps its valuations; knowledge and coalitions are drawn anew
    (replacing any it has) with each seed."""
    loaded = [(path, read_instance_or_cats(str(path)), _sha(Path(path).read_text(encoding="utf-8")))
              for path in sources]
    made_folder = not folder.exists()
    make_folders(folder)
    files: list[tuple[tuple[int, int, int], Path]] = []
    created: list[Path] = []
    total = len(axis.values) * len(seeds) * ((family is not None) + len(loaded))
    progress(0, total)
    try:
        for place, inst in _instances(axis, seeds, family, loaded, knowledge, coalitions, coalition_count):
            path = folder / f"{inst.name}.json"
            if not path.exists():
                created.append(path)
            _write(path, instance_text(inst))
            files.append((place, path))
            progress(len(files), total)
    except BaseException:
        remove_made([*created, *([folder] if made_folder else [])])
        raise
    if made is not None:
        made += [*created, *([folder] if made_folder else [])]
    return [path for _, path in sorted(files, key=lambda item: item[0])]


def remove_made(made: list[Path]) -> None:
    """Remove the instance files and the folder :func:`experiment_files` made (the folder only if
    it is empty then)."""
    for path in made:
        with contextlib.suppress(OSError):  # a folder someone else wrote into is kept
            if path.is_dir():
                path.rmdir()
            else:
                path.unlink(missing_ok=True)


def _instances(axis: Axis, seeds: list[int], family: Family | None, loaded: list[tuple[Path, Instance, str]],
               knowledge: str, coalitions: str, coalition_count: int) -> Iterator[tuple[tuple[int, int, int], Instance]]:
    """The instances of :func:`experiment_files`, each with its place in the files' order (axis
    point, seed, then the family before each source file). A generated family is drawn seed by
    seed, each seed's auction once for every axis point (``instances.generate.draw_auction``:
    the valuations, most of the drawing, are the same at every point)."""
    from cabench.provenance import cats_record, read_record, with_record
    from instances.generate import draw_auction, generate_instance

    def point_of(value: Fraction) -> tuple[str, str, dict[str, str]]:
        spec_k, spec_c = axis.point(value, knowledge, coalitions, coalition_count)
        return spec_k, spec_c, {"axis": axis.kind, "axis_value": axis.shown(value), "knowledge": spec_k,
                                "coalitions": spec_c,
                                "design": design_of(axis, family, knowledge, coalitions, coalition_count)}

    if family is not None:
        for s, seed in enumerate(seeds):
            auction = draw_auction(family.distribution, family.goods, family.bids, family.players, seed)
            for p, value in enumerate(axis.values):
                spec_k, spec_c, point = point_of(value)
                with blamed_on_axis(axis, value):
                    inst = generate_instance(family.distribution, family.goods, family.bids, family.players, seed,
                                             spec_k, spec_c, MAX_INPUT_BYTES, auction)  # (files the sweep reads back)
                yield (p, s, 0), with_record(inst, distribution=family.distribution, goods=family.goods,
                                             bids=family.bids,
                                             players=family.players if family.players is not None else "bidders",
                                             seed=seed, **point)
    for p, value in enumerate(axis.values):
        spec_k, spec_c, point = point_of(value)
        for s, seed in enumerate(seeds):
            for j, (path, source, sha) in enumerate(loaded, start=1):
                with blamed_on_axis(axis, value):
                    _check_fits(source, spec_c, path)
                    inst = annotate(source, spec_k, spec_c, seed, replace=True, most_bytes=MAX_INPUT_BYTES)
                name = f"{Path(path).stem}-{sha[:8]}-k{spec_k.replace(':', '')}-c{spec_c.replace(':', '')}-s{seed}"
                made_from = {k: v for k, v in (read_record(source) or cats_record(path)).items()
                             if k in ("distribution", "goods", "bids", "players")}
                yield (p, s, j), _renamed(with_record(inst, **made_from, source_file=str(path), source_sha256=sha,
                                                      seed=seed, **point), name)


@contextlib.contextmanager
def blamed_on_axis(axis: Axis, value: Fraction) -> Iterator[None]:
    """The axis's point is the knowledge (or, on the coalition-size axis, the coalitions) of its
    instances: an error about ``--knowledge`` or ``--coalitions`` that the user did not give is
    said of ``--axis`` and its value (``--axis candidates:9: what``, ``--axis coalition-size:5:
    what``), a :class:`SpecError` as the models' own, whether found before any work (``cabench
    experiment``, a number of players) or as the instances are drawn (bidders, files)."""
    try:
        yield
    except CabenchError as exc:  # (a SpecError, from the knowledge models, is one)
        flag = "--coalitions" if axis.kind == "coalition-size" else "--knowledge"
        found = re.search(rf"{flag}(?: \S+?)?: ", str(exc))
        if found is None:
            raise
        where, what = str(exc)[:found.start()], str(exc)[found.end():]
        raise SpecError(f"{where}--axis {axis.kind}:{_number(value)}: {what}") from None


def _renamed(instance: Instance, name: str) -> Instance:
    from dataclasses import replace

    return replace(instance, name=name)


def _check_fits(instance: Instance, coalitions: str, path: Path) -> None:
    try:
        parse_coalitions(coalitions, instance.n)
    except SpecError as exc:
        raise CabenchError(f"{path}: {exc}") from None
