"""Multipart uploads: when a file goes up in parts, how big each part is, and which part lists complete it.

S3's rules (https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html): parts of 5 MiB to 5 GiB
(the last may be smaller), at most 10,000 parts, numbered 1 to 10,000.
"""

from __future__ import annotations

from dataclasses import dataclass

from dam.domain.errors import InvalidInput
from dam.domain.formats import MediaType

MIB = 1024**2
GIB = 1024**3
MIN_PART_BYTES = 5 * MIB
MAX_PARTS = 10_000
DEFAULT_PART_BYTES = 16 * MIB
# Part URLs handed out at once (the first batch with the upload, later ones on request).
PART_BATCH = 100

# The largest file of each kind one upload may carry (a deployment's setting may lower it).
MAX_BYTES_BY_MEDIA: dict[MediaType, int] = {
    MediaType.VIDEO: 50 * GIB,
    MediaType.AUDIO: 10 * GIB,
    MediaType.IMAGE: 5 * GIB,
    MediaType.DOCUMENT: 5 * GIB,
    MediaType.DATA: 5 * GIB,
    MediaType.SUBTITLES: 5 * GIB,
    MediaType.ARCHIVE: 5 * GIB,
    # Facts are read from the whole file (an OBJ line by line): this bounds that work.
    MediaType.MODEL: 2 * GIB,
}


def size_limit(media_type: MediaType, deployment_limit: int) -> int:
    return min(MAX_BYTES_BY_MEDIA[media_type], deployment_limit)


def part_size_for(size: int, preferred: int = DEFAULT_PART_BYTES) -> int:
    """The part size: the preferred one, grown (in MiB steps) until the file fits in 10,000 parts."""
    part = max(preferred, MIN_PART_BYTES)
    if -(-size // part) > MAX_PARTS:
        part = -(-size // MAX_PARTS)
        part = -(-part // MIB) * MIB
    return part


def part_count(size: int, part_size: int) -> int:
    return max(1, -(-size // part_size))


def check_part_numbers(numbers: list[int], count: int) -> list[int]:
    """Part numbers asked for must exist in this upload (1..count); each is given once, in order."""
    wrong = [n for n in numbers if not 1 <= n <= count]
    if wrong:
        raise InvalidInput(f"part {wrong[0]} is not in this upload (parts 1 to {count})", field="part_numbers")
    return sorted(set(numbers))


@dataclass(frozen=True)
class CompletedPart:
    part_number: int
    etag: str


def normalized_etag(etag: str) -> str:
    return etag.strip().strip('"')


def check_completed_parts(parts: list[CompletedPart], count: int, stored: dict[int, str]) -> list[CompletedPart]:
    """The part list that completes an upload: every part 1..count exactly once, in ascending order, each
    with the ETag storage returned for it (`stored`: number → ETag of the parts storage holds)."""
    numbers = [p.part_number for p in parts]
    if numbers != sorted(numbers) or len(set(numbers)) != len(numbers):
        raise InvalidInput("parts must be listed once each, in ascending part_number order", field="parts")
    missing = sorted(set(range(1, count + 1)) - set(numbers))
    if missing:
        raise InvalidInput(f"part {missing[0]} is missing ({len(missing)} of {count} missing)", field="parts")
    extra = [n for n in numbers if n > count or n < 1]
    if extra:
        raise InvalidInput(f"part {extra[0]} is not in this upload (parts 1 to {count})", field="parts")
    for part in parts:
        held = stored.get(part.part_number)
        if held is None:
            raise InvalidInput(f"part {part.part_number} was not uploaded", field="parts")
        if normalized_etag(part.etag) != normalized_etag(held):
            raise InvalidInput(f"part {part.part_number}'s ETag does not match the uploaded part", field="parts")
    return [CompletedPart(p.part_number, normalized_etag(p.etag)) for p in parts]
