"""An assistant that answers from a folder of documents and cites every claim as file:line.

Pipeline, one module each: documents -> chunking -> embeddings/lexical -> index -> retrieve ->
backends (draft) -> verify -> abstain -> pipeline (the order and policy) -> interfaces (api,
conversation, cli, ui, report).
"""

from .answer import ANSWER_SCHEMA, CANNOT_ANSWER, Answer, Claim, Outcome
from .api import Assistant
from .citations import Citation
from .conversation import Conversation
from .errors import AssistantError, QuestionError
from .settings import Settings

__all__ = [
    "Assistant",
    "Answer",
    "Claim",
    "Citation",
    "Conversation",
    "Outcome",
    "Settings",
    "AssistantError",
    "QuestionError",
    "CANNOT_ANSWER",
    "ANSWER_SCHEMA",
]
__version__ = "0.1.0"
