def test_a_current_state_is_answered_from_the_newest_article_and_dated(desk: Assistant):
    """'Who is the new UK prime minister?': not the 2 September article that says it
    will be one of two candidates, but a later one, and the answer says its date."""
    answer = desk.ask("Who is the new UK prime minister?")
    assert answer.answered and answer.citations
    lead = {c.n: c for c in answer.citations}[answer.sentences[0].citations[0]]
    assert lead.published and lead.published > date(2022, 9, 2)
    assert answer.text.startswith(f"As of {day_text(lead.published)}: ")
    plain = desk.ask("Who won the Conservative Party leadership race?")
    assert plain.answered and not plain.text.startswith("As of")


def test_an_answer_older_than_the_window_says_so(desk: Assistant):
    """Nothing of 26 October: the answer comes from the Parler deal of 17 October, and
    says it is from before the window."""
    answer = desk.ask(
        "What did Kanye West buy yesterday?", filters=Filters(as_of=date(2022, 10, 27))
    )
    assert answer.answered and answer.citations
    lead = {c.n: c for c in answer.citations}[answer.sentences[0].citations[0]]
    assert lead.published and lead.published < date(2022, 10, 26)
    assert answer.text.startswith(
        f"From {day_text(lead.published)}, before yesterday (26 October 2022): "
    )
