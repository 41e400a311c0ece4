"""What a streamed answer shows, and when: checked sentences only, joined exactly as the final
answer joins them, and none before the answer is known to stand.

The pipeline checks each sentence as the backend produces it (``CheckingSession``). A checked
sentence can still belong to an answer that ends in a refusal (it does not state the kind of
fact asked for, or a name the question turns on), so sentences are held back until the answer
so far passes those checks; from then on each goes out the moment it is checked. The checks
only ever pass more as text is added, so a shown sentence is never taken back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from assistant.citations import joiner
from core.text import split_sentences


class ShownAnswer:
    """The text a stream has shown so far; ``offer`` releases checked sentences as deltas."""

    def __init__(self, answer_stands: Callable[[], bool]) -> None:
        self.text = ""
        self._answer_stands = answer_stands
        self._held: list[str] = []
        self._open = False

    def offer(self, sentences: Iterable[str]) -> Iterator[str]:
        """Sentences just checked: shown now if the answer so far stands, else held back."""
        self._held += sentences
        if self._held and (self._open or self._answer_stands()):
            self._open = True
            yield from self._release()

    def finish(self, sentences: Iterable[str], stands: bool) -> Iterator[str]:
        """The last checked sentences; what is still held goes out only if the answer stands."""
        self._held += sentences
        if stands:
            yield from self._release()
        self._held = []

    def _release(self) -> Iterator[str]:
        for sentence in self._held:
            delta = joiner(self.text, sentence) + sentence
            self.text += delta
            yield delta
        self._held = []


def sentence_pieces(text: str) -> Iterator[str]:
    """``text`` cut after each sentence (the pieces join back to it exactly), so a draft that
    is composed whole is still checked and shown sentence by sentence."""
    position = 0
    for sentence in split_sentences(text):
        found = text.find(sentence, position)
        if found < 0:
            break
        end = found + len(sentence)
        yield text[position:end]
        position = end
    if position < len(text):
        yield text[position:]
