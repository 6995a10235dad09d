"""Answer-type cues: what kind of span a question wants, and where such spans sit in a sentence.

A "who" question wants a name (and "what is X called" a proper name), "how many" a number, "when" a date, a
question about a rating wants an Ofsted grade. These cues both re-rank sentences (a sentence with no name rarely
answers "who") and pick the ``highlight`` span. They are deliberately simple regular expressions: no model for
named entities is used.
"""

from __future__ import annotations

import re

from assistant.index.lexical import tokenize

PERSON, DATE, NUMBER, GRADE = "person", "date", "number", "grade"

_MONTHS = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|"
    r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_DATE = re.compile(
    rf"\b(?:\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTHS}(?:\s+(?:19|20)\d\d)?"
    rf"(?:\s*(?:to|-|–|and)\s*\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTHS}\s+(?:19|20)\d\d)?"
    rf"|{_MONTHS}\s+(?:19|20)\d\d|\d{{1,2}}/\d{{1,2}}/\d{{2,4}}|(?:19|20)\d\d(?:-\d\d)?)\b"
)
_NUMBER_WORD = (r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
                r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|"
                r"dozen)(?:[- ](?:one|two|three|four|five|six|seven|eight|nine|hundred))?")
_NUMBER = re.compile(
    r"(?:£\s?\d(?:[\d,.]*\d)?(?:\s*(?:million|bn|billion)|m|k)?"
    r"|\b\d(?:[\d,]*\d)?(?:\.\d+)?(?:\s*(?:%|per cent|percent))?"
    rf"|\b{_NUMBER_WORD}\b)",
    re.IGNORECASE,
)
# "how long" wants a duration: "742 days", "one to two years", "a 12-week course", "since April 2007"
_AMOUNT = rf"(?:\d[\d,.]*|{_NUMBER_WORD}|a few|several|an?)"
_DURATION = re.compile(
    rf"\b{_AMOUNT}(?:\s*(?:to|or|-|–)\s*{_AMOUNT})?[\s-]+(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|"
    rf"decades?|centur(?:y|ies))\b|\b(?:since|until)\s+(?:(?:\d{{1,2}}\s+)?{_MONTHS}\s+)?(?:19|20)\d\d\b",
    re.IGNORECASE,
)
_HOW_LONG_Q = re.compile(r"\bhow long\b(?! ago\b)", re.I)
_GRADE = re.compile(r"\b(?:outstanding|good|requires?\s+improvement(?:\s+to\s+be\s+good)?|inadequate)\b",
                    re.IGNORECASE)  # \s: a PDF line may wrap inside the grade ("Requires improvement\nto be good")
# A grade word is a judgement when it ends a line (a table row: "Adoption performance Good") or is predicated
# ("services are inadequate", "judged to be good"); "make good progress" and "inadequate plans" are not grades.
_GRADE_ROW_END = re.compile(r"[ \t.:;)*]*(?:\n|$)")
_GRADE_PREDICATE = re.compile(r"\b(?:is|are|was|were|be|been|being|remains?|remained|judged|rated|graded|as|that)"
                              r"(?:\s+(?:now|still|not|also|consistently|overall|currently|to be|judged|rated))*\s*$",
                              re.IGNORECASE)
_NAME = re.compile(r"\b[A-Z][a-z]+(?:[-’'][A-Z]?[a-z]+)?(?:\s+(?:[A-Z]\.\s*)?[A-Z][a-z]+(?:[-’'][A-Z]?[a-z]+)?){1,3}")
_NOT_NAME_WORDS = frozenset(
    """The This That These Those His Her Majesty Majesty’s Majesty's Inspector Inspectors Inspection Ofsted Council
    Children Children’s Children's Services Service Social Care Department Education For And Of In On At To By
    Local Authority Borough Metropolitan District City Government Board Trust Director Strategic Chief Executive
    Councillor Portfolio Holder Leader Lead Team Inspectors’ Safeguarding Partnership Families Family Act
    January February March April May June July August September October November December Commissioner
    Minister Secretary State Independent Review Reviewing Officer Officers Adoption Agency Front Door
    Bradford Leeds Wakefield Kirklees Calderdale Yorkshire West Halifax Huddersfield Master’s Degree University
    Labour Conservative Tory Police Health Court Panel National Child Practice Early Help Judgement Grade Open
    Licence Crown Copyright Overall Effectiveness""".split()
)

_AUXILIARY = r"(?:did|does|do|is|are|was|were|has|have|had|can|could|will|would|should)"  # "what did inspectors
# say" asks what they found, not who they were
_PERSON_Q = re.compile(rf"^\s*(?:who|whom|whose)\b|\b(?:which|what)(?: (?!{_AUXILIARY}\b)[\w’']+){{0,2}} "
                       r"(?:person|inspector|hmi|commissioner|minister|director|councillor|leader|chief executive|"
                       r"official)"
                       r"|\bname of\b|\bnamed?\b|\bcalled\s*\??\s*$", re.I)
_ROLES = (r"(?:inspector|hmi|director|chief executive|leader|councillor|commissioner|minister|chair|chairman|"
          r"chairwoman|head|officer|member|manager|mayor|secretary)")
_ASKS_WHO_Q = re.compile(rf"^\s*(?:who|whom)\b|\bnamed?\b(?: [\w’']+){{0,4}} {_ROLES}s?\b|"
                         rf"\b(?:which|what) (?:person|{_ROLES})\b", re.I)
_DATE_Q = re.compile(r"^\s*when\b|\b(?:what|which) (?:date|year|month|day)|\bwhat dates?\b|\bhow long ago\b", re.I)
_COUNTED = r"(?:number|numbers|percentage|proportion|share|amount|sum|rate|ratio|fraction|total|figure|count)"
_NUMBER_Q = re.compile(rf"\bhow (?:many|much)\b|\b(?:what|which) {_COUNTED}\b|^\s*(?:the\s+)?{_COUNTED} of\b|"
                       r"\brate of\b|\bhow long\b|\bby how\b|"
                       r"\b(?!(?:did|does|do|to|would|will|ofsted|inspectors?|they|it|we|you|i|how|what|which|overall)\b)"
                       r"[a-z-]{3,} rates?\b(?! (?:it|them|the|its|their|services?|[a-z]+'s)\b)", re.I)
_GRADE_Q = re.compile(r"\b(?:grades?|graded|rate|rated|ratings?|judge[ds]?|judgements?|judgments?|verdicts?|"
                      r"overall effectiveness)\b|\bhow (?:did|does|do|has|have|is|are|was|were)\b(?: [\w’']+){1,4} "
                      r"(?:do|doing|done|fare|fared|faring)(?= (?:on|in|at|with|for|overall)\b|\s*[?.!]?\s*$)", re.I)
# a yes/no question ending on a grade: "is bradford still inadequate", "is leeds outstanding?"
YES_NO_GRADE_Q = re.compile(r"^\s*(?:is|are|was|were)\b(?: [\w’']+){1,7} (?P<grade>outstanding|good|inadequate|"
                            r"requires? improvement(?: to be good)?)(?: (?:now|still|overall|rated|judged|by ofsted))*"
                            r"(?: in (?:[a-z]+ )?(?:19|20)\d\d)?\s*[?.!]?\s*$", re.I)

# Questions typed as keywords ("bradford social worker salary", "leeds inspection dates", "wakefield lead
# inspector 2013"): no question word or auxiliary verb starts them, so a noun says what is wanted. Only read when
# the question-word patterns above find nothing.
_KEYWORDS_Q = re.compile(r"^(?!\s*(?:who|whom|whose|what|when|where|which|why|how|is|are|was|were|do|does|did|has|"
                         r"have|had|can|could|will|would|should|shall|may|might|must|tell|list|give|show|describe|"
                         r"explain|name)\b)", re.I)
_KEYWORD_SHARE = re.compile(r"\b(?:percentage|percent|per cent|proportion)\b|%", re.I)
_KEYWORD_MONEY = re.compile(r"\b(?:cost|costs|price|salary|salaries|wages?|fees?|pay)\b", re.I)
_KEYWORD_NUMBER = re.compile(r"\b(?:numbers|total|count|age)\b", re.I)
_KEYWORD_DATE = re.compile(r"\b(?:dates?|month|deadline)\b|(?<!last )(?<!this )(?<!next )(?<!per )(?<!each )"
                           r"(?<!every )(?<!a )\byear\b(?!\s*\d)", re.I)
_KEYWORD_PERSON = re.compile(rf"\b(?:{_ROLES}|dcs)(?:’s|'s|s)?(?:\s+names?)?(?:\s+(?:19|20)\d\d)?\s*\??\s*$|"
                             rf"^\s*(?:the\s+)?(?:lead\s+)?(?:{_ROLES}|dcs) (?:of|for|at)\b", re.I)
_COUNT_Q = re.compile(r"\bhow many\b(?! (?:per ?cent|percent))|\bnumbers? of\b|\bnumbers\b", re.I)
_AGE_Q = re.compile(r"\b(?:what|which) age\b|\bhow old\b", re.I)
_FIGURE_OF_Q = re.compile(r"^\s*(?:the\s+)?(?:cost|price|salary|salaries|pay|wages?|fees?) (?:of|for)\b", re.I)

MONEY, SHARE = "a sum of money", "a share or percentage"  # kinds of figure, named as the refusal names them
_MONEY_WORDS = (r"(?:paid|pay|pays|salary|salaries|wages?|earn|earns|earned|cost|costs|costing|spend|spends|spent|"
                r"spending|budgets?|fund|funds|funded|funding|invest|invests|invested|investment|money|fees?|"
                r"grants?|overspend|overspent|deficit|savings?)")
_MONEY_Q = re.compile(rf"\bhow much\b(?: [\w’']+){{0,8}} {_MONEY_WORDS}\b|\bhow much money\b|"
                      r"\bwhat (?:is|was|are|were)(?: the| a)?(?: \w+)? "
                      r"(?:salary|salaries|pay|wages?|cost|budget|price|fees?)\b|"
                      r"\bwhat (?:do|does|did)(?: [\w’']+){0,5} (?:earn|cost|spend|charge)\b",
                      re.I)
_SHARE_Q = re.compile(r"\b(?:what|which) (?:percentage|proportion|share|fraction|per ?cent)\b|\bwhat %|"
                      r"\bhow many (?:per ?cent|percent)\b|^\s*(?:the\s+)?(?:percentage|proportion|share) of\b", re.I)
_MONEY = re.compile(r"[£$€]|\b(?:pounds?|pence|million|billion|bn)\b", re.I)
_SHARE = re.compile(r"%|\b(?:per ?cent|percent|percentage points?|half|halves|one in|out of every|out of|"
                    r"(?:a|one|two|three) (?:third|quarter|fifth|tenth)s?|thirds|quarters)\b", re.I)


def figure_kind(question: str) -> str | None:
    """The kind of figure a question asks for when any figure will not do (MONEY, SHARE), else None. Narrow on
    purpose: "how much did X improve" wants no sum, so a money word must come with "how much"."""
    keywords = bool(_KEYWORDS_Q.match(question))
    if _SHARE_Q.search(question) or keywords and _KEYWORD_SHARE.search(question):
        return SHARE
    if _MONEY_Q.search(question) or _FIGURE_OF_Q.search(question) or keywords and _KEYWORD_MONEY.search(question):
        return MONEY
    return None


def holds_figure_kind(text: str, kind: str) -> bool:
    """Whether ``text`` gives a figure of ``kind``: a sum ("£28 million", "3 billion pounds") or a share ("11%",
    "half", "one in five"). Lenient, since it only rules out a question none of whose passages gives one."""
    return bool((_MONEY if kind == MONEY else _SHARE).search(text))


_CUES = ((_NUMBER_Q, NUMBER), (_DATE_Q, DATE), (_PERSON_Q, PERSON), (_GRADE_Q, GRADE), (YES_NO_GRADE_Q, GRADE),
         (_AGE_Q, NUMBER))
_KEYWORD_CUES = ((_KEYWORD_NUMBER, NUMBER), (_KEYWORD_DATE, DATE), (_KEYWORD_PERSON, PERSON))


def _first_kind(cues: tuple[tuple[re.Pattern[str], str], ...], question: str) -> str | None:
    return next((kind for pattern, kind in cues if pattern.search(question)), None)


def question_type(question: str) -> str | None:
    """The kind of answer a question asks for, or None when no simple cue applies; the cues are tried in order,
    the keyword ones only for a question typed as keywords."""
    kind = _first_kind(_CUES, question) or (NUMBER if figure_kind(question) else None)
    if kind is None and _KEYWORDS_Q.match(question):
        kind = _first_kind(_KEYWORD_CUES, question)
    return kind


def asks_who(question: str) -> bool:
    """The question wants a person, and nothing else will do: "who ...", "name of <a role>", "which inspector".
    Narrower than PERSON: "name of the drop-in for care leavers" wants a name that is not a person's."""
    return question_type(question) == PERSON and bool(_ASKS_WHO_Q.search(question) or (
        _KEYWORDS_Q.match(question) and _KEYWORD_PERSON.search(question)))


def _names(text: str) -> list[tuple[int, int]]:
    spans = []
    for m in _NAME.finditer(text):
        words = [w for w in re.split(r"\s+", m.group()) if w and w not in _NOT_NAME_WORDS]
        if len(words) >= 2 or (len(words) == 1 and m.group() != words[0]):
            # trim generic words at either end so "Inspector Matt Reed" becomes "Matt Reed"
            parts = list(re.finditer(r"\S+", m.group()))
            keep = [p for p in parts if p.group() not in _NOT_NAME_WORDS]
            if len(keep) >= 2:
                spans.append((m.start() + keep[0].start(), m.start() + keep[-1].end()))
    return spans


def is_judgement(text: str, start: int, end: int) -> bool:
    """Whether the grade word at ``text[start:end]`` states a judgement rather than describing something."""
    if text[start:end].lower().startswith("require"):
        return True
    return bool(_GRADE_ROW_END.match(text, end) or _GRADE_PREDICATE.search(text[max(0, start - 40) : start]))


def is_paragraph_number(text: str, start: int, end: int) -> bool:
    """"37." at the start of a line numbers a paragraph; it is never an answer."""
    return (start == 0 or text[start - 1] == "\n") and text[end : end + 1] in (".", ")")


_YEAR = re.compile(r"(?:19|20)\d\d")
_DAY_OR_ORDINAL_TAIL = re.compile(rf"(?:st|nd|rd|th)\b|\s+{_MONTHS}\b|/\d")  # "20th", "20 January", "20/1"
_YEAR_RANGE_OR_DATE_HEAD = re.compile(r"(?:(?:19|20)\d\d\s*[-–/]\s*|\d/)$")  # the "14" of "2013–14", "1/20"


def _counts(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans that can count something: not a share ("8%"), a year ("2013"), an ordinal or a day of a date
    ("16th", "20 January") or a year range's tail (the "14" of "2013–14"). Checked around each span, not by a
    scan for dates, since every candidate sentence of a count question is checked."""
    return [(s, e) for s, e in spans
            if not _SHARE.search(text[s:e])
            and not _YEAR.fullmatch(text, s, e)
            and not _DAY_OR_ORDINAL_TAIL.match(text, e)
            and not _YEAR_RANGE_OR_DATE_HEAD.search(text[max(0, s - 8) : s])]


def answer_spans(text: str, kind: str | None, question: str = "") -> list[tuple[int, int]]:
    """Spans of ``text`` that are of the wanted kind, most likely answer first; words of the question excluded."""
    if kind is None:
        return []
    if kind == PERSON:
        spans = _names(text)
    else:
        pattern = {DATE: _DATE, NUMBER: _DURATION if _HOW_LONG_Q.search(question) else _NUMBER, GRADE: _GRADE}[kind]
        spans = [
            (m.start(), m.end())
            for m in pattern.finditer(text)
            if not is_paragraph_number(text, m.start(), m.end())
            and (kind != GRADE or is_judgement(text, m.start(), m.end()))
        ]
    if kind == GRADE and len(spans) > 1:
        spans = labelled_like_the_question(text, spans, question)
    if kind == NUMBER:  # a count is never a share, a year or a date's day; for any other figure a year comes last
        if _COUNT_Q.search(question) and figure_kind(question) != SHARE:
            spans = _counts(text, spans)
        spans.sort(key=lambda se: bool(_YEAR.fullmatch(text, se[0], se[1])))
    q = question.lower()
    fresh = [(s, e) for s, e in spans if text[s:e].strip().lower() not in q]
    return fresh or ([] if kind == PERSON else spans)


def grade_labels(text: str, spans: list[tuple[int, int]]) -> list[str]:
    """Each grade span's label: the text between the grade before it (or its line's start) and itself."""
    return [text[max(spans[k - 1][1] if k else 0, text.rfind("\n", 0, s) + 1):s] for k, (s, _) in enumerate(spans)]


def labelled_like_the_question(text: str, spans: list[tuple[int, int]], question: str) -> list[tuple[int, int]]:
    """The grades of a judgements table row whose label shares the most words with the question, when any shares
    one: "The experiences and progress of children in care and care leavers Good Overall effectiveness
    Outstanding" answers "leeds 2018 overall effectiveness" with "Outstanding". A grade's label is the text
    between the grade before it (or its line's start) and itself."""
    asked = set(tokenize(question))
    if not asked:
        return spans
    shared = [len(asked & set(tokenize(label))) for label in grade_labels(text, spans)]
    best = max(shared)
    return [sp for sp, n in zip(spans, shared, strict=True) if n == best] if best else spans
