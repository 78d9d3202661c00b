"""An assistant that answers from a folder of documents and cites every claim as file:line.

Pipeline, one module each: documents -> chunking -> embeddings/lexical -> index -> retrieve ->
answer (backends) -> verify -> interfaces (api, cli).
"""

from .answer import CANNOT_ANSWER, Answer
from .api import Assistant, QuestionError
from .citations import Citation
from .settings import Settings

__all__ = ["Assistant", "Answer", "Citation", "Settings", "QuestionError", "CANNOT_ANSWER"]
__version__ = "0.1.0"
