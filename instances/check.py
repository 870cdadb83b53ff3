"""The rules of an instance file, checked on an :class:`~instances.model.Instance` built in memory.

The loader checks every rule of the file format while it reads (``instances.loader``), so an
instance read from a file is valid. One built in Python (``Instance(...)``, or an instance read
and then changed with ``dataclasses.replace``) is not read: a coalition naming player index 7 of
3 players ended in an ``IndexError`` deep in a program's construction. :func:`check_instance`
applies the same rules to the object and names the field as a Python path
(``coalitions[0][1]``), the way the loader names a JSON path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from itertools import chain
from operator import attrgetter, itemgetter
from typing import Any

from instances.errors import InputError, quoted
from instances.loader import MAX_GOODS, MAX_TABLE_GOODS, has_surrogate, printed_as
from instances.model import READINGS, Candidates, Instance, LowerBounds
from instances.units import MAX_ABS_VALUE, MAX_SCALE, is_power_of_ten
from instances.valuation import Form, Valuation

__all__ = ["check_instance"]

_FORM, _BIDS, _MASK, _VALUE = attrgetter("form"), attrgetter("bids"), itemgetter(0), itemgetter(1)


def check_instance(instance: Any) -> Instance:
    """``instance`` if it keeps every rule of the instance file (docs/file-format.md), else an
    :class:`~instances.errors.InputError` naming the attribute.

    The rules are those of seed 000 §2 Definition 5 (true valuations, collusion structure as
    disjoint coalitions, external knowledge about the other players), seed 001 Definition 1
    (candidate sets), and seed 003 §3 (disjoint endowments), with the file format's ranges.

    Parameters
    ----------
    instance : Instance
        An instance built in memory.

    Returns
    -------
    Instance
        ``instance``, with its coalitions in the loader's order (each one's members increasing,
        the coalitions by their lowest member) if they were not.

    Raises
    ------
    InputError
        Naming the instance, the attribute (``valuations[2].bids[0]``) and what is expected.

    Examples
    --------
    >>> import dataclasses
    >>> from instances import load_instance
    >>> from instances.check import check_instance
    >>> inst = load_instance("instances/examples/seed004-example.json")
    >>> check_instance(inst) is inst
    True
    >>> check_instance(dataclasses.replace(inst, coalitions=((0, 7),)))
    Traceback (most recent call last):
    ...
    instances.errors.InputError: instance "seed-004-example": coalitions[0][1]: player 7 out of range; expected 0 to 2 (indices into players, which has 3)
    """
    if not isinstance(instance, Instance):
        raise InputError("instance", "", f"a {type(instance).__name__}; expected an Instance")
    _Checker(instance).check()
    # in the loader's order (the JSON output lists them so): members increasing, by lowest member
    coalitions = tuple(sorted(tuple(sorted(c)) for c in instance.coalitions))
    # (checked at every call: its knowledge is dicts, which may change after a call, so no mark
    # of a check can be trusted; 0.35 s at 1000 players with a million bounds)
    return instance if coalitions == instance.coalitions else replace(instance, coalitions=coalitions)


class _Checker:
    """One method per attribute of :class:`Instance`, in the order of the file format."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        name = instance.name
        self.source = f"instance {quoted(name)}" if isinstance(name, str) else "instance"
        self.seen: set[int] = set()  # ids of the valuations checked (readers share equal ones)

    def fail(self, path: str, message: str) -> InputError:
        return InputError(self.source, path, message)

    def check(self) -> None:
        inst = self.instance
        if not isinstance(inst.name, str):
            raise self.fail("name", f"a {type(inst.name).__name__}; expected a str")
        if inst.description is not None and not isinstance(inst.description, str):
            raise self.fail("description", f"a {type(inst.description).__name__}; expected a str or None")
        for field in ("name", "description"):
            if has_surrogate(getattr(inst, field) or ""):
                raise self.fail(field, "holds a lone surrogate (invalid Unicode)")
        self._names("goods", inst.goods)
        if len(inst.goods) > MAX_GOODS:
            raise self.fail("goods", f"{len(inst.goods)} goods; expected at most {MAX_GOODS}")
        self._names("players", inst.players)
        if type(inst.scale) is not int or not is_power_of_ten(inst.scale) or inst.scale > MAX_SCALE:
            raise self.fail("scale", f"{inst.scale!r}; expected a power of ten from 1 to {MAX_SCALE:,}")
        if inst.coalition_knowledge not in READINGS:
            raise self.fail("coalition_knowledge", f"{inst.coalition_knowledge!r}; expected one of "
                                                   f"{', '.join(map(repr, READINGS))}")
        self._endowment()  # (before the valuations: it says whether values may be negative)
        self._per_player("valuations", inst.valuations)
        self._per_player("knowledge", inst.knowledge)
        self._coalitions()
        if not self._all_valid():  # (then the loops below name the first problem)
            for i, v in enumerate(inst.valuations):
                self._valuation(f"valuations[{i}]", v)
            for i, known in enumerate(inst.knowledge):
                self._knowledge(i, known)

    def _all_valid(self) -> bool:
        """Whether every valuation and every piece of knowledge keeps the rules, looked at in
        bulk with no Python step per bid or per bound: a file with knowledge at 1000 players
        holds a million bounds, which the loops of :meth:`_valuation` and :meth:`_profile` took
        1.4 s to check. False says only that the loops must look (it is never True for an
        invalid instance)."""
        inst = self.instance
        n, valuations = len(inst.players), inst.valuations
        distinct = dict(zip(map(id, valuations), valuations))
        for owner, known in enumerate(inst.knowledge):
            if known is None:
                continue
            if type(known) is LowerBounds:
                profiles: Any = (known.bounds,)
            elif type(known) is Candidates and type(known.profiles) is tuple and known.profiles:
                profiles = known.profiles
            else:
                return False
            for profile in profiles:
                if type(profile) is not dict:
                    return False
                if profile and (owner in profile or set(map(type, profile)) != {int} or min(profile) < 0
                                or max(profile) >= n):
                    return False
                found = list(profile.values())
                distinct.update(zip(map(id, found), found))
        found = list(distinct.values())
        if set(map(type, found)) != {Valuation}:
            return False
        forms = set(map(id, map(_FORM, found)))
        if not forms <= {id(Form.XOR), id(Form.OR)}:  # the rarer forms have rules per valuation
            if not forms <= set(map(id, Form)):
                return False
            try:
                for v in found:
                    if v.form is not Form.XOR and v.form is not Form.OR:
                        self._valuation("", v)
            except InputError:
                return False
        lists = list(map(_BIDS, found))
        if set(map(type, lists)) != {tuple}:
            return False
        bids = list(chain.from_iterable(lists))
        if not bids:
            return True
        if set(map(type, bids)) != {tuple} or set(map(len, bids)) != {2}:
            return False
        masks, values = list(map(_MASK, bids)), list(map(_VALUE, bids))
        low = -MAX_ABS_VALUE if inst.endowment is not None else 0
        return (set(map(type, masks)) == {int} and min(masks) >= 1 and max(masks) < 1 << len(inst.goods)
                and set(map(type, values)) == {int} and min(values) >= low and max(values) <= MAX_ABS_VALUE)

    def _names(self, field: str, names: Any) -> None:
        if not isinstance(names, tuple):
            raise self.fail(field, f"a {type(names).__name__}; expected a tuple of str")
        if not names:
            raise self.fail(field, "empty; expected at least one name")
        shown: dict[str, int] = {}
        for k, name in enumerate(names):
            if not isinstance(name, str) or not name:
                raise self.fail(f"{field}[{k}]", f"{name!r}; expected a non-empty str")
            if has_surrogate(name):  # (no file can hold it: writing ended in a UnicodeEncodeError)
                raise self.fail(f"{field}[{k}]", f"{quoted(name)} holds a lone surrogate (invalid Unicode)")
            printed = printed_as(name)
            if not printed:
                raise self.fail(f"{field}[{k}]", f"{quoted(name)} prints as nothing; expected a visible name")
            if printed in shown:
                raise self.fail(f"{field}[{k}]", f"{quoted(name)} reads the same as {field}[{shown[printed]}]; "
                                                 "expected distinct names")
            shown[printed] = k

    def _per_player(self, field: str, items: Any) -> None:
        n = len(self.instance.players)
        if not isinstance(items, tuple) or len(items) != n:
            size = f"{len(items)} items" if isinstance(items, (tuple, list)) else f"a {type(items).__name__}"
            raise self.fail(field, f"{size}; expected a tuple of {n}, one per player")

    def _player(self, path: str, j: Any) -> int:
        n = len(self.instance.players)
        if type(j) is not int:  # (a NumPy integer too: it was said to be "out of range")
            raise self.fail(path, f"player {j!r}, a {type(j).__name__}; expected an int, an index into players")
        if not 0 <= j < n:
            raise self.fail(path, f"player {j!r} out of range; expected 0 to {n - 1} (indices into players, which "
                                  f"has {n})")
        return j

    def _bundle(self, path: str, mask: Any, empty: bool = False) -> None:
        if type(mask) is not int or not (0 if empty else 1) <= mask < 1 << len(self.instance.goods):
            what = "a bundle mask" if empty else "a non-empty bundle mask"
            raise self.fail(path, f"{mask!r}; expected {what} of the {len(self.instance.goods)} goods (an int, "
                                  f"bit k for goods[k])")

    def _valuation(self, path: str, v: Any) -> None:
        if id(v) in self.seen:
            return
        if not isinstance(v, Valuation):
            raise self.fail(path, f"a {type(v).__name__}; expected a Valuation (a Form and a tuple of bids)")
        if not isinstance(v.form, Form):  # (it said "a Valuation; expected a Valuation")
            raise self.fail(f"{path}.form", f"{v.form!r}; expected a Form, such as Form.XOR "
                                            f"(Form({v.form!r}) if it is a form's name)")
        if not isinstance(v.bids, tuple):
            raise self.fail(f"{path}.bids", f"a {type(v.bids).__name__}; expected a tuple of (bundle mask, value) "
                                            "pairs")
        low = -MAX_ABS_VALUE if self.instance.endowment is not None else 0
        for k, bid in enumerate(v.bids):
            if not isinstance(bid, tuple) or len(bid) != 2:
                raise self.fail(f"{path}.bids[{k}]", f"{bid!r}; expected a pair (bundle mask, value)")
            mask, value = bid
            self._bundle(f"{path}.bids[{k}][0]", mask)
            if type(value) is not int or not low <= value <= MAX_ABS_VALUE:
                negative = type(value) is int and -MAX_ABS_VALUE <= value < 0
                raise self.fail(f"{path}.bids[{k}][1]", f"{value!r}; expected an int from {'-10^12' if low else 0} to "
                                f"10^12{' (negative values only in a market: an instance with an endowment)' if negative else ''}")
            if v.form is Form.ADDITIVE and mask & (mask - 1):
                raise self.fail(f"{path}.bids[{k}][0]", "a bundle of several goods; an additive valuation has one "
                                                        "bid per good")
        if v.form is Form.TABLE and len(self.instance.goods) > MAX_TABLE_GOODS:
            raise self.fail(path, f"a table over {len(self.instance.goods)} goods; tables hold at most "
                                  f"{MAX_TABLE_GOODS} (2^m entries), use another form")
        if v.form is Form.SINGLE_MINDED and len(v.bids) != 1:
            raise self.fail(f"{path}.bids", f"{len(v.bids)} bids; a single-minded valuation has exactly one")
        if v.form in (Form.EXPLICIT, Form.TABLE, Form.ADDITIVE) and len({b for b, _ in v.bids}) != len(v.bids):
            raise self.fail(f"{path}.bids", f"a bundle listed twice; a valuation of form {v.form.value} lists each "
                                            "bundle once")
        self.seen.add(id(v))

    def _knowledge(self, owner: int, known: Any) -> None:
        path = f"knowledge[{owner}]"
        if known is None:
            return
        if isinstance(known, LowerBounds):
            self._profile(f"{path}.bounds", owner, known.bounds)
        elif isinstance(known, Candidates):
            if not isinstance(known.profiles, tuple) or not known.profiles:
                raise self.fail(f"{path}.profiles", "expected a non-empty tuple of candidate profiles")
            for k, profile in enumerate(known.profiles):
                self._profile(f"{path}.profiles[{k}]", owner, profile)
        else:
            raise self.fail(path, f"a {type(known).__name__}; expected LowerBounds, Candidates or None")

    def _profile(self, path: str, owner: int, profile: Any) -> None:
        if not isinstance(profile, Mapping):
            raise self.fail(path, f"a {type(profile).__name__}; expected a mapping of player index to Valuation")
        for j, v in profile.items():
            self._player(f"{path}[{j!r}]", j)
            if j == owner:
                raise self.fail(f"{path}[{j}]", "knowledge about oneself; a player knows its own valuation exactly")
            self._valuation(f"{path}[{j}]", v)

    def _coalitions(self) -> None:
        coalitions = self.instance.coalitions
        if not isinstance(coalitions, tuple):
            raise self.fail("coalitions", f"a {type(coalitions).__name__}; expected a tuple of tuples of player "
                                          "indices")
        where: dict[int, int] = {}
        for c, members in enumerate(coalitions):
            if not isinstance(members, tuple) or len(members) < 2:
                raise self.fail(f"coalitions[{c}]", f"{members!r}; expected a tuple of two or more player indices")
            for k, j in enumerate(members):
                self._player(f"coalitions[{c}][{k}]", j)
                if j in where:
                    other = "this coalition" if where[j] == c else f"coalitions[{where[j]}]"
                    raise self.fail(f"coalitions[{c}][{k}]", f"player {j} is already in {other}; expected disjoint "
                                                             "coalitions")
                where[j] = c

    def _endowment(self) -> None:
        endowment = self.instance.endowment
        if endowment is None:
            return
        self._per_player("endowment", endowment)
        owned = 0
        for i, mask in enumerate(endowment):
            self._bundle(f"endowment[{i}]", mask, empty=True)
            if mask & owned:
                raise self.fail(f"endowment[{i}]", "a good already endowed to another player; expected disjoint "
                                                   "endowments")
            owned |= mask
