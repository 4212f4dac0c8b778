"""The double-entry ledger: accounts per owner and purpose, balanced transactions, verification."""
