"""A Merkle sum tree over customer liabilities, its inclusion proofs and their verifier.

A leaf is sha256 of a salted customer id and its unsigned balance per asset; a parent is sha256 of both
children's hashes *and* both children's sums, and carries their sum. Committing to the sums (not only
the hashes) closes the sibling-sum forgery, where a prover lowers a sibling's sum on one customer's path
without changing any hash. Balances are range-checked (0 <= b < 2**63), so no negative leaf can shrink
the total and no sum can wrap.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

MAX = 2**63
FORMAT = "hollow-proof/1"
EMPTY = hashlib.sha256(b"hollow:empty").hexdigest()


class ProofError(Exception):
    """A proof failed one named check."""

    def __init__(self, check: str, detail: str) -> None:
        self.check = check
        super().__init__(f"{check}: {detail}")


def _pack(sums: list[int]) -> bytes:
    return b"".join(s.to_bytes(8, "big") for s in sums)


def _check_range(values: list[int], what: str) -> None:
    for v in values:
        if type(v) is not int or not 0 <= v < MAX:
            raise ProofError("range", f"{what} {v!r} is not an integer in 0..2**63-1")


def leaf_hash(salt: str, customer: str, balances: list[int]) -> str:
    _check_range(balances, "balance")
    return hashlib.sha256(b"hollow:leaf|" + bytes.fromhex(salt) + b"|" + customer.encode() + b"|" + _pack(balances)).hexdigest()


def node_hash(left: tuple[str, list[int]], right: tuple[str, list[int]]) -> tuple[str, list[int]]:
    """The parent of two (hash, sums) nodes; refuses a sum that leaves the range."""
    sums = [a + b for a, b in zip(left[1], right[1], strict=True)]
    _check_range(sums, "node sum")
    data = b"hollow:node|" + bytes.fromhex(left[0]) + _pack(left[1]) + bytes.fromhex(right[0]) + _pack(right[1])
    return hashlib.sha256(data).hexdigest(), sums


@dataclass
class SumTree:
    """Levels of (hash, sums), leaves first; leaves padded to a power of two with empty zero leaves."""

    assets: list[str]
    customers: list[str]
    levels: list[list[tuple[str, list[int]]]]

    @classmethod
    def build(cls, assets: list[str], leaves: list[tuple[str, str, list[int]]]) -> SumTree:
        """`leaves`: (customer, salt hex, balances in `assets` order); negative balances are refused."""
        level = [(leaf_hash(salt, c, b), list(b)) for c, salt, b in leaves]
        size = 1
        while size < max(1, len(level)):
            size *= 2
        level += [(EMPTY, [0] * len(assets))] * (size - len(level))
        levels = [level]
        while len(level) > 1:
            level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level), 2)]
            levels.append(level)
        return cls(assets, [c for c, _, _ in leaves], levels)

    @property
    def root(self) -> tuple[str, list[int]]:
        return self.levels[-1][0]

    def proof(self, index: int, salt: str, date: str) -> dict:
        """The inclusion proof of leaf `index`: its data, every sibling (hash and sums), and the root."""
        path, i = [], index
        for level in self.levels[:-1]:
            sib = level[i ^ 1]
            path.append({"hash": sib[0], "sums": sib[1]})
            i //= 2
        leaf = self.levels[0][index]
        return {"format": FORMAT, "date": date, "assets": self.assets, "leaf_count": len(self.customers),
                "leaf": {"index": index, "customer": self.customers[index], "salt": salt, "balances": leaf[1]},
                "path": path, "root": {"hash": self.root[0], "sums": self.root[1]}}


def verify(proof: dict, published_root: str | None = None) -> list[int]:
    """The root sums if `proof` holds; else ProofError naming the check that failed."""
    try:
        if proof.get("format") != FORMAT:
            raise ProofError("format", f"not a {FORMAT} proof")
        leaf, path, root, n = proof["leaf"], proof["path"], proof["root"], len(proof["assets"])
        index, count = leaf["index"], proof["leaf_count"]
        if type(index) is not int or type(count) is not int or not 0 <= index < count or count > 2 ** len(path):
            raise ProofError("index", f"leaf index {index!r} outside 0..{count!r}-1 for a path of {len(path)}")
        for node in [leaf["balances"], root["sums"], *(p["sums"] for p in path)]:
            if len(node) != n:
                raise ProofError("shape", f"a node has {len(node)} sums for {n} assets")
            _check_range(node, "sum" if node is not leaf["balances"] else "balance")
        current = (leaf_hash(leaf["salt"], leaf["customer"], leaf["balances"]), leaf["balances"])
        i = index
        for sibling in path:
            node = (sibling["hash"], sibling["sums"])
            current = node_hash(node, current) if i & 1 else node_hash(current, node)
            i //= 2
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ProofError("format", f"malformed proof ({type(exc).__name__}: {exc})") from None
    if current[1] != root["sums"]:
        raise ProofError("root sums", f"the path adds up to {current[1]}, the root says {root['sums']}")
    if current[0] != root["hash"]:
        raise ProofError("root hash", "the path does not hash to the proof's root")
    if published_root is not None and published_root != root["hash"]:
        raise ProofError("published root", f"the proof's root {root['hash']} is not the published {published_root}")
    return current[1]
