"""What the model sees of a paper: title and abstract word n-grams, and a few cue flags.

`parse` is THE feature extractor: training hands it to scikit-learn as its analyzer and the scorer runs it, so
training and serving can never disagree on what a feature is.

* Title and abstract are separate blocks of unigrams and adjacent bigrams of content words ("sparse",
  "sparse_autoencoder"), repetitions kept (term frequency counts).
* A paper without an abstract (a title-only list entry) uses its title as its abstract ("absfill"), so both
  blocks carry its words, as they did for the title-only positives it was trained with.
* Cue flags: an interpretability phrase (specific, like "activation patching", or general, like "probing") in
  the title or abstract, and whether a language model is mentioned anywhere. Their weights are small; they
  mostly help "circuit" in a language-model paper apart from "circuit" in a hardware one.
* The scope cue (`SCOPE_FLAGS`): a specific phrase, or a general one with a language model mentioned. The list's
  scope is a conjunction, interpretability *of a language model*, and a linear model only adds words up: an
  explainable-AI paper on seismic data or an LLM benchmark without one interpretability term can pile up enough
  words to pass. A paper without the scope cue takes the model file's fixed "gate" penalty (scorer.py).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.intake.relevance.text import PerWord, content_words, stem, words

# Cue phrases, on stemmed words. A trailing '*' marks a prefix on the last word. Part of the model: retrain after
# any change. Since the scope gate (SCOPE_FLAGS) rests on them, they lean inclusive: a missing word ("mechanistic",
# "Claude", "reasoning model") costs an in-scope paper the gate's penalty, an extra one only lets a paper through.
_SPECIFIC = """mechanistic interpretab* | sparse autoencoder | sparse autoencod* | sae | saes | superposition |
    logit len | tuned len | attention head | steering vector | activation steering | activation patching |
    path patching | causal tracing | knowledge editing | model editing | grokking | dictionary learning |
    transcoder | crosscoder | linear probe | probing classifier | circuit discovery | induction head |
    residual stream | monosemantic* | polysemantic* | representation engineering | function vector |
    task vector | steering | knowledge neuron | interchange intervention | causal mediation |
    attribution graph | logit attribution | concept vector | representation steering | activation engineering"""
_GENERAL = """interpretab* | explainab* | explanation | probe | probing | circuit | neuron | hidden state |
    internal representation | internal state | intermediate layer | attention pattern | attention weight |
    attention map | mechanism | attribution | saliency | activation | representation | layer | internal |
    latent | feature | subspace | direction | faithful* | localiz* | localis* | edit* | in context learning |
    training dynamic | emergent | mechanistic* | explain* | interpret* | internal* | influence function | lesion*"""
_LANGUAGE_MODEL = """language model | llm | llms | lm | lms | transformer | gpt | bert | llama | mllm | vlm | chatgpt |
    gemma | mistral | qwen | pythia | roberta | t5 | gpt2 | claude | gemini | deepseek | olmo | mixtral | vicuna |
    llava | multimodal large | vision language model | chain of thought | cot | token | in context | reasoning model |
    lrm | lrms | multilingual | lvlm | nmt | encoder | moe | mixture of expert"""

Phrase = tuple[str, ...]


def _phrases(spec: str) -> list[Phrase]:
    out = []
    for text in spec.split("|"):
        ws = text.split()
        if not ws:
            continue
        last = ws[-1]
        out.append((*[stem(w) for w in ws[:-1]], last if last.endswith("*") else stem(last)))
    return out


@dataclass(frozen=True)
class _CueIndex:
    by_first: Mapping[str, tuple[Phrase, ...]]  # first word -> the tails that may follow it
    prefixes: tuple[str, ...]  # one-word prefix phrases, without their '*'

    @classmethod
    def of(cls, spec: str) -> _CueIndex:
        by_first: dict[str, list[Phrase]] = {}
        prefixes: list[str] = []
        for phrase in _phrases(spec):
            if len(phrase) == 1 and phrase[0].endswith("*"):
                prefixes.append(phrase[0][:-1])
            elif phrase[0].endswith("*"):
                raise ValueError(f"a cue phrase may only end in a prefix: {phrase}")
            else:
                by_first.setdefault(phrase[0], []).append(phrase[1:])
        return cls({k: tuple(v) for k, v in by_first.items()}, tuple(prefixes))


_CUES = {name: _CueIndex.of(spec) for name, spec in (("spec", _SPECIFIC), ("gen", _GENERAL), ("lm", _LANGUAGE_MODEL))}

_WordCue = tuple[str, str, Phrase]  # (category, phrase label, the tail that must follow the word)


def _word_cues(word: str) -> tuple[_WordCue, ...]:
    out: list[_WordCue] = []
    for name, index in _CUES.items():
        for tail in index.by_first.get(word, ()):
            out.append((name, " ".join((word, *tail)), tail))
        for prefix in index.prefixes:
            if word.startswith(prefix):
                out.append((name, prefix + "*", ()))
    return tuple(out)


_WORD_CUES = PerWord(_word_cues)


def _tail_matches(seq: Sequence[str], i: int, tail: Phrase) -> bool:
    if i + len(tail) >= len(seq):
        return False
    for k, expected in enumerate(tail):
        word = seq[i + 1 + k]
        if expected.endswith("*"):
            if not word.startswith(expected[:-1]):
                return False
        elif word != expected:
            return False
    return True


def cues(seq: Sequence[str]) -> dict[str, str]:
    """Cue phrases found in a word sequence: phrase label -> category ('spec', 'gen' or 'lm')."""
    found: dict[str, str] = {}
    for i, word in enumerate(seq):
        for name, label, tail in _WORD_CUES[word]:
            if label not in found and (not tail or _tail_matches(seq, i, tail)):
                found[label] = name
    return found


def block_features(seq: Sequence[str], bigrams: bool = True) -> list[str]:
    """Unigrams and adjacent bigrams ("a_b") of content words, repetitions kept."""
    content = content_words(seq)
    if bigrams and len(content) > 1:
        return content + [a + "_" + b for a, b in itertools.pairwise(content)]
    return content


def cue_flags(title_cues: Mapping[str, str], abstract_cues: Mapping[str, str]) -> list[str]:
    """Per place (t_ title, a_ abstract) and category (spec, gen): the flag, and the flag '+lm' when a language
    model is mentioned anywhere; t_lm / a_lm for the mention itself."""
    out = []
    in_title = set(title_cues.values())
    in_abstract = set(abstract_cues.values())
    lm = "lm" in in_title or "lm" in in_abstract
    for name in ("spec", "gen"):
        if name in in_title:
            out.append("t_" + name)
            if lm:
                out.append("t_" + name + "+lm")
        if name in in_abstract:
            out.append("a_" + name)
            if lm:
                out.append("a_" + name + "+lm")
    if "lm" in in_title:
        out.append("t_lm")
    if "lm" in in_abstract:
        out.append("a_lm")
    return out


# The cue flags of which a paper needs one to escape the scope gate (a specific phrase; a general one beside a
# language-model mention). Training writes them into the model file with the penalty.
SCOPE_FLAGS = ("a_gen+lm", "a_spec", "t_gen+lm", "t_spec")


@dataclass(frozen=True)
class Parsed:
    title: list[str]  # title block features (uni- and bigrams, repetitions kept)
    abstract: list[str]  # abstract block features
    cue: list[str]  # cue flags, each once


@dataclass(frozen=True)
class FeatureConfig:
    """How features are made; travels in the model file ("config") so a model is read as it was trained."""

    bigrams: bool = True
    absfill: bool = True

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> FeatureConfig:
        if config.get("cue_mode", "coarse") != "coarse":
            raise ValueError(f"unsupported cue_mode {config.get('cue_mode')!r} in the relevance model")
        return cls(bigrams=bool(config.get("bigrams", True)), absfill=bool(config.get("absfill", True)))


def parse_words(title_words: Sequence[str], abstract_words: Sequence[str],
                config: FeatureConfig = FeatureConfig()) -> Parsed:
    """Features from already split words (`text.words`), for a caller that needs the words for more."""
    title = block_features(title_words, config.bigrams)
    if abstract_words:
        abstract = block_features(abstract_words, config.bigrams)
    else:
        abstract = list(title) if config.absfill else []
    return Parsed(title, abstract, cue_flags(cues(title_words), cues(abstract_words) if abstract_words else {}))


def parse(title: str, summary: str, config: FeatureConfig = FeatureConfig()) -> Parsed:
    """The one feature extractor, for training and serving alike."""
    return parse_words(words(title or ""), words(summary) if summary else [], config)
