"""Learning from labelled dossiers: reviewer corrections and any labelled set.

A province starts with the catalog alone; every dossier a reviewer files becomes an example. The
model is a linear classifier over folded text (syllable unigrams and bigrams, which carry most of
Vietnamese meaning, plus character n-grams, which survive OCR errors), trained on the examples
plus one pseudo-example per catalog procedure (its name, titles and components), so procedures no
one has corrected yet still have a voice. `classify` mixes its probabilities with the catalog
scores rather than replacing them: a handful of examples must not overrule a printed form title.
"""

from __future__ import annotations

import hashlib
import io
import json
import pickle
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from procedures.catalog import Catalog
from procedures.text import fold_key

_MAGIC = b"sohoa-procedures-model/1\n"
_ALL_PSEUDO_UP_TO = 300
_MAX_FEATURES = 200_000


def dossier_text(pages: Sequence[str]) -> str:
    """The folded text of a whole dossier, the model's input."""
    return "\n".join(fold_key(page) for page in pages)


def _catalog_documents(catalog: Catalog) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for procedure in catalog:
        parts = [procedure.name, *procedure.titles, *procedure.forms, *procedure.components, procedure.note]
        texts.append(fold_key(" \n".join(parts)))
        labels.append(procedure.id)
    return texts, labels


@dataclass
class TrainedModel:
    """A trained text classifier with the version id it is stored and reported under."""

    pipeline: Pipeline
    version: str
    examples: int

    @property
    def classes(self) -> list[str]:
        return [str(c) for c in self.pipeline.classes_]

    def probabilities(self, pages: Sequence[str]) -> dict[str, float]:
        """Probability of each known procedure for a dossier's pages."""
        row = self.pipeline.predict_proba([dossier_text(pages)])[0]
        return {pid: float(p) for pid, p in zip(self.classes, row, strict=True)}

    def to_bytes(self) -> bytes:
        """Serialized model for the object store: a header line (JSON) then the pickled pipeline.

        Pickle runs code when loaded: only load models this installation wrote itself.
        """
        payload = pickle.dumps(self.pipeline, protocol=pickle.HIGHEST_PROTOCOL)
        header = {"version": self.version, "examples": self.examples, "sklearn": sklearn.__version__}
        return _MAGIC + json.dumps(header).encode() + b"\n" + payload

    @classmethod
    def from_bytes(cls, data: bytes) -> TrainedModel:
        """The model `to_bytes` wrote; ValueError when the data is not one."""
        if not data.startswith(_MAGIC):
            raise ValueError("not a sohoa procedures model")
        stream = io.BytesIO(data[len(_MAGIC):])
        header = json.loads(stream.readline())
        pipeline = pickle.loads(stream.read())  # our own models only, see to_bytes
        return cls(pipeline=pipeline, version=header["version"], examples=header["examples"])


def train(examples: Sequence[tuple[Sequence[str], str]], catalog: Catalog) -> TrainedModel:
    """Train on (pages, procedure id) examples; ids missing from the catalog are skipped.

    The version id is a hash of the training data and the catalog, so retraining on the same
    corrections yields the same version and a changed model is always a new one.
    """
    texts, labels = _catalog_documents(catalog)
    if len(catalog) > _ALL_PSEUDO_UP_TO:
        # A national catalog's thousands of classes would make the model gigabytes: then only the
        # procedures with examples get a pseudo-example; the catalog scores speak for the others.
        wanted = {procedure_id for _, procedure_id in examples}
        kept = [(t, label) for t, label in zip(texts, labels, strict=True) if label in wanted]
        kept += [(t, label) for t, label in zip(texts, labels, strict=True) if label not in wanted][: 2]
        texts, labels = [t for t, _ in kept], [label for _, label in kept]
    used = 0
    for pages, procedure_id in examples:
        if procedure_id in catalog:
            texts.append(dossier_text(pages))
            labels.append(procedure_id)
            used += 1
    features = FeatureUnion([
        ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1, max_features=_MAX_FEATURES)),
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=1,
                                  max_features=_MAX_FEATURES)),
    ])
    pipeline = Pipeline([("features", features), ("classifier", LogisticRegression(C=20.0, max_iter=2000))])
    with warnings.catch_warnings():
        # One pseudo-example per procedure makes sklearn suspect a regression target: it is not.
        warnings.filterwarnings("ignore", message="The number of unique classes", category=UserWarning)
        pipeline.fit(texts, labels)
    digest = hashlib.sha256("\x1e".join(f"{label}\x1f{text}" for text, label in zip(texts, labels, strict=True))
                            .encode()).hexdigest()[:12]
    return TrainedModel(pipeline=pipeline, version=f"m-{digest}", examples=used)
