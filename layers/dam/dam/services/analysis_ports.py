"""The ports of image analysis and text embedding. Adapters: dam.adapters.bedrock (AWS) and
dam.adapters.local_analysis (offline); tests may pass their own."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from dam.domain.analysis import ImageAnalysis


@runtime_checkable
class ImageAnalyzer(Protocol):
    def analyze(
        self,
        image: bytes,
        content_type: str,
        *,
        hint: str | None = None,
        context: str | None = None,
        original_size: tuple[int, int] | None = None,
    ) -> ImageAnalysis:
        """Describe and tag one image.

        `image` is a JPEG/PNG/WebP preview (≤ ~1600 px). `hint` is a human correction that wins over
        what the analyzer would conclude by itself; `context` is what is already known (the asset's
        name, say), to help naming, never to contradict the picture; `original_size` is the original's upright
        (width, height) when `image` is a downscaled preview. Raises `Throttled` when the
        dependency asks to slow down, `AnalysisInvalid` when no valid analysis could be had.
        """
        ...


@runtime_checkable
class TextEmbedder(Protocol):
    """Text → L2-normalised vectors. `model_id` names the vector space: vectors of different models
    (or dimensions) are never compared."""

    model_id: str
    dimensions: int

    def embed_documents(self, texts: list[str]) -> list[list[float]]: ...
    def embed_query(self, text: str) -> list[float]: ...
