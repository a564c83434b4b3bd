"""An executable reference ledger and the drivers that run it beside the real one."""
