"""Measure retrieval and answers on questions with known answers, the way users ask.

Owns: the question files and answer matching (questions.py), the cached evaluation index
and the run with its metrics and per-question records (run.py), the HTML report
(report.py). Nothing here knows any particular question.
"""

from .questions import (
    Question,
    contains_answer,
    load_questions,
    normalise,
    short_answer_matches,
)
from .report import write_report
from .run import METRICS, Evaluation, Outcome, compute_metrics, eval_assistant, evaluate

__all__ = [
    "METRICS",
    "Evaluation",
    "Outcome",
    "Question",
    "compute_metrics",
    "contains_answer",
    "eval_assistant",
    "evaluate",
    "load_questions",
    "normalise",
    "short_answer_matches",
    "write_report",
]
