"""Sphinx extension: author-year labels in the bibliography, matching the author-year citations.

sphinxcontrib-bibtex's default style labels entries like ``[MarvcenkoP67]`` (pybtex's ``alpha``),
which clashes with citations written ``Marčenko and Pastur (1967)``. This registers a pybtex
formatting style ``authoryear`` whose labels read ``Marčenko and Pastur, 1967``, ``Pennington et al.,
2017`` (``a``, ``b`` appended when two entries would share a label), sorted by author, year and
title. Select it with ``bibtex_default_style = "authoryear"``.
"""

from collections import Counter

from pybtex.plugin import register_plugin
from pybtex.richtext import Text
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle
from pybtex.style.sorting.author_year_title import SortingStyle


def _last(person) -> str:
    return Text.from_latex(" ".join(person.prelast_names + person.last_names)).render_as("text")


class AuthorYearLabelStyle(BaseLabelStyle):
    """Labels ``Last, 2020``, ``Last and Other, 2020``, ``Last et al., 2020`` (as the citations read)."""

    def format_label(self, entry) -> str:
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        names = [_last(p) for p in people]
        if not names:
            who = entry.key
        elif len(names) == 1:
            who = names[0]
        elif len(names) == 2:
            who = f"{names[0]} and {names[1]}"
        else:
            who = f"{names[0]} et al."
        return f"{who}, {entry.fields.get('year', 'n.d.')}"

    def format_labels(self, sorted_entries):
        labels = [self.format_label(entry) for entry in sorted_entries]
        count, seen = Counter(labels), Counter()
        for label in labels:
            if count[label] == 1:
                yield label
            else:
                yield label + chr(ord("a") + seen[label])
                seen[label] += 1


class AuthorYearStyle(UnsrtStyle):
    """pybtex's ``unsrt`` entries with author-year labels, sorted by author, year and title."""

    default_label_style = AuthorYearLabelStyle
    default_sorting_style = SortingStyle


def setup(app):
    register_plugin("pybtex.style.formatting", "authoryear", AuthorYearStyle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
