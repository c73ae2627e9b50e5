"""What every stage shares about language: sentences, words, names and numbers, dates.

Owns: sentence boundaries (`sentences`), content words and accent folding (`words`), the
dates, numbers and names a sentence states (`terms`), relative-date windows and date
parsing (`dates`), Markdown escaping (`markdown`). Nothing here knows about articles,
indexes or answers; every other package may import it, it imports none of them.
"""
