"""pHash bands: an exact, indexable pre-filter for "is this photo near another report's evidence".

A 64-bit pHash is cut into `threshold + 1` bands. Two hashes at most `threshold` bits apart
differ in at most `threshold` bands, so (pigeonhole) at least one band is identical: looking up
the cases that share any band finds every near photo, with a database index instead of a scan.
Unrelated photos share a band only by chance (about 7 × 2⁻⁹, 1.4% of them), and
`evidence.check_evidence` then measures the real Hamming distance of those few candidates.
"""

from __future__ import annotations

from aduan_disposition.evidence import DEFAULT_PHASH_THRESHOLD, parse_phash


def phash_bands(phash: str | None, threshold: int = DEFAULT_PHASH_THRESHOLD) -> tuple[str, ...]:
    """The hash's `threshold + 1` bands as `"<bits>:<band>:<hex>"`; () for a missing or bad hash."""
    parsed = parse_phash(phash)
    if parsed is None:
        return ()
    bits, value = parsed
    count = min(threshold + 1, bits)
    bands = []
    start = 0
    for i in range(count):
        width = bits // count + (1 if i < bits % count else 0)
        chunk = (value >> start) & ((1 << width) - 1)
        bands.append(f"{bits}:{i}:{chunk:x}")
        start += width
    return tuple(bands)
