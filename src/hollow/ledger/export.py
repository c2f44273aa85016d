"""The journal as Arrow tables and Parquet files (queryable with DuckDB, which sums int64 exactly).

Account, asset, cause and class columns are dictionary-encoded strings; amounts stay int64.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from hollow.ledger.journal import Journal


def postings_to_arrow(journal: Journal) -> Any:
    """The postings as a pyarrow Table, one row per posting in seq order."""
    import pyarrow as pa

    c = journal.postings()
    names = pa.array([acct.name for acct in journal.accounts()], type=pa.string())

    def dict_col(key: str, dictionary: Any) -> Any:
        return pa.DictionaryArray.from_arrays(pa.array(c[key].astype(np.int32)), dictionary)

    return pa.table(
        {
            "seq": pa.array(c["seq"]),
            "ts_ns": pa.array(c["ts_ns"]),
            "from_account": dict_col("from_account", names),
            "to_account": dict_col("to_account", names),
            "asset": dict_col("asset", pa.array(list(journal.assets), type=pa.string())),
            "amount_minor": pa.array(c["amount_minor"]),
            "cause": dict_col("cause", pa.array(journal.causes(), type=pa.string())),
            "counterparty_class": dict_col("counterparty_class", pa.array(journal.classes(), type=pa.string())),
            "ref": pa.array(c["ref"]),
        }
    )


def accounts_to_arrow(journal: Journal) -> Any:
    """The accounts as a pyarrow Table (credit_limit_minor is null for unlimited or none)."""
    import pyarrow as pa

    accts = journal.accounts()
    return pa.table(
        {
            "account_id": pa.array([x.id for x in accts], type=pa.int32()),
            "account": pa.array([x.name for x in accts], type=pa.string()),
            "kind": pa.array([x.kind.value for x in accts], type=pa.string()),
            "class": pa.array([x.cls for x in accts], type=pa.string()),
            "claim": pa.array([x.claim for x in accts], type=pa.bool_()),
            "allow_negative_balance": pa.array([x.allow_negative_balance for x in accts], type=pa.bool_()),
            "credit_limit_minor": pa.array([x.credit_limit_minor for x in accts], type=pa.int64()),
            "liquidation_exempt": pa.array([x.liquidation_exempt for x in accts], type=pa.bool_()),
            "fast_order_entry": pa.array([x.fast_order_entry for x in accts], type=pa.bool_()),
        }
    )


def write_parquet(journal: Journal, out_dir: Path | str) -> tuple[Path, Path]:
    """Write `ledger.parquet` and `accounts.parquet` (zstd) into `out_dir`; returns both paths."""
    import pyarrow.parquet as pq

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ledger_path, accounts_path = out / "ledger.parquet", out / "accounts.parquet"
    pq.write_table(postings_to_arrow(journal), ledger_path, compression="zstd")
    pq.write_table(accounts_to_arrow(journal), accounts_path, compression="zstd")
    return ledger_path, accounts_path
