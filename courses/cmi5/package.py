"""Reading a cmi5 course package: a ZIP with ``cmi5.xml`` at its root, or a bare ``cmi5.xml``.

The course structure is checked against the rules of the cmi5 CourseStructure.xsd (elements,
their order and counts, attributes and their types, extension elements and attributes in
other namespaces only) and against the spec's own rules (ids are IRIs and unique, objective
references resolve, AU URLs are URLs whose query strings leave the launch parameters alone,
relative URLs point into the ZIP). Every problem is reported with its line and element; a
package with any problem is rejected as a whole.
"""

from __future__ import annotations

import io
import mimetypes
import posixpath
import re
import zipfile
import zlib
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, BinaryIO
from urllib.parse import parse_qsl, unquote, urlsplit

from lxml import etree

from lrs import StatementError, validate_iri

NS = "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
STRUCTURE_FILE = "cmi5.xml"
MOVE_ON_VALUES = ("NotApplicable", "Passed", "Completed", "CompletedAndPassed", "CompletedOrPassed")
LAUNCH_METHODS = ("AnyWindow", "OwnWindow")
#: The query parameters the LMS adds to every launch URL (cmi5 8.1).
LAUNCH_PARAMETERS = ("endpoint", "fetch", "actor", "registration", "activityId")
MAX_FILES = 20_000
MB = 1024 * 1024
_CHUNK = 64 * 1024
_LANGUAGE = re.compile(r"[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*")
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


class PackageError(ValueError):
    """A package that cannot be imported; ``problems`` lists every reason, each naming where."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass
class ObjectiveSpec:
    id: str
    title: dict[str, str]
    description: dict[str, str]


@dataclass
class AuSpec:
    id: str
    title: dict[str, str]
    description: dict[str, str]
    url: str
    objectives: list[str] = field(default_factory=list)
    move_on: str = "NotApplicable"
    launch_method: str = "AnyWindow"
    mastery_score: Decimal | None = None
    launch_parameters: str | None = None
    entitlement_key: str | None = None
    activity_type: str | None = None


@dataclass
class BlockSpec:
    id: str
    title: dict[str, str]
    description: dict[str, str]
    objectives: list[str] = field(default_factory=list)
    children: list[BlockSpec | AuSpec] = field(default_factory=list)


@dataclass
class CourseSpec:
    id: str
    title: dict[str, str]
    description: dict[str, str]
    objectives: list[ObjectiveSpec] = field(default_factory=list)
    children: list[BlockSpec | AuSpec] = field(default_factory=list)

    def aus(self) -> Iterator[AuSpec]:
        def walk(nodes: list[BlockSpec | AuSpec]) -> Iterator[AuSpec]:
            for node in nodes:
                if isinstance(node, AuSpec):
                    yield node
                else:
                    yield from walk(node.children)

        return walk(self.children)


@dataclass(frozen=True)
class Limits:
    """How large a ZIP package may unpack: a ZIP bomb is refused before anything is unpacked."""

    #: The package's files together, unpacked.
    package_bytes: int = 512 * MB
    #: Any one file, unpacked.
    file_bytes: int = 256 * MB
    #: The largest ratio of unpacked to packed size, of the whole package and of any file over 1 MB
    #: (small files of repeated text compress well without being a threat).
    ratio: float = 100.0
    files: int = MAX_FILES

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Limits:
        """The limits an app is configured with (ACADEMY_CMI5_MAX_*)."""
        return cls(
            package_bytes=int(float(config.get("ACADEMY_CMI5_MAX_PACKAGE_MB", 512)) * MB),
            file_bytes=int(float(config.get("ACADEMY_CMI5_MAX_FILE_MB", 256)) * MB),
            ratio=float(config.get("ACADEMY_CMI5_MAX_RATIO", 100)),
        )


@dataclass
class Package:
    """A valid package: its course structure and, for a ZIP, its files by path (not yet unpacked)."""

    name: str
    structure: CourseSpec
    #: path -> its ZIP entry; unpacked only by ``copy_file``, which counts what it writes.
    files: dict[str, zipfile.ZipInfo] = field(default_factory=dict)
    archive: zipfile.ZipFile | None = None
    limits: Limits = field(default_factory=Limits)

    @staticmethod
    def content_type(path: str) -> str:
        guessed, _encoding = mimetypes.guess_type(path)
        if guessed is None:
            return "application/octet-stream"
        return f"{guessed}; charset=utf-8" if guessed.startswith("text/") or guessed.endswith("javascript") else guessed

    def copy_file(self, path: str, target: BinaryIO, written_so_far: int = 0) -> int:
        """Unpack one file into ``target`` in chunks; return its size. Raise PackageError when it
        unpacks to more than its ZIP entry declares or past a limit (declared sizes can lie)."""
        assert self.archive is not None, "a bare cmi5.xml has no files"
        info = self.files[path]
        size = 0
        try:
            with self.archive.open(info) as source:
                while chunk := source.read(_CHUNK):
                    size += len(chunk)
                    if size > info.file_size:
                        raise PackageError([f"{self.name}: {info.filename!r} unpacks to more than it declares"])
                    if size > self.limits.file_bytes:
                        raise PackageError([_too_large_file(self.name, info.filename, self.limits)])
                    if written_so_far + size > self.limits.package_bytes:
                        raise PackageError([_too_large_package(self.name, self.limits)])
                    target.write(chunk)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError, zlib.error) as error:
            # zipfile stops at the declared size and then finds the CRC wrong: a lying entry ends here.
            raise PackageError(
                [
                    f"{self.name}: the entry {info.filename!r} cannot be unpacked "
                    f"(damaged, or not the size it declares): {error}"
                ]
            ) from None
        return size


def _megabytes(count: float) -> str:
    return f"{count / MB:,.0f} MB" if count >= MB else f"{count / MB:,.2f} MB"


def _too_large_file(name: str, entry: str, limits: Limits) -> str:
    return f"{name}: {entry!r} unpacks to more than the limit of {_megabytes(limits.file_bytes)} for one file"


def _too_large_package(name: str, limits: Limits) -> str:
    return f"{name} unpacks to more than the limit of {_megabytes(limits.package_bytes)} for a package"


# --- the package file ---------------------------------------------------------------------


def read_package(data: bytes, name: str, limits: Limits | None = None) -> Package:
    """Read and validate a package (ZIP or XML) from its bytes; raise PackageError saying why not.

    A ZIP's sizes are checked against the limits from its central directory before anything is
    unpacked; only cmi5.xml is unpacked here (the files later, by ``Package.copy_file``).
    """
    limits = limits or Limits()
    if data[:4] == b"PK\x03\x04" or data[:4] == b"PK\x05\x06":
        return _read_zip(data, name, limits)
    if name.lower().endswith(".zip"):
        raise PackageError([f"{name} is not a ZIP file (it does not start like one)"])
    text_start = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if text_start != b"<":
        raise PackageError(
            [f"{name} is not a cmi5 package: expected a ZIP file with cmi5.xml at its root, or a cmi5.xml file"]
        )
    structure = parse_structure(data, files=None)
    return Package(name=name, structure=structure, limits=limits)


def _read_zip(data: bytes, name: str, limits: Limits) -> Package:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError) as error:
        raise PackageError([f"{name} is not a readable ZIP file: {error}"]) from None
    entries = [info for info in archive.infolist() if not info.is_dir()]
    problems = _size_problems(name, entries, len(data), limits)
    if problems:
        raise PackageError(problems)
    files: dict[str, zipfile.ZipInfo] = {}
    for info in entries:
        path = info.filename.replace("\\", "/")
        normal = posixpath.normpath(path)
        if path.startswith("/") or normal == ".." or normal.startswith("../"):
            problems.append(f"{name}: the entry {info.filename!r} points outside the package")
        elif info.flag_bits & 0x1:
            problems.append(f"{name}: the entry {info.filename!r} is encrypted")
        elif normal in files:
            problems.append(f"{name}: the entry {info.filename!r} is in the package twice")
        else:
            files[normal] = info
    if problems:
        raise PackageError(problems)
    if STRUCTURE_FILE not in files:
        elsewhere = sorted(path for path in files if posixpath.basename(path) == STRUCTURE_FILE)
        hint = f" (found {', '.join(elsewhere)}: it must be at the root)" if elsewhere else ""
        raise PackageError([f"{name} has no cmi5.xml at its root{hint} (cmi5 14.1)"])
    package = Package(name=name, structure=CourseSpec("", {}, {}), files=files, archive=archive, limits=limits)
    xml = io.BytesIO()
    package.copy_file(STRUCTURE_FILE, xml)
    package.structure = parse_structure(xml.getvalue(), files=files)
    return package


def _size_problems(name: str, entries: list[zipfile.ZipInfo], packed: int, limits: Limits) -> list[str]:
    """What the central directory says against the limits: file count, sizes, compression ratios."""
    if len(entries) > limits.files:
        return [f"{name} holds {len(entries)} files; at most {limits.files} are accepted"]
    problems = []
    total = 0
    for info in entries:
        total += info.file_size
        if info.file_size > limits.file_bytes:
            problems.append(_too_large_file(name, info.filename, limits))
        elif info.file_size > MB and info.file_size > limits.ratio * max(info.compress_size, 1):
            problems.append(
                f"{name}: {info.filename!r} is compressed {info.file_size / max(info.compress_size, 1):,.0f} to 1, "
                f"more than the limit of {limits.ratio:,.0f} to 1 (a ZIP bomb?)"
            )
    if total > limits.package_bytes:
        problems.insert(0, _too_large_package(name, limits))
    elif total > MB and total > limits.ratio * packed:
        problems.insert(
            0,
            f"{name} unpacks to {total / max(packed, 1):,.0f} times its size, more than the limit of "
            f"{limits.ratio:,.0f} to 1 (a ZIP bomb?)",
        )
    return problems


# --- the course structure -----------------------------------------------------------------


def parse_structure(xml: bytes, files: Collection[str] | None) -> CourseSpec:
    """Validate a course structure; ``files`` are the ZIP's file paths (None for a bare cmi5.xml)."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, remove_comments=True, remove_pis=True, huge_tree=False
    )
    try:
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as error:
        raise PackageError([f"cmi5.xml is not well-formed XML: {error}"]) from None
    tree = root.getroottree()
    if tree.docinfo.doctype:
        raise PackageError(["cmi5.xml: a DOCTYPE is not allowed in a course structure"])
    checker = _Checker(files)
    course = checker.course_structure(root)
    if checker.problems:
        raise PackageError(checker.problems)
    assert course is not None
    return course


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _label(element: etree._Element) -> str:
    """The element as the messages name it: with its id, or within its nearest ancestor with one."""
    qname = etree.QName(element)
    name = qname.localname if qname.namespace == NS else element.tag
    ident = element.get("id")
    if ident:
        return f'<{name} id="{ident.strip()}">'
    owner = next((a for a in element.iterancestors() if a.get("id")), None)
    return f"<{name}> in {_label(owner)}" if owner is not None else f"<{name}>"


@dataclass(frozen=True)
class _Particle:
    """One step of a content model: ``names`` of our namespace, or extension elements (``other``)."""

    names: tuple[str, ...]
    minimum: int = 1
    maximum: int | None = 1
    other: bool = False

    def describe(self) -> str:
        return "an extension element" if self.other else " or ".join(f"<{n}>" for n in self.names)


_OTHER = _Particle((), 0, None, other=True)
_TEXT_MODEL = (_Particle(("langstring",), 1, None), _OTHER)


class _Checker:
    def __init__(self, files: Collection[str] | None) -> None:
        self.files = files
        self.problems: list[str] = []
        self.ids: dict[str, str] = {}
        self.objective_ids: set[str] = set()
        self.references: list[tuple[etree._Element, str]] = []

    def fail(self, element: etree._Element, message: str) -> None:
        self.problems.append(f"line {element.sourceline}, {_label(element)}: {message}")

    # content models ------------------------------------------------------------------

    def children(self, element: etree._Element, model: tuple[_Particle, ...]) -> dict[str, list[etree._Element]]:
        """Match the element's children against a sequence; return them by local name."""
        self.no_text(element)
        found: dict[str, list[etree._Element]] = {}
        items = list(element)
        index = 0
        for particle in model:
            count = 0
            while index < len(items) and (particle.maximum is None or count < particle.maximum):
                child = items[index]
                namespace = etree.QName(child).namespace
                if particle.other:
                    if namespace is None:
                        self.fail(child, "an extension element must be in a namespace of its own")
                    elif namespace == NS:
                        break
                elif namespace != NS or _local(child) not in particle.names:
                    break
                found.setdefault(_local(child) if namespace == NS else "", []).append(child)
                index += 1
                count += 1
            if count < particle.minimum:
                where = f", before <{etree.QName(items[index]).localname}>" if index < len(items) else ""
                self.fail(element, f"{particle.describe()} is required here{where}")
        for child in items[index:]:
            self.fail(child, "not allowed here (wrong place or unknown element)")
        return found

    def no_text(self, element: etree._Element) -> None:
        texts = [element.text] + [child.tail for child in element]
        if any(text and text.strip() for text in texts):
            self.fail(element, "text is not allowed between the elements of this element")

    def attributes(self, element: etree._Element, allowed: tuple[str, ...], extensions: bool = True) -> None:
        for name in element.attrib:
            qname = etree.QName(name)
            if qname.namespace is None:
                if qname.localname not in allowed:
                    self.fail(element, f"the attribute {qname.localname!r} is not allowed here")
            elif qname.namespace == XSI:
                continue
            elif qname.namespace == NS or not extensions:
                self.fail(element, f"the attribute {{{qname.namespace}}}{qname.localname} is not allowed here")

    def identifier(self, element: etree._Element, attribute: str = "id") -> str:
        value = (element.get(attribute) or "").strip()
        if attribute not in element.attrib:
            self.fail(element, f"the {attribute} attribute is required")
            return ""
        try:
            validate_iri(value, attribute)
        except StatementError:
            self.fail(element, f"{attribute} {value!r} is not an IRI (it needs a scheme, such as https:)")
            return value
        if attribute == "id":
            if value in self.ids:
                self.fail(element, f"the id {value!r} is already used by {self.ids[value]}; ids must be unique")
            else:
                self.ids[value] = f"the {_local(element)} on line {element.sourceline}"
        return value

    def text(self, element: etree._Element) -> dict[str, str]:
        self.attributes(element, ())
        found = self.children(element, _TEXT_MODEL)
        texts: dict[str, str] = {}
        for langstring in found.get("langstring", []):
            self.attributes(langstring, ("lang",))
            if len(langstring):
                self.fail(langstring, "a langstring holds text only, no elements")
            lang = (langstring.get("lang") or "").strip()
            if lang and not _LANGUAGE.fullmatch(lang):
                self.fail(langstring, f"lang {lang!r} is not a language tag (such as th or en-US)")
            texts.setdefault(lang, (langstring.text or "").strip())
        return texts

    # elements ------------------------------------------------------------------------

    def course_structure(self, root: etree._Element) -> CourseSpec | None:
        if etree.QName(root).namespace != NS or _local(root) != "courseStructure":
            self.fail(root, f"the root element must be <courseStructure> in the namespace {NS}")
            return None
        self.attributes(root, ())
        found = self.children(
            root,
            (
                _Particle(("course",)),
                _Particle(("objectives",), 0, 1),
                _Particle(("au", "block"), 1, None),
                _OTHER,
            ),
        )
        if "course" not in found:
            return None
        element = found["course"][0]
        self.attributes(element, ("id",))
        course_id = self.identifier(element)
        parts = self.children(element, (_Particle(("title",)), _Particle(("description",)), _OTHER))
        course = CourseSpec(
            id=course_id,
            title=self.text(parts["title"][0]) if "title" in parts else {},
            description=self.text(parts["description"][0]) if "description" in parts else {},
        )
        for objectives in found.get("objectives", []):
            course.objectives = self.objectives(objectives)
        course.children = self.members(root)
        for element, idref in self.references:
            if idref and idref not in self.objective_ids:
                self.fail(element, f"the objective {idref!r} is not one of the course's <objectives>")
        return course

    def objectives(self, element: etree._Element) -> list[ObjectiveSpec]:
        self.attributes(element, ())
        found = self.children(element, (_Particle(("objective",), 1, None), _OTHER))
        result = []
        for objective in found.get("objective", []):
            self.attributes(objective, ("id",), extensions=False)
            ident = self.identifier(objective)
            self.objective_ids.add(ident)
            self.no_text(objective)
            parts: dict[str, list[etree._Element]] = {}
            for child in objective:
                if etree.QName(child).namespace == NS and _local(child) in ("title", "description"):
                    parts.setdefault(_local(child), []).append(child)
                else:
                    self.fail(child, "an objective holds one <title> and one <description>, nothing else")
            for name in ("title", "description"):
                if len(parts.get(name, [])) != 1:
                    self.fail(objective, f"an objective needs exactly one <{name}>")
            result.append(
                ObjectiveSpec(
                    id=ident,
                    title=self.text(parts["title"][0]) if parts.get("title") else {},
                    description=self.text(parts["description"][0]) if parts.get("description") else {},
                )
            )
        return result

    def objective_references(self, element: etree._Element) -> list[str]:
        self.attributes(element, ())
        found = self.children(element, (_Particle(("objective",), 1, None), _OTHER))
        refs = []
        for reference in found.get("objective", []):
            self.attributes(reference, ("idref",), extensions=False)
            self.no_text(reference)
            for child in reference:
                self.fail(child, "an objective reference holds no elements")
            if "idref" not in reference.attrib:
                self.fail(reference, "an objective reference needs an idref attribute")
                continue
            idref = self.identifier(reference, "idref")
            self.references.append((reference, idref))
            refs.append(idref)
        return refs

    def members(self, element: etree._Element) -> list[BlockSpec | AuSpec]:
        members: list[BlockSpec | AuSpec] = []
        for child in element:
            if etree.QName(child).namespace != NS:
                continue
            if _local(child) == "au":
                members.append(self.au(child))
            elif _local(child) == "block":
                members.append(self.block(child))
        return members

    def block(self, element: etree._Element) -> BlockSpec:
        self.attributes(element, ("id",))
        ident = self.identifier(element)
        found = self.children(
            element,
            (
                _Particle(("title",)),
                _Particle(("description",)),
                _Particle(("objectives",), 0, 1),
                _Particle(("au", "block"), 1, None),
                _OTHER,
            ),
        )
        return BlockSpec(
            id=ident,
            title=self.text(found["title"][0]) if "title" in found else {},
            description=self.text(found["description"][0]) if "description" in found else {},
            objectives=self.objective_references(found["objectives"][0]) if "objectives" in found else [],
            children=self.members(element),
        )

    def au(self, element: etree._Element) -> AuSpec:
        self.attributes(element, ("id", "moveOn", "masteryScore", "launchMethod", "activityType"))
        ident = self.identifier(element)
        found = self.children(
            element,
            (
                _Particle(("title",)),
                _Particle(("description",)),
                _Particle(("objectives",), 0, 1),
                _Particle(("url",)),
                _Particle(("launchParameters",), 0, 1),
                _Particle(("entitlementKey",), 0, 1),
                _OTHER,
            ),
        )
        move_on = (element.get("moveOn") or "NotApplicable").strip()
        if move_on not in MOVE_ON_VALUES:
            self.fail(element, f"moveOn {move_on!r} is not one of {', '.join(MOVE_ON_VALUES)}")
        launch_method = (element.get("launchMethod") or "AnyWindow").strip()
        if launch_method not in LAUNCH_METHODS:
            self.fail(element, f"launchMethod {launch_method!r} is not one of {', '.join(LAUNCH_METHODS)}")
        url = ""
        if "url" in found:
            url_element = found["url"][0]
            self.attributes(url_element, (), extensions=False)
            if len(url_element):
                self.fail(url_element, "the url holds text only, no elements")
            url = (url_element.text or "").strip()
            self.url(url_element, url)
        activity_type = element.get("activityType")
        return AuSpec(
            id=ident,
            title=self.text(found["title"][0]) if "title" in found else {},
            description=self.text(found["description"][0]) if "description" in found else {},
            objectives=self.objective_references(found["objectives"][0]) if "objectives" in found else [],
            url=url,
            move_on=move_on,
            launch_method=launch_method,
            mastery_score=self.mastery_score(element),
            launch_parameters=self.free_text(found, "launchParameters"),
            entitlement_key=self.free_text(found, "entitlementKey"),
            activity_type=activity_type.strip() if activity_type is not None else None,
        )

    def free_text(self, found: dict[str, list[etree._Element]], name: str) -> str | None:
        if name not in found:
            return None
        return "".join(found[name][0].itertext()).strip()

    def mastery_score(self, element: etree._Element) -> Decimal | None:
        raw = element.get("masteryScore")
        if raw is None:
            return None
        text = raw.strip()
        try:
            if not _DECIMAL.fullmatch(text):
                raise InvalidOperation
            value = Decimal(text)
        except InvalidOperation:
            self.fail(element, f"masteryScore {text!r} is not a decimal number")
            return None
        if not Decimal(0) <= value <= Decimal(1):
            self.fail(element, f"masteryScore {text} is outside 0 to 1")
            return None
        if value.normalize().as_tuple().exponent < -4:  # type: ignore[operator]
            self.fail(element, f"masteryScore {text} has more than 4 decimal places (cmi5 13.1.4)")
            return None
        return value

    def url(self, element: etree._Element, url: str) -> None:
        if not url:
            self.fail(element, "the AU's url is empty")
            return
        if any(ch.isspace() or ord(ch) < 32 or ch in '<>"{}|\\^`' for ch in url):
            self.fail(element, f'{url!r} is not a valid URL (spaces and characters such as <, > and " must be encoded)')
            return
        try:
            parts = urlsplit(url)
        except ValueError as error:
            self.fail(element, f"{url!r} is not a valid URL: {error}")
            return
        clashes = sorted(
            {name for name, _value in parse_qsl(parts.query, keep_blank_values=True)} & set(LAUNCH_PARAMETERS)
        )
        if clashes:
            self.fail(
                element,
                f"the query string of {url!r} uses {', '.join(clashes)}, which the LMS adds at launch (cmi5 8.1)",
            )
        if _SCHEME.match(url):
            if parts.scheme.lower() not in ("http", "https"):
                # javascript:, data:, file: and the like would run or read in the learner's browser.
                self.fail(element, f"{url!r}: an AU's URL is http, https or relative to the package root")
            elif not parts.netloc:
                self.fail(element, f"{url!r} has no host")
            return
        if self.files is None:
            self.fail(
                element, f"{url!r} is relative: a course structure without a ZIP package needs full URLs (cmi5 14.2)"
            )
            return
        if url.startswith("/") or parts.netloc:
            self.fail(element, f"{url!r} is neither a full URL nor relative to the package root")
            return
        path = posixpath.normpath(unquote(parts.path))
        if path == ".." or path.startswith("../") or not parts.path:
            self.fail(element, f"{url!r} points outside the package")
        elif path not in self.files:
            self.fail(element, f"{url!r} refers to {path}, which is not in the package (cmi5 14.1)")
