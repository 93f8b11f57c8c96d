#!/usr/bin/env python3
"""Checks an Atom 1.0 feed (RFC 4287) as issue 25's tests need: it must parse
as XML (python3's expat parser: well-formed, UTF-8, entities) and have the
structure section 4 requires. Prints "ok: N entries" or the problems; exit 1
on a problem.  Usage: atom_check.py FEED.xml"""
import re
import sys
import xml.etree.ElementTree as ET

A = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# RFC 3339 date-time (RFC 4287 3.3), upper-case T and Z.
DATE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
# An IRI with a scheme (RFC 4287 4.2.6: atom:id is an absolute IRI).
ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
LANG_TAG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")
TEXT_TYPES = {"text", "html", "xhtml"}


def check_text(el, where, problems):
    t = el.get("type", "text")
    if t not in TEXT_TYPES:
        problems.append(f"{where}: type {t!r}")
    if t != "xhtml" and len(el):
        problems.append(f"{where}: child elements in a {t} construct")


def one(parent, name, where, problems, required=True):
    found = parent.findall(A + name)
    if len(found) > 1 or (required and not found):
        problems.append(f"{where}: {len(found)} atom:{name}")
    return found[0] if found else None


def check_person(el, where, problems):
    name = one(el, "name", where, problems)
    if name is not None and not (name.text or "").strip():
        problems.append(f"{where}: empty atom:name")


def check_links(parent, where, problems):
    alternates = set()
    for link in parent.findall(A + "link"):
        if not link.get("href"):
            problems.append(f"{where}: atom:link without href")
        if link.get("rel", "alternate") == "alternate":
            key = (link.get("type"), link.get("hreflang"))
            if key in alternates:
                problems.append(f"{where}: two alternate links of one type and hreflang")
            alternates.add(key)
    return alternates


def check_common(el, where, problems):
    for name in ("id", "title", "updated"):
        one(el, name, where, problems)
    ident = el.find(A + "id")
    if ident is not None and not ABSOLUTE_IRI.match((ident.text or "").strip()):
        problems.append(f"{where}: atom:id {ident.text!r} is not an absolute IRI")
    for name in ("updated", "published"):
        d = el.find(A + name)
        if d is not None and not DATE_TIME.match(d.text or ""):
            problems.append(f"{where}: atom:{name} {d.text!r} is not RFC 3339")
    for name in ("title", "summary", "content", "rights", "subtitle"):
        for t in el.findall(A + name):
            check_text(t, f"{where} atom:{name}", problems)
    for lang_el in el.iter():
        lang = lang_el.get(XML_LANG)
        if lang is not None and not LANG_TAG.match(lang):
            problems.append(f"{where}: xml:lang {lang!r}")
    for person in el.findall(A + "author") + el.findall(A + "contributor"):
        check_person(person, where, problems)
    for c in el.findall(A + "category"):
        if not c.get("term"):
            problems.append(f"{where}: atom:category without term")


def main(path):
    problems = []
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        print(f"not well-formed XML: {e}")
        return 1
    if root.tag != A + "feed":
        print(f"root is {root.tag}, not atom:feed")
        return 1
    check_common(root, "feed", problems)
    check_links(root, "feed", problems)
    feed_author = root.find(A + "author") is not None
    entries = root.findall(A + "entry")
    ids = set()
    previous = None
    for i, e in enumerate(entries):
        where = f"entry {i + 1}"
        check_common(e, where, problems)
        for name in ("summary", "content"):
            one(e, name, where, problems, required=False)
        alternates = check_links(e, where, problems)
        # RFC 4287 4.1.2: an entry without content has an alternate link.
        if e.find(A + "content") is None and not alternates:
            problems.append(f"{where}: neither atom:content nor an alternate link")
        if not feed_author and e.find(A + "author") is None:
            problems.append(f"{where}: no atom:author, and the feed has none")
        ident = (e.findtext(A + "id") or "").strip()
        if ident in ids:
            problems.append(f"{where}: atom:id {ident} repeated")
        ids.add(ident)
        updated = e.findtext(A + "updated") or ""
        if previous is not None and updated > previous:
            problems.append(f"{where}: updated {updated} after the entry before ({previous}): not newest first")
        previous = updated
    if problems:
        print("\n".join(problems))
        return 1
    print(f"ok: {len(entries)} entries")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
