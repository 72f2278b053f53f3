#!/usr/bin/env python3
"""Independent key -> shard vectors for respline's cluster routing.

Written from the published algorithm descriptions, not from respline's TypeScript:
  * XXH64: https://github.com/Cyan4973/xxHash/blob/dev/doc/xxhash_spec.md (seed 0)
  * Jump consistent hash: Lamping & Veach, "A Fast, Minimal Memory, Consistent Hash Algorithm" (2014)
  * Hash tags: Redis Cluster specification, "Hash tags" (first '{', then the first '}' after it,
    with at least one byte between them; otherwise the whole key is hashed)

Pure Python 3, standard library only. Prints JSON on stdout; the committed output is
spec/fixtures/shard-vectors.json:

    python3 spec/tools/independent_shard_vectors.py > spec/fixtures/shard-vectors.json
    npx prettier --write spec/fixtures/shard-vectors.json   # the repo's formatting; same data
"""

import json
import sys

MASK64 = (1 << 64) - 1

PRIME64_1 = 0x9E3779B185EBCA87
PRIME64_2 = 0xC2B2AE3D27D4EB4F
PRIME64_3 = 0x165667B19E3779F9
PRIME64_4 = 0x85EBCA77C2B2AE63
PRIME64_5 = 0x27D4EB2F165667C5


def rotl64(value, bits):
    return ((value << bits) | (value >> (64 - bits))) & MASK64


def read_u64_le(data, offset):
    return int.from_bytes(data[offset : offset + 8], "little")


def read_u32_le(data, offset):
    return int.from_bytes(data[offset : offset + 4], "little")


def xxh64_round(acc, lane):
    acc = (acc + lane * PRIME64_2) & MASK64
    acc = rotl64(acc, 31)
    return (acc * PRIME64_1) & MASK64


def xxh64_merge_accumulator(acc, lane_acc):
    acc ^= xxh64_round(0, lane_acc)
    return (acc * PRIME64_1 + PRIME64_4) & MASK64


def xxh64(data, seed=0):
    length = len(data)
    offset = 0
    if length >= 32:
        acc1 = (seed + PRIME64_1 + PRIME64_2) & MASK64
        acc2 = (seed + PRIME64_2) & MASK64
        acc3 = seed & MASK64
        acc4 = (seed - PRIME64_1) & MASK64
        while offset + 32 <= length:
            acc1 = xxh64_round(acc1, read_u64_le(data, offset))
            acc2 = xxh64_round(acc2, read_u64_le(data, offset + 8))
            acc3 = xxh64_round(acc3, read_u64_le(data, offset + 16))
            acc4 = xxh64_round(acc4, read_u64_le(data, offset + 24))
            offset += 32
        acc = (rotl64(acc1, 1) + rotl64(acc2, 7) + rotl64(acc3, 12) + rotl64(acc4, 18)) & MASK64
        for lane_acc in (acc1, acc2, acc3, acc4):
            acc = xxh64_merge_accumulator(acc, lane_acc)
    else:
        acc = (seed + PRIME64_5) & MASK64

    acc = (acc + length) & MASK64

    while offset + 8 <= length:
        acc ^= xxh64_round(0, read_u64_le(data, offset))
        acc = (rotl64(acc, 27) * PRIME64_1 + PRIME64_4) & MASK64
        offset += 8
    if offset + 4 <= length:
        acc ^= (read_u32_le(data, offset) * PRIME64_1) & MASK64
        acc = (rotl64(acc, 23) * PRIME64_2 + PRIME64_3) & MASK64
        offset += 4
    while offset < length:
        acc ^= (data[offset] * PRIME64_5) & MASK64
        acc = (rotl64(acc, 11) * PRIME64_1) & MASK64
        offset += 1

    acc ^= acc >> 33
    acc = (acc * PRIME64_2) & MASK64
    acc ^= acc >> 29
    acc = (acc * PRIME64_3) & MASK64
    acc ^= acc >> 32
    return acc


def jump_consistent_hash(key, num_buckets):
    # The paper's C++: int64 b, j; key is uint64; the division and product are in double.
    b = -1
    j = 0
    while j < num_buckets:
        b = j
        key = (key * 2862933555777941757 + 1) & MASK64
        j = int(float(b + 1) * (float(1 << 31) / float((key >> 33) + 1)))
    return b


def routed_bytes(key_bytes):
    start = key_bytes.find(b"{")
    if start == -1:
        return key_bytes
    end = key_bytes.find(b"}", start + 1)
    if end == -1 or end == start + 1:
        return key_bytes
    return key_bytes[start + 1 : end]


def self_check():
    # Published XXH64 values (seed 0) and the jump vectors from the paper's reference implementation.
    assert xxh64(b"") == 0xEF46DB3751D8E999, hex(xxh64(b""))
    assert xxh64(b"abc") == 0x44BC2CF5AD770999, hex(xxh64(b"abc"))
    assert jump_consistent_hash(1, 1) == 0
    assert jump_consistent_hash(42, 57) == 43
    assert jump_consistent_hash(0xDEAD10CC, 666) == 361
    assert jump_consistent_hash(256, 1024) == 520
    assert jump_consistent_hash(MASK64, 128) == 92


SHARD_COUNTS = [1, 3, 7, 64, 1000]

TEXT_KEYS = [
    "",
    "a",
    "abc",
    "user:12345",
    "user:42",
    "foo",
    "bar",
    "hello world",
    "session:9f8e7d6c",
    "ключ",
    "键",
    "キー:1",
    "emoji:\U0001F600",
    "naïve",
    "{user}:1",
    "{user}:2",
    "{user}:profile",
    "user",
    "{}",
    "{}:x",
    "{a",
    "a}",
    "}{a}",
    "a{b}c{d}",
    "b",
    "{{a}}",
    "x{}y{z}",
    "{ключ}:1",
    "ключ{键}",
    "a" * 31,
    "a" * 32,
    "a" * 33,
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "the quick brown fox jumps over the lazy dog, twice: the quick brown fox",
    "long:{tag}:" + "z" * 50,
]
# Lengths 1..40 exercise every tail path (bytes, 4-byte and 8-byte lanes) and the 32-byte stripe loop.
TEXT_KEYS += ["k" + "0123456789abcdefghijklmnopqrstuvwxyz0123"[: n - 1] for n in range(1, 41)]

# Keys that only exist as bytes (not valid UTF-8), checked through the Buffer path alone.
BYTE_KEYS = [
    b"\xff",
    b"\x00\x01\x02",
    b"\xff{\xfe}\x00",
    b"\x80\x81{}\x82",
    bytes(range(256))[:48],
]


def vector(key_bytes, text):
    routed = routed_bytes(key_bytes)
    digest = xxh64(routed)
    entry = {}
    if text is not None:
        entry["key"] = text
    entry["keyHex"] = key_bytes.hex()
    entry["routedHex"] = routed.hex()
    entry["xxh64"] = format(digest, "016x")
    entry["shards"] = {str(n): jump_consistent_hash(digest, n) for n in SHARD_COUNTS}
    return entry


def main():
    self_check()
    seen = set()
    vectors = []
    for text in TEXT_KEYS:
        if text in seen:
            continue
        seen.add(text)
        vectors.append(vector(text.encode("utf-8"), text))
    for raw in BYTE_KEYS:
        vectors.append(vector(raw, None))
    document = {
        "generator": "spec/tools/independent_shard_vectors.py",
        "algorithm": "shard = jump(xxh64(routed bytes, seed 0), shards); routed bytes = {hash tag} or the whole key",
        "shardCounts": SHARD_COUNTS,
        "vectors": vectors,
    }
    json.dump(document, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
