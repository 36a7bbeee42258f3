"""Disclosure control of the GDX feed's counts: none of 1–4 people is published, or can be worked out.

Folding (feed.suppress) has already made every headcount safe: each published record, each
of its IT and Non-IT groups, and the people a record holds beyond its published sub-records
(its *remainder*), is empty or at least ``MINIMUM_CELL`` people. What is left is every other
count: trained (per fiscal year), attained, and attained per skill area. Each such count,
a *measure*, is protected on its own, as no linear relation ties two measures together.

The cells of a measure are, for each published record and each column (IT, Non-IT, all),
its count over the record's people with everything beneath. Published figures satisfy

* all = IT + Non-IT, in each record (across the populations);
* record = its remainder + the sum of its published sub-records, per column (parent and
  children; the remainder is never published but is what a subtraction gives);
* untrained = headcount - trained, and likewise for every count (the complement).

A cell is *small* when its count or its complement is 1–4 people. Every small cell is
withheld (primary suppression), and a small remainder is a cell to protect as well. Then
each of them gets a *witness* (secondary suppression): a change to the hidden counts that
keeps every published figure, every relation and every count within 0..headcount, and gives
the small cell a value that is not small. The cells the change touches are withheld too.
A witness is a table that agrees with everything published in which the cell is not small,
so no subtraction, nor any combination of them, can show the cell to be 1–4 people.
Witnesses are sought among the record, its parent, its sub-records and its siblings (then
any unit beneath it) and the cheapest is taken: the fewest people counted in the cells
newly withheld, plus one per cell (a ministry's large figure costs more than two
divisions'); a measure with no witness in a ministry's tree is withheld in the whole tree.
Every step is in tree order, so the result depends only on the
counts of one ministry's tree and of that measure, never on the fiscal year for a measure
that does not change with it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

#: The smallest number of people a published cell may hold, or fall short of its headcount by.
MINIMUM_CELL = 5

IT, NON_IT, ALL = 0, 1, 2
COLUMNS = (IT, NON_IT, ALL)
_GROUPS = {IT: (IT,), NON_IT: (NON_IT,), ALL: (IT, NON_IT)}

#: (record index, column)
Cell = tuple[int, int]
#: (record index, group): the record's people of one group beyond its published sub-records.
Atom = tuple[int, int]
#: A target: (kind, record index, column); kind "c" is the record's cell, "r" its remainder.
Target = tuple[str, int, int]
#: A change to hidden counts: each atom moves by its sign times the number of steps.
Change = tuple[tuple[Atom, int], ...]


@dataclass(frozen=True)
class RecordCounts:
    """One published record: its people per group (IT, Non-IT) and each measure's count per group."""

    agency_id: int
    #: The nearest published record above it; None for a ministry.
    parent_id: int | None
    headcount: tuple[int, int]
    counts: Mapping[str, tuple[int, int]]


def small(count: int, whole: int) -> bool:
    """Whether a count, or what its group holds beyond it, is 1–4 people."""
    return 0 < count < MINIMUM_CELL or 0 < whole - count < MINIMUM_CELL


def withhold(
    records: Sequence[RecordCounts], measures: Sequence[str], everyone: bool = True
) -> dict[int, tuple[frozenset[str], ...]]:
    """Per record (agency id): the measures withheld in each column (IT, Non-IT, all).

    ``records`` come in tree order (parents first), every record's parent among them.
    The IT column is decided first from the IT counts alone; without ``everyone`` only it
    is decided and the Non-IT counts are not read (the IT feed need not compute them).
    """
    table = _Table(records)
    withheld: dict[int, tuple[set[str], set[str], set[str]]] = {r.agency_id: (set(), set(), set()) for r in records}
    for measure in measures:
        for index, column in table.protect(measure, everyone):
            withheld[records[index].agency_id][column].add(measure)
    return {agency_id: tuple(frozenset(sets) for sets in columns) for agency_id, columns in withheld.items()}


class _Table:
    """The tree of published records, and the protection of one measure at a time."""

    def __init__(self, records: Sequence[RecordCounts]) -> None:
        self.records = records
        index = {record.agency_id: number for number, record in enumerate(records)}
        self.parent = [index[r.parent_id] if r.parent_id is not None else None for r in records]
        self.children: list[list[int]] = [[] for _ in records]
        for number, parent in enumerate(self.parent):
            if parent is not None:
                self.children[parent].append(number)
        #: Each record with the records above it, itself first.
        self.lineage: list[tuple[int, ...]] = []
        for number, parent in enumerate(self.parent):
            self.lineage.append((number,) if parent is None else (number, *self.lineage[parent]))
        self.root = [lineage[-1] for lineage in self.lineage]
        self.within: list[set[int]] = [set() for _ in records]  # each record's subtree
        for number, lineage in enumerate(self.lineage):
            for above in lineage:
                self.within[above].add(number)
        self.headcount, self.rest_headcount = self._cells([record.headcount for record in records])
        self._candidate_cache: dict[tuple[Target, bool, int], list[tuple[Change, frozenset[Cell]]]] = {}

    def _cells(self, pairs: Sequence[tuple[int, int]]) -> tuple[dict[Cell, int], dict[Atom, int]]:
        """Each record's cells and remainders (IT, Non-IT, all) from its (IT, Non-IT) counts."""
        cells: dict[Cell, int] = {}
        rest: dict[Atom, int] = {}
        for number, (it, non_it) in enumerate(pairs):
            cells[number, IT], cells[number, NON_IT], cells[number, ALL] = it, non_it, it + non_it
            rest[number, IT], rest[number, NON_IT] = it, non_it
        for number, parent in enumerate(self.parent):
            if parent is not None:
                rest[parent, IT] -= pairs[number][IT]
                rest[parent, NON_IT] -= pairs[number][NON_IT]
        for number in range(len(pairs)):
            rest[number, ALL] = rest[number, IT] + rest[number, NON_IT]
        return cells, rest

    # --- one measure -------------------------------------------------------------------------

    def protect(self, measure: str, everyone: bool) -> set[Cell]:
        """The cells of a measure to withhold: the IT column's first, from the IT counts alone, then the others'."""
        values, rest = self._cells([record.counts[measure] for record in self.records])
        withheld: set[Cell] = set()
        self._secure(self._targets((IT,), values, rest), _Measure(values, rest, withheld, it_only=True))
        if everyone:
            # The IT column stays as decided: a witness may move IT cells only where they are withheld already.
            targets = self._targets((NON_IT, ALL), values, rest)
            self._secure(targets, _Measure(values, rest, withheld, it_only=False))
        return withheld

    def _targets(self, columns: Sequence[int], values: Mapping[Cell, int], rest: Mapping[Atom, int]) -> list[Target]:
        """The small cells and remainders of the columns, in tree order."""
        targets: list[Target] = []
        headcount, rest_headcount = self.headcount, self.rest_headcount
        for number in range(len(self.records)):
            for column in columns:
                if column == ALL and headcount[number, NON_IT] == 0:
                    continue  # the same people as the IT column, protected with it
                if small(values[number, column], headcount[number, column]):
                    targets.append(("c", number, column))
                # A record without sub-records: its remainder is its cell.
                if self.children[number] and small(rest[number, column], rest_headcount[number, column]):
                    targets.append(("r", number, column))
        return targets

    def _secure(self, targets: Sequence[Target], measure: _Measure) -> None:
        """Withhold each target and the cells of its witness; a tree without one is withheld whole."""
        columns = (IT, ALL) if measure.it_only else (NON_IT, ALL)
        measure.withheld |= {(number, column) for kind, number, column in targets if kind == "c"}
        whole_trees: set[int] = set()
        for target in targets:
            root = self.root[target[1]]
            if root in whole_trees:
                continue
            touched = self._witness(target, measure)
            if touched is None:
                whole_trees.add(root)
                measure.withheld |= {(number, column) for number in self.within[root] for column in columns}
            else:
                measure.withheld |= touched

    def _inside(self, target: Target, atom: Atom) -> bool:
        """Whether the target's count includes the atom's people."""
        kind, number, column = target
        if atom[1] not in _GROUPS[column]:
            return False
        return atom[0] == number if kind == "r" else atom[0] in self.within[number]

    def _pools(self, number: int, it_only: bool) -> list[tuple[list[Atom], bool]]:
        """Atoms to build witnesses from, nearest first; True where singles only are tried."""
        groups = (IT,) if it_only else (IT, NON_IT)

        def atoms(numbers: Sequence[int]) -> list[Atom]:
            return [(n, g) for n in numbers for g in groups if self.rest_headcount[n, g] > 0]

        parent = self.parent[number]
        near = [number] if parent is None else [number, parent]
        siblings = [] if parent is None else [s for s in self.children[parent] if s != number]
        return [
            (atoms(near), False),
            (atoms(near + self.children[number] + siblings), False),
            (atoms(sorted(self.within[number])), True),
        ]

    def _candidates(self, target: Target, it_only: bool) -> Iterator[list[tuple[Change, frozenset[Cell]]]]:
        """Per pool, nearest first: each change that can witness the target, with the cells it moves.

        They depend on the tree alone, so every measure shares them; a pool is built when first reached.
        """
        pools: list[tuple[list[Atom], bool]] | None = None
        for tier in range(3):
            key = (target, it_only, tier)
            if key not in self._candidate_cache:
                pools = pools or self._pools(target[1], it_only)
                pool, singles_only = pools[tier]
                changes = self._changes(target, pool, singles_only)
                self._candidate_cache[key] = [(change, self._touched(change)) for change in changes]
            yield self._candidate_cache[key]

    def _witness(self, target: Target, measure: _Measure) -> frozenset[Cell] | None:
        """The cells a witness of the target moves (the cheapest of the nearest pool), or None."""
        kind, number, column = target
        rest = measure.rest
        if kind == "c":
            value, whole = measure.values[number, column], self.headcount[number, column]
        else:
            value, whole = rest[number, column], self.rest_headcount[number, column]
        withheld = measure.withheld
        best: tuple[tuple[int, int], frozenset[Cell]] | None = None
        for tier, candidates in enumerate(self._candidates(target, measure.it_only)):
            for change, touched in candidates:
                new = [cell for cell in touched if cell not in withheld]
                if not measure.it_only and any(cell[1] == IT for cell in new):
                    continue  # the IT column is decided: no witness may take another of its cells
                # What is lost: the people the newly withheld cells count, and one for each cell.
                loss = measure.loss
                cost = (sum(loss[cell] for cell in new), len(new))
                if best is not None and cost >= best[0]:
                    continue
                if self._reaches_safety(change, rest, value, whole):
                    best = (cost, touched)
                    if not new:
                        return touched
            # The record and its parent first: a witness there that withholds only the record's own cells
            # (not its parent's, nor a ministry's) is as good as any further away.
            if best is not None and (tier >= 1 or all(cell[0] == number for cell in best[1])):
                break
        return None if best is None else best[1]

    def _changes(self, target: Target, pool: list[Atom], singles_only: bool) -> Iterator[Change]:
        """Changes to the hidden counts that move the target by one per step."""
        inside = [atom for atom in pool if self._inside(target, atom)]
        outside = [atom for atom in pool if not self._inside(target, atom)]
        for atom in inside:
            yield ((atom, 1),)
        if singles_only:
            return
        for atom in inside:
            for other in outside:
                yield ((atom, 1), (other, -1))
        if target[2] == ALL:
            return
        # Swap one group for the other in two records: the all-personnel figures stay as they are.
        available = set(pool)
        for record, group in inside:
            twin = (record, 1 - group)
            if twin not in available or self._inside(target, twin):
                continue
            for elsewhere, other_group in outside:
                if other_group == group and elsewhere != record and (elsewhere, 1 - group) in available:
                    yield (((record, group), 1), (twin, -1), ((elsewhere, group), -1), ((elsewhere, 1 - group), 1))

    def _reaches_safety(self, change: Change, rest: Mapping[Atom, int], value: int, whole: int) -> bool:
        """Whether some number of steps keeps every hidden count within 0..headcount and the target safe."""
        low, high = -whole, whole  # steps; a step moves the target by one
        for atom, sign in change:
            count, people = rest[atom], self.rest_headcount[atom]
            if sign > 0:
                low, high = max(low, -count), min(high, people - count)
            else:
                low, high = max(low, count - people), min(high, count)
        if low > high:
            return False
        reachable = (value + low, value + high)
        safe = [(0, 0), (whole, whole)]
        if whole >= 2 * MINIMUM_CELL:
            safe.append((MINIMUM_CELL, whole - MINIMUM_CELL))
        return any(max(start, reachable[0]) <= min(end, reachable[1]) for start, end in safe)

    def _touched(self, change: Change) -> frozenset[Cell]:
        """The published cells a change moves."""
        moves: dict[Cell, int] = {}
        for (number, group), sign in change:
            for above in self.lineage[number]:
                moves[above, group] = moves.get((above, group), 0) + sign
                moves[above, ALL] = moves.get((above, ALL), 0) + sign
        return frozenset(cell for cell, move in moves.items() if move)


@dataclass
class _Measure:
    """One measure's counts, what is withheld of it so far, and which columns are being decided."""

    values: dict[Cell, int]
    rest: dict[Atom, int]
    withheld: set[Cell]
    #: Deciding the IT column: only IT people's counts may be read.
    it_only: bool

    #: What withholding a cell loses: the people it counts, and one for the cell (see __post_init__).
    loss: dict[Cell, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Deciding the IT column, a cell's loss is what its IT people count: the Non-IT counts are not read.
        values = self.values
        self.loss = {cell: (values[cell[0], IT] if self.it_only else value) + 1 for cell, value in values.items()}
