"""Reading a finished world run: where the money went (flows), the house's markouts, proofs of reserves
(a Merkle sum tree) and early warnings. Everything reads the run's tables, never the live world."""
