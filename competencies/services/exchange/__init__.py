"""Frameworks in and out: 1EdTech CASE 1.0 packages and a Moodle-style CSV.

How a framework maps onto a CASE 1.0 CFPackage (``export_case``; ``import_case`` reads the same):

- CFDocument: identifier = ``Framework.identifier``, title = ``name_en``, description = ``description_en``,
  version, language ``en``, adoptionStatus from the status (draft: Draft, active: Adopted, retired:
  Deprecated). On import the status comes from the caller: publishing a framework is an admin's decision.
- CFItems, one per competency: identifier, fullStatement = ``name_en``, humanCodingScheme = ``code``,
  notes = ``description_en`` (where DigComp keeps its descriptors), CFItemType "Competency Area" for items
  without a parent and "Competency" otherwise, listEnumeration = ``sort_order``, language ``en``.
- The core flag: conceptKeywords ``["core"]`` or ``["optional"]`` (core when any keyword is "core").
- Thai text: CASE 1.0 gives a node one language and no extension point, so the Thai name and description
  travel in the node's free text (``notes`` of the CFDocument and CFItems, ``description`` of a rubric
  level) as a tagged block after the English text and a blank line: a line ``[th] <Thai name>``, then the
  Thai description. A node without the block imports with its English text as the Thai name. Export
  refuses (ExchangeError) the two things the block cannot carry: a line break in a Thai name, and an
  English text with a line of its own beginning ``[th] ``.
- The framework code: a first line ``[code] <code>`` of the CFDocument notes; a package without it gets a
  code from its title (``DigComp 2.2``: ``DIGCOMP-2-2``), unless the caller passes one.
- The tree: one isChildOf CFAssociation from each item to its parent item, or to the CFDocument for an
  area; sequenceNumber = the position among siblings. Other association types are ignored on import.
- The scale: one CFRubric with one criterion and a CFRubricCriterionLevel per level: score = position =
  the level, quality = ``"<code> – <name_en>"`` (the DigComp rubric's pattern), description =
  ``description_en`` with the Thai block, and feedback ``Proficient`` on the level flagged proficient.
- Order: when every item's listEnumeration is a distinct whole number (as in our exports) it becomes
  ``sort_order``; otherwise (per-sibling numbering, as in DigComp) items are numbered depth first, siblings
  by listEnumeration, then sequenceNumber, then their place in the package.

``import_case(export_case(f))`` re-creates ``f``: identifiers, code, version, names, descriptions, tree,
core flags, order and scale. Identifiers are unique columns, so a copy beside the original needs
``new_identifiers=True`` (fresh UUIDs) and another code or version.
"""

from __future__ import annotations

from competencies.services.exchange.case_import import import_case
from competencies.services.exchange.csv_import import import_framework_csv, read_framework_csv
from competencies.services.exchange.document import (
    ADOPTION_STATUS,
    AREA_TYPE,
    CODE_LENGTH,
    CODE_TAG,
    COMPETENCY_TYPE,
    CORE_KEYWORD,
    CSV_COLUMNS,
    LEVEL_CODE_LENGTH,
    NAME_LENGTH,
    OPTIONAL_KEYWORD,
    PROFICIENT_FEEDBACK,
    QUALITY_SEPARATOR,
    THAI_TAG,
    VERSION_LENGTH,
    ExchangeError,
)
from competencies.services.exchange.exporting import export_case

__all__ = [
    "ADOPTION_STATUS",
    "AREA_TYPE",
    "CODE_LENGTH",
    "CODE_TAG",
    "COMPETENCY_TYPE",
    "CORE_KEYWORD",
    "CSV_COLUMNS",
    "LEVEL_CODE_LENGTH",
    "NAME_LENGTH",
    "OPTIONAL_KEYWORD",
    "PROFICIENT_FEEDBACK",
    "QUALITY_SEPARATOR",
    "THAI_TAG",
    "VERSION_LENGTH",
    "ExchangeError",
    "export_case",
    "import_case",
    "import_framework_csv",
    "read_framework_csv",
]
