"""Question analysis, the alias/synonym tables and the extractive answerer's sentence tests: pure
functions, table-driven."""

from __future__ import annotations

import pytest

from assistant.aliases import alias_keys, phrase_synonyms, synonym_keys
from assistant.backends.extractive import (
    _ORDINALS,
    _RANK,
    _attribute_noun,
    _bag,
    _covers,
    _demonym,
    _has_answer_type,
    _holder,
    _is_country,
    _names_country,
    _names_office,
    _other_span,
    _standalone,
    _unknown_attribute,
    _unqualified,
    acronyms,
    compactness,
    name_phrases,
    phrase_reading,
    spans,
    unknown_share,
    with_names_cased,
)
from assistant.chunking import Chunk
from assistant.lexical import analyze, stem
from assistant.question import (
    DATE,
    NUMBER,
    ORDINAL,
    OTHER,
    PERSON,
    PLACE,
    QUANTITY,
    VENUE,
    WHEN,
    YEAR,
    analyse,
    answer_type,
    asked_noun,
    asks_for_country,
    counted_noun,
    expansion_of,
    focus,
    keyword_noun,
    office_owner,
    predicate_noun,
    relation,
    restricted,
    role,
    split_question,
    wh_anchor,
)
from assistant.retrieve import Evidence, expand


@pytest.mark.parametrize(
    "question, expected",
    [
        ("How much did New Zealand commit?", QUANTITY),
        ("How many action lines were implemented?", NUMBER),
        ("Which edition of the forum was it?", ORDINAL),
        ("What dates was the meeting scheduled for?", DATE),
        ("On what date did it open?", DATE),
        ("What years will the plan span?", YEAR),
        ("In what year was the paper founded?", YEAR),
        ("When did the visit take place?", WHEN),
        # "when" later in the question is not what is asked
        ("Which sub-region was singled out when ASEAN asked for help?", OTHER),
        ("Who chaired the retreat?", PERSON),
        ("In which city will the summit be held?", VENUE),
        ("Where was the retreat held?", VENUE),
        ("Where does the EU rank among partners?", ORDINAL),
        ("Where did the fair take place?", PLACE),
        ("What are the dates of the fair?", DATE),
        ("Which country chairs ASEAN?", PLACE),
        ("What did the minister say?", OTHER),
    ],
)
def test_answer_type(question: str, expected: str) -> None:
    assert answer_type(question) == expected


@pytest.mark.parametrize(
    "question, office",
    [
        ("Who is Vietnam's ambassador to Malaysia?", "ambassador"),
        ("Who is the Malaysian foreign minister?", "foreign minister"),
        ("Who is the prime minister of Laos?", "prime minister"),
        ("Which minister leads the ministry?", "minister"),
        ("Who was the UK foreign secretary?", "foreign secretary"),
        ("Which official chaired it?", ""),  # too generic to demand on the line
        ("Who presided over the retreat?", ""),
        ("Who is Son?", ""),
    ],
)
def test_role(question: str, office: str) -> None:
    assert role(question) == tuple(stem(w) for w in office.split())


@pytest.mark.parametrize(
    "question, verb",
    [
        ("Who chaired the AMM Retreat?", "chaired"),
        ("who presided over it", "presided"),
        ("Who is the ambassador?", None),
        ("Who did Son meet?", None),
        ("What did he chair?", "chair"),
        ("Apart from the Bloc-Oceania one, which meeting was Roe due to co-chair?", "chair"),
        ("Which country co-chaired the talks?", "chaired"),
        ("Which Freedonian minister hosted the fair?", "hosted"),
        ("What body convened it?", "convened"),
        ("What two priorities lead Ruritania to trade?", None),  # present tense: not a deed
        ("What was led by the minister?", None),
    ],
)
def test_relation(question: str, verb: str | None) -> None:
    assert relation(question) == (stem(verb) if verb else None)


def test_name_phrases_mark_their_last_word() -> None:
    terms = {t.text: t for t in analyse("When did Anwar Ibrahim visit Vietnam?").terms}
    assert terms["anwar"].phrase == terms["ibrahim"].phrase >= 0
    assert (terms["anwar"].last, terms["ibrahim"].last) == (False, True)
    assert terms["vietnam"].phrase == -1


def test_terms_carry_their_synonyms() -> None:
    terms = {t.text: t for t in analyse("Who is New Zealand's top diplomat?").terms}
    assert ("foreign", "minister") in terms["diplomat"].alts
    envoy = {t.text: t for t in analyse("Who is the envoy?").terms}[stem("envoy")]
    assert ("ambassador",) in envoy.alts
    assert all(not t.alts for t in analyse("How many, 50 or 60?").terms if t.kind == "number")


@pytest.mark.parametrize(
    "word, must, must_not",
    [
        ("britain", {"uk", "british"}, set()),
        ("uk", {"britain"}, set()),
        ("wellington", {"nz", "zealand"}, set()),  # a capital stands for its country ...
        ("zealand", set(), {"wellington"}),  # ... but not the other way round
        ("korea", {"rok"}, {"dprk"}),  # South and North Korea stay apart
        ("laos", {"lao"}, {"lp"}),  # two-letter initials only when the group lists them
        ("vietnam", {"vn", "vietnamese"}, set()),
        ("canada", set(), {"nz", "uk", "us"}),
    ],
)
def test_alias_keys(word: str, must: set[str], must_not: set[str]) -> None:
    keys = alias_keys(stem(word))
    assert must <= keys
    assert not (must_not & keys)


@pytest.mark.parametrize(
    "word, synonym, expected",
    [
        ("envoy", "ambassador", True),
        ("presided", "chaired", True),
        ("asked", "requested", True),  # inflections the stemmer leaves alone still meet
        ("pledged", "committed", True),
        ("headed", "led", True),
        ("ambassador", "minister", False),
        ("won", "attended", False),
    ],
)
def test_synonym_keys(word: str, synonym: str, expected: bool) -> None:
    assert (stem(synonym) in synonym_keys(stem(word))) is expected


def test_phrase_synonyms() -> None:
    found = dict(phrase_synonyms(analyze("who is the top diplomat of NZ")))
    assert found[("top", "diplomat")] == (("foreign", "minister"), ("fm",))
    assert phrase_synonyms(analyze("a top official")) == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("to sign a Memorandum of Understanding on publishing", {"mou"}),
        ("the Ministry of Foreign Affairs", {"mofa", "fa"}),
        ("New Zealand Prime Minister", {"nz", "pm", "nzpm", "zp", "zpm", "nzp"}),
        ("no capitals here", set()),
    ],
)
def test_acronyms(text: str, expected: set[str]) -> None:
    assert acronyms(text) == expected


@pytest.mark.parametrize(
    "words, found, expected",
    [
        (
            "2025 marks the 30th anniversary of vietnam joining asean".split(),
            {"2025", "anniversary", "vietnam", "asean"},
            4 / 9,
        ),
        ("a b c".split(), {"a"}, 0.0),  # one word: nothing to be close to
        ("x a y y y y b a".split(), {"a", "b"}, 2 / 2),  # the closest pair counts
    ],
)
def test_compactness(words: list[str], found: set[str], expected: float) -> None:
    assert compactness(words, found) == pytest.approx(expected)


@pytest.mark.parametrize(
    "qtype, sentence, question, expected",
    [
        (
            ORDINAL,
            "At the 15th EAS Foreign Ministers' Meeting, the countries agreed.",
            "which edition",
            True,
        ),
        (ORDINAL, "The EAS Foreign Ministers' Meeting was held.", "which edition", False),
        (VENUE, "The meetings will take place in Kuala Lumpur.", "in which city", True),
        (VENUE, "The summit will take place in late 2025.", "in which city", False),
        (VENUE, "The summit in July was a success.", "in which city", False),  # a month
        (NUMBER, "More than 60% of the action lines were implemented.", "how many lines", False),
        (NUMBER, "Over 1,500 action lines were implemented.", "how many lines", True),
        (QUANTITY, "The UK committed £17 million.", "how much", True),
    ],
)
def test_answer_type_in_sentence(qtype: str, sentence: str, question: str, expected: bool) -> None:
    assert _has_answer_type(qtype, sentence, set(question.lower().split())) is expected


@pytest.mark.parametrize(
    "question, line, expected",
    [
        (
            "Who is Cuba's Minister of Higher Education?",
            "Cuba's Deputy Minister of Higher Education Reynaldo Velázquez will visit.",
            False,
        ),
        (
            "Who is Cuba's Deputy Minister of Higher Education?",
            "Cuba's Deputy Minister of Higher Education Reynaldo Velázquez will visit.",
            True,
        ),
        (
            "Who is the foreign minister?",
            "Deputy Prime Minister and Minister of Foreign Affairs Bui Thanh Son spoke.",
            True,
        ),
        ("Who is the foreign minister?", "New Zealand FM Winston Peters praised it.", True),
        (
            "Who is Vietnam's envoy in Bangkok?",
            "Vietnamese Ambassador to Thailand Pham Viet Hung",
            True,
        ),
        (
            "Who is Vietnam's ambassador to Malaysia?",
            "A delegation led by Son visited Malaysia.",
            False,
        ),
    ],
)
def test_names_office(question: str, line: str, expected: bool) -> None:
    q = analyse(question)
    office = next(t for t in q.terms if t.text == role(q.text)[-1])
    q_tokens = set(analyze(question)) | set(question.lower().replace("'s", "").split())
    assert _names_office(office, line, _bag(line), q_tokens) is expected


def test_expand_adds_synonyms_only_for_unknown_words() -> None:
    vocab = {w: i for i, w in enumerate(["chair", "retreat", "ambassador", "envoy"])}
    assert expand("Who presided over the retreat?", vocab) == [stem("presided"), "retreat", "chair"]
    # "envoy" is in the corpus: left alone, no "ambassador" added
    assert expand("the envoy", vocab) == ["envoy"]


@pytest.mark.parametrize(
    "question, parts",
    [
        (
            "Where and when was the forum held?",
            ["Where was the forum held?", "when was the forum held?"],
        ),
        (
            "who hosted the 9th meeting of the Club and on what date",
            ["who hosted the 9th meeting of the Club", "on what date the 9th meeting of the Club"],
        ),
        (
            "What did Son say about trade and investment?",
            ["What did Son say about trade and investment?"],
        ),
        (
            "Which countries and organisations attended?",
            ["Which countries and organisations attended?"],
        ),
    ],
)
def test_split_question(question: str, parts: list[str]) -> None:
    assert split_question(question) == parts


def _evidence(text: str) -> list[Evidence]:
    return [Evidence(Chunk("a.txt", 1, 1, text), 1.0, 0.5, None)]


def test_lowercase_question_gets_its_names_from_the_evidence() -> None:
    ev = _evidence("The talks in Malaysia went well. Envoys met the Ambassador in Malaysia.")
    q = with_names_cased(analyse("who is the ambassador to malaysia"), ev)
    kinds = {t.text: t.kind for t in q.terms}
    assert kinds["malaysia"] == "entity"  # only ever written capitalised inside a sentence
    assert kinds["ambassador"] == "plain"  # a title, not a name
    cased = analyse("Who is the ambassador to Malaysia?")
    assert with_names_cased(cased, ev) == cased  # a typed capital: the user's casing stands
    plain = analyse("Which talks went well?")  # capitalised as a sentence, names nothing
    assert with_names_cased(plain, ev) == plain


def test_lowercase_names_next_to_each_other_form_one_name() -> None:
    ev = _evidence("Later, Jane Roe met Freedonia's envoy. Roe's visit to Freedonia was a success.")
    q = with_names_cased(analyse("when did jane roe visit freedonia"), ev)
    by_text = {t.text: t for t in q.terms}
    jane, roe, freedonia = by_text["jane"], by_text[stem("roe")], by_text["freedonia"]
    assert jane.phrase == roe.phrase >= 0 and roe.last and not jane.last
    assert jane.acronym == "jr"
    assert freedonia.phrase < 0  # "visit" stands between: not part of the name


def test_unknown_share() -> None:
    known = {stem(w) for w in ("point", "sea", "level", "trade", "uk", "zealand")}
    idf = lambda t: 1.0 if t in known else 9.0  # noqa: E731  9.0: never seen
    assert unknown_share(analyse("What is the boiling point of ethanol at sea level?"), idf) == 0.4
    # names the gazetteer knows count as known: Wellington -> New Zealand, Britain -> UK
    assert unknown_share(analyse("How much trade did Wellington and Britain do?"), idf) == 0.0
    # one unknown word is never enough
    assert unknown_share(analyse("What is the trade volume?"), idf) == 0.0
    # a currency is written as a symbol ("£40 million"): its name is not foreign to the corpus
    assert unknown_share(analyse("How many pounds did the UK wire?"), idf) == 0.0


@pytest.mark.parametrize(
    "sentence, expected",
    [
        ("The Vietnamese Embassy in Bangladesh hosted the meeting.", True),
        ("Son explained that the Ministry of Finance cut funding.", True),
        ("Winston Peters praised the partnership.", True),
        ("The committee met in Dhaka.", False),
        ("the embassy hosted the meeting.", False),
    ],
)
def test_who_is_answered_by_a_person_or_a_named_body(sentence: str, expected: bool) -> None:
    assert _has_answer_type(PERSON, sentence, {"who", "hosted", "the", "meeting"}) is expected


def test_according_to_names_say_who_said_it_not_what_is_asked() -> None:
    kinds = {t.text: t.kind for t in analyse("According to the Future Forum, what is it?").terms}
    assert kinds[stem("future")] == kinds["forum"] == "filler"
    assert {t.text: t.kind for t in analyse("What did the Future Forum adopt?").terms}[
        "forum"
    ] == "entity"


def test_relation_of_a_hyphenated_verb() -> None:
    assert relation("Who co-chaired the meeting?") == stem("chaired")


@pytest.mark.parametrize(
    "word, line, question, expected",
    [
        (
            "largest",
            "The EU is ASEAN's third largest trading partner.",
            "which is the largest partner",
            False,
        ),
        (
            "largest",
            "The EU is ASEAN's largest trading partner.",
            "which is the largest partner",
            True,
        ),
        (
            "largest",
            "The EU is ASEAN's third largest partner.",
            "which is the third largest partner",
            True,
        ),
        ("minister", "Deputy Minister Reynaldo will visit.", "who is the minister", False),
    ],
)
def test_unqualified(word: str, line: str, question: str, expected: bool) -> None:
    term = next(t for t in analyse(question).terms if t.text == stem(word))
    assert _unqualified(term, line, set(question.split()), _ORDINALS | _RANK) is expected


@pytest.mark.parametrize(
    "term, bag, expected",
    [
        ("cuban", {"cuba"}, True),
        ("cuba", {"cuban"}, True),
        ("korea", {"korean"}, True),
        ("china", {"chinese"}, False),
        ("cub", {"cuban"}, False),
        ("laos", {"lao"}, False),
    ],
)
def test_demonym(term: str, bag: set[str], expected: bool) -> None:
    assert _demonym(term, bag) is expected


@pytest.mark.parametrize(
    "question, noun, narrowed",
    [
        ("What magnitude was the earthquake?", "magnitude", None),
        ("Which theme did Malaysia pick?", "theme", None),
        ("What did he say?", None, None),
        ("How much did NZ pledge for cybersecurity specifically?", None, "cybersecurity"),
        ("How much did Germany alone contribute?", None, "germany"),
        ("how much did germany itself give to the plan", None, "germany"),
        ("How much of the package is set aside specifically for cybersecurity?", None,
         "cybersecurity"),
    ],
)
def test_asked_noun_and_restriction(question: str, noun: str | None, narrowed: str | None) -> None:
    assert asked_noun(question) == (stem(noun) if noun else None)
    assert restricted(question) == (stem(narrowed) if narrowed else None)


def test_unknown_attribute() -> None:
    known = {stem(w) for w in ("earthquake", "abbreviation")}
    idf = lambda t: 1.0 if t in known else 9.0  # noqa: E731
    assert _unknown_attribute(analyse("What was the magnitude of the earthquake?"), idf)
    assert _unknown_attribute(analyse("What magnitude was the earthquake?"), idf)
    # the text shows an acronym or a title without naming it: never refused for that
    assert not _unknown_attribute(analyse("What is the acronym of the pact?"), idf)
    assert not _unknown_attribute(analyse("What posts does General Cuong hold?"), idf)


@pytest.mark.parametrize(
    "sentence, expected",
    [
        ("the ASEAN Community Vision 2045 guides cooperation", False),  # a year inside a name
        ("In 2025, Vietnam will chair the group", True),
        ("after the visit in July 2023", True),
        ("the new period (2026-2030)", True),
    ],
)
def test_years_that_date_something(sentence: str, expected: bool) -> None:
    assert _has_answer_type(YEAR, sentence, set()) is expected


@pytest.mark.parametrize(
    "question, noun",
    [
        ("Which ASEAN member state is coordinator for ASEAN-Australia relations?", "coordinator"),
        ("What is the population of Vietnam?", "population"),
        ("Which country chaired ASEAN in 2024?", None),
    ],
)
def test_predicate_noun(question: str, noun: str | None) -> None:
    assert predicate_noun(question) == (stem(noun) if noun else None)


@pytest.mark.parametrize(
    "question, expected",
    [
        ("What is the name of the Chairman who stressed fiscal discipline?", PERSON),
        ("How many euros does the plan contribute?", QUANTITY),
        ("Where in Malaysia was the retreat held?", VENUE),
        ("What is Ruritania's rank among the bloc's partners?", ORDINAL),
        ("ruritania trade rank", ORDINAL),
        ("fair budget", QUANTITY),
        ("action plan percent implemented", QUANTITY),
        ("Whose foreign ministers did Son meet?", OTHER),  # a country can answer "whose"
    ],
)
def test_more_answer_types(question: str, expected: str) -> None:
    assert answer_type(question) == expected


def test_alone_needs_the_word_on_its_own() -> None:
    germany = next(
        t for t in analyse("How much did Germany alone give?").terms if t.text == stem("germany")
    )
    assert not _standalone(germany, "The ASEAN-EU-Germany Climate Action Plan has 6 million euros.")
    assert _standalone(germany, "Germany gave 2 million euros.")


def test_short_second_part_borrows_the_subject() -> None:
    long = (
        "Which anniversary is 2025, and by what year does Vietnam want to be a modern "
        "industrialized country?"
    )
    assert (
        split_question(long)[1]
        == "by what year does Vietnam want to be a modern industrialized country?"
    )
    assert split_question("Who hosted the forum, and on what date?")[1] == "on what date the forum"


def test_counted_noun_and_number_words() -> None:
    assert counted_noun("How many action lines does the plan contain?") == stem("lines")
    assert not _has_answer_type(
        NUMBER, "The two sides noted that 94% of the action lines were done.", set(), stem("lines")
    )
    assert _has_answer_type(NUMBER, "It has three action lines.", set(), stem("lines"))
    assert _has_answer_type(NUMBER, "It has three pillars.", set())  # nothing said: any count


@pytest.mark.parametrize(
    "question, kept, dropped",
    [
        (
            "Apart from the talks with China, Laos and Peru, with which partners were talks held?",
            {"partner", "talk", "held"},
            {"china", "lao", "peru"},
        ),
        ("Which partners besides China held talks?", {"partner", "held", "talk"}, {"china"}),
        ("Which countries attended the talks?", {"country", "talk"}, set()),
    ],
)
def test_excluded_names_are_not_asked_about(question: str, kept: set, dropped: set) -> None:
    terms = {t.text for t in analyse(question).terms}
    assert {stem(w) for w in kept} <= terms
    assert not ({stem(w) for w in dropped} & terms)


def test_an_office_named_anywhere_must_not_be_a_lesser_one() -> None:
    from assistant.backends.extractive import score_units

    line = "Deputy Prime Minister Bui Thanh Son attended the retreat in January."
    ev = [Evidence(Chunk("a.txt", 1, 1, line), 1.0, 0.5, None)]
    idf = lambda t: 1.0  # noqa: E731
    lookup = lambda source: [line]  # noqa: E731
    asked = score_units(analyse("When did Bui Thanh Son become Prime Minister?"), ev, lookup, idf)
    assert asked and all(u.missing_key for u in asked)
    deputy = score_units(analyse("When did Son become Deputy Prime Minister?"), ev, lookup, idf)
    assert any(not u.missing_key for u in deputy)


def test_office_needs_the_office_word_not_a_lookalike() -> None:
    office = next(t for t in analyse("Who is the minister?").terms if t.text == stem("minister"))
    line = "Son said the Ministry of Finance cut funding."
    assert not _names_office(office, line, _bag(line), {"who", "is", "the", "minister"})
    line = "Minister of Finance Nguyen Van Thang spoke."
    assert _names_office(office, line, _bag(line), {"who", "is", "the", "minister"})


@pytest.mark.parametrize(
    "question, attribute, noun, qtype",
    [
        ("What is the capital city of Australia?", "capital", None, OTHER),
        ("What GDP growth rate did Vietnam achieve?", None, "rate", QUANTITY),
    ],
)
def test_attribute_forms(question: str, attribute, noun, qtype: str) -> None:
    assert focus(question) == (stem(attribute) if attribute else None)
    assert asked_noun(question) == (stem(noun) if noun else None)
    assert answer_type(question) == qtype


def test_how_many_of_a_currency_is_an_amount() -> None:
    assert answer_type("How many US dollars is the pledge worth?") == QUANTITY


def test_a_question_about_a_title_needs_no_word_title() -> None:
    from assistant.backends.extractive import score_units

    line = "Minister of Public Security General Luong Tam Quang called for closer ties."
    ev = [Evidence(Chunk("a.txt", 1, 1, line), 1.0, 0.5, None)]
    units = score_units(
        analyse("What is the position of Luong Tam Quang?"), ev, lambda s: [line], lambda t: 1.0
    )
    assert units and not units[0].missing_key


@pytest.mark.parametrize(
    "question, expected",
    [
        # terse questions with no wh-word: the noun that asks says what is wanted
        ("date of the trade talks in Rome", DATE),
        ("dollar value of the bilateral trade", QUANTITY),
        ("export turnover by 2030, in usd", QUANTITY),
        ("years covered by the second work plan", YEAR),
        ("name of the bank's chief executive", PERSON),
        ("name the council's special envoy", PERSON),
        ("the bank's executive vice president - name", PERSON),
        ("Name the challenges the minister listed.", OTHER),
        # an opening "when" clause sets the scene; the question proper follows the comma
        ("When the council met in Rome, which treaty did it sign?", OTHER),
        ("When the council met, who chaired it?", PERSON),
        ("whats the motto of the fair", OTHER),
        ("What is the name of Ruritania's trade minister who visited?", PERSON),
    ],
)
def test_answer_type_of_terse_and_clause_led_questions(question: str, expected: str) -> None:
    assert answer_type(question) == expected


@pytest.mark.parametrize(
    "question, office, owner",
    [
        ("name of the council's secretary-general", "secretary", "council"),
        ("What is the name of Ruritania's foreign minister?", "foreign minister", "ruritania"),
        ("Who is the Freedonian foreign minister?", "foreign minister", "freedonian"),
        ("Who is the foreign minister of Ruritania?", "foreign minister", "ruritania"),
        ("who is ruritania's deputy minister of higher education", "minister", "ruritania"),
        ("Who is the executive vice president of the Bank of the Andes?", "president", None),
        ("Which foreign minister co-chaired it?", "foreign minister", None),
        ("name of the daily's reporter who interviewed her", "reporter", "daily"),
        ("name of the tg&vn reporter who interviewed her", "reporter", None),
        ("who was the timor-leste foreign minister at the retreat", "foreign minister",
         "timor-leste"),
        ("Who is the New Zealand Minister of Trade?", "minister", "zealand"),
    ],
)
def test_office_and_its_owner(question: str, office: str, owner: str | None) -> None:
    assert role(question) == tuple(stem(w) for w in office.split())
    assert office_owner(question) == owner


@pytest.mark.parametrize(
    "sentence, offices, question, owner, expected",
    [
        ("It was chaired by Freedonian Trade Minister Jane Roe and attended by the "
         "Secretary-General, and the Minister of Trade of Ruritania as an observer.",
         "secretary general", "", None, False),
        ("It was chaired by Freedonian Trade Minister Jane Roe.", "minister", "", None, True),
        ("It was chaired by Freedonian Trade Minister Jane Roe.", "minister", "ruritania's",
         "ruritania", False),
        ("It was chaired by Ruritanian Trade Minister Jane Roe.", "minister", "ruritania's",
         "ruritania", True),
        ("John Doe, Ruritania's Trade Minister, said so.", "minister", "ruritania's",
         "ruritania", True),
        ("Deputy PM and FM John Doe met the press.", "minister", "", None, True),
        ("Ambassador, Head of the Mission of Ruritania to the UN Jane Roe spoke.", "ambassador",
         "", None, True),
        ("Led by Minister of Trade John Doe, the delegation met ministers of Ruritania.",
         "minister", "ruritanian doe", "ruritanian", False),  # the question's own person
        ("The minister met ministers of Ruritania and Freedonia.", "minister", "", None, False),
    ],
)
def test_holder_stands_next_to_the_office(
    sentence: str, offices: str, question: str, owner: str | None, expected: bool
) -> None:
    assert _holder(sentence, {stem(w) for w in offices.split()}, set(question.split()), owner) is (
        expected
    )


@pytest.mark.parametrize(
    "sentence, expected",
    [
        ("Foreign Minister John Doe met delegates from Ruritania.", False),  # whose minister?
        ("Ruritanian Foreign Minister John Doe met delegates.", True),
        ("John Doe, Ruritania's Foreign Minister, met delegates.", True),
    ],
)
def test_holder_must_name_the_owner_in_a_story_about_someone_else(
    sentence: str, expected: bool
) -> None:
    offices = {stem("minister")}
    assert _holder(sentence, offices, {"ruritania's"}, "ruritania", need_owner=True) is expected
    assert _holder(sentence, offices, {"ruritania's"}, "ruritania") is True


@pytest.mark.parametrize(
    "sentence, question, expected",
    [
        ("The meetings take place from July 8-11 in Rome.", "how many states attended", False),
        ("The fair opened on 10 July 2025.", "how many states attended", False),
        ("Delegates from 12 states attended.", "how many states attended", True),
        ("The plan has 3 pillars.", "how many pillars", True),
    ],
)
def test_a_date_is_not_a_count(sentence: str, question: str, expected: bool) -> None:
    assert _has_answer_type(NUMBER, sentence, set(question.split())) is expected


def test_a_number_matches_its_ordinal_and_plural_abbreviations_their_singular() -> None:
    q = analyse("Which group will turn 25 when the FMs meet?")
    by_text = {t.text: t for t in q.terms}
    assert _covers(by_text["25"], _bag("the 25th anniversary of the group"))
    assert not _covers(by_text["25"], _bag("the 26th anniversary of the group"))
    assert any(alt == (stem("foreign"), stem("minister")) for alt in by_text["fm"].alts)


@pytest.mark.parametrize(
    "question, noun",
    [
        ("What theme did the council pick for 2024?", "theme"),
        ("Which country did the council pick?", None),  # a class: the answer names a member
        ("2030 plan budget", "budget"),  # keywords: the last one is what is asked
        ("budget of the plan and its theme", "theme"),
        ("budget talks in Ruritania", None),
        ("Which agreement was signed?", None),
    ],
)
def test_attribute_noun(question: str, noun: str | None) -> None:
    assert _attribute_noun(question) == (stem(noun) if noun else None)


@pytest.mark.parametrize(
    "question, abbreviation",
    [
        ("What does WTO stand for?", "wto"),
        ("what is the full name of the IAEA", "iaea"),
        ("what does the acronym CSP mean", "csp"),
        ("IAI stands for", "iai"),
        ("WTO - what is it short for", "wto"),
        ("What does the WTO do?", None),
    ],
)
def test_expansion_of(question: str, abbreviation: str | None) -> None:
    assert expansion_of(question) == abbreviation


@pytest.mark.parametrize(
    "question, anchor",
    [
        ("Under the auspices of which body was the fair held?", {"auspices"}),
        ("In the presence of which minister was it signed?", {"presence"}),
        ("The plan covers which years?", set()),  # no preposition frames the answer
        ("Which body held the fair?", set()),
        ("When the fair opened, which body held it?", set()),
    ],
)
def test_wh_anchor(question: str, anchor: set[str]) -> None:
    assert wh_anchor(question) == {stem(w) for w in anchor}


def test_predicate_noun_is_a_noun_not_a_participle() -> None:
    assert predicate_noun("which official's trip is linked to the deal") is None


def test_a_sibling_sentence_that_says_what_its_line_left_implicit_completes_the_answer() -> None:
    from assistant.backends.extractive import Unit, select

    terms = frozenset({"autonomy", "mean", "relat"})
    first = Unit("a.txt", 6, "X stressed the issue of autonomy.", 0, 0.5, 0.8, False, True,
                 terms, 0.5, 0.5, False, frozenset({"autonomy"}))
    second = Unit("a.txt", 6, "In relations, this means balance.", 0, 0.5, 0.78, False, True,
                  terms, 0.5, 0.5, False, frozenset({"mean", "relat"}))
    elsewhere = Unit("b.txt", 2, "Autonomy matters.", 1, 0.5, 0.79, False, True,
                     terms, 0.5, 0.5, False, frozenset({"autonomy"}))
    q = analyse("What does autonomy mean in relations?")
    assert select([first, second], q, 0.45, 2) == [first, second]
    assert select([first, elsewhere], q, 0.45, 2) == [first]  # adds nothing of its own


@pytest.mark.parametrize(
    "sentence, question, expected",
    [
        ("He will co-chair the Bloc-Ruritania and Bloc-UK meetings.", "the Bloc-Freedonia meeting",
         True),
        ("He will co-chair the Bloc-Freedonia meeting.", "the Bloc-Freedonia meeting", False),
        ("Bloc-New Zealand ties grew.", "the Bloc-NZ meeting", False),  # the same pair
        ("Bloc-UK ties grew, and Freedonia joined.", "the Bloc-Freedonia meeting", False),
        ("The summit went well.", "the Bloc-Freedonia meeting", False),  # no pair named
    ],
)
def test_other_pair(sentence: str, question: str, expected: bool) -> None:
    from assistant.backends.extractive import _PAIR, _member, _other_pair

    pairs = [(m.group(1).lower(), _member(m.group(2))) for m in _PAIR.finditer(question)]
    assert _other_pair(sentence, pairs) is expected


@pytest.mark.parametrize(
    "question, sentence, reading",
    [
        # Part of the name, and a country sets the sentence's name apart: another thing.
        ("Who heads the Korean Savings Bank?",
         "Jane Roe, head of the Savings Bank of Japan, spoke.", "other"),
        ("When was the Canada-Korea Partnership set up?",
         "The Japan-Canada Partnership was set up in 2001.", "other"),
        ("What did Marie Curie say?", "The Curie Institute of France opened.", "other"),
        # The tail of the name, as a name: the same person or body, named short.
        ("What did Marie Curie say?", "Curie's lecture was long.", "short"),
        ("When did Prime Minister Jane Roe visit?", "Roe visited in May.", "short"),
        ("Who heads the Korean Savings Bank?", "The Savings Bank's head is Jane Roe.", "short"),
        # A common word, the whole name, or nothing of it: no verdict.
        ("What did the World Trade Organization say?", "The organization of events went well.",
         None),
        ("Who heads the Korean Savings Bank?", "The Korean Savings Bank is led by Jane Roe.", None),
        ("Who heads the Korean Savings Bank?", "Jane Roe spoke in May.", None),
    ],
)
def test_phrase_reading(question: str, sentence: str, reading: str | None) -> None:
    q = analyse(question)
    (phrase,) = name_phrases(q.terms).values()
    assert phrase_reading(phrase, list(q.terms), sentence) == reading


def test_spans_of_time_and_a_different_length() -> None:
    assert spans("over the past ten years, a 5-year plan, 3 months") == {
        ("10", "year"), ("5", "year"), ("3", "month")}
    assert _other_span({("10", "year")}, "Trade grew 40% over five years.")
    assert not _other_span({("5", "year")}, "Trade grew 40% over five years.")
    assert not _other_span({("10", "year")}, "Trade grew in 2020.")  # no length given: no verdict


@pytest.mark.parametrize(
    "word, expected",
    [("philippine", True), ("canada", True), ("zealand", True), ("korean", True),
     ("state", False), ("kingdom", False), ("union", False), ("trade", False), ("us", False)],
)
def test_is_country(word: str, expected: bool) -> None:
    assert _is_country(stem(word)) is expected


def test_lowercase_country_is_a_name_even_when_the_documents_never_write_it() -> None:
    q = with_names_cased(analyse("what did the philippine minister say"), [])
    assert {t.text: t.kind for t in q.terms}[stem("philippine")] == "entity"


@pytest.mark.parametrize(
    "sentence, question, expected",
    [
        ("The embassy in Bangladesh hosted the talks.", "which country hosted the talks", True),
        ("Agencies in Israel and Iran were told to be ready.", "which countries", False),  # (1)
        ("Kazakhstan's police will sign the deal.", "which kazakh body will sign", False),
        ("The bloc's member states agreed.", "which member state agreed", False),
        ("The Thai minister agreed.", "which country agreed", True),
    ],
)
def test_names_country(sentence: str, question: str, expected: bool) -> None:
    # (1) countries the gazetteer does not know are found as places instead ("in Israel")
    assert _names_country(sentence, set(question.split())) is expected
    if "Israel" in sentence:
        assert _has_answer_type(VENUE, sentence, set(question.split()))


@pytest.mark.parametrize(
    "sentence, question, expected",
    [
        ("Police met in Astana.", "where did police meet kazakh officials", True),
        ("Police met the Kazakhstan officials in Hanoi.", "where did police meet kazakh", True),
        ("He called on Kazakhstan's police to act, in Kazakhstan.", "where kazakh police", False),
        ("The embassy met in Dhaka.", "where in bangladesh did the embassy meet", True),
    ],
)
def test_a_place_is_not_one_the_question_names(
    sentence: str, question: str, expected: bool
) -> None:
    assert _has_answer_type(VENUE, sentence, set(question.split())) is expected


def test_two_letter_initials_stand_for_a_name_only_when_known() -> None:
    q = analyse("Who chaired the ASEAN-Canada talks?")
    canada = next(t for t in q.terms if t.text == "canada")
    assert canada.acronym == "ac"
    assert not _covers(canada, _bag("It was the first event of the ASEAN Chairmanship."))
    nz = next(t for t in analyse("What did New Zealand pledge?").terms if t.text == "zealand")
    assert _covers(nz, _bag("NZ pledged more."))


def _units(question: str, lines: list[str]):
    """Score a three-line document as the extractive answerer does (flat idf)."""
    from assistant.backends.extractive import score_units

    ev = [Evidence(Chunk("a.txt", 1, len(lines), "\n".join(lines)), 1.0, 0.5, None)]
    q = with_names_cased(analyse(question), ev)
    units = score_units(q, ev, lambda source: lines, lambda term: 1.0)
    return {u.text: u for u in units}


def test_it_refers_back_to_the_line_before_not_the_one_after() -> None:
    lines = ["The Bloc held its Retreat in Ruritania.",
             "It was chaired by Jane Roe of Ruritania.",
             "Its members praised the Bloc's work in 2024."]
    before = _units("Who chaired the Bloc Retreat?", lines)[lines[1]]
    after = _units("Who chaired the Bloc Retreat in 2024?", lines)[lines[1]]
    assert not before.missing_key
    assert after.missing_key  # the year is on the next line: "It" does not point there


def test_which_country_chaired_needs_a_chair_and_a_country() -> None:
    lines = ["Ruritania led its delegation to the Bloc-Japan talks.",
             "Freedonia's chairmanship of the Bloc ended in 2024, Japan said.",
             "The Bloc member states met."]
    units = _units("Which country chaired the Bloc-Japan talks?", lines)
    assert units[lines[0]].off_topic  # leading a delegation is not chairing
    assert not units[lines[1]].off_topic  # "chairmanship" says it
    member = _units("Which member state chaired the talks?", lines)[lines[2]]
    assert not member.type_ok  # names no country


def test_a_title_with_the_refers_back_to_its_holder() -> None:
    lines = ["Jane Roe arrived in Ruritania.",
             "On this occasion, the Deputy Prime Minister will also co-chair two meetings."]
    unit = _units("Which meetings will Roe co-chair?", lines)[lines[1]]
    assert not unit.missing_key  # "Roe" comes from the line before: "the Deputy Prime Minister"
    alone = _units("Which meetings will Roe co-chair?", [lines[1]])[lines[1]]
    assert alone.missing_key


def test_apart_from_a_country_the_answer_names_another() -> None:
    lines = ["Roe co-chaired the Bloc-Japan meeting with Japan's minister.",
             "Roe will co-chair the Bloc-Japan meeting and the Bloc-Canada meeting."]
    units = _units("Apart from the Bloc-Japan one, which meeting will Roe co-chair?", lines)
    assert not units[lines[0]].type_ok and units[lines[0]].off_topic  # only Japan again
    assert units[lines[1]].type_ok and not units[lines[1]].off_topic


def test_first_of_a_deed_is_not_a_rank_and_a_bare_date_takes_the_story_year() -> None:
    lines = ["The Gazette, founded in 1925, first appeared in Freedonia.",
             "In 2025 the Bloc met often.",
             "The Bloc held its retreat in Ruritania on January 19."]
    first = _units("When did the Gazette first appear?", lines)[lines[0]]
    assert not first.off_topic  # "first appear" is a deed, not "the first paper"
    retreat = _units("Where was the January 2025 Bloc retreat held?", lines)[lines[2]]
    assert not retreat.missing_key  # "January 19" is dated by the story: 2025
    other = _units("Where was the Bloc retreat held in 2025?", ["The retreat was in Ruritania.",
                                                                 "Trade grew in 2025."])
    assert other["The retreat was in Ruritania."].missing_key  # no date on it: no year either


def test_an_ordinal_matches_its_bare_number() -> None:
    by_text = {t.text: t for t in analyse("When was the 58th AMM?").terms}
    assert _covers(by_text["58th"], _bag("AMM 58 was held in July."))
    assert not _covers(by_text["58th"], _bag("AMM 57 was held in July."))


@pytest.mark.parametrize(
    "question, country, keyword",
    [
        ("Which country chaired the bloc?", True, None),
        ("which member state hosts it", True, None),
        ("Which number country was Ruritania to join?", False, None),
        ("Which country, in order, was Ruritania to join?", False, None),
        ("Which city hosted the fair?", False, None),
        ("ruritania fair budget", False, "budget"),
    ],
)
def test_asks_for_country_and_keyword_noun(question: str, country: bool, keyword) -> None:
    assert asks_for_country(question) is country
    assert keyword_noun(question) == (stem(keyword) if keyword else None)
